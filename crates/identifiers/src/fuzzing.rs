//! Entry points for the fuzz targets (`fuzz/fuzz_targets/ident_*.rs`), also run by the
//! test suite over mutated inputs. Each takes arbitrary bytes and must not panic; what
//! decodes is encoded again and must decode to the same thing, and what the carrier
//! encoder draws must be a valid image.
//!
//! A failed invariant panics on purpose: that is how a fuzzer reports it.
#![allow(clippy::expect_used, clippy::panic)]

use crate::carrier::{
    self, Carrier, DataMatrixShape, Label, PayloadKind, QrEcLevel, SheetLayout, Symbology,
};
use crate::proto::{self, RequestBody, ResponseBody};
use crate::schemes::{self, DigitalLink, Gs1Message};

/// One Handle protocol message, read as a request and as a response; whatever decodes
/// is re-encoded and must decode to the same message.
pub fn fuzz_proto(data: &[u8]) {
    if let Ok(req) = proto::decode_request(data) {
        let again = proto::encode_request(&req);
        let mut back = proto::decode_request(&again).expect("a re-encoded request decodes");
        // The re-encoding drops ignored trailing bytes and adds a credential length.
        if let (RequestBody::Resolution(b), RequestBody::Resolution(r)) =
            (&mut back.body, &req.body)
        {
            b.ignored_trailing = r.ignored_trailing;
        }
        assert_eq!(back.body, req.body, "request body changed in a round trip");
        assert_eq!(back.credential, req.credential);
        if let RequestBody::Resolution(r) = &req.body {
            let _ = proto::RequestDigest::of_request(data, (2, 10))
                .expect("digest of a decoded request");
            let _ = r.handle.len();
        }
    }
    if let Ok(resp) = proto::decode_response(data) {
        let again = proto::encode_response(&resp);
        let back = proto::decode_response(&again).expect("a re-encoded response decodes");
        assert_eq!(
            back.body, resp.body,
            "response body changed in a round trip"
        );
        assert_eq!(back.digest, resp.digest);
        if let ResponseBody::Resolution(r) = &resp.body {
            for v in &r.values {
                let json = v.to_rest_json();
                let _ = crate::handle::HandleValue::from_rest_json(&json)
                    .expect("a decoded value's JSON reads back");
            }
        }
    }
    if let Ok(mut r) = proto::UdpReassembly::new(data) {
        let _ = r.push(data);
    }
}

/// One scanned string: detected, and its canonical form detected again as the same.
pub fn fuzz_detect(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(d) = schemes::detect(s) {
        let c = d.canonical();
        let again =
            schemes::detect(&c).unwrap_or_else(|e| panic!("canonical {c:?} of {s:?} fails: {e}"));
        assert_eq!(
            again.canonical(),
            c,
            "canonical form of {s:?} is not stable"
        );
    }
    if let Ok(m) = Gs1Message::parse(s) {
        assert_eq!(
            Gs1Message::parse(&m.raw()).as_ref(),
            Ok(&m),
            "raw form of {s:?}"
        );
        assert_eq!(
            Gs1Message::parse(&m.hri()).as_ref(),
            Ok(&m),
            "HRI form of {s:?}"
        );
        if let Ok(dl) = DigitalLink::from_message(&m) {
            let back =
                DigitalLink::parse(&dl.canonical()).expect("a canonical Digital Link parses");
            assert_eq!(back.canonical(), dl.canonical());
        }
    }
    let _ = crate::handle::Handle::parse(s);
    let _ = schemes::Oid::parse(s);
    let _ = schemes::Ecode::parse(s);
    let _ = schemes::Vaa::parse(s);
    let _ = DigitalLink::parse(s);
}

