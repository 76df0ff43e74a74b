#!/usr/bin/env bash
# Edge gateway benchmark, Ironloom's gateway beside pymodbus in one run:
#   bench/gateway/run.sh [gateway-bench options…]     e.g. --points 10000,100000 --poll-ms 100
# 1. installs the peers (pymodbus 3.16.1 in ~/.cache/ironloom-peers-venv, via
#    scripts/install-test-peers.sh) when missing; GATEWAY_BENCH_PEER=0 skips the peer;
# 2. builds the release binaries (ironloom, gateway-bench) into $CARGO_TARGET_DIR (default
#    ~/.cache/ironloom-bench-target);
# 3. prints the machine facts and runs gateway-bench: for each size it starts
#    `ironloom sim modbus`, `ironloom serve` and `ironloom gateway` as separate processes
#    on free loopback ports under a temporary directory, and stops them at the end.
# Results: Markdown on stdout; with GATEWAY_BENCH_OUT=DIR also DIR/gateway-bench.{md,json}
# (GATEWAY_BENCH_NAME=NAME names them DIR/NAME.{md,json} instead).
set -euo pipefail

. "$(dirname "$0")/../common/run-lib.sh"
bench_setup
venv="${IRONLOOM_PEERS_VENV:-$HOME/.cache/ironloom-peers-venv}"

args=()
if [ "${GATEWAY_BENCH_PEER:-1}" = 1 ]; then
  if ! "$venv/bin/python" -c 'import pymodbus' 2>/dev/null; then
    echo "installing the test peers (pymodbus) into $venv" >&2
    IRONLOOM_PEERS_VENV="$venv" bash scripts/install-test-peers.sh >/dev/null
  fi
  args+=(--peer-python "$venv/bin/python")
else
  args+=(--peer-python none)
fi

bench_build ironloom ironloom-bench-gateway
bench_machine
echo "clock ticks: $(getconf CLK_TCK)/s" >&2

bench_exec "$CARGO_TARGET_DIR/release/gateway-bench" "${GATEWAY_BENCH_OUT:-}" \
  "${GATEWAY_BENCH_NAME:-gateway-bench}" "${args[@]}" "$@"
