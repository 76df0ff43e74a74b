#!/usr/bin/env bash
# Rule-engine benchmark, Ironloom against mosquitto (with a subscriber evaluating the same
# threshold) in one run:
#   bench/rules/run.sh [rules-bench options…]   e.g. --devices 200 --rules-per-device 5
# 1. installs mosquitto (Debian) when missing;
# 2. builds the release binaries (ironloom, rules-bench) into $CARGO_TARGET_DIR (default
#    ~/.cache/ironloom-bench-target);
# 3. runs rules-bench, which starts `ironloom serve --demo` and mosquitto on free loopback
#    ports under a temporary directory and stops them at the end.
# Results: Markdown on stdout; with RULES_BENCH_OUT=DIR also DIR/rules-bench.json.
set -euo pipefail

cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ironloom-bench-target}"
sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd="sudo"

mosquitto_bin="$(command -v mosquitto || true)"
[ -n "$mosquitto_bin" ] || [ ! -x /usr/sbin/mosquitto ] || mosquitto_bin=/usr/sbin/mosquitto
if [ -z "$mosquitto_bin" ]; then
  echo "installing mosquitto (Debian)" >&2
  $sudo_cmd apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq mosquitto >&2
  mosquitto_bin=/usr/sbin/mosquitto
fi

cargo build --release --locked -q -p ironloom -p ironloom-bench-rules >&2
out=()
[ -z "${RULES_BENCH_OUT:-}" ] || out=(--out "$RULES_BENCH_OUT")
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)" >&2
"$CARGO_TARGET_DIR/release/rules-bench" --ironloom "$CARGO_TARGET_DIR/release/ironloom" \
  --mosquitto "$mosquitto_bin" "${out[@]}" "$@"