/// One carrier request: the first three bytes choose the symbology, payload kind, QR
/// level, Data Matrix shape, module size, quiet zone and whether there is a caption; the
/// rest (as lossy UTF-8) is the payload. Whatever encodes must draw as a PNG with valid
/// chunks and the announced size and as an SVG with one path, and an ASCII Data Matrix
/// must decode back to its text; the payload as a handle must give a resolution URL the
/// detector reads back as that handle; a label sheet of it must not panic.
pub fn fuzz_carrier(data: &[u8]) {
    let [a, b, c, rest @ ..] = data else {
        return;
    };
    let text = String::from_utf8_lossy(rest).into_owned();
    let symbology = if a & 1 == 0 {
        Symbology::Qr
    } else {
        Symbology::DataMatrix
    };
    let mut carrier = Carrier::new(symbology, text.as_str())
        .with_ec_level(
            [QrEcLevel::L, QrEcLevel::M, QrEcLevel::Q, QrEcLevel::H][usize::from(a >> 2 & 3)],
        )
        .with_shape(
            [
                DataMatrixShape::Square,
                DataMatrixShape::Rectangle,
                DataMatrixShape::Any,
            ][usize::from(a >> 4 & 3) % 3],
        )
        .with_module_px(u32::from(b % 9));
    if a & 2 != 0 {
        carrier.kind = PayloadKind::Gs1;
    }
    if c & 0x80 == 0 {
        carrier = carrier.with_quiet_zone(u32::from(c % 12));
    }
    if a & 0x40 != 0 {
        carrier = carrier.with_caption(text.chars().rev().take(300).collect::<String>());
    }
    if let Ok(symbol) = carrier.encode() {
        assert!(symbol.width() > 0 && symbol.height() > 0);
        if let Ok(png) = carrier.png() {
            let quiet = carrier
                .quiet_zone_modules()
                .expect("a drawn carrier's quiet zone");
            let m = carrier.module_px as usize;
            let w = (symbol.width() + 2 * quiet as usize) * m;
            let h = (symbol.height() + 2 * quiet as usize) * m;
            check_png(&png, w, h);
        }
        if let Ok(svg) = carrier.svg() {
            assert_eq!(svg.matches("<path ").count(), 1);
            assert!(svg.ends_with("</svg>\n"));
        }
        if symbology == Symbology::DataMatrix
            && carrier.kind == PayloadKind::Text
            && text.is_ascii()
        {
            let grid: Vec<bool> = (0..symbol.height())
                .flat_map(|y| (0..symbol.width()).map(move |x| (x, y)))
                .map(|(x, y)| symbol.is_dark(x, y))
                .collect();
            let back = datamatrix::DataMatrix::decode(&grid, symbol.width()).unwrap_or_else(|e| {
                panic!(
                    "our Data Matrix of {text:?} ({:?}) does not decode: {e:?}",
                    symbol.width()
                )
            });
            assert_eq!(back, text.as_bytes(), "Data Matrix round trip");
        }
    }
    if let Ok(handle) = crate::handle::Handle::parse(&text) {
        let url = carrier::resolution_url("https://iir.example.cn/r", &handle)
            .expect("a resolution URL on a valid base");
        if let Ok(schemes::Detected::ResolutionUrl { handle: back }) = schemes::detect(&url) {
            assert_eq!(back, handle, "{url} read back");
        }
    }
    if b & 0x80 != 0 {
        let label = Label::new(carrier, text.split('\n').take(4));
        if let Ok(pages) = carrier::label_sheets(&SheetLayout::default(), &[label]) {
            assert_eq!(pages.len(), 1);
        }
    }
}

/// A PNG's chunks, CRCs, size and zlib stream.
fn check_png(png: &[u8], width: usize, height: usize) {
    assert_eq!(png.get(..8), Some(&b"\x89PNG\r\n\x1a\n"[..]));
    let mut at = 8;
    let mut kinds = Vec::new();
    let mut idat = Vec::new();
    while at < png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().expect("length")) as usize;
        let body = &png[at + 4..at + 8 + len];
        let crc = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().expect("crc"));
        assert_eq!(crc32fast::hash(body), crc, "chunk CRC");
        let (kind, chunk) = body.split_at(4);
        if kind == b"IHDR" {
            assert_eq!(chunk[..4], (width as u32).to_be_bytes());
            assert_eq!(chunk[4..8], (height as u32).to_be_bytes());
        }
        if kind == b"IDAT" {
            idat.extend_from_slice(chunk);
        }
        kinds.push(kind.to_vec());
        at += 12 + len;
    }
    assert_eq!(
        kinds,
        [b"IHDR".to_vec(), b"IDAT".to_vec(), b"IEND".to_vec()]
    );
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::ZlibDecoder::new(&idat[..]), &mut raw)
        .expect("zlib stream");
    assert_eq!(raw.len(), (width.div_ceil(8) + 1) * height);
}

