#!/usr/bin/env python3
"""A device speaking MQTT through paho-mqtt 2.x (Eclipse Paho), driven by
crates/ironloom/tests/mqtt/paho.rs against `ironloom serve`.

    paho_device.py mqtt5 HOST MQTT_PORT TOKEN PRODUCT_KEY DEVICE_NAME BASE_MS
    paho_device.py websocket HOST HTTP_PORT TOKEN BASE_MS
    paho_device.py resume 5|311 HOST MQTT_PORT TOKEN API_URL API_TOKEN DEVICE_ID
    paho_device.py listen HOST MQTT_PORT TOKEN
    paho_device.py wss HOST HTTPS_PORT CA_FILE TOKEN BASE_MS
    paho_device.py x509 tcp|websockets HOST PORT CA_FILE CERT KEY BASE_MS stored|refused

Telemetry carries timestamps from BASE_MS on; the Rust test reads the stored values back
through the REST API. Prints "all ok" at the end; any failed check raises (exit 1) with
the reason.
"""

import json
import queue
import socket
import sys
import threading
import time
import urllib.request

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

WAIT = 15.0
# Commands queued while a resumed device was away: enough that sending them takes a while.
QUEUED_COMMANDS = 40

# MQTT 5 reason codes (§2.4).
SUCCESS = 0x00
GRANTED_QOS_1 = 0x01
BAD_CREDENTIALS = 0x86
NOT_AUTHORIZED = 0x87
TOPIC_NAME_INVALID = 0x90
PAYLOAD_FORMAT_INVALID = 0x99


def check(cond, what):
    if not cond:
        raise AssertionError(what)


class Peer:
    """One paho client with its network loop on a thread and its callbacks in queues."""

    def __init__(self, name, token, version=mqtt.MQTTv5, transport="tcp", clean_session=None):
        self.name = name
        self.version = version
        self.c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=name,
            protocol=version,
            transport=transport,
            reconnect_on_failure=False,
            # MQTT 3.1.1 asks for a persistent session in the client (clean_session=0).
            clean_session=clean_session,
        )
        if token is not None:
            self.c.username_pw_set(token)
        self.connacks = queue.Queue()
        self.subacks = queue.Queue()
        self.messages = queue.Queue()
        self.closed = threading.Event()
        self.acks = {}
        self.acked = threading.Condition()
        self.c.on_connect = lambda _c, _u, flags, rc, props: self.connacks.put(
            (rc.value, flags.session_present)
        )
        self.c.on_subscribe = lambda _c, _u, _mid, rcs, _p: self.subacks.put(
            [rc.value for rc in rcs]
        )
        self.c.on_message = lambda _c, _u, msg: self.messages.put(msg)
        self.c.on_publish = self._on_publish
        self.c.on_disconnect = lambda *_a: self.closed.set()

    def _on_publish(self, _c, _u, mid, rc, props):
        reason = getattr(props, "ReasonString", None) if props is not None else None
        with self.acked:
            self.acks[mid] = (rc.value, reason)
            self.acked.notify_all()

    def will(self, topic, payload, qos=1):
        self.c.will_set(topic, payload, qos=qos)

    def connect(self, host, port, clean_start=True, expiry=None):
        """Connects; returns (CONNACK reason code, session present)."""
        props = None
        if expiry is not None:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = expiry
        self.closed.clear()
        if self.version == mqtt.MQTTv5:
            self.c.connect(host, port, keepalive=30, clean_start=clean_start, properties=props)
        else:
            self.c.connect(host, port, keepalive=30)
        self.c.loop_start()
        try:
            return self.connacks.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"{self.name}: no CONNACK")

    def subscribe(self, topic, qos=1):
        self.c.subscribe(topic, qos=qos)
        try:
            return self.subacks.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"{self.name}: no SUBACK for {topic}")

    def publish(self, topic, payload, qos=1, props=None):
        """Publishes and waits for the acknowledgement; returns (reason code, reason string)."""
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload)
        info = self.c.publish(topic, payload, qos=qos, properties=props)
        deadline = time.monotonic() + WAIT
        with self.acked:
            while info.mid not in self.acks:
                left = deadline - time.monotonic()
                check(left > 0, f"{self.name}: no acknowledgement for {topic}")
                self.acked.wait(left)
            return self.acks.pop(info.mid)

    def next_message(self, what):
        try:
            return self.messages.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"{self.name}: {what} did not arrive")

    def disconnect(self, reason=None):
        if reason is None:
            self.c.disconnect()
        else:
            self.c.disconnect(reasoncode=ReasonCode(PacketTypes.DISCONNECT, identifier=reason))
        check(self.closed.wait(WAIT), f"{self.name}: did not disconnect")
        self.c.loop_stop()

    def drop(self):
        """Closes the network connection without DISCONNECT, as a device losing power."""
        sock = self.c.socket()
        self.c.loop_stop()
        sock.shutdown(socket.SHUT_RDWR)
        sock.close()


