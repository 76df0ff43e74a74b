use super::*;
use crate::schemes::{Detected, detect};
use std::collections::BTreeMap;
use std::io::Read as _;

/// A decoded PNG: width, height, and whether each pixel is dark; every chunk's CRC and
/// the zlib stream checked on the way.
fn read_png(png: &[u8]) -> (usize, usize, Vec<bool>) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "signature");
    let mut at = 8;
    let mut chunks = Vec::new();
    let (mut width, mut height) = (0, 0);
    let mut idat = Vec::new();
    while at < png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let kind = &png[at + 4..at + 8];
        let data = &png[at + 8..at + 8 + len];
        let crc = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
        let mut h = crc32fast::Hasher::new();
        h.update(kind);
        h.update(data);
        assert_eq!(
            h.finalize(),
            crc,
            "CRC of {}",
            String::from_utf8_lossy(kind)
        );
        match kind {
            b"IHDR" => {
                assert_eq!(len, 13);
                width = u32::from_be_bytes(data[..4].try_into().unwrap()) as usize;
                height = u32::from_be_bytes(data[4..8].try_into().unwrap()) as usize;
                assert_eq!(&data[8..], &[1, 0, 0, 0, 0], "1-bit greyscale");
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        chunks.push(String::from_utf8_lossy(kind).into_owned());
        at += 12 + len;
    }
    assert_eq!(at, png.len(), "nothing after IEND");
    assert_eq!(chunks, ["IHDR", "IDAT", "IEND"]);
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut raw)
        .unwrap();
    let row = width.div_ceil(8);
    assert_eq!(raw.len(), (row + 1) * height, "rows of the image");
    let mut dark = Vec::with_capacity(width * height);
    for y in 0..height {
        let line = &raw[y * (row + 1)..(y + 1) * (row + 1)];
        assert_eq!(line[0], 0, "filter type");
        for x in 0..width {
            dark.push(line[1 + x / 8] & (0x80 >> (x % 8)) == 0);
        }
        if width % 8 != 0 {
            assert_eq!(line[row] & (0xff >> (width % 8)), 0, "padding bits");
        }
    }
    (width, height, dark)
}

/// A minimal XML well-formedness check: declaration, balanced tags, quoted attributes,
/// only known entities, no control characters; the count of each element.
fn check_xml(doc: &str) -> BTreeMap<String, usize> {
    assert!(doc.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    assert!(
        !doc.chars().any(|c| c.is_control() && c != '\n'),
        "control character in {doc:?}"
    );
    let check_text = |t: &str| {
        let mut rest = t;
        while let Some(i) = rest.find('&') {
            let ent = &rest[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| ent.starts_with(e)),
                "bare & in {t:?}"
            );
            rest = &rest[i + 1..];
        }
    };
    let mut counts = BTreeMap::new();
    let mut stack: Vec<String> = Vec::new();
    let mut rest = &doc[doc.find("?>").unwrap() + 2..];
    let mut roots = 0;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open]);
        assert!(
            !stack.is_empty() || rest[..open].trim().is_empty(),
            "text outside the root: {:?}",
            &rest[..open]
        );
        let close = rest[open..].find('>').expect("unclosed tag") + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let (name, mut attrs) = tag.split_once(' ').unwrap_or((tag, ""));
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()),
            "tag name {name:?}"
        );
        let mut seen = Vec::new();
        while !attrs.trim().is_empty() {
            let a = attrs.trim_start();
            let (key, after) = a.split_once("=\"").expect("attribute without =\"");
            assert!(
                key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "attribute {key:?}"
            );
            assert!(!seen.contains(&key), "attribute {key} twice");
            seen.push(key);
            let end = after.find('"').expect("unterminated attribute");
            assert!(!after[..end].contains('<'));
            check_text(&after[..end]);
            attrs = &after[end + 1..];
        }
        if stack.is_empty() {
            roots += 1;
        }
        *counts.entry(name.to_owned()).or_insert(0) += 1;
        if !self_closing {
            stack.push(name.to_owned());
        }
    }
    assert!(rest.trim().is_empty(), "text after the root");
    assert!(stack.is_empty(), "unclosed {stack:?}");
    assert_eq!(roots, 1);
    counts
}

