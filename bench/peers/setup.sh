#!/usr/bin/env bash
# Installs the peer databases the time-series benchmark compares against, from Debian
# packages: PostgreSQL 15, InfluxDB 1.6.7 (+ the `influx` CLI) and VictoriaMetrics 1.79.5.
#   bench/peers/setup.sh
# Only installs what is missing. The benchmark (`tsdb-bench`) starts and stops its own
# private servers under a temporary directory; the packages' system services are not
# used (and are not started here).
set -euo pipefail

sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd="sudo"

missing=()
have_pkg() { dpkg-query -W -f '${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in postgresql influxdb influxdb-client victoria-metrics; do
  have_pkg "$pkg" || missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  $sudo_cmd apt-get update -qq >&2
  # policy-rc.d or a missing init system may refuse to start the services; that is fine.
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >&2
fi

for bin in influxd victoria-metrics; do
  command -v "$bin" >/dev/null || { echo "$bin not found after install" >&2; exit 1; }
done
ls -d /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "PostgreSQL server binaries not found" >&2; exit 1; }

for pkg in postgresql influxdb victoria-metrics; do
  printf '%s %s\n' "$pkg" "$(dpkg-query -W -f '${Version}' "$pkg")"
done
