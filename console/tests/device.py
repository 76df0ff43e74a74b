#!/usr/bin/env python3
"""A device on MQTT (Eclipse Paho) for the console's browser test.

    device.py HOST PORT TOKEN

Publishes telemetry every 200 ms (`spindle_speed` rising, `feed_override` as last set)
and answers every RPC request with {"ok": true}, applying written properties as a real
controller would. Prints one JSON line per RPC it received, so the test can see a
parameter written from the console arrive.
"""

import json
import sys
import threading
import time

import paho.mqtt.client as mqtt


def main(host, port, token):
    done = threading.Event()
    state = {"feed_override": 100}
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"console-test-{token[:8]}")
    client.username_pw_set(token)

    def on_connect(c, _userdata, _flags, reason, _props):
        if reason.is_failure:
            print(json.dumps({"error": str(reason)}), flush=True)
            done.set()
            return
        c.subscribe("v1/devices/me/rpc/request/+", qos=1)
        print(json.dumps({"connected": True}), flush=True)

    def on_message(c, _userdata, msg):
        request_id = msg.topic.rsplit("/", 1)[-1]
        body = json.loads(msg.payload)
        print(json.dumps({"rpc": body}), flush=True)
        params = body.get("params") if isinstance(body, dict) else None
        if body.get("method") == "setProperties" and isinstance(params, dict):
            state.update({k: v for k, v in params.items() if k in state})
        c.publish(f"v1/devices/me/rpc/response/{request_id}", json.dumps({"ok": True}), qos=1)

    client.on_connect = on_connect
    client.on_message = on_message
    client.connect(host, port, keepalive=30)
    client.loop_start()
    i = 0
    while not done.is_set():
        i += 1
        client.publish(
            "v1/devices/me/telemetry",
            json.dumps({"spindle_speed": 1000 + (i % 50) * 10, "feed_override": state["feed_override"]}),
            qos=1,
        )
        time.sleep(0.2)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