def reason_codes_and_errors(host, port, token, base):
    """Telemetry acknowledgements carry the documented reason codes; refusals are
    published on v1/devices/me/errors to a device that subscribed."""
    bad = Peer("paho-bad", "no-such-token")
    rc, _ = bad.connect(host, port)
    check(rc == BAD_CREDENTIALS, f"CONNACK for a bad token: {rc:#x}")
    bad.c.loop_stop()

    d = Peer("paho-main", token)
    rc, present = d.connect(host, port)
    check((rc, present) == (SUCCESS, False), f"CONNACK {rc:#x}, session present {present}")
    check(d.subscribe("v1/devices/me/errors") == [GRANTED_QOS_1], "errors subscription")
    check(d.subscribe("#") == [NOT_AUTHORIZED], "a device may not subscribe to #")

    telemetry = "v1/devices/me/telemetry"
    rc, why = d.publish(telemetry, {"ts": base, "values": {"temp": 21.5, "rpm": 1200}})
    check((rc, why) == (SUCCESS, None), f"valid telemetry: {rc:#x} {why}")

    # Partly valid: what is valid is stored, success with a reason string.
    rc, why = d.publish(telemetry, {"ts": base + 1000, "values": {"temp": 20.0, "rpm": 99999}})
    check(rc == SUCCESS and why and "rpm" in why, f"partly valid telemetry: {rc:#x} {why}")

    # Nothing valid: refused.
    rc, why = d.publish(telemetry, {"ts": base + 2000, "values": {"rpm": -1}})
    check(rc == PAYLOAD_FORMAT_INVALID and why, f"out-of-range telemetry: {rc:#x} {why}")
    rc, why = d.publish(telemetry, "not json")
    check(rc == PAYLOAD_FORMAT_INVALID, f"a payload that is not JSON: {rc:#x} {why}")

    # QoS 2: acknowledged after PUBREC/PUBREL/PUBCOMP.
    rc, why = d.publish(telemetry, {"ts": base + 3000, "values": {"temp": 22.5}}, qos=2)
    check(rc == SUCCESS, f"QoS 2 telemetry: {rc:#x} {why}")

    rc, why = d.publish("v1/devices/me/nope", "{}")
    check(rc == TOPIC_NAME_INVALID, f"unknown topic: {rc:#x} {why}")
    rc, why = d.publish("/sys/otherKey/other/thing/event/property/post", "{}")
    check(rc == NOT_AUTHORIZED, f"another device's topic: {rc:#x} {why}")

    # The refusals of the partly valid, the out-of-range and the unparsable message, the
    # unknown topic and the other device's topic.
    seen = []
    for _ in range(5):
        m = d.next_message("a message on v1/devices/me/errors")
        check(m.topic == "v1/devices/me/errors", f"unexpected message on {m.topic}")
        seen.extend((e["key"], e["code"]) for e in json.loads(m.payload)["errors"])
    check(seen.count(("rpm", "out_of_range")) == 2, f"errors: {seen}")
    check(any(code == "invalid_payload" for _, code in seen), f"errors: {seen}")
    check(seen.count(("", "unknown_topic")) == 2, f"errors: {seen}")
    return d


