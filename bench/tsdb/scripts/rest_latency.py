#!/usr/bin/env python3
"""Latency of the four bench/tsdb queries against a running `ironloom serve`, server side
only: the answer's bytes are read, not parsed (Python's standard library, one keep-alive
connection). For finding where the REST path's time goes (run `perf record -p PID` on the
server meanwhile); tsdb-bench itself measures end to end.

    tsdb-bench --preset small --peers ironloom-line --runs 3 --keep --workdir /tmp/tsb
    IRONLOOM_DEMO_EQUIPMENT=off ironloom serve --demo --data-dir /tmp/tsb/tsdb-bench-*/ironloom-line/data \
        --http 127.0.0.1:18080 --mqtt 127.0.0.1:0 --coap 127.0.0.1:0   # password ironloom-bench-1
    bench/tsdb/scripts/rest_latency.py [--url http://127.0.0.1:18080] [--runs 300] [--cbor] [a b c d stats]
"""

import argparse
import http.client
import json
import time
import urllib.parse

p = argparse.ArgumentParser()
p.add_argument("--url", default="http://127.0.0.1:18080")
p.add_argument("--password", default="ironloom-bench-1")
p.add_argument("--runs", type=int, default=300)
p.add_argument("--cbor", action="store_true", help="ask for CBOR answers")
p.add_argument("queries", nargs="*", default=["a", "b", "c", "d", "stats"])
args = p.parse_args()
u = urllib.parse.urlparse(args.url)
c = http.client.HTTPConnection(u.hostname, u.port)


def req(method, path, body=None, token=None):
    h = {"content-type": "application/json"}
    if token:
        h["authorization"] = "Bearer " + token
    if args.cbor:
        h["accept"] = "application/cbor"
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    r = c.getresponse()
    return r.status, r.read()


cbor, args.cbor = args.cbor, False
status, d = req("POST", "/api/v1/auth/login",
                {"username": "demo", "password": args.password, "tenant": "demo"})
assert status == 200, d
token = json.loads(d)["token"]
status, d = req("GET", "/api/v1/devices?page_size=1&q=dev-00013", token=token)
device = json.loads(d)["items"][0]["id"]
args.cbor = cbor
day = 1767225600000  # the dataset's first day
queries = {
    "a": ("POST", "/api/v1/telemetry/latest", {}),
    "b": ("GET", f"/api/v1/devices/{device}/telemetry/aggregate?from={day + 6 * 3600000}"
                 f"&to={day + 18 * 3600000}&interval=5m&agg=avg", None),
    "c": ("POST", "/api/v1/telemetry/aggregate",
          {"from": str(day), "to": str(day + 86400000), "interval": "1d", "aggregations": ["max"]}),
    "d": ("GET", f"/api/v1/devices/{device}/telemetry?properties=pressure&from={day}"
                 f"&to={day + 86400000}&limit=10000&layout=columns", None),
    "stats": ("GET", "/api/v1/telemetry/stats", None),
}
for q in args.queries:
    method, path, body = queries[q]
    times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        status, d = req(method, path, body, token)
        times.append(time.perf_counter() - t)
        assert status == 200, (status, d[:200])
    times.sort()
    print(f"{q}: median {times[len(times) // 2] * 1000:.2f} ms, "
          f"p10 {times[len(times) // 10] * 1000:.2f} ms, {len(d)} bytes")
