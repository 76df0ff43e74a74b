#!/usr/bin/env python3
"""A device on Alibaba's Link SDK for Python (PyPI aliyun-iot-linkkit, with paho-mqtt
1.x), driven by crates/ironloom/tests/mqtt/linkkit.rs against `ironloom serve`. The SDK
never subscribes by itself: it signs in with `_ss=1` in its client id and relies on the
broker to subscribe it to its topics.

    linkkit_device.py HOST PORT PRODUCT_KEY DEVICE_NAME DEVICE_SECRET

Connects (plain TCP), posts the property temp = 21.5 and waits for the post_reply, prints
`posted`, then waits for a property set from the platform (the SDK answers it by itself
with code 200), prints `set {params}` and `all ok`. Any check that fails exits 1 with the
reason.
"""

import json
import os
import sys
import tempfile
import threading

from linkkit import linkkit

WAIT = 20.0


def main():
    host, port, product_key, device_name, secret = sys.argv[1:6]
    # The SDK reads the thing model's identifiers from a TSL file.
    tsl = {
        "profile": {"productKey": product_key},
        "properties": [{"identifier": "temp"}, {"identifier": "speed"}],
        "events": [{"identifier": "post", "outputData": [{"identifier": "temp"}]}],
        "services": [
            {"identifier": "set", "inputData": [{"identifier": "speed"}]},
            {"identifier": "get", "outputData": []},
        ],
    }
    fd, tsl_file = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(tsl, f)

    connected = threading.Event()
    enabled = threading.Event()
    posted = threading.Event()
    changed = threading.Event()
    state = {}

    lk = linkkit.LinkKit(
        host_name="cn-shanghai",
        product_key=product_key,
        device_name=device_name,
        device_secret=secret,
    )
    lk.config_mqtt(port=int(port), secure="", endpoint=host, keep_alive=60)

    def on_connect(session_flag, rc, userdata):
        state["connect_rc"] = rc
        connected.set()

    def on_thing_enable(userdata):
        enabled.set()

    def on_thing_prop_post(request_id, code, data, message, userdata):
        state["post_reply"] = (code, data, message)
        posted.set()

    def on_thing_prop_changed(params, userdata):
        state["set"] = params
        changed.set()

    lk.on_connect = on_connect
    lk.on_thing_enable = on_thing_enable
    lk.on_thing_prop_post = on_thing_prop_post
    lk.on_thing_prop_changed = on_thing_prop_changed
    lk.thing_setup(tsl_file)
    lk.connect_async()
    try:
        if not connected.wait(WAIT) or state.get("connect_rc") != 0:
            sys.exit(f"not connected: {state}")
        print("connected", flush=True)
        if not enabled.wait(WAIT):
            sys.exit("the thing model was not enabled")
        rc, _ = lk.thing_post_property({"temp": 21.5})
        if rc != 0:
            sys.exit(f"thing_post_property returned {rc}")
        if not posted.wait(WAIT):
            sys.exit("no post_reply: the device was not subscribed to its reply topic")
        code, data, message = state["post_reply"]
        if code != 200:
            sys.exit(f"post_reply code {code}: {message} {data}")
        print("posted", flush=True)
        if not changed.wait(WAIT):
            sys.exit("no property set arrived")
        print(f"set {json.dumps(state['set'])}", flush=True)
        print("all ok", flush=True)
    finally:
        lk.disconnect()
        os.remove(tsl_file)


if __name__ == "__main__":
    main()
