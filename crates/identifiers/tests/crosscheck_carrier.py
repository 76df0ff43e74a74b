"""Decodes the crate's carrier PNGs with zxing-cpp (pinned with Pillow by
scripts/install-test-peers.sh), for crosscheck.rs.

Reads a JSON list of {"name": ..., "png": base64} on stdin and prints a JSON list of
{"name", "size": [w, h], "mode", "barcodes": [{"format", "text", "bytes" (hex),
"content_type", "symbology_identifier", "ec_level", "valid", "error"}], "transmitted"}:
"transmitted" (hex) is what a scanner sends per ISO/IEC 15424, read in zxing's HexECI
text mode: the symbology identifier with its ECI modifier (`]Q2`, `]d4` when the symbol
holds an ECI designator), the designator as `\\000026`, then the data bytes as encoded
(zxing's `symbology_identifier` and its ECI text mode do not tell).
"""

import base64
import io
import json
import sys

import zxingcpp
from PIL import Image


def describe(b):
    return {
        "format": b.format.name,
        "text": b.text,
        "bytes": bytes(b.bytes).hex(),
        "content_type": b.content_type.name,
        "symbology_identifier": b.symbology_identifier,
        "ec_level": b.ec_level,
        "valid": bool(b.valid),
        "error": str(b.error) if b.error else "",
    }


def main():
    out = []
    for item in json.load(sys.stdin):
        img = Image.open(io.BytesIO(base64.b64decode(item["png"])))
        # Pillow checks every chunk's CRC and the zlib stream while loading.
        img.load()
        mode = img.mode
        grey = img.convert("L")
        barcodes = zxingcpp.read_barcodes(grey)
        sent = zxingcpp.read_barcodes(grey, text_mode=zxingcpp.TextMode.HexECI)
        out.append(
            {
                "name": item["name"],
                "size": list(img.size),
                "mode": mode,
                "barcodes": [describe(b) for b in barcodes],
                "transmitted": [bytes.fromhex(b.text).hex() for b in sent],
            }
        )
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