/// The value of attribute `name` of the first `<tag`.
fn attr<'a>(doc: &'a str, tag: &str, name: &str) -> &'a str {
    let t = &doc[doc.find(&format!("<{tag} ")).unwrap()..];
    let t = &t[..t.find('>').unwrap()];
    let v = &t[t.find(&format!(" {name}=\"")).unwrap() + name.len() + 3..];
    &v[..v.find('"').unwrap()]
}

/// The module grid an SVG path draws (`M x y h n v 1 h -n z` runs).
fn path_grid(d: &str, width: usize, height: usize) -> Vec<bool> {
    let mut grid = vec![false; width * height];
    for run in d.split('z').filter(|r| !r.is_empty()) {
        let r = run.strip_prefix('M').unwrap();
        let (xy, rest) = r.split_once('h').unwrap();
        let (x, y) = xy.split_once(' ').unwrap();
        let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
        let n: usize = rest.split_once('v').unwrap().0.parse().unwrap();
        assert!(rest.ends_with(&format!("v1h-{n}")), "run {run:?}");
        for i in x..x + n {
            assert!(!grid[y * width + i], "overlapping runs");
            grid[y * width + i] = true;
        }
    }
    grid
}

fn grid_with_quiet(symbol: &Symbol, q: usize) -> Vec<bool> {
    let (w, h) = (symbol.width() + 2 * q, symbol.height() + 2 * q);
    let mut g = vec![false; w * h];
    for y in 0..symbol.height() {
        for x in 0..symbol.width() {
            g[(y + q) * w + x + q] = symbol.is_dark(x, y);
        }
    }
    g
}

#[test]
fn png_is_valid_and_matches_the_modules_with_quiet_zone() {
    for (carrier, quiet) in [
        (
            Carrier::new(Symbology::Qr, "https://iir.example.cn/88.101.5/abc"),
            4,
        ),
        (
            Carrier::new(Symbology::DataMatrix, "88.101.5/abc").with_module_px(3),
            1,
        ),
        (
            Carrier::new(Symbology::DataMatrix, "88.1/R1")
                .with_shape(DataMatrixShape::Rectangle)
                .with_module_px(5)
                .with_quiet_zone(3),
            3,
        ),
        (
            Carrier::new(Symbology::Qr, "x")
                .with_module_px(1)
                .with_quiet_zone(10),
            10,
        ),
    ] {
        let symbol = carrier.encode().unwrap();
        let png = carrier.png().unwrap();
        let (w, h, dark) = read_png(&png);
        let m = carrier.module_px as usize;
        assert_eq!(w, (symbol.width() + 2 * quiet) * m);
        assert_eq!(h, (symbol.height() + 2 * quiet) * m);
        let grid = grid_with_quiet(&symbol, quiet);
        for y in 0..h {
            for x in 0..w {
                let module = grid[(y / m) * (w / m) + x / m];
                assert_eq!(dark[y * w + x], module, "pixel {x},{y} of {carrier:?}");
            }
        }
        // The quiet zone is light all round; the symbol touches it on every side.
        let qpx = quiet * m;
        assert!((0..w).all(|x| (0..qpx).all(|y| !dark[y * w + x] && !dark[(h - 1 - y) * w + x])));
        assert!((0..h).all(|y| (0..qpx).all(|x| !dark[y * w + x] && !dark[y * w + w - 1 - x])));
        assert!((0..w).any(|x| dark[qpx * w + x]), "top row of modules");
        assert!((0..h).any(|y| dark[y * w + qpx]), "left column of modules");
    }
}

#[test]
fn svg_is_well_formed_one_path_in_module_units() {
    let carrier = Carrier::new(Symbology::Qr, "https://iir.example.cn/88.101.5/abc");
    let symbol = carrier.encode().unwrap();
    let svg = carrier.svg().unwrap();
    let counts = check_xml(&svg);
    assert_eq!(counts.get("path"), Some(&1));
    assert_eq!(counts.get("text"), None);
    let side = symbol.width() + 8;
    assert_eq!(attr(&svg, "svg", "viewBox"), format!("0 0 {side} {side}"));
    assert_eq!(attr(&svg, "svg", "width"), (side * 4).to_string());
    assert_eq!(attr(&svg, "path", "shape-rendering"), "crispEdges");
    let grid = path_grid(attr(&svg, "path", "d"), side, side);
    assert_eq!(grid, grid_with_quiet(&symbol, 4));
}

