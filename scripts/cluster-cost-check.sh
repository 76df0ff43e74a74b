#!/usr/bin/env bash
# A first cost check of cluster mode (docs/performance.md, "Cluster mode"): one Ironloom
# node in cluster mode (owning every partition) on a 3-server NATS JetStream cluster,
# PostgreSQL and SeaweedFS's S3 gateway (sealed segments), under mqtt-bench's load, then
# the same load on a single node. Prints mqtt-bench's rows for both and the CPU the NATS
# servers, SeaweedFS and PostgreSQL used.
#   cargo build --release -p ironloom -p ironloom-bench-mqtt
#   scripts/cluster-cost-check.sh --connections 200 --window 16 --idle '' --payload plain --duration 10
# Not the issue's benchmark (three nodes, kill rounds): that is still to be built.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
release="${CARGO_TARGET_DIR:-$repo/target}/release"
work="$(mktemp -d -t ironloom-cluster-cost-XXXXXX)"
eval "$(bash "$repo/scripts/install-test-peers.sh" 2>/dev/null)"
eval "$("$repo/scripts/pg-test-server.sh" start 2>/dev/null)"

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for i in 1 2 3; do
  cat > "$work/n$i.conf" <<EOF
server_name: n$i
listen: 127.0.0.1:1522$i
http: 127.0.0.1:1822$i
jetstream { store_dir: "$work/js$i", max_memory_store: 64MB, max_file_store: 4GB }
cluster { name: il, listen: 127.0.0.1:1622$i,
          routes: [nats-route://127.0.0.1:16221, nats-route://127.0.0.1:16222, nats-route://127.0.0.1:16223] }
EOF
  nats-server -c "$work/n$i.conf" > "$work/n$i.log" 2>&1 &
  pids+=($!)
done
for i in 1 2 3; do
  until curl -sf "http://127.0.0.1:1822$i/healthz?js-enabled-only=true" > /dev/null; do sleep 0.5; done
done
# The bucket for sealed segments: one identity with a generated key pair.
s3_key="IL$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"
head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/s3.secret"
printf '{"identities":[{"name":"ironloom","credentials":[{"accessKey":"%s","secretKey":"%s"}],"actions":["Admin","Read","Write","List","Tagging"]}]}' \
  "$s3_key" "$(cat "$work/s3.secret")" > "$work/s3.json"
mkdir -p "$work/weed"
weed server -dir="$work/weed" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -master.port=19333 -master.port.grpc=29333 -volume.port=18080 -volume.port.grpc=28080 \
  -filer -filer.port=18888 -filer.port.grpc=28888 \
  -s3 -s3.port=18333 -s3.port.grpc=28333 -s3.port.iceberg=0 -s3.port.lance=0 \
  -s3.config="$work/s3.json" -master.volumeSizeLimitMB=64 -volume.max=16 > "$work/weed.log" 2>&1 &
pids+=($!)
# Any HTTP answer (an anonymous request gets 403) means the S3 gateway is up.
until curl -s -o /dev/null "http://127.0.0.1:18333/"; do sleep 0.5; done

db="cost_$(date +%s)"
psql "$IRONLOOM_TEST_PG_URL" -qc "CREATE DATABASE $db"
# utime + stime (clock ticks) of the NATS servers, SeaweedFS and every PostgreSQL process.
ticks() {
  local t=0 p
  for p in "${pids[@]}" $(pgrep -x postgres || true); do
    [ -r "/proc/$p/stat" ] || continue
    set -- $(cut -d')' -f2- "/proc/$p/stat")
    t=$((t + ${12} + ${13}))
  done
  echo "$t"
}
hz=$(getconf CLK_TCK)
c0=$(ticks); t0=$(date +%s.%N)
IRONLOOM__META__URL="${IRONLOOM_TEST_PG_URL%/*}/$db" \
IRONLOOM__CLUSTER__ENABLED=true IRONLOOM__CLUSTER__NODE=bench \
IRONLOOM__CLUSTER__NATS_URLS='["nats://127.0.0.1:15221","nats://127.0.0.1:15222","nats://127.0.0.1:15223"]' \
IRONLOOM__CLUSTER__PARTITIONS=8 IRONLOOM__CLUSTER__STREAM_SHARDS=2 IRONLOOM__CLUSTER__STREAM_MAX_BYTES='"1GiB"' \
IRONLOOM__CLUSTER__OBJECT_STORE__ENDPOINT=http://127.0.0.1:18333 IRONLOOM__CLUSTER__OBJECT_STORE__ALLOW_HTTP=true \
IRONLOOM__CLUSTER__OBJECT_STORE__BUCKET=ironloom-cost IRONLOOM__CLUSTER__OBJECT_STORE__ACCESS_KEY_ID="$s3_key" \
IRONLOOM__CLUSTER__OBJECT_STORE__SECRET_ACCESS_KEY_FILE="$work/s3.secret" \
  "$release/mqtt-bench" --brokers ironloom --ironloom-bin "$release/ironloom" --workdir "$work/bench" "$@" > "$work/cluster.log" 2>&1 || tail -20 "$work/cluster.log"
c1=$(ticks); t1=$(date +%s.%N)
echo "== cluster mode (1 node, 3 NATS servers, PostgreSQL, SeaweedFS)"
grep -E "^\| ironloom|publishes sent" "$work/cluster.log"
echo "NATS, SeaweedFS and PostgreSQL: $(echo "scale=2; ($c1 - $c0) / $hz" | bc) CPU-seconds over the $(echo "scale=1; ($t1 - $t0) / 1" | bc) s run"
echo "== single node"
"$release/mqtt-bench" --brokers ironloom --ironloom-bin "$release/ironloom" --workdir "$work/bench1" "$@" > "$work/single.log" 2>&1
grep -E "^\| ironloom|publishes sent" "$work/single.log"
