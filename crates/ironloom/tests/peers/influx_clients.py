"""Writes through Ironloom's InfluxDB-compatible API with InfluxDB's own Python clients.

Usage: influx_clients.py BASE_URL API_KEY START_MS
  influxdb-client (the 2.x client): WriteApi in synchronous mode, Point objects and a
  line-protocol string, precision ms and s, gzip on; influxdb (the 1.x client):
  write_points with JSON points (precision u) and write() with line protocol, the key as
  the password. Then what the servers refuse: a wrong key, a bad line. Prints one JSON
  line per step: {"step": ..., "ok": bool, "status": int|null, "error": str|null}.
"""

import json
import sys

from influxdb import InfluxDBClient
from influxdb.exceptions import InfluxDBClientError
from influxdb_client import InfluxDBClient as Client2, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

base, key, start = sys.argv[1], sys.argv[2], int(sys.argv[3])


def report(step, fn):
    try:
        fn()
        print(json.dumps({"step": step, "ok": True, "status": None, "error": None}), flush=True)
    except ApiException as e:
        print(json.dumps({"step": step, "ok": False, "status": e.status, "error": e.body}), flush=True)
    except InfluxDBClientError as e:
        print(json.dumps({"step": step, "ok": False, "status": e.code, "error": e.content}), flush=True)


# --- 2.x client: points of press-1 at start + 0..9 s (ms precision), gzip on.
with Client2(url=base, token=key, org="any-org", enable_gzip=True) as c:
    w = c.write_api(write_options=SYNCHRONOUS)

    def v2_points():
        pts = [
            Point("press")
            .tag("device", "press-1")
            .field("temperature", 20.0 + i / 10)
            .field("count", i)
            .field("running", i % 2 == 0)
            .field("note", f"cycle {i}")
            .time(start + i * 1000, WritePrecision.MS)
            for i in range(10)
        ]
        w.write(bucket="plant", record=pts)

    report("v2_points", v2_points)

    def v2_line_seconds():
        # One line in seconds for press-2: start + 60 s.
        w.write(
            bucket="plant",
            record=f"press,device=press-2 temperature=30.5,count=7i {start // 1000 + 60}",
            write_precision=WritePrecision.S,
        )

    report("v2_line_seconds", v2_line_seconds)
    # The ping the client checks the server with.
    print(json.dumps({"step": "v2_ping", "ok": c.ping(), "status": None, "error": None}), flush=True)

with Client2(url=base, token="ilk_not-a-key", org="x") as bad:
    report(
        "v2_bad_token",
        lambda: bad.write_api(write_options=SYNCHRONOUS).write(
            bucket="plant", record="press,device=press-1 temperature=1"
        ),
    )

# --- 1.x client: the key is the password.
host = base.split("//", 1)[1]
h, port = host.rsplit(":", 1)
c1 = InfluxDBClient(host=h, port=int(port), username="anyone", password=key, database="plant")


def v1_points():
    c1.write_points(
        [
            {
                "measurement": "press",
                "tags": {"device": "press-2"},
                "time": (start + 120_000 + i * 1000) * 1000,
                "fields": {"temperature": 40.0 + i, "count": 100 + i},
            }
            for i in range(5)
        ],
        time_precision="u",
    )


report("v1_points", v1_points)


def v1_partial():
    # One good line, one the thing model refuses (a string for a float), one unreadable.
    c1.write(
        [
            f"press,device=press-1 temperature=99.5 {start + 200_000}",
            f'press,device=press-1 temperature="hot" {start + 201_000}',
            "press,device=press-1 temperature",
        ],
        params={"db": "plant", "precision": "ms"},
        protocol="line",
    )


report("v1_partial", v1_partial)
report("v1_ping", lambda: c1.ping())