#[test]
fn svg_caption_is_escaped_and_cleaned() {
    let carrier = Carrier::new(Symbology::DataMatrix, "88.101.5/x")
        .with_caption("  <零件> & \"A'\u{0}\u{1b}\u{7f}\u{202e}B\u{9}  ");
    let svg = carrier.svg().unwrap();
    let counts = check_xml(&svg);
    assert_eq!(counts.get("text"), Some(&1));
    assert!(
        svg.contains(">&lt;零件&gt; &amp; &quot;A&apos;B</text>"),
        "{svg}"
    );
    assert!(attr(&svg, "text", "font-family").contains("'Noto Sans CJK SC'"));
    // The caption band lies under the code: the viewBox is taller than wide.
    let vb: Vec<f64> = attr(&svg, "svg", "viewBox")
        .split(' ')
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(vb[3] > vb[2]);
    let longest = carrier
        .clone()
        .with_caption("标".repeat(MAX_TEXT_CHARS))
        .svg()
        .unwrap();
    assert!(
        longest.contains("标…</text>"),
        "cut short to the code's width"
    );
    let long = carrier.clone().with_caption("x".repeat(MAX_TEXT_CHARS + 1));
    assert_eq!(long.svg().unwrap_err().code(), "carrier_text_length");
    // A caption of controls only is no caption.
    let blank = carrier.with_caption("\u{1}\u{2}");
    assert_eq!(check_xml(&blank.svg().unwrap()).get("text"), None);
}

#[test]
fn gs1_payloads_are_checked_and_encoded_raw() {
    let m = Gs1Message::parse("(01)09506000134352(10)AB%1(21)12345").unwrap();
    let c = Carrier::gs1(Symbology::Qr, &m);
    assert_eq!(c.payload, "010950600013435210AB%1\u{1d}2112345");
    assert_eq!(
        c.caption.as_deref(),
        Some("(01)09506000134352(10)AB%1(21)12345")
    );
    // The human-readable form is accepted and gives the same symbol.
    let hri = Carrier {
        payload: m.hri(),
        ..c.clone()
    };
    assert_eq!(hri.encode().unwrap(), c.encode().unwrap());
    // FNC1 makes it another symbol than the same text.
    let plain = Carrier {
        kind: PayloadKind::Text,
        ..c.clone()
    };
    assert_ne!(plain.encode().unwrap(), c.encode().unwrap());
    for bad in [
        "(01)09506000134353",
        "hello",
        "(99)",
        "01095060001343521\u{1d}",
    ] {
        let e = Carrier {
            payload: bad.into(),
            ..c.clone()
        }
        .encode()
        .unwrap_err();
        assert_eq!(e.code(), "carrier_gs1", "{bad:?}: {e}");
    }
}

#[test]
fn capacity_is_the_standards_and_refusals_say_so() {
    let qr_h = |s: String| Carrier::new(Symbology::Qr, s).with_ec_level(QrEcLevel::H);
    assert!(qr_h("a".repeat(1273)).encode().is_ok());
    let e = qr_h("a".repeat(1274)).encode().unwrap_err();
    assert_eq!(e.code(), "carrier_capacity");
    assert!(e.to_string().contains("QR code at level H"), "{e}");
    assert_eq!(qr_h("7".repeat(3057)).encode().unwrap().width(), 177);
    assert!(qr_h("7".repeat(3058)).encode().is_err());
    let qr_l = Carrier::new(Symbology::Qr, "A".repeat(4296)).with_ec_level(QrEcLevel::L);
    assert!(qr_l.encode().is_ok());
    let dm = |s: String| Carrier::new(Symbology::DataMatrix, s);
    assert_eq!(dm("7".repeat(3116)).encode().unwrap().width(), 144);
    assert_eq!(
        dm("7".repeat(3117)).encode().unwrap_err().code(),
        "carrier_capacity"
    );
    assert!(dm("a".repeat(2400)).encode().is_err());
    let rect = dm("7".repeat(99)).with_shape(DataMatrixShape::Rectangle);
    assert!(
        rect.encode()
            .unwrap_err()
            .to_string()
            .contains("rectangular")
    );
    let r = dm("7".repeat(98))
        .with_shape(DataMatrixShape::Rectangle)
        .encode()
        .unwrap();
    assert_eq!((r.width(), r.height()), (48, 16));
    assert_eq!(
        Carrier::new(Symbology::Qr, "").encode().unwrap_err(),
        CarrierError::EmptyPayload
    );
}

