#!/usr/bin/env bash
# Builds Ironloom and starts it with demo data: a demo tenant with users, products and
# devices, console and API on http://127.0.0.1:8080 (API docs at /api/docs/).
# Extra arguments go to `ironloom serve`, e.g. scripts/demo.sh --http 127.0.0.1:9090
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ironloom-target}"
scripts/build-console.sh
cargo build --release --locked -p ironloom
exec "$CARGO_TARGET_DIR/release/ironloom" serve --demo --data-dir "${IRONLOOM_DATA_DIR:-data}" "$@"
