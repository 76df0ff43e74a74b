"""GS1 cases for the identifiers crate's cross-check (tests/crosscheck.rs), computed with
biip, an independent GS1 parser: GTINs and SSCCs (valid and with a wrong check digit),
element strings in raw and human-readable form, GS1 Digital Link URIs, and biip's own
table entries for the application identifiers the crate knows.

Prints {"packages": {...}, "current_year": N, "rows": [...]}; each row has a "kind", the
"input", whether biip accepted it ("ok") and what biip read ("expect"). Deterministic:
a fixed seed.
"""

import datetime
import json
import random
from importlib.metadata import version

from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin
from biip.sscc import Sscc
from biip.checksums import gs1_standard_check_digit

rng = random.Random(20261207)
rows = []


def digits(n):
    return "".join(rng.choice("0123456789") for _ in range(n))


def with_check(payload):
    return payload + str(gs1_standard_check_digit(payload))


def corrupt(key):
    last = int(key[-1])
    return key[:-1] + str((last + 1 + rng.randrange(9)) % 10)


def try_(fn):
    try:
        return True, fn()
    except Exception:  # biip raises ParseError (and ValueError for impossible dates)
        return False, None


def gtin_row(s):
    ok, g = try_(lambda: Gtin.parse(s))
    expect = None
    if ok:
        expect = {"gtin14": g.as_gtin_14(), "format": int(g.format), "check_digit": g.check_digit}
    rows.append({"kind": "gtin", "input": s, "ok": ok, "expect": expect})


def sscc_row(s):
    ok, x = try_(lambda: Sscc.parse(s))
    expect = None
    if ok:
        expect = {"extension_digit": x.extension_digit, "check_digit": x.check_digit}
    rows.append({"kind": "sscc", "input": s, "ok": ok, "expect": expect})


def describe(element_strings):
    out = []
    for es in element_strings:
        e = {"ai": es.ai.ai, "value": es.value}
        if es.date is not None:
            e["date"] = es.date.isoformat()
        if es.decimal is not None:
            e["decimal"] = format(es.decimal.normalize(), "f")
        out.append(e)
    return out


def key_errors(element_strings):
    """biip keeps a key's wrong check digit as an error beside the element; GS1 (and the
    crate) reject the element."""
    return any(es.gtin_error or es.sscc_error or es.gln_error for es in element_strings)


def message_row(s, hri):
    ok, m = try_(lambda: GS1Message.parse_hri(s) if hri else GS1Message.parse(s))
    ok = ok and not key_errors(m.element_strings)
    expect = None
    if ok:
        expect = {"elements": describe(m.element_strings), "hri": m.as_hri(),
                  "raw": GS1Message.from_element_strings(m.element_strings).value}
    rows.append({"kind": "element_string", "input": s, "ok": ok, "expect": expect})


def dl_row(uri):
    ok, d = try_(lambda: GS1DigitalLinkURI.parse(uri))
    ok = ok and not key_errors(d.element_strings)
    expect = None
    if ok:
        expect = {"elements": describe(d.element_strings), "canonical": d.as_canonical_uri(),
                  "raw": d.as_gs1_message().value}
    rows.append({"kind": "digital_link", "input": uri, "ok": ok, "expect": expect})


# GTINs of every length, padded forms, and wrong check digits.
for _ in range(60):
    n = rng.choice([8, 12, 13, 14])
    g = with_check(digits(n - 1))
    gtin_row(g)
    gtin_row(g.rjust(14, "0"))
    gtin_row(corrupt(g))
for s in ["4006381333931", "6291041500213", "8904000210037", "036000241457", "96385074"]:
    gtin_row(s)

# SSCCs.
for _ in range(40):
    s = with_check(digits(17))
    sscc_row(s)
    sscc_row(corrupt(s))
for s in ["106141411234567897", "376130321109103420"]:
    sscc_row(s)

SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-./_"


def text(lo, hi):
    return "".join(rng.choice(SAFE) for _ in range(rng.randint(lo, hi)))


