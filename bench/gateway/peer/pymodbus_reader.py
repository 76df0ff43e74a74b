"""The peer of the gateway benchmark: pymodbus reading the same holding registers of the
same simulator as fast as it can, in requests of at most 125 registers, over the same
number of connections (asyncio, one task per connection, one request in flight each).
It only reads: nothing is decoded into points, buffered or forwarded.

Prints one JSON line: points read per second and the CPU time of this process over the
measured window (after the warm-up).

    python pymodbus_reader.py --host 127.0.0.1 --port 5020 --connections 4 \
        --ranges '[[100, 0, 1000], [100, 1000, 1000]]' --warmup 3 --duration 20
"""

import argparse
import asyncio
import json
import sys
import time

import pymodbus
from pymodbus.client import AsyncModbusTcpClient

MAX_REGISTERS = 125


def requests_of(ranges):
    """(unit, first, count) ranges -> (unit, address, count <= 125) requests."""
    out = []
    for unit, first, count in ranges:
        a, end = first, first + count
        while a < end:
            n = min(MAX_REGISTERS, end - a)
            out.append((unit, a, n))
            a += n
    return out


async def reader(host, port, requests, counts, stop):
    client = AsyncModbusTcpClient(host, port=port, timeout=5, retries=0)
    if not await client.connect():
        raise RuntimeError(f"cannot connect to {host}:{port}")
    try:
        while not stop.is_set():
            for unit, address, count in requests:
                rr = await client.read_holding_registers(address, count=count, device_id=unit)
                if rr.isError() or len(rr.registers) != count:
                    counts["errors"] += 1
                else:
                    counts["points"] += count
                counts["requests"] += 1
                if stop.is_set():
                    break
    finally:
        client.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--ranges", required=True, help="JSON [[unit, first, count], ...]")
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--duration", type=float, default=20.0)
    a = ap.parse_args()

    reqs = requests_of(json.loads(a.ranges))
    k = max(1, min(a.connections, len(reqs)))
    # Contiguous shares, as the gateway's connections have.
    shares = [reqs[i * len(reqs) // k:(i + 1) * len(reqs) // k] for i in range(k)]
    counts = {"points": 0, "requests": 0, "errors": 0}
    stop = asyncio.Event()
    tasks = [asyncio.create_task(reader(a.host, a.port, s, counts, stop)) for s in shares]

    await asyncio.sleep(a.warmup)
    c0, t0, p0 = dict(counts), time.monotonic(), time.process_time()
    await asyncio.sleep(a.duration)
    c1, t1, p1 = dict(counts), time.monotonic(), time.process_time()
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)

    secs = t1 - t0
    cpu = p1 - p0
    points = c1["points"] - c0["points"]
    print(json.dumps({
        "pymodbus": pymodbus.__version__,
        "python": sys.version.split()[0],
        "connections": k,
        "requests_per_cycle": len(reqs),
        "seconds": secs,
        "points": points,
        "requests": c1["requests"] - c0["requests"],
        "errors": c1["errors"] - c0["errors"],
        "points_per_second": points / secs,
        "cpu_seconds": cpu,
        "cores": cpu / secs,
    }))


if __name__ == "__main__":
    asyncio.run(main())
