#!/usr/bin/env python3
"""Drives an Ironloom CoAP server with aiocoap, a third-party client.

Run by the Rust test `peers::aiocoap_client_interoperates` (crates/coap/tests/server/peers.rs),
whose handler serves `echo`, `big?n=N` and `obs` (see tests/server/support.rs). Usage:

    aiocoap_client.py PORT

Prints one line per check and exits 0 when all pass; any failure raises (non-zero exit).
"""

import asyncio
import sys

from aiocoap import CHANGED, CON, CONTENT, GET, NON, POST, PUT, Context, Message


def big_body(n):
    return bytes(i % 251 for i in range(n))


async def checks(port):
    base = f"coap://127.0.0.1:{port}"
    ctx = await Context.create_client_context()
    try:
        r = await ctx.request(
            Message(mtype=CON, code=POST, uri=f"{base}/echo", payload=b"hello", content_format=0)
        ).response
        assert r.code == CHANGED, r.code
        assert r.payload == b"hello", r.payload
        print("con post ok")

        r = await ctx.request(
            Message(mtype=NON, code=PUT, uri=f"{base}/echo", payload=b"non")
        ).response
        assert r.code == CHANGED, r.code
        assert r.payload == b"non", r.payload
        print("non put ok")

        # Block2: aiocoap fetches the later blocks itself.
        r = await ctx.request(Message(code=GET, uri=f"{base}/big?n=5000")).response
        assert r.code == CONTENT, r.code
        assert r.payload == big_body(5000), len(r.payload)
        print("block2 get ok")

        # Block1: aiocoap splits a body larger than it sends at once.
        body = big_body(2500)
        r = await ctx.request(Message(code=POST, uri=f"{base}/echo", payload=body)).response
        assert r.code == CHANGED, r.code
        assert r.payload == body, len(r.payload)
        print("block1 post ok")

        # Observe: the Rust side sends "state 1" .. "state 3" once it sees the registration.
        req = ctx.request(Message(code=GET, uri=f"{base}/obs", observe=0))
        first = await req.response
        assert first.code == CONTENT, first.code
        assert first.payload == b"state 0", first.payload
        assert first.opt.observe is not None
        seen = []
        async for n in req.observation:
            seen.append(n.payload)
            if len(seen) == 3:
                req.observation.cancel()
                break
        assert seen == [b"state 1", b"state 2", b"state 3"], seen
        print("observe ok")
    finally:
        await ctx.shutdown()


def main():
    port = int(sys.argv[1])
    asyncio.run(asyncio.wait_for(checks(port), timeout=30))
    print("all ok")


if __name__ == "__main__":
    main()
