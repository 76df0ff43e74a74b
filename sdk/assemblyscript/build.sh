#!/usr/bin/env bash
# Builds an AssemblyScript app: sdk/assemblyscript/build.sh <app-dir>
# compiles <app-dir>/assembly/index.ts to <app-dir>/modules/main.wasm with the SDK next
# to this script (found relative to it, so a copy of the sdk folder anywhere works).
# Installs the pinned compiler into node_modules here on first use (npm ci).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 <app-dir>" >&2
  exit 2
fi
sdk="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
app="$(cd "$1" && pwd)"
if [ ! -f "$app/assembly/index.ts" ]; then
  echo "$app/assembly/index.ts not found" >&2
  exit 2
fi
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "$tool is required (scripts/install-test-peers.sh installs it)" >&2; exit 2; }
done

asc="$sdk/node_modules/assemblyscript/bin/asc.js"
if [ ! -f "$asc" ]; then
  (cd "$sdk" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

mkdir -p "$app/modules"
# Relative paths only, from the app's folder: the module does not depend on where the
# app or the SDK lives. No debug names, no source map: the same sources give the same bytes.
cd "$app"
node "$asc" assembly/index.ts \
  --path "$sdk" \
  --runtime minimal \
  --use abort=~lib/ironloom/rt/ironloomAbort \
  --use trace=~lib/ironloom/rt/ironloomTrace \
  --use seed=~lib/ironloom/rt/ironloomSeed \
  --optimizeLevel 3 --shrinkLevel 0 \
  --noColors \
  --outFile modules/main.wasm