def request_response(host, port, token, pk, dn, main):
    """MQTT 5 request/response on the device's own topics: response topic, correlation
    data, user properties and content type reach the other side unchanged."""
    user = f"/{pk}/{dn}/user"
    responder = Peer("paho-responder", token)
    check(responder.connect(host, port)[0] == SUCCESS, "responder CONNACK")
    check(responder.subscribe(f"{user}/request") == [GRANTED_QOS_1], "request subscription")
    check(main.subscribe(f"{user}/response") == [GRANTED_QOS_1], "response subscription")

    props = Properties(PacketTypes.PUBLISH)
    props.ResponseTopic = f"{user}/response"
    props.CorrelationData = b"\x00req-42\xff"
    props.UserProperty = [("trace", "t-1"), ("unit", "°C"), ("trace", "t-2")]
    props.ContentType = "application/json"
    props.PayloadFormatIndicator = 1
    props.MessageExpiryInterval = 60
    rc, why = main.publish(f"{user}/request", {"op": "read"}, props=props)
    check(rc == SUCCESS, f"request: {rc:#x} {why}")

    req = responder.next_message("the request")
    p = req.properties
    check(req.topic == f"{user}/request", req.topic)
    check(p.ResponseTopic == f"{user}/response", f"response topic {p.ResponseTopic}")
    check(p.CorrelationData == b"\x00req-42\xff", f"correlation data {p.CorrelationData!r}")
    check(
        p.UserProperty == [("trace", "t-1"), ("unit", "°C"), ("trace", "t-2")],
        f"user properties {p.UserProperty}",
    )
    check(p.ContentType == "application/json", f"content type {p.ContentType}")
    check(p.PayloadFormatIndicator == 1, "payload format indicator")
    check(0 < p.MessageExpiryInterval <= 60, f"message expiry {p.MessageExpiryInterval}")

    answer = Properties(PacketTypes.PUBLISH)
    answer.CorrelationData = p.CorrelationData
    rc, why = responder.publish(p.ResponseTopic, {"value": 7}, props=answer)
    check(rc == SUCCESS, f"response: {rc:#x} {why}")
    resp = main.next_message("the response")
    check(resp.topic == f"{user}/response", resp.topic)
    check(resp.properties.CorrelationData == b"\x00req-42\xff", "correlation data of the response")
    check(json.loads(resp.payload) == {"value": 7}, resp.payload)
    responder.disconnect()


def persistent_sessions(host, port, token, pk, dn, main):
    """A QoS 1 message sent while a persistent session's client is away is delivered when
    it comes back with clean_start=False; a session expires after its interval."""
    cmd = f"/{pk}/{dn}/user/cmd"
    s = Peer("paho-persistent", token)
    rc, present = s.connect(host, port, clean_start=True, expiry=300)
    check((rc, present) == (SUCCESS, False), f"first CONNACK {rc:#x} {present}")
    check(s.subscribe(cmd) == [GRANTED_QOS_1], "cmd subscription")
    s.disconnect()

    rc, why = main.publish(cmd, "queued-1")
    check(rc == SUCCESS, f"publish to the offline session: {rc:#x} {why}")

    rc, present = s.connect(host, port, clean_start=False, expiry=300)
    check((rc, present) == (SUCCESS, True), f"resumed CONNACK {rc:#x} present={present}")
    m = s.next_message("the message queued while offline")
    check((m.topic, m.payload, m.qos) == (cmd, b"queued-1", 1), f"{m.topic} {m.payload} {m.qos}")
    s.disconnect()

    # A clean start throws the session away.
    rc, present = s.connect(host, port, clean_start=True, expiry=300)
    check((rc, present) == (SUCCESS, False), f"clean CONNACK {rc:#x} present={present}")
    s.disconnect()

    e = Peer("paho-expiring", token)
    rc, present = e.connect(host, port, clean_start=True, expiry=1)
    check((rc, present) == (SUCCESS, False), f"CONNACK {rc:#x} {present}")
    check(e.subscribe(cmd) == [GRANTED_QOS_1], "cmd subscription")
    e.disconnect()
    # Sessions are swept once a second: after 1 s of expiry and a sweep it is gone.
    time.sleep(3)
    rc, present = e.connect(host, port, clean_start=False, expiry=1)
    check((rc, present) == (SUCCESS, False), f"expired session: {rc:#x} present={present}")
    e.disconnect()


def wills(host, port, token, pk, dn, base, main):
    """Will messages: none after a normal DISCONNECT, sent after DISCONNECT 0x04 and after a
    lost connection; a will on the telemetry topic is stored like telemetry."""
    topic = f"/{pk}/{dn}/user/will"
    check(main.subscribe(topic) == [GRANTED_QOS_1], "will subscription")

    normal = Peer("paho-will-normal", token)
    normal.will(topic, "from-normal")
    check(normal.connect(host, port)[0] == SUCCESS, "CONNACK")
    normal.disconnect()

    asked = Peer("paho-will-asked", token)
    asked.will(topic, "from-disconnect-0x04")
    check(asked.connect(host, port)[0] == SUCCESS, "CONNACK")
    asked.disconnect(reason=0x04)
    # The first will to arrive: had the normal client's been sent, it would have come first.
    m = main.next_message("the will after DISCONNECT 0x04")
    check((m.topic, m.payload) == (topic, b"from-disconnect-0x04"), f"{m.topic} {m.payload}")

    lost = Peer("paho-will-lost", token)
    lost.will(topic, "from-lost-connection")
    check(lost.connect(host, port)[0] == SUCCESS, "CONNACK")
    lost.drop()
    m = main.next_message("the will after a lost connection")
    check((m.topic, m.payload) == (topic, b"from-lost-connection"), f"{m.topic} {m.payload}")

    stored = Peer("paho-will-telemetry", token)
    stored.will(
        "v1/devices/me/telemetry",
        json.dumps({"ts": base + 5000, "values": {"temp": -5.0}}),
    )
    check(stored.connect(host, port)[0] == SUCCESS, "CONNACK")
    stored.drop()