def date():
    y = rng.randrange(100)
    m = rng.randint(1, 12)
    days = [31, 29 if y % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
    return f"{y:02d}{m:02d}{rng.randint(0, days):02d}"


def gln():
    return with_check(digits(12))


GENERATORS = {
    "00": lambda: with_check(digits(17)),
    "01": lambda: with_check(digits(13)),
    "02": lambda: with_check(digits(13)),
    "10": lambda: text(1, 20),
    "11": date, "13": date, "15": date, "17": date,
    "21": lambda: text(1, 20),
    "22": lambda: text(1, 20),
    "30": lambda: digits(rng.randint(1, 8)),
    "37": lambda: digits(rng.randint(1, 8)),
    "240": lambda: text(1, 30), "241": lambda: text(1, 30),
    "250": lambda: text(1, 30), "251": lambda: text(1, 30),
    "253": lambda: with_check(digits(12)) + text(0, 17),
    "254": lambda: text(1, 20),
    "400": lambda: text(1, 30), "401": lambda: text(1, 30),
    "402": lambda: with_check(digits(16)),
    "410": gln, "411": gln, "412": gln, "413": gln, "414": gln, "415": gln,
    "420": lambda: text(1, 20),
    "421": lambda: digits(3) + text(1, 9),
    "8003": lambda: "0" + with_check(digits(12)) + text(0, 16),
    "8004": lambda: text(1, 30),
}
for fam in ["310", "311", "312", "313", "314", "315", "316", "320"]:
    for d in range(6):
        GENERATORS[f"{fam}{d}"] = lambda: digits(6)

AIS = sorted(GENERATORS)

# Element strings: random combinations, raw (GS after variable-length ones) and HRI.
for _ in range(250):
    chosen = rng.sample(AIS, rng.randint(1, 5))
    # One measure per message is enough (and avoids a family appearing twice).
    seen = set()
    pairs = []
    for ai in chosen:
        key = ai[:3] if len(ai) == 4 and ai[:2] in ("31", "32") else ai
        if key in seen:
            continue
        seen.add(key)
        pairs.append((ai, GENERATORS[ai]()))
    raw = ""
    for i, (ai, v) in enumerate(pairs):
        raw += ai + v
        if i + 1 < len(pairs) and GS1ApplicationIdentifier.extract(ai).separator_required:
            raw += "\x1d"
    message_row(raw, hri=False)
    message_row("".join(f"({ai}){v}" for ai, v in pairs), hri=True)
# Broken ones: a wrong key check digit, an impossible date, an overlong lot.
for _ in range(30):
    message_row("01" + corrupt(with_check(digits(13))) + "10" + text(1, 5), hri=False)
    message_row("(17)" + f"{rng.randrange(100):02d}" + rng.choice(["13", "00"]) + "01", hri=True)
    message_row("(00)" + corrupt(with_check(digits(17))), hri=True)
message_row("(01)07032069804988(10)0329(15)210526", hri=True)
message_row("0107032069804988100329\x1d15210526", hri=False)

# Digital Link URIs: a GTIN with qualifiers in order and attributes in the query, an
# SSCC, a GLN, with and without a host's path prefix.
for _ in range(120):
    gtin = with_check(digits(13))
    path = f"/01/{gtin}"
    for q in ["22", "10", "21"]:
        if rng.random() < 0.5:
            path += f"/{q}/{text(1, 12).replace('/', '-')}"
    query = []
    for ai in rng.sample(["17", "15", "11", "3103", "37", "400", "240"], rng.randint(0, 3)):
        query.append(f"{ai}={GENERATORS[ai]().replace('/', '-')}")
    host = rng.choice(["https://id.gs1.org", "https://example.com/products", "http://iir.example.cn/r"])
    dl_row(host + path + ("?" + "&".join(query) if query else ""))
for _ in range(20):
    dl_row(f"https://id.gs1.org/00/{with_check(digits(17))}?02={with_check(digits(13))}&37={digits(2)}")
    dl_row(f"https://id.gs1.org/414/{gln()}/254/{text(1, 10).replace('/', '-')}")
    dl_row(f"https://id.gs1.org/01/{corrupt(with_check(digits(13)))}")
dl_row("https://www.example.com/products/01/07032069804988?10=0329&15=210526")
dl_row("https://id.gs1.org/01/09506000134352/10/ABC/21/12345?17=180426")

# biip's table for the identifiers the crate knows: separator and data lengths.
for ai in AIS:
    spec = GS1ApplicationIdentifier.extract(ai)
    rows.append({"kind": "ai", "input": ai, "ok": True,
                 "expect": {"separator_required": spec.separator_required, "format": spec.format}})

print(json.dumps({
    "packages": {"biip": version("biip")},
    "current_year": datetime.datetime.now(tz=datetime.timezone.utc).year,
    "rows": rows,
}))
