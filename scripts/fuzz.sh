#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with coverage instrumentation (stable Rust: the
# sanitizer-coverage passes are stable codegen options; no AddressSanitizer, which needs
# nightly) and runs them.
#
#   scripts/fuzz.sh                 # every target for 60 s each
#   scripts/fuzz.sh tsdb_chunk 600  # one target for 10 minutes
#   scripts/fuzz.sh --list
#
# Corpora grow in fuzz/corpus/<target> (not committed); crashes land in fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

targets=$(sed -n 's/^name = "\(\(tsdb\|import\|mqtt\|coap\|modbus\|gateway\|rule\|app\|cluster\|ident\|line\)_[a-z_]*\)"/\1/p' Cargo.toml)
if [[ "${1:-}" == "--list" ]]; then
    echo "$targets"
    exit 0
fi
only="${1:-}"
seconds="${2:-60}"

export CARGO_TARGET_DIR="${CARGO_FUZZ_TARGET_DIR:-$HOME/.cache/ironloom-fuzz-target}"
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks"
# With an explicit --target, RUSTFLAGS reach only the fuzzed code, not build scripts.
host=$(rustc -vV | sed -n 's/^host: //p')
cargo build --release --bins --target "$host"

for t in $targets; do
    [[ -n "$only" && "$t" != "$only" ]] && continue
    mkdir -p "corpus/$t" "artifacts/$t"
    echo "== $t for ${seconds}s"
    "$CARGO_TARGET_DIR/$host/release/$t" "corpus/$t" -artifact_prefix="artifacts/$t/" \
        -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 2>&1 \
        | grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==|SUMMARY|.*panicked)" || true
    if compgen -G "artifacts/$t/crash-*" > /dev/null; then
        echo "$t: crash inputs in fuzz/artifacts/$t/" >&2
        exit 1
    fi
done
