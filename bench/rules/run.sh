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

. "$(dirname "$0")/../common/run-lib.sh"
bench_setup
mosquitto_bin="$(bench_mosquitto)"
bench_build ironloom ironloom-bench-rules
bench_machine
out=()
[ -z "${RULES_BENCH_OUT:-}" ] || out=(--out "$RULES_BENCH_OUT")
"$CARGO_TARGET_DIR/release/rules-bench" --ironloom "$CARGO_TARGET_DIR/release/ironloom" \
  --mosquitto "$mosquitto_bin" "${out[@]}" "$@"
