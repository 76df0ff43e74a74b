#!/usr/bin/env bash
# Unit tests of the C SDK (sdk/c/tests/*.c), built natively and run:
#   sdk/c/test.sh
# CC picks the compiler (clang-14 by default; any C99 compiler will do).
set -euo pipefail
sdk="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cc="${CC:-clang-14}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0
for t in "$sdk"/tests/*.c; do
  "$cc" -std=c99 -O1 -Wall -Wextra -Werror -I "$sdk" "$t" -o "$tmp/test" -lm
  "$tmp/test" || status=1
done
exit "$status"
