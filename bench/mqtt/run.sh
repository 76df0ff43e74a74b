#!/usr/bin/env bash
# MQTT ingest benchmark, Ironloom against mosquitto in one run:
#   bench/mqtt/run.sh [mqtt-bench options…]        e.g. --connections 200 --idle 10000,max
# 1. installs mosquitto (Debian) when missing, and the third-party tools mqtt-benchmark
#    (crates.io) and Locust (PyPI, in a virtual environment; bench/mqtt/locustfile.py)
#    into $MQTT_BENCH_TOOLS (default ~/.cache/ironloom-bench-tools);
#    MQTT_BENCH_THIRD_PARTY=0 skips them;
# 2. builds the release binaries (ironloom, mqtt-bench) into $CARGO_TARGET_DIR (default
#    ~/.cache/ironloom-bench-target);
# 3. raises the open-files limit as far as the machine allows (the brokers inherit it)
#    and prints the machine facts that cap connection counts;
# 4. runs mqtt-bench: it starts `ironloom serve` and mosquitto itself on free loopback
#    ports under a temporary directory and stops them at the end.
# Results: Markdown on stdout; with MQTT_BENCH_OUT=DIR also DIR/mqtt-bench.{md,json}.
set -euo pipefail

. "$(dirname "$0")/../common/run-lib.sh"
bench_setup
tools="${MQTT_BENCH_TOOLS:-$HOME/.cache/ironloom-bench-tools}"
mosquitto_bin="$(bench_mosquitto)"

third_party=()
if [ "${MQTT_BENCH_THIRD_PARTY:-1}" = 1 ]; then
  if [ ! -x "$tools/bin/mqtt-benchmark" ]; then
    echo "installing mqtt-benchmark 0.2.4 (crates.io) into $tools" >&2
    cargo install --locked --quiet --root "$tools" mqtt-benchmark --version 0.2.4 >&2 \
      || echo "mqtt-benchmark did not install; running without it" >&2
  fi
  if [ -x "$tools/bin/mqtt-benchmark" ]; then
    # 0.2.4 takes the host only as a name (an IP address panics), sends QoS 1 to one topic,
    # and counts publish calls per second; it parses -u but never passes it to its client.
    # Its per-client success lines are dropped; failures and the total are kept.
    payload='{"v0":21.5,"v1":3.2,"v2":118.4,"v3":2.71,"v4":41.3,"v5":381.2,"v6":1476,"v7":22.41,"v8":1024,"v9":1}'
    third_party+=(--third-party "$tools/bin/mqtt-benchmark -b localhost:{port} -u {user} -q 1 -o -t v1/devices/me/telemetry -C 100 -s 2000 -P '$payload' 2>&1 | grep -vE '^client: [0-9]+, num: '")
  fi
  venv="$tools/locust-venv"
  if [ ! -x "$venv/bin/locust" ]; then
    echo "installing locust 2.47.0 (PyPI) into $venv" >&2
    { python3 -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check \
        'locust==2.47.0' 'paho-mqtt>=2,<3'; } >&2 \
      || echo "locust did not install; running without it" >&2
  fi
  if [ -x "$venv/bin/locust" ]; then
    # 50 users, each one client waiting for every PUBACK; the summary tables are kept.
    third_party+=(--third-party "MQTT_BENCH_PORT={port} MQTT_BENCH_USER={user} PYTHONWARNINGS=ignore $venv/bin/locust -f $PWD/bench/mqtt/locustfile.py --headless -u 50 -r 50 -t 20s --only-summary 2>&1 | grep -vE 'INFO/locust|DeprecationWarning|super\(\)'")
  fi
fi

bench_build ironloom ironloom-bench-mqtt

# Open files: as many as allowed (raising the hard limit needs CAP_SYS_RESOURCE).
ulimit -Hn 1048576 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"
bench_machine
{
  echo "open files: soft $(ulimit -Sn), hard $(ulimit -Hn); fs.nr_open $(cat /proc/sys/fs/nr_open)"
  echo "net.ipv4.ip_local_port_range: $(cat /proc/sys/net/ipv4/ip_local_port_range)"
  echo "net.core.somaxconn: $(cat /proc/sys/net/core/somaxconn)"
} >&2

args=(--mosquitto-bin "$mosquitto_bin")
[ ${#third_party[@]} -eq 0 ] || args+=("${third_party[@]}")
bench_exec "$CARGO_TARGET_DIR/release/mqtt-bench" "${MQTT_BENCH_OUT:-}" mqtt-bench "${args[@]}" "$@"
