#!/usr/bin/env bash
# The console's browser tests: builds the console, installs Debian's Chromium if missing,
# and drives it with playwright-core against `ironloom serve --demo` (the debug build in
# $CARGO_TARGET_DIR, built here if needed): tests/e2e.mjs, the marketplace's
# tests/e2e-market.mjs and its trading, tests/e2e-market-trade.mjs, identifier resolution's
# tests/e2e-identifiers.mjs, the evaluation report's tests/e2e-evaluation.mjs, the flow
# editor's unit tests and the cluster's health page.
# Screenshots: console/test-results/screenshots.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ironloom-target}"

# Chromium, and a Chinese font so that screenshots of the 简体中文 console show text.
if [ ! -x /usr/bin/chromium ] || [ ! -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  echo "installing Chromium and a CJK font (Debian)" >&2
  $sudo_cmd apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium fonts-wqy-microhei >&2
fi
# The simulated device speaks MQTT through Eclipse Paho (the peers' virtual environment).
eval "$(scripts/install-test-peers.sh)"
scripts/build-console.sh
# The server under test: $IRONLOOM_BIN when given (a binary built elsewhere), else the
# debug build, built here.
if [ -z "${IRONLOOM_BIN:-}" ]; then
  cargo build --locked -q -p ironloom
  IRONLOOM_BIN="$CARGO_TARGET_DIR/debug/ironloom"
fi
export IRONLOOM_BIN
cd console
CHROMIUM=/usr/bin/chromium \
  SCREENSHOTS=test-results/screenshots node tests/e2e.mjs
# The marketplace's story: registration, review, submission, store, install, upgrade.
CHROMIUM=/usr/bin/chromium \
  SCREENSHOTS=test-results/screenshots node tests/e2e-market.mjs
# The marketplace's trading: plans, a paid app subscribed, paid, invoiced, expired, renewed and refunded.
CHROMIUM=/usr/bin/chromium \
  SCREENSHOTS=test-results/screenshots node tests/e2e-market-trade.mjs
# Identifier resolution: prefixes, registration one by one and from CSV, codes, links and
# the trace, label sheets, scanning a QR code, the public resolution page.
CHROMIUM=/usr/bin/chromium \
  SCREENSHOTS=test-results/screenshots node tests/e2e-identifiers.mjs
# The evaluation report and enterprise profiles: a profile filled in, a tenant's own
# figures, the platform's criteria and the records behind them.
CHROMIUM=/usr/bin/chromium \
  SCREENSHOTS=test-results/screenshots node tests/e2e-evaluation.mjs
node tests/flow.test.mjs
# The health page in cluster mode: the peers' nats-server and a fresh database on the
# test PostgreSQL server (started here when this script runs on its own).
cd ..
if [ -z "${IRONLOOM_TEST_PG_URL:-}" ]; then
  eval "$(scripts/pg-test-server.sh start)"
  trap 'scripts/pg-test-server.sh stop' EXIT
fi
psql="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql"
db="ironloom_console_$$_$(date +%s)"
"$psql" "$IRONLOOM_TEST_PG_URL" -qc "CREATE DATABASE $db"
cd console
CHROMIUM=/usr/bin/chromium \
  SCREENSHOTS=test-results/screenshots CLUSTER_META_URL="${IRONLOOM_TEST_PG_URL%/*}/$db" \
  node tests/e2e-cluster.mjs
