#!/usr/bin/env python3
"""A small Handle protocol (RFC 3652) resolution client, written from the RFC text
independently of the Rust codec, with the standard library only (struct, socket,
hashlib). Two uses:

1. A third-party-style peer that resolves a handle over UDP or TCP:

       python3 handle_client.py --udp 127.0.0.1:2641 88.101.5/abc [--type URL] [--index 1]
       python3 handle_client.py --tcp 127.0.0.1:2641 88.101.5/abc

   prints {"responseCode", "handle", "values": [...]} (or {"responseCode", "message"})
   as JSON, each value with its data as text when it is UTF-8, else as base64.

2. The cross-check of the Rust codec (tests/crosscheck.rs):

       python3 handle_client.py encode-requests     # JSON cases with their bytes (hex)
       python3 handle_client.py decode-responses    # JSON on stdin: [{"hex", "request_hex"}]

Layouts (RFC 3652 §2.2 and §3): all integers big-endian.
  envelope  MajorVersion u8, MinorVersion u8, MessageFlag u16, SessionId u32, RequestId
            u32, SequenceNumber u32, MessageLength u32 (everything after the envelope);
            MessageFlag bits CP 0x8000, EC 0x4000, TC 0x2000, the rest reserved (CNRI puts
            its suggested version there, so they are ignored when reading)
  header    OpCode u32, ResponseCode u32, OpFlag u32, SiteInfoSerialNumber u16,
            RecursionCount u8, reserved u8, ExpirationTime u32, BodyLength u32
  body      resolution request: Handle (UTF8-String), IndexList (u32 count, u32s),
            TypeList (u32 count, UTF8-Strings); resolution response: [RequestDigest if
            RRDG] Handle, u32 count, HandleValues; error: [RequestDigest] ErrorMessage
  credential  u32 length (0: none) and its bytes
  value     Index u32, Timestamp u32, TTLType u8, TTL u32, Permission u8, Type
            UTF8-String, Data (u32 length + bytes), References (u32 count, each
            UTF8-String handle + u32 index)
  UTF8-String = u32 byte length + bytes.
"""

import base64
import hashlib
import json
import socket
import struct
import sys

ENVELOPE = struct.Struct(">BBHIIII")
HEADER = struct.Struct(">IIIHBBII")
OC_RESOLUTION = 1
RC_SUCCESS = 1
FLAG_RRDG = 0x00800000
VERSION = (2, 10)
MAX_UDP_DATA = 512 - ENVELOPE.size


class Malformed(Exception):
    pass


