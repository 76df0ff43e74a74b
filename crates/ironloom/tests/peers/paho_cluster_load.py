#!/usr/bin/env python3
"""Devices under load on a cluster, through paho-mqtt 2.x (Eclipse Paho), driven by
crates/ironloom/tests/mqtt/cluster_faults.rs.

    paho_cluster_load.py HOST PORTS TOKENS_FILE BASE_MS

PORTS: the nodes' MQTT ports, comma-separated. TOKENS_FILE: one device access token a
line. Device i starts on node i mod len(PORTS), publishes {"n": k, "t": 60} at QoS 1
with timestamp BASE_MS + k, k = 0, 1, 2, …, one message at a time, each waiting for its
PUBACK. A device whose node goes away (no PUBACK within 3 s, or disconnected) moves on to
the next node and sends the same k again. Reads commands on stdin: "count" prints
"count N" (messages acknowledged so far), "stop" ends the load.
Prints one JSON line at the end: {"acked": {token: [k, …]}, "moves": n, "errors": [...]}.
"""

import json
import sys
import threading
import time

import paho.mqtt.client as mqtt

ACK_WAIT = 3.0


class Device:
    def __init__(self, host, ports, token, start, base_ms):
        self.host = host
        self.ports = ports
        self.token = token
        self.node = start
        self.base_ms = base_ms
        self.acked = []
        self.moves = 0
        self.client = None

    def connect(self):
        """Connects to the current node, moving on while a node refuses or is gone."""
        for _ in range(len(self.ports) * 20):
            c = mqtt.Client(
                mqtt.CallbackAPIVersion.VERSION2,
                client_id=f"load-{self.token}",
                protocol=mqtt.MQTTv5,
            )
            c.username_pw_set(self.token, "")
            connected = threading.Event()
            outcome = {}

            def on_connect(_c, _u, _f, reason, _p, outcome=outcome, connected=connected):
                outcome["rc"] = reason.value
                connected.set()

            c.on_connect = on_connect
            try:
                c.connect(self.host, self.ports[self.node], keepalive=10)
                c.loop_start()
                if connected.wait(5) and outcome.get("rc") == 0:
                    self.client = c
                    return
            except OSError:
                pass
            try:
                c.loop_stop()
                c.disconnect()
            except Exception:
                pass
            self.move()
            time.sleep(0.2)
        raise RuntimeError(f"device {self.token}: no node took it")

    def move(self):
        self.node = (self.node + 1) % len(self.ports)
        self.moves += 1

    def run(self, stop):
        self.connect()
        k = 0
        while not stop.is_set():
            body = json.dumps({"ts": self.base_ms + k, "values": {"n": k, "t": 60}})
            ok = False
            try:
                info = self.client.publish("v1/devices/me/telemetry", body, qos=1)
                info.wait_for_publish(ACK_WAIT)
                ok = info.is_published() and info.rc == mqtt.MQTT_ERR_SUCCESS
            except (RuntimeError, ValueError, OSError):
                ok = False
            if ok and self.client.is_connected():
                self.acked.append(k)
                k += 1
                time.sleep(0.05)
                continue
            # No PUBACK: the node is gone (or sent us away). Try the next one; k is sent
            # again (a point is keyed by its timestamp, so a repeat changes nothing).
            try:
                self.client.loop_stop()
                self.client.disconnect()
            except Exception:
                pass
            self.move()
            self.connect()
        try:
            self.client.disconnect()
            self.client.loop_stop()
        except Exception:
            pass


def main():
    host, ports, tokens_file, base_ms = sys.argv[1:5]
    ports = [int(p) for p in ports.split(",")]
    base_ms = int(base_ms)
    with open(tokens_file) as f:
        tokens = [t.strip() for t in f if t.strip()]
    stop = threading.Event()
    devices = [Device(host, ports, t, i % len(ports), base_ms) for i, t in enumerate(tokens)]
    errors = []

    def run(d):
        try:
            d.run(stop)
        except Exception as e:  # reported, never hidden
            errors.append(f"{d.token}: {e}")

    threads = [threading.Thread(target=run, args=(d,), daemon=True) for d in devices]
    for t in threads:
        t.start()
    print("started", flush=True)
    for line in sys.stdin:
        if line.strip() == "count":
            print(f"count {sum(len(d.acked) for d in devices)}", flush=True)
        elif line.strip() == "stop":
            break
    stop.set()
    for t in threads:
        t.join(30)
    print(
        json.dumps(
            {
                "acked": {d.token: d.acked for d in devices},
                "moves": sum(d.moves for d in devices),
                "errors": errors,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
