#!/usr/bin/env bash
# Cluster benchmark (issue 21): a single node against a 3-node cluster on the same
# machine, same MQTT load, then SIGKILL rounds:
#   bench/cluster/run.sh [cluster-bench options…]   e.g. --connections 200 --kill-rounds 100
# 1. installs the peers (nats-server, SeaweedFS; scripts/install-test-peers.sh) and starts
#    the private PostgreSQL server (scripts/pg-test-server.sh), installing it when missing;
# 2. builds the release binaries (ironloom, cluster-bench) into $CARGO_TARGET_DIR
#    (default ~/.cache/ironloom-bench-target);
# 3. runs cluster-bench: it starts the NATS servers and the Ironloom nodes itself on free
#    loopback ports under a temporary directory and stops them at the end.
# Results: Markdown on stdout; with CLUSTER_BENCH_OUT=DIR also DIR/cluster-bench.{md,json}.
set -euo pipefail

. "$(dirname "$0")/../common/run-lib.sh"
bench_setup
eval "$(bash scripts/install-test-peers.sh)"
eval "$(scripts/pg-test-server.sh start)"
bench_build ironloom ironloom-bench-cluster
ulimit -Hn 1048576 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"
bench_machine
bench_exec "$CARGO_TARGET_DIR/release/cluster-bench" "${CLUSTER_BENCH_OUT:-}" cluster-bench \
  --ironloom-bin "$CARGO_TARGET_DIR/release/ironloom" "$@"
