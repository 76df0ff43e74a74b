#!/usr/bin/env bash
# Runs the cluster of deploy/compose/docker-compose.yml in Docker and checks it end to end
# (deploy/compose/test/check.py): three Ironloom nodes, three NATS servers, PostgreSQL
# and SeaweedFS, devices over MQTT, a node killed. Called by scripts/test.sh.
#
# Sets up what it needs on a fresh machine: Docker's engine and docker-compose from
# Debian's packages (the engine is started here when none runs), a Debian base image made
# with debootstrap (no image registry is reachable), and images of the servers built from
# the programs the other tests use. Needs root (the engine, debootstrap).
#   IRONLOOM_BIN   the ironloom binary to put in the image (default: the debug build in
#                  $CARGO_TARGET_DIR, built when missing)
#   IRONLOOM_COMPOSE_KEEP=1   leave the cluster running afterwards
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ironloom-target}"
log() { echo "[compose-test] $*" >&2; }

# 1. Docker's engine, docker-compose and debootstrap, from Debian.
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]} (Debian)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null \
    || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; }
fi
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd (log: /tmp/ironloom-dockerd.log)"
  nohup dockerd >/tmp/ironloom-dockerd.log 2>&1 &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -20 /tmp/ironloom-dockerd.log >&2; exit 1; }
fi

# 2. The base image, once per machine.
base=ironloom-test/debian:bookworm-slim
if ! docker image inspect "$base" >/dev/null 2>&1; then
  rootfs=$(mktemp -d /tmp/ironloom-rootfs.XXXXXX)
  log "making $base with debootstrap"
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >/tmp/ironloom-debootstrap.log 2>&1 \
    || { tail -20 /tmp/ironloom-debootstrap.log >&2; exit 1; }
  tar -C "$rootfs" -c . | docker import - "$base" >/dev/null
  rm -rf "$rootfs"
fi

# 3. The servers' images, from the same programs as the other tests.
eval "$(scripts/install-test-peers.sh)"
python="$(dirname "$(command -v nats-server)")/python"
ctx=$(mktemp -d /tmp/ironloom-compose-ctx.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
cp deploy/compose/test/*.Dockerfile deploy/compose/test/*-entrypoint.sh "$ctx/"
cp "$(command -v nats-server)" "$(command -v weed)" "$ctx/"
for s in nats seaweedfs postgres; do
  log "building ironloom-test/$s"
  docker build -q -t "ironloom-test/$s" -f "$ctx/$s.Dockerfile" "$ctx" >"$ctx/build.log" 2>&1 \
    || { tail -30 "$ctx/build.log" >&2; exit 1; }
done

# 4. The cluster, as the compose file describes it, with its own secrets and ports.
bin="${IRONLOOM_BIN:-$CARGO_TARGET_DIR/debug/ironloom}"
[ -x "$bin" ] || cargo build -q -p ironloom
work=$(mktemp -d /tmp/ironloom-compose.XXXXXX)
cp -r deploy "$work/"
cp "$bin" "$work/deploy/ironloom"
project="ilcompose$$"
compose=(docker-compose -p "$project" -f "$work/deploy/compose/docker-compose.yml"
         -f "$work/deploy/compose/test/docker-compose.test.yml")
"$work/deploy/compose/make-secrets.sh" >/dev/null
# Host ports out of everyone's way (the check talks to the containers' own addresses).
for i in 1 2 3; do
  export "IRONLOOM_${i}_HTTP=$((38080 + i))" "IRONLOOM_${i}_MQTT=$((38880 + i))" "IRONLOOM_${i}_COAP=$((38680 + i))"
done
export IRONLOOM_STREAM_MAX_BYTES=256MiB
cleanup() {
  status=$?
  if [ $status -ne 0 ]; then
    log "failed; the nodes' last log lines:"
    for i in 1 2 3; do "${compose[@]}" logs --no-color --tail 30 "ironloom-$i" >&2 || true; done
  fi
  if [ "${IRONLOOM_COMPOSE_KEEP:-0}" != 1 ]; then
    "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
    rm -rf "$work" "$ctx"
  fi
  exit $status
}
trap cleanup EXIT
log "docker-compose up (project $project)"
start=$(date +%s)
"${compose[@]}" up -d --build >/tmp/ironloom-compose-up.log 2>&1 \
  || { tail -30 /tmp/ironloom-compose-up.log >&2; exit 1; }
log "up in $(( $(date +%s) - start )) s"
admin_password=$(grep '^IRONLOOM_ADMIN_PASSWORD=' "$work/deploy/compose/.env" | cut -d= -f2-)
"$python" "$root/deploy/compose/test/check.py" "$project" "$admin_password"