#[test]
fn hostile_payloads_are_refused_or_encoded_never_panic() {
    let big = "9".repeat(1 << 20);
    let controls: String = (0u8..0x20).map(char::from).chain(['\u{7f}']).collect();
    let payloads = [
        big.clone(),
        "零".repeat(1 << 18),
        format!("(01){big}"),
        controls.clone(),
        "\u{0}".into(),
        "\u{202e}evil\u{fffd}\u{10ffff}🙂".into(),
        "%%\u{1d}%".into(),
    ];
    for symbology in [Symbology::Qr, Symbology::DataMatrix] {
        for kind in [PayloadKind::Text, PayloadKind::Gs1] {
            for p in &payloads {
                let c = Carrier {
                    kind,
                    ..Carrier::new(symbology, p.as_str())
                };
                let start = std::time::Instant::now();
                match c.png() {
                    Ok(png) => {
                        read_png(&png);
                        check_xml(&c.svg().unwrap());
                    }
                    Err(e) => assert!(!e.code().is_empty()),
                }
                assert!(start.elapsed().as_secs() < 5, "{symbology:?} {kind:?} slow");
            }
        }
    }
    // Control characters are data: they are encoded, not dropped.
    assert!(
        Carrier::new(Symbology::Qr, controls.as_str())
            .encode()
            .is_ok()
    );
    assert!(
        Carrier::new(Symbology::DataMatrix, controls.as_str())
            .encode()
            .is_ok()
    );
}

#[test]
fn data_matrix_modules_decode_back_to_the_payload() {
    // The datamatrix crate's own decoder reads the module grid (no image involved).
    for text in ["88.101.5/ABC-123", "a b c ~!@#$%^&*()", "1234567890123456"] {
        let s = Carrier::new(Symbology::DataMatrix, text).encode().unwrap();
        let grid: Vec<bool> = (0..s.height())
            .flat_map(|y| (0..s.width()).map(move |x| (x, y)))
            .map(|(x, y)| s.is_dark(x, y))
            .collect();
        let back = datamatrix::DataMatrix::decode(&grid, s.width()).unwrap();
        assert_eq!(back, text.as_bytes());
    }
}

#[test]
fn utf8_is_never_put_in_kanji_mode() {
    // Why the QR encoder remaps segments: the qrcode crate's segmenter reads these UTF-8
    // bytes as Shift JIS kanji, which scanners would show as Japanese.
    let text = "工业互联网标识解析";
    assert!(
        qrcode::optimize::Parser::new(text.as_bytes())
            .any(|s| s.mode == qrcode::types::Mode::Kanji)
    );
    assert!(Carrier::new(Symbology::Qr, text).encode().is_ok());
}

#[test]
fn quiet_zone_and_size_limits() {
    let qr = Carrier::new(Symbology::Qr, "88.1/x");
    assert_eq!(qr.quiet_zone_modules().unwrap(), 4);
    let dm = Carrier::new(Symbology::DataMatrix, "88.1/x");
    assert_eq!(dm.quiet_zone_modules().unwrap(), 1);
    for c in [
        qr.clone().with_quiet_zone(3),
        dm.clone().with_quiet_zone(0),
        qr.clone().with_quiet_zone(MAX_QUIET_ZONE + 1),
        qr.clone().with_module_px(0),
    ] {
        assert_eq!(c.png().unwrap_err().code(), "carrier_option", "{c:?}");
        assert_eq!(c.svg().unwrap_err().code(), "carrier_option", "{c:?}");
    }
    let v40 = Carrier::new(Symbology::Qr, "7".repeat(7000)).with_ec_level(QrEcLevel::L);
    assert_eq!(v40.encode().unwrap().width(), 177);
    assert!(v40.clone().with_module_px(22).png().is_ok()); // (177 + 8) × 22 = 4070
    let e = v40.clone().with_module_px(23).png().unwrap_err();
    assert_eq!(e.code(), "carrier_image_size", "{e}");
    assert_eq!(
        v40.with_module_px(u32::MAX).svg().unwrap_err().code(),
        "carrier_image_size"
    );
}