def mqtt5(host, port, token, pk, dn, base):
    main = reason_codes_and_errors(host, port, token, base)
    request_response(host, port, token, pk, dn, main)
    persistent_sessions(host, port, token, pk, dn, main)
    wills(host, port, token, pk, dn, base, main)
    check(main.messages.empty(), f"unexpected message: {main.messages.queue}")
    main.disconnect()


def websocket(host, http_port, token, base):
    """MQTT 5 and 3.1.1 over WebSocket at /mqtt (paho offers the subprotocol `mqtt`)."""
    d = Peer("paho-ws-5", token, transport="websockets")
    d.c.ws_set_options(path="/mqtt")
    rc, _ = d.connect(host, http_port)
    check(rc == SUCCESS, f"CONNACK over WebSocket: {rc:#x}")
    rc, why = d.publish("v1/devices/me/telemetry", {"ts": base, "values": {"temp": 31.5}})
    check(rc == SUCCESS, f"telemetry over WebSocket: {rc:#x} {why}")
    rc, why = d.publish("v1/devices/me/telemetry", {"ts": base, "values": {"rpm": -3}})
    check(rc == PAYLOAD_FORMAT_INVALID, f"refused telemetry over WebSocket: {rc:#x} {why}")
    d.disconnect()

    old = Peer("paho-ws-311", token, version=mqtt.MQTTv311, transport="websockets")
    old.c.ws_set_options(path="/mqtt")
    rc, _ = old.connect(host, http_port)
    check(rc == SUCCESS, f"3.1.1 CONNACK over WebSocket: {rc}")
    # 3.1.1 has no reason codes: the PUBACK itself says the values are stored.
    old.publish("v1/devices/me/telemetry", {"ts": base + 1000, "values": {"rpm": 900}})
    old.disconnect()


