#!/usr/bin/env bash
# Builds the web console (console/ → console/dist) from the npm registry's packages, as
# locked in console/package-lock.json. Installs Debian's Node.js and npm if missing.
# `ironloom serve` serves console/dist at / when started from the repository.
set -euo pipefail
cd "$(dirname "$0")/../console"

if ! command -v npm >/dev/null 2>&1; then
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  echo "installing Node.js and npm (Debian)" >&2
  $sudo_cmd apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq nodejs npm >&2
fi

# Install only when the lock file changed since the last install.
stamp=node_modules/.ironloom-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error >&2
  cp package-lock.json "$stamp"
fi
npm run --silent build >&2
echo "console built: $(pwd)/dist" >&2