#[test]
fn resolution_urls_keep_every_suffix() {
    let base = "https://iir.example.cn/r/";
    for (handle, url) in [
        ("88.101.5/abc", "https://iir.example.cn/r/88.101.5/abc"),
        (
            "88.101.5/a/b c",
            "https://iir.example.cn/r/88.101.5/a/b%20c",
        ),
        (
            "88.101.5/零件-001",
            "https://iir.example.cn/r/88.101.5/%E9%9B%B6%E4%BB%B6-001",
        ),
        (
            "88.101.5/50%?q=1#f",
            "https://iir.example.cn/r/88.101.5/50%25%3Fq%3D1%23f",
        ),
        (
            "88.101.5/a/../b",
            "https://iir.example.cn/r/88.101.5/a%2F..%2Fb",
        ),
        ("88.101.5/./x", "https://iir.example.cn/r/88.101.5/.%2Fx"),
        (
            "88.101.5/a+b~c_d.e",
            "https://iir.example.cn/r/88.101.5/a%2Bb~c_d.e",
        ),
        // `/01/` would be read as a GS1 Digital Link's GTIN.
        (
            "88.101.5/01/123",
            "https://iir.example.cn/r/88.101.5/01%2F123",
        ),
        (
            "20.500.12345/lot/2024/7",
            "https://iir.example.cn/r/20.500.12345/lot/2024/7",
        ),
    ] {
        let h = Handle::parse(handle).unwrap();
        let got = resolution_url(base, &h).unwrap();
        assert_eq!(got, url);
        // The crate's own scanner reads the identifier back.
        assert_eq!(
            detect(&got),
            Ok(Detected::ResolutionUrl { handle: h }),
            "{got}"
        );
    }
    // A prefix without a numeric first segment: made alike, with `/` escaped so the
    // scanner does not take a later segment for the prefix.
    let h = Handle::parse("ht/p://x/88.101.5/abc").unwrap();
    let url = resolution_url(base, &h).unwrap();
    assert_eq!(
        url,
        "https://iir.example.cn/r/ht/p%3A%2F%2Fx%2F88.101.5%2Fabc"
    );
    assert!(detect(&url).is_err());
    let h = Handle::parse("88.101.5/x").unwrap();
    for bad in [
        "ftp://iir.example.cn",
        "https://",
        "https:///x",
        "https://iir.example.cn/r?x=1",
        "https://iir.example.cn/a b",
        "https://user@iir.example.cn",
        "https://标识.cn",
        &format!("https://{}", "a".repeat(600)),
    ] {
        let e = resolution_url(bad, &h).unwrap_err();
        assert_eq!(e.code(), "carrier_base_url", "{bad:?}");
    }
    let c = Carrier::handle_url(Symbology::DataMatrix, "http://x.cn", &h).unwrap();
    assert_eq!(c.payload, "http://x.cn/88.101.5/x");
    assert_eq!(c.caption.as_deref(), Some("88.101.5/x"));
}

#[test]
fn digital_link_payloads() {
    let m = Gs1Message::parse("(01)09506000134352(17)180426(10)ABC").unwrap();
    assert_eq!(
        digital_link_uri(&m, None).unwrap(),
        "https://id.gs1.org/01/09506000134352/10/ABC?17=180426"
    );
    assert_eq!(
        digital_link_uri(&m, Some("https://id.example.cn/gs1/")).unwrap(),
        "https://id.example.cn/gs1/01/09506000134352/10/ABC?17=180426"
    );
    let http = digital_link_uri(&m, Some("HTTP://id.example.cn")).unwrap();
    assert_eq!(
        http,
        "http://id.example.cn/01/09506000134352/10/ABC?17=180426"
    );
    assert_eq!(
        crate::schemes::DigitalLink::parse(&http)
            .unwrap()
            .message()
            .hri(),
        "(01)09506000134352(10)ABC(17)180426"
    );
    let two_keys = Gs1Message::parse("(01)09506000134352(00)106141411234567897").unwrap();
    assert_eq!(
        digital_link_uri(&two_keys, None).unwrap_err().code(),
        "carrier_gs1"
    );
    assert_eq!(
        digital_link_uri(&m, Some("id.example.cn"))
            .unwrap_err()
            .code(),
        "carrier_base_url"
    );
    let c = Carrier::digital_link(Symbology::Qr, &m, None).unwrap();
    assert_eq!(c.kind, PayloadKind::Text);
    assert!(
        c.svg()
            .unwrap()
            .contains(">(01)09506000134352(17)180426(10)ABC</text>")
    );
}

#[test]
fn encoding_is_deterministic() {
    let c = Carrier::new(Symbology::Qr, "88.101.5/零件").with_caption("零件");
    assert_eq!(c.svg().unwrap(), c.svg().unwrap());
    assert_eq!(c.png().unwrap(), c.png().unwrap());
}

mod sheets;
