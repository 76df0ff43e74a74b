#!/usr/bin/env bash
# Starts (or stops) a private PostgreSQL server for the test suite.
#   eval "$(scripts/pg-test-server.sh start)"   # exports IRONLOOM_TEST_PG_URL
#   scripts/pg-test-server.sh stop
# Installs PostgreSQL from Debian packages when it is missing. The cluster lives in
# $IRONLOOM_PG_DIR (default: a directory under /tmp), listens on 127.0.0.1 only, with
# trust authentication for the local test user: it is for tests, never for data.
set -euo pipefail

dir="${IRONLOOM_PG_DIR:-${TMPDIR:-/tmp}/ironloom-test-pg}"
cmd="${1:-start}"

find_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

as_owner() {
  # initdb and postgres refuse to run as root; use the postgres system user then.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    bin="$(find_bin)"
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
      echo "PostgreSQL not found; installing it from Debian packages" >&2
      sudo_cmd=""
      [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
      $sudo_cmd apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq postgresql >&2
      bin="$(find_bin)"
    fi
    if [ -f "$dir/port" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      port="$(cat "$dir/port")"
    else
      rm -rf "$dir"
      mkdir -p "$dir"
      [ "$(id -u)" = 0 ] && chown postgres "$dir"
      port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
      as_owner "$bin/initdb" -D "$dir/data" -U ironloom --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
      as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c max_connections=200 -c fsync=off -c synchronous_commit=off" start >&2 \
        || { cat "$dir/server.log" >&2; exit 1; }
      echo "$port" > "$dir/port"
    fi
    echo "export IRONLOOM_TEST_PG_URL=postgres://ironloom@127.0.0.1:${port}/postgres"
    ;;
  stop)
    bin="$(find_bin)"
    if [ -n "$bin" ] && [ -d "$dir/data" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    fi
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