class Cursor:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise Malformed(f"need {n} bytes at {self.pos}, have {len(self.data) - self.pos}")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u8(self):
        return self.take(1)[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def blob(self):
        return self.take(self.u32())

    def text(self):
        return self.blob().decode("utf-8")

    def left(self):
        return len(self.data) - self.pos


def utf8_string(s):
    b = s.encode("utf-8")
    return struct.pack(">I", len(b)) + b


def encode_resolution_request(handle, indexes=(), types=(), request_id=1, op_flags=0,
                              session_id=0, version=VERSION):
    body = utf8_string(handle)
    body += struct.pack(">I", len(indexes)) + b"".join(struct.pack(">I", i) for i in indexes)
    body += struct.pack(">I", len(types)) + b"".join(utf8_string(t) for t in types)
    header = HEADER.pack(OC_RESOLUTION, 0, op_flags, 0, 0, 0, 0, len(body))
    message = header + body + struct.pack(">I", 0)
    # MessageFlag: no CP/EC/TC; the low bits carry the suggested version as CNRI does.
    flag = (version[0] & 0x03) << 8 | version[1]
    envelope = ENVELOPE.pack(version[0], version[1], flag, session_id, request_id, 0, len(message))
    return envelope + message


def decode_envelope(data):
    if len(data) < ENVELOPE.size:
        raise Malformed("short envelope")
    major, minor, flag, session, request_id, seq, length = ENVELOPE.unpack_from(data)
    return {"major": major, "minor": minor, "compressed": bool(flag & 0x8000),
            "encrypted": bool(flag & 0x4000), "truncated": bool(flag & 0x2000),
            "session_id": session, "request_id": request_id, "sequence": seq,
            "message_length": length}


def decode_value(c):
    index = c.u32()
    timestamp = c.u32()
    ttl_type = c.u8()
    ttl = c.u32()
    perm = c.u8()
    vtype = c.text()
    data = c.blob()
    refs = []
    for _ in range(c.u32()):
        handle = c.text()
        refs.append({"handle": handle, "index": c.u32()})
    return {"index": index, "timestamp": timestamp, "ttl_type": ttl_type, "ttl": ttl,
            "permissions": perm, "type": vtype, "data": data, "references": refs}


DIGEST_SIZES = {1: 16, 2: 20, 3: 32}


def decode_message(data):
    """A whole message (envelope included) as a dict; data of values as bytes."""
    env = decode_envelope(data)
    message = data[ENVELOPE.size:]
    if len(message) != env["message_length"]:
        raise Malformed("message length differs from the envelope's")
    if len(message) < HEADER.size:
        raise Malformed("short header")
    opcode, rc, flags, serial, recursion, _, expiration, body_len = HEADER.unpack_from(message)
    if HEADER.size + body_len > len(message):
        raise Malformed("body runs past the message")
    out = {"envelope": env, "opcode": opcode, "responseCode": rc, "op_flags": flags,
           "site_serial": serial, "recursion": recursion, "expiration": expiration}
    c = Cursor(message[HEADER.size:HEADER.size + body_len])
    if rc == 0:
        if opcode == OC_RESOLUTION:
            out["handle"] = c.text()
            out["indexes"] = [c.u32() for _ in range(c.u32())]
            out["types"] = [c.text() for _ in range(c.u32())]
        return out
    if flags & FLAG_RRDG:
        algo = c.u8()
        if algo == 0:
            c.pos -= 1
            out["digest"] = (0, c.blob())
        elif algo in DIGEST_SIZES:
            out["digest"] = (algo, c.take(DIGEST_SIZES[algo]))
        else:
            raise Malformed(f"digest algorithm {algo}")
    if rc == RC_SUCCESS and opcode == OC_RESOLUTION:
        out["handle"] = c.text()
        out["values"] = [decode_value(c) for _ in range(c.u32())]
        if c.left():
            raise Malformed("bytes after the values")
    elif rc != RC_SUCCESS:
        out["message"] = c.blob().decode("utf-8", "replace") if c.left() else ""
    cred = Cursor(message[HEADER.size + body_len:])
    if cred.left():
        out["credential"] = cred.blob()
        if cred.left():
            raise Malformed("bytes after the credential")
    return out


def request_digest(request):
    """What a server returns for RRDG at version 2.7 and later: SHA-256 of the request's
    header and body."""
    message = request[ENVELOPE.size:]
    body_len = HEADER.unpack_from(message)[7]
    return hashlib.sha256(message[:HEADER.size + body_len]).digest()


def value_json(v, binary="base64"):
    out = dict(v)
    data = v["data"]
    if binary == "hex":
        out["data"] = data.hex()
    else:
        try:
            out["data"] = data.decode("utf-8")
        except UnicodeDecodeError:
            out["data"] = base64.b64encode(data).decode()
            out["data_format"] = "base64"
    return out


# --- the cross-check modes -------------------------------------------------------------

def encode_requests():
    cases = [
        {"handle": "4263537/4000", "indexes": [], "types": [], "request_id": 0x1235, "op_flags": 0},
        {"handle": "88.101.5/abc", "indexes": [1, 2, 300], "types": ["URL", "HS_ADMIN"],
         "request_id": 7, "op_flags": FLAG_RRDG},
        {"handle": "86.1000.12/零件-批次/2024", "indexes": [], "types": ["10320/loc."],
         "request_id": 0xFFFFFFFF, "op_flags": 0x10000000},
        {"handle": "0.NA/88.101.5", "indexes": [100], "types": [], "request_id": 42,
         "op_flags": 0x01000000 | FLAG_RRDG},
    ]
    for case in cases:
        raw = encode_resolution_request(case["handle"], case["indexes"], case["types"],
                                        case["request_id"], case["op_flags"])
        case["hex"] = raw.hex()
        case["digest"] = request_digest(raw).hex()
    print(json.dumps(cases))


def decode_responses():
    out = []
    for item in json.load(sys.stdin):
        try:
            msg = decode_message(bytes.fromhex(item["hex"]))
        except (Malformed, UnicodeDecodeError) as e:
            out.append({"error": str(e)})
            continue
        row = {"responseCode": msg["responseCode"], "request_id": msg["envelope"]["request_id"],
               "version": [msg["envelope"]["major"], msg["envelope"]["minor"]]}
        if "values" in msg:
            row["handle"] = msg["handle"]
            row["values"] = [value_json(v, binary="hex") for v in msg["values"]]
        if "message" in msg:
            row["message"] = msg["message"]
        if "digest" in msg:
            algo, digest = msg["digest"]
            row["digest_algorithm"] = algo
            if item.get("request_hex"):
                row["digest_ok"] = digest == request_digest(bytes.fromhex(item["request_hex"]))
        out.append(row)
    print(json.dumps(out))


# --- the client ------------------------------------------------------------------------

def resolve(transport, host, port, handle, types, indexes, timeout=5.0):
    request = encode_resolution_request(handle, indexes, types, request_id=0x1D1D)
    if transport == "udp":
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.sendto(request, (host, port))
            pieces, head = {}, None
            while True:
                datagram, _ = s.recvfrom(65535)
                env = decode_envelope(datagram)
                if env["request_id"] != 0x1D1D:
                    continue
                head = ENVELOPE.pack(*ENVELOPE.unpack_from(datagram)[:5], 0, env["message_length"])
                pieces[env["sequence"]] = datagram[ENVELOPE.size:]
                if sum(len(p) for p in pieces.values()) >= env["message_length"]:
                    break
            return decode_message(head + b"".join(pieces[i] for i in sorted(pieces)))
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(request)
        data = b""
        while len(data) < ENVELOPE.size or len(data) < ENVELOPE.size + decode_envelope(data)["message_length"]:
            chunk = s.recv(65536)
            if not chunk:
                raise Malformed("connection closed mid-message")
            data += chunk
        total = ENVELOPE.size + decode_envelope(data)["message_length"]
        return decode_message(data[:total])


def main(argv):
    if argv[:1] == ["encode-requests"]:
        return encode_requests()
    if argv[:1] == ["decode-responses"]:
        return decode_responses()
    transport, target, handle, types, indexes = None, None, None, [], []
    it = iter(argv)
    for arg in it:
        if arg in ("--udp", "--tcp"):
            transport, target = arg[2:], next(it)
        elif arg == "--type":
            types.append(next(it))
        elif arg == "--index":
            indexes.append(int(next(it)))
        elif handle is None:
            handle = arg
        else:
            raise SystemExit(f"unexpected argument {arg!r}")
    if not transport or not handle:
        raise SystemExit(__doc__)
    host, _, port = target.rpartition(":")
    msg = resolve(transport, host.strip("[]"), int(port), handle, types, indexes)
    out = {"responseCode": msg["responseCode"]}
    if "values" in msg:
        out["handle"] = msg["handle"]
        out["values"] = [value_json(v) for v in msg["values"]]
    if "message" in msg:
        out["message"] = msg["message"]
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