#[cfg(test)]
mod tests {
    //! The entry points over valid inputs and thousands of deterministic mutations of
    //! them, so every test run exercises what the fuzzer does.
    use super::*;

    /// A small xorshift generator: deterministic mutations without a dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
        let mut m = seed.to_vec();
        for _ in 0..1 + rng.below(4) {
            match rng.below(5) {
                0 if !m.is_empty() => {
                    let i = rng.below(m.len());
                    m[i] = rng.next() as u8;
                }
                1 if !m.is_empty() => {
                    let i = rng.below(m.len());
                    m[i] = [0, 0xff, 0x1d, b'(', b'/', b'%', b'0'][rng.below(7)];
                }
                2 => {
                    let i = rng.below(m.len() + 1);
                    m.insert(i, rng.next() as u8);
                }
                3 if !m.is_empty() => {
                    let i = rng.below(m.len());
                    m.remove(i);
                }
                _ => {
                    let i = rng.below(m.len() + 1);
                    m.truncate(i);
                }
            }
        }
        m
    }

    #[test]
    fn proto_entry_point_survives_mutations() {
        use crate::handle::HandleValue;
        let req = proto::encode_request(&proto::resolution_request(
            1,
            "88.101.5/abc",
            &[1, 2],
            &["URL", "HS_"],
            proto::flag::RRDG,
        ));
        let decoded = proto::decode_request(&req).expect("request");
        let mut v = HandleValue::new(1, "URL", b"https://example.com".to_vec()).expect("value");
        v.references.push(crate::ValueReference {
            handle: "88.1/x".into(),
            index: 2,
        });
        let digest = proto::RequestDigest::of_request(&req, (2, 10)).ok();
        let resp = proto::encode_response(&proto::Response::resolution(
            &decoded,
            digest,
            "88.101.5/abc",
            vec![v],
        ));
        let err = proto::encode_response(&proto::Response::error(
            &decoded,
            proto::rc::HANDLE_NOT_FOUND,
            "not found",
            None,
        ));
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for seed in [&req, &resp, &err] {
            fuzz_proto(seed);
            for _ in 0..3000 {
                fuzz_proto(&mutate(seed, &mut rng));
            }
        }
    }

    #[test]
    fn detect_entry_point_survives_mutations() {
        let seeds = [
            "https://id.gs1.org/01/09506000134352/10/ABC/21/12345?17=180426",
            "]C10107032069804988100329\u{1d}15210526",
            "(00)106141411234567897(3103)000195(8003)00614141000012X",
            "https://iir.example.cn/88.101.5/abc",
            "hdl:86.1000.12/x",
            "urn:oid:1.2.156.10197.1.301",
            "4006381333931",
            "ecode:310001ABC",
            "25SVAA12345ABC-1",
        ];
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for seed in seeds {
            fuzz_detect(seed.as_bytes());
            for _ in 0..2000 {
                fuzz_detect(&mutate(seed.as_bytes(), &mut rng));
            }
        }
    }

    #[test]
    fn carrier_entry_point_survives_mutations() {
        let seeds: [&[u8]; 5] = [
            b"\x00\x84\x04https://iir.example.cn/88.101.5/abc",
            b"\x41\x03\x01\xe9\x9b\xb6\xe4\xbb\xb6 88.101.5/x",
            b"\x02\x82\x04(01)09506000134352(10)AB%1(21)12345",
            b"\x03\x01\x80010950600013435210ABC\x1d2112345",
            b"\x11\x02\x0188.1/R1\nline two",
        ];
        let mut rng = Rng(0x5851_f42d_4c95_7f2d);
        for seed in seeds {
            fuzz_carrier(seed);
            for _ in 0..200 {
                fuzz_carrier(&mutate(seed, &mut rng));
            }
        }
    }
}