def send_command(api_url, api_token, device_id, method):
    """Sends a command through the REST API, queued while the device is away."""
    body = json.dumps({"method": method, "offline": "queue", "wait": False}).encode()
    req = urllib.request.Request(
        f"{api_url}/api/v1/devices/{device_id}/commands",
        data=body,
        headers={"content-type": "application/json", "authorization": f"Bearer {api_token}"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=WAIT) as r:
        return r.status, json.loads(r.read())["status"]


def resume(version, host, port, token, api_url, api_token, device_id):
    """A device with a persistent session (MQTT 5 clean_start=0 with an expiry, or 3.1.1
    clean_session=0) subscribes to its commands and goes away; commands are queued for it.
    When it comes back with its session present, without subscribing again, it gets the
    queued commands oldest first, and a command sent at once after that comes after them
    (however long the queue takes to go out), each once."""
    v5 = version == "5"
    proto = mqtt.MQTTv5 if v5 else mqtt.MQTTv311
    name = f"paho-resume-{version}"
    d = Peer(name, token, version=proto, clean_session=None if v5 else False)
    rc, present = d.connect(host, port, clean_start=True, expiry=300 if v5 else None)
    check(rc == SUCCESS, f"first CONNACK {rc:#x}")
    check(d.subscribe("v1/devices/me/rpc/request/+") in ([GRANTED_QOS_1], [1]), "rpc subscription")
    d.disconnect()

    queued = [f"queued-{i}" for i in range(QUEUED_COMMANDS)]
    for method in queued:
        status = send_command(api_url, api_token, device_id, method)
        check(status == (202, "queued"), f"command {method} while away: {status}")

    rc, present = d.connect(host, port, clean_start=False, expiry=300 if v5 else None)
    check((rc, present) == (SUCCESS, True), f"resumed CONNACK {rc:#x} present={present}")
    status = send_command(api_url, api_token, device_id, "newer")
    check(status[0] in (200, 202), f"command newer: {status}")
    got = []
    for _ in range(len(queued) + 1):
        m = d.next_message(f"command {len(got) + 1} after resuming ({got} so far)")
        check(m.topic.startswith("v1/devices/me/rpc/request/"), f"unexpected message on {m.topic}")
        got.append(json.loads(m.payload)["method"])
        n = m.topic.rsplit("/", 1)[1]
        rc, why = d.publish(f"v1/devices/me/rpc/response/{n}", {"done": got[-1]})
        check(rc == SUCCESS, f"answer to {got[-1]}: {rc:#x} {why}")
    check(got == queued + ["newer"], f"commands in the order {got}")
    time.sleep(0.5)
    check(d.messages.empty(), f"a command came twice: {d.messages.queue}")


def listen(host, port, token):
    """Connected but not listening for commands until told: prints `connected`, subscribes
    to its command topic on a line `subscribe` on standard input, prints `subscribed`, then
    answers the first command that arrives and prints `rpc {request}`."""
    d = Peer("paho-listen", token)
    rc, _ = d.connect(host, port)
    check(rc == SUCCESS, f"CONNACK: {rc:#x}")
    print("connected", flush=True)
    line = sys.stdin.readline().strip()
    check(line == "subscribe", f"expected `subscribe`, got {line!r}")
    check(d.messages.empty(), f"a message before subscribing: {d.messages.queue}")
    check(d.subscribe("v1/devices/me/rpc/request/+") == [GRANTED_QOS_1], "SUBACK")
    print("subscribed", flush=True)
    msg = d.next_message("the queued command")
    n = msg.topic.rsplit("/", 1)[1]
    rc, why = d.publish(f"v1/devices/me/rpc/response/{n}", {"done": True})
    check(rc == SUCCESS, f"answer: {rc:#x} {why}")
    print(f"rpc {msg.payload.decode()}", flush=True)
    d.disconnect()


def wss(host, https_port, ca, token, base):
    """MQTT 5 over WebSocket over TLS, wss://host/mqtt, the server's certificate checked
    against CA_FILE."""
    d = Peer("paho-wss", token, transport="websockets")
    d.c.ws_set_options(path="/mqtt")
    d.c.tls_set(ca_certs=ca)
    rc, _ = d.connect(host, https_port)
    check(rc == SUCCESS, f"CONNACK over WSS: {rc:#x}")
    rc, why = d.publish("v1/devices/me/telemetry", {"ts": base, "values": {"temp": 41.5}})
    check(rc == SUCCESS, f"telemetry over WSS: {rc:#x} {why}")
    d.disconnect()


def x509(transport, host, port, ca, cert, key, base, expect):
    """MQTT 5 over TLS (tcp) or WSS (websockets) with a client certificate and no user
    name: the certificate alone logs the device in, or is refused."""
    d = Peer(f"paho-x509-{transport}", None, transport=transport)
    if transport == "websockets":
        d.c.ws_set_options(path="/mqtt")
    d.c.tls_set(ca_certs=ca, certfile=cert, keyfile=key)
    if expect == "refused":
        try:
            d.c.connect(host, port, keepalive=30)
        except OSError:
            return  # refused in the TLS handshake
        d.c.loop_start()
        deadline = time.time() + WAIT
        while time.time() < deadline:
            try:
                rc, _ = d.connacks.get(timeout=0.1)
            except queue.Empty:
                if d.closed.is_set():
                    return  # the server closed the connection
                continue
            check(rc != SUCCESS, f"{transport}: a certificate was accepted that should not be")
            return
        raise AssertionError(f"{transport}: neither accepted nor refused")
    rc, _ = d.connect(host, port)
    check(rc == SUCCESS, f"CONNACK with a client certificate over {transport}: {rc:#x}")
    rc, why = d.publish("v1/devices/me/telemetry", {"ts": base, "values": {"temp": 51.5}})
    check(rc == SUCCESS, f"telemetry with a client certificate over {transport}: {rc:#x} {why}")
    d.disconnect()


def main(argv):
    mode = argv[1] if len(argv) > 1 else ""
    if mode == "mqtt5" and len(argv) == 8:
        mqtt5(argv[2], int(argv[3]), argv[4], argv[5], argv[6], int(argv[7]))
    elif mode == "websocket" and len(argv) == 6:
        websocket(argv[2], int(argv[3]), argv[4], int(argv[5]))
    elif mode == "resume" and len(argv) == 9:
        resume(argv[2], argv[3], int(argv[4]), argv[5], argv[6], argv[7], argv[8])
    elif mode == "listen" and len(argv) == 5:
        listen(argv[2], int(argv[3]), argv[4])
    elif mode == "wss" and len(argv) == 7:
        wss(argv[2], int(argv[3]), argv[4], argv[5], int(argv[6]))
    elif mode == "x509" and len(argv) == 10:
        x509(argv[2], argv[3], int(argv[4]), argv[5], argv[6], argv[7], int(argv[8]), argv[9])
    else:
        sys.exit(__doc__)
    print("all ok")


if __name__ == "__main__":
    main(sys.argv)
