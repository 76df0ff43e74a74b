#!/usr/bin/env bash
# Installs the third-party clients the device-connectivity tests talk to, when missing:
#   Debian: mosquitto-clients (mosquitto_pub / mosquitto_sub), libcoap3-bin (coap-client),
#           socat (serial pty pairs for Modbus RTU)
#   PyPI:   paho-mqtt (MQTT 5 features), aiocoap (CoAP), pymodbus (Modbus server and
#           client), asyncua (OPC UA server and client)
# Python packages go to a private virtual environment, $IRONLOOM_PEERS_VENV (default
# ~/.cache/ironloom-peers-venv); the script prints `export` lines for its bin directory:
#   eval "$(scripts/install-test-peers.sh)"
set -euo pipefail

venv="${IRONLOOM_PEERS_VENV:-$HOME/.cache/ironloom-peers-venv}"

missing=()
command -v mosquitto_pub >/dev/null 2>&1 || missing+=(mosquitto-clients)
command -v coap-client >/dev/null 2>&1 || command -v coap-client-notls >/dev/null 2>&1 \
  || missing+=(libcoap3-bin)
command -v socat >/dev/null 2>&1 || missing+=(socat)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >&2
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
echo "export PATH=\"$venv/bin:\$PATH\""
