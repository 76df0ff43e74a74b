#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need (third-party
# MQTT and CoAP clients, PostgreSQL), starts a private PostgreSQL for the metadata-store
# conformance suite, then formatting, lints and every test, the web console's tests in
# Chromium (scripts/console-test.sh), and the Docker Compose cluster of deploy/compose
# (scripts/compose-test.sh, which installs and starts Docker's engine when missing). CI
# runs exactly this (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ironloom-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
start=$(date +%s)

# Incremental build data grows with every change and is never collected (34 GB once
# filled this machine's disk): start it afresh when it passes 8 GB.
inc="$CARGO_TARGET_DIR/debug/incremental"
if [ -d "$inc" ] && [ "$(du -sm "$inc" | cut -f1)" -gt 8192 ]; then
  echo "pruning $inc (over 8 GB)"
  rm -rf "$inc"
fi

eval "$(scripts/install-test-peers.sh)"
eval "$(scripts/pg-test-server.sh start)"
trap 'scripts/pg-test-server.sh stop' EXIT
export IRONLOOM_REQUIRE_PG=1
# The peers were just installed: a test must not skip for want of them.
export IRONLOOM_REQUIRE_PEERS=1

echo "== rustfmt"
cargo fmt --all --check
echo "== clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== tests"
cargo test --workspace --locked
echo "== console (Chromium)"
scripts/console-test.sh
echo "== cluster in Docker (deploy/compose)"
scripts/compose-test.sh
echo "== all tests passed in $(( $(date +%s) - start ))s"
