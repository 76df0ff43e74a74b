#!/usr/bin/env bash
# Builds a C app's module: <app-dir>/src/main.c → <app-dir>/modules/main.wasm, with this
# SDK's header and Debian's clang-14, lld-14, wasi-libc and libclang-rt-14-dev-wasm32
# (scripts/install-test-peers.sh installs them). Deterministic: the same sources give
# the same bytes.
#   bash sdk/c/build.sh apps/pump-efficiency
set -euo pipefail
app="${1:?usage: build.sh <app-dir>}"
sdk="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cc="${IRONLOOM_CLANG:-clang-14}"
command -v "$cc" >/dev/null 2>&1 || { echo "$cc not found: apt-get install clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32" >&2; exit 1; }
mkdir -p "$app/modules"
# Built from inside the app's directory so no absolute path reaches the module.
cd "$app"
"$cc" --target=wasm32-wasi -O2 -mexec-model=reactor -Wall -I "$sdk" src/main.c -o modules/main.wasm
echo "built $app/modules/main.wasm ($(wc -c < modules/main.wasm) bytes)"
