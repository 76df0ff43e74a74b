"""End-to-end check of deploy/compose/docker-compose.yml, run by scripts/compose-test.sh
once `docker compose up` has returned:

1. every node answers and the three of them share all partitions;
2. devices registered through node 1 send over MQTT (paho, QoS 1) to node 2, and node 3
   serves every acknowledged value;
3. node 2's container is killed (SIGKILL): its partitions move to the other two, every
   acknowledged value is still served, and devices go on through node 3.

usage: check.py PROJECT ADMIN_PASSWORD    (PROJECT: the compose project name)
"""

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

import paho.mqtt.client as mqtt

PROJECT, ADMIN_PASSWORD = sys.argv[1], sys.argv[2]
PARTITIONS = 32
DEVICES = 6
MESSAGES = 50


def say(*a):
    print("[compose-check]", *a, flush=True)


def ip_of(service):
    """The container's address on the project's network (the host reaches it directly)."""
    out = subprocess.run(
        ["docker", "inspect", "-f",
         "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
         f"{PROJECT}_{service}_1"],
        check=True, capture_output=True, text=True).stdout.strip()
    assert out, f"{service} has no address"
    return out


def call(node, method, path, body=None, token=None, ok=(200, 201)):
    req = urllib.request.Request(
        f"http://{node}:8080{path}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"content-type": "application/json",
                 **({"authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    if status not in ok:
        raise RuntimeError(f"{method} {path} on {node}: {status} {text[:300]!r}")
    return json.loads(text) if text else None


def wait(what, seconds, probe):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            got = probe()
            if got:
                return got
        except Exception as e:  # noqa: BLE001 (a node still starting)
            last = e
        time.sleep(1)
    raise SystemExit(f"FAILED: {what} within {seconds} s (last error: {last})")


def login(node, user, password, tenant=None):
    return call(node, "POST", "/api/v1/auth/login",
                {"username": user, "password": password, "tenant": tenant})["token"]


def shared(node, token, live, listed=True):
    """Every partition held by one of `live`, and (`listed`) the live nodes listed as such."""
    h = call(node, "GET", "/api/v1/system/health", token=token)["cluster"]
    nodes = sorted(n["name"] for n in h["nodes"])
    owners = [o["owner"] for o in h["owners"] if o.get("owner")]
    if len(owners) != PARTITIONS or not set(owners) <= set(live):
        return None
    return h if nodes == sorted(live) or not listed else None


def send(node, token, start, count):
    """`count` values of n from `start`, each acknowledged (PUBACK) before the next."""
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"dev-{token[:8]}")
    c.username_pw_set(token)
    c.connect(node, 1883, keepalive=30)
    c.loop_start()
    for i in range(start, start + count):
        info = c.publish("v1/devices/me/telemetry", json.dumps({"n": i}), qos=1)
        info.wait_for_publish(timeout=20)
        assert info.is_published(), f"value {i} was not acknowledged by {node}"
    c.loop_stop()
    c.disconnect()


def served(node, token, device, count):
    now = int(time.time() * 1000)
    page = call(node, "GET",
                f"/api/v1/devices/{device}/telemetry?properties=n&limit=10000"
                f"&from={now - 3_600_000}&to={now + 3_600_000}",
                token=token, ok=(200, 503))
    values = sorted(p["value"] for p in (page or {}).get("points", []))
    return values == list(range(count))


def main():
    n1, n2, n3 = (ip_of(f"ironloom-{i}") for i in (1, 2, 3))
    say("nodes at", n1, n2, n3)
    admin = wait("node 1 answers the administrator's log-in", 120,
                 lambda: login(n1, "admin", ADMIN_PASSWORD))
    wait("three nodes sharing every partition", 120,
         lambda: shared(n3, admin, ["ironloom-1", "ironloom-2", "ironloom-3"]))
    say("three nodes share the", PARTITIONS, "partitions")

    tenant = call(n1, "POST", "/api/v1/tenants", {"code": "plant", "name": "Plant"},
                  token=admin)
    call(n1, "POST", "/api/v1/users",
         {"username": "op", "password": "Operator-pass-1", "role": "tenant_admin",
          "tenant_id": tenant["id"]}, token=admin)
    op = login(n1, "op", "Operator-pass-1", "plant")
    product = call(n1, "POST", "/api/v1/products",
                   {"name": "meter", "product_key": "meter", "protocol": "mqtt",
                    "thing_model": {"properties": [
                        {"identifier": "n", "name": "N", "data_type": {"type": "int"}}]}},
                   token=op)
    devices = []
    for i in range(DEVICES):
        d = call(n1, "POST", "/api/v1/devices",
                 {"name": f"m-{i}", "product_id": product["id"]}, token=op)
        creds = call(n1, "GET", f"/api/v1/devices/{d['id']}/credentials", token=op)
        devices.append((d["id"], creds["access_token"]))

    for _, token in devices:
        send(n2, token, 0, MESSAGES)
    say(DEVICES * MESSAGES, "values acknowledged by node 2")
    for device, _ in devices:
        wait(f"node 3 serving device {device}'s {MESSAGES} values", 60,
             lambda: served(n3, op, device, MESSAGES))
    say("node 3 serves every value")

    subprocess.run(["docker", "kill", "--signal", "KILL", f"{PROJECT}_ironloom-2_1"],
                   check=True, capture_output=True)
    killed = time.monotonic()
    wait("nodes 1 and 3 holding every partition after node 2 was killed", 60,
         lambda: shared(n1, admin, ["ironloom-1", "ironloom-3"], listed=False))
    say(f"after SIGKILL of node 2 every partition was held again in "
        f"{time.monotonic() - killed:.1f} s")
    wait("node 2 no longer listed as live", 60,
         lambda: shared(n1, admin, ["ironloom-1", "ironloom-3"]))
    say(f"node 2 left the list of live nodes {time.monotonic() - killed:.1f} s after")
    for device, token in devices:
        wait(f"node 1 serving device {device}'s values after the kill", 60,
             lambda: served(n1, op, device, MESSAGES))
        send(n3, token, MESSAGES, MESSAGES)
    for device, _ in devices:
        wait(f"node 1 serving device {device}'s values sent through node 3", 60,
             lambda: served(n1, op, device, 2 * MESSAGES))
    say("every acknowledged value served after the kill; devices go on through node 3")
    say("PASSED")


if __name__ == "__main__":
    main()
