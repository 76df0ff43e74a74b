#!/usr/bin/env bash
# Builds <app-dir>/modules/main.wasm from <app-dir>/src/lib.rs with the Rust SDK beside
# this script, for wasm32-unknown-unknown, byte-for-byte reproducibly.
#   sdk/rust/build.sh apps/vibration-pdm
# The compiler is Debian's rustc (packages rustc and libstd-rust-dev-wasm32), called by
# its full path so that a rustup toolchain earlier on PATH is left alone; set
# IRONLOOM_RUSTC to use another rustc that has the wasm32-unknown-unknown standard library.
# Other builds give other bytes: the committed modules are built with /usr/bin/rustc 1.63.
set -euo pipefail

if [ "$#" -ne 1 ] || [ ! -f "$1/src/lib.rs" ]; then
  echo "usage: $0 <app-dir>   (the directory holding src/lib.rs)" >&2
  exit 2
fi
sdk="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
app="$(cd "$1" && pwd -P)"
rustc="${IRONLOOM_RUSTC:-/usr/bin/rustc}"
libdir="$("$rustc" --print target-libdir --target wasm32-unknown-unknown 2>/dev/null || true)"
if [ -z "$libdir" ] || ! ls "$libdir"/libstd-*.rlib >/dev/null 2>&1; then
  echo "$rustc cannot build for wasm32-unknown-unknown: install Debian's rustc and" \
    "libstd-rust-dev-wasm32 (scripts/install-test-peers.sh does)" >&2
  exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Paths are written as /ironloom-sdk, /app and /build into the module (panic locations),
# never as where the build ran; the later mapping wins, so the app's (which may lie
# inside the SDK's folder, as the template does) comes last.
flags=(--edition 2021 --target wasm32-unknown-unknown
  -C opt-level=s -C panic=abort -C codegen-units=1 -C debuginfo=0 -C strip=symbols
  --remap-path-prefix "$tmp=/build" --remap-path-prefix "$sdk=/ironloom-sdk"
  --remap-path-prefix "$app=/app")
cd "$tmp"
"$rustc" "${flags[@]}" --crate-type rlib --crate-name ironloom "$sdk/ironloom.rs" \
  -o "$tmp/libironloom.rlib"
"$rustc" "${flags[@]}" -C lto -C link-arg=-zstack-size=262144 --crate-type cdylib --crate-name app \
  --extern ironloom="$tmp/libironloom.rlib" "$app/src/lib.rs" -o "$tmp/main.wasm"
mkdir -p "$app/modules"
cp "$tmp/main.wasm" "$app/modules/main.wasm"
chmod 644 "$app/modules/main.wasm"
echo "built $app/modules/main.wasm ($(wc -c <"$tmp/main.wasm") bytes)" >&2
