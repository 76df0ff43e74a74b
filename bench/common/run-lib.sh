# What the harnesses' run.sh scripts share; sourced by them, not run:
#   . "$(dirname "$0")/../common/run-lib.sh"
# bench_setup       to the repository root; CARGO_TARGET_DIR defaults to
#                   ~/.cache/ironloom-bench-target
# bench_build P…    release builds of packages P…, one at a time, so each keeps the
#                   feature set it is built with elsewhere (no rebuilds)
# bench_mosquitto   prints mosquitto's path, installing it from Debian when missing
# bench_machine     the machine facts every run starts with, on stderr
# bench_exec BIN OUT NAME ARGS…
#                   runs BIN ARGS…; with OUT set also writes OUT/NAME.json (--json) and
#                   OUT/NAME.md (the Markdown it prints)

bench_setup() {
  cd "$(dirname "${BASH_SOURCE[0]}")/../.."
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ironloom-bench-target}"
}

bench_build() {
  local p
  for p in "$@"; do
    cargo build --release --quiet -p "$p"
  done
}

bench_mosquitto() {
  local bin sudo_cmd=""
  bin="$(command -v mosquitto || true)"
  [ -n "$bin" ] || [ ! -x /usr/sbin/mosquitto ] || bin=/usr/sbin/mosquitto
  if [ -z "$bin" ]; then
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    echo "installing mosquitto (Debian)" >&2
    # Without an init system the package's service is not started; the benchmarks start
    # their own private broker anyway. (Called as `$(bench_mosquitto)`, where `set -e`
    # does not hold: a failure returns.)
    { $sudo_cmd apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq mosquitto; } >&2 || return 1
    bin=/usr/sbin/mosquitto
  fi
  echo "$bin"
}

bench_machine() {
  {
    echo "machine: $(nproc) CPUs, $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, $(uname -sr)"
    echo "uptime:  $(uptime)"
  } >&2
}

bench_exec() {
  local bin="$1" out="$2" name="$3"
  shift 3
  if [ -n "$out" ]; then
    mkdir -p "$out"
    "$bin" --json "$out/$name.json" "$@" | tee "$out/$name.md"
  else
    exec "$bin" "$@"
  fi
}
