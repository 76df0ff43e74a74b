//! The crate against independent implementations, in the test run:
//! - `crosscheck_gs1.py` draws GTINs, SSCCs, element strings (raw and human-readable)
//!   and GS1 Digital Link URIs, valid and broken, and reads them with biip (pinned by
//!   `scripts/install-test-peers.sh` in the interpreter `$IRONLOOM_IDENT_PYTHON`); every
//!   row must be accepted or refused alike and read the same;
//! - `handle_client.py`, a resolution client written from RFC 3652 with Python's
//!   standard library only, encodes requests that the Rust codec decodes, decodes
//!   responses the Rust codec encodes, and resolves over UDP and TCP against a small
//!   server built on the codec. It needs only a Python 3: `$IRONLOOM_IDENT_PYTHON`, else
//!   `python3`;
//! - `crosscheck_carrier.py` decodes the carriers' PNGs (QR with a resolution URL, with
//!   Chinese text, GS1 QR, Digital Link; Data Matrix plain, Latin-1, Chinese,
//!   rectangular and GS1) with zxing-cpp and Pillow, pinned beside biip; each must read
//!   back as its payload with the right symbology identifier and content type.
//!
//! Without the interpreter the tests print SKIPPED and pass, unless
//! `IRONLOOM_REQUIRE_PEERS` is set.

// In tests a failed expect is a failed test, with the reason in the panic message.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use ironloom_identifiers::carrier::{Carrier, DataMatrixShape, QrEcLevel, Symbology};
use ironloom_identifiers::handle::{AdminPermissions, AdminRecord, HandleValue, TtlType};
use ironloom_identifiers::proto::{self, RequestBody, RequestDigest, Response, rc};
use ironloom_identifiers::schemes::{
    AiFormat, DigitalLink, Gs1Message, Gtin, GtinFormat, Sscc, ai_spec, is_predefined_length,
};
use ironloom_identifiers::{Handle, Permissions, ValueReference};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// An interpreter that runs `check`, or None (a skip, unless the peers are required).
fn python(what: &str, check: &str, fallback: bool) -> Option<String> {
    let mut candidates: Vec<String> = std::env::var("IRONLOOM_IDENT_PYTHON").into_iter().collect();
    if fallback {
        candidates.push("python3".into());
    }
    let found = candidates.into_iter().find(|py| {
        Command::new(py)
            .args(["-c", check])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("IRONLOOM_REQUIRE_PEERS").is_none(),
            "IRONLOOM_REQUIRE_PEERS is set but no Python for {what} ($IRONLOOM_IDENT_PYTHON: {check})"
        );
        println!(
            "SKIPPED: no Python for {what} (eval \"$(scripts/install-test-peers.sh)\" installs it)"
        );
    }
    found
}

fn script(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name)
}

fn run(py: &str, args: &[&str], stdin: Option<&str>) -> Value {
    let mut child = Command::new(py)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {args:?}: {e}"));
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?} output: {e}"))
}

fn format_number(f: GtinFormat) -> u64 {
    match f {
        GtinFormat::Gtin8 => 8,
        GtinFormat::Gtin12 => 12,
        GtinFormat::Gtin13 => 13,
        GtinFormat::Gtin14 => 14,
    }
}

/// Elements as biip describes them: ai, value, date (ISO, day 00 as the month's last
/// day) and normalised decimal.
fn describe(m: &Gs1Message, current_year: i32) -> Value {
    Value::Array(
        m.elements
            .iter()
            .map(|e| {
                let mut o = json!({"ai": e.ai, "value": e.value});
                if let Some((y, mo, d)) = e.date(current_year) {
                    let last = match mo {
                        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
                        2 => 28,
                        4 | 6 | 9 | 11 => 30,
                        _ => 31,
                    };
                    let d = if d == 0 { last } else { d };
                    o["date"] = json!(format!("{y:04}-{mo:02}-{d:02}"));
                }
                if let Some(dec) = e.decimal() {
                    o["decimal"] = json!(dec);
                }
                o
            })
            .collect(),
    )
}

/// The largest data length in a biip format string (`N2+X..20`, `N3+N13[+X..17]`).
fn biip_max_len(format: &str) -> usize {
    format
        .split('+')
        .skip(1)
        .map(|part| {
            let p = part.trim_matches(|c| c == '[' || c == ']');
            p.trim_start_matches(['N', 'X', '.'])
                .parse::<usize>()
                .unwrap_or(0)
        })
        .sum()
}

fn our_max_len(f: AiFormat) -> usize {
    match f {
        AiFormat::Numeric(n) | AiFormat::NumericUpTo(n) | AiFormat::Alnum(n) => usize::from(n),
        AiFormat::DigitsThenAlnum { n, x, .. } => usize::from(n) + usize::from(x),
    }
}

#[test]
fn gs1_parsing_agrees_with_biip() {
    let Some(py) = python("biip", "import biip", false) else {
        return;
    };
    let out = run(&py, &[script("crosscheck_gs1.py").to_str().unwrap()], None);
    let year = i32::try_from(out["current_year"].as_i64().unwrap()).unwrap();
    let rows = out["rows"].as_array().unwrap();
    let mut failures = Vec::new();
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for row in rows {
        let kind = row["kind"].as_str().unwrap();
        let input = row["input"].as_str().unwrap();
        let ok = row["ok"].as_bool().unwrap();
        let want = &row["expect"];
        *counts.entry(kind.to_owned()).or_default() += 1;
        let got: Result<Value, String> = match kind {
            "gtin" => Gtin::parse(input).map(|g| {
                json!({"gtin14": g.gtin14(), "format": format_number(g.format()), "check_digit": g.check_digit()})
            }).map_err(|e| e.to_string()),
            "sscc" => Sscc::parse(input)
                .map(|s| json!({"extension_digit": s.extension_digit(), "check_digit": s.check_digit()}))
                .map_err(|e| e.to_string()),
            "element_string" => Gs1Message::parse(input)
                .map(|m| json!({"elements": describe(&m, year), "hri": m.hri(), "raw": m.raw()}))
                .map_err(|e| e.to_string()),
            "digital_link" => DigitalLink::parse(input)
                .map(|d| {
                    json!({"elements": describe(d.message(), year), "canonical": d.canonical(), "raw": d.message().raw()})
                })
                .map_err(|e| e.to_string()),
            "ai" => match ai_spec(input) {
                Some(spec) => {
                    let f = want["format"].as_str().unwrap();
                    if is_predefined_length(input) == want["separator_required"].as_bool().unwrap() {
                        Err(format!("separator: ours predefined={}", is_predefined_length(input)))
                    } else if our_max_len(spec.format) != biip_max_len(f) {
                        Err(format!("max length {} against biip's {f}", our_max_len(spec.format)))
                    } else {
                        Ok(want.clone())
                    }
                }
                None => Err("not in our table".into()),
            },
            other => panic!("unknown kind {other}"),
        };
        match (ok, got) {
            (true, Ok(v)) if &v == want => {}
            (false, Err(_)) => {}
            (true, Ok(v)) => failures.push(format!("{kind} {input:?}: ours {v}, biip {want}")),
            (true, Err(e)) => failures.push(format!(
                "{kind} {input:?}: we refuse ({e}), biip reads {want}"
            )),
            (false, Ok(v)) => failures.push(format!("{kind} {input:?}: we read {v}, biip refuses")),
        }
    }
    println!("packages: {}; rows: {counts:?}", out["packages"]);
    assert!(rows.len() > 900, "only {} rows", rows.len());
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn values() -> Vec<HandleValue> {
    let admin = AdminRecord {
        handle: "0.NA/88.101.5".into(),
        index: 200,
        permissions: AdminPermissions::parse("011111110011").unwrap(),
    };
    let mut a = HandleValue::new(100, "HS_ADMIN", admin.encode()).unwrap();
    a.timestamp = 955_406_506;
    a.permissions = Permissions::from_octet(0x0c);
    let mut url =
        HandleValue::new(1, "URL", b"https://iir.example.cn/88.101.5/abc".to_vec()).unwrap();
    url.timestamp = 1_006_359_695;
    let mut bin = HandleValue::new(2, "BLOB", vec![0, 1, 2, 0xfe, 0xff]).unwrap();
    bin.ttl_type = TtlType::Absolute;
    bin.ttl = 4_000_000_000;
    bin.references = vec![
        ValueReference {
            handle: "88.101.5/part-1".into(),
            index: 1,
        },
        ValueReference {
            handle: "86.1000.12/零件".into(),
            index: 2_147_483_647,
        },
    ];
    let text = HandleValue::new(2000, "产品名称", "离心泵 ZB-200".as_bytes().to_vec()).unwrap();
    vec![a, url, bin, text]
}

fn value_json(v: &HandleValue) -> Value {
    json!({
        "index": v.index, "timestamp": v.timestamp, "ttl_type": v.ttl_type.octet(), "ttl": v.ttl,
        "permissions": v.permissions.octet(), "type": v.value_type,
        "data": v.data.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        "references": v.references.iter().map(|r| json!({"handle": r.handle, "index": r.index})).collect::<Vec<_>>(),
    })
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn handle_protocol_agrees_with_an_independent_python_implementation() {
    let Some(py) = python(
        "the RFC 3652 client",
        "import struct, hashlib, socket",
        true,
    ) else {
        return;
    };
    let client = script("handle_client.py");
    let client = client.to_str().unwrap();
    // Python-encoded requests, decoded here.
    let cases = run(&py, &[client, "encode-requests"], None);
    let mut responses = Vec::new();
    for case in cases.as_array().unwrap() {
        let raw = unhex(case["hex"].as_str().unwrap());
        let req = proto::decode_request(&raw).expect("a Python request decodes");
        let RequestBody::Resolution(r) = &req.body else {
            panic!("not a resolution")
        };
        assert_eq!(r.handle, case["handle"].as_str().unwrap());
        assert_eq!(json!(r.indexes), case["indexes"]);
        assert_eq!(json!(r.types), case["types"]);
        assert_eq!(
            u64::from(req.envelope.request_id),
            case["request_id"].as_u64().unwrap()
        );
        assert_eq!(
            u64::from(req.header.op_flags),
            case["op_flags"].as_u64().unwrap()
        );
        assert_eq!((req.envelope.major, req.envelope.minor), (2, 10));
        assert_eq!(
            proto::encode_request(&req),
            raw,
            "re-encoding a Python request"
        );
        let digest = req
            .header
            .has(proto::flag::RRDG)
            .then(|| RequestDigest::of_request(&raw, proto::VERSION).unwrap());
        if let Some(d) = &digest {
            let hex: String = d.digest.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, case["digest"].as_str().unwrap());
        }
        // Rust-encoded responses, decoded there.
        let picked: Vec<HandleValue> = proto::select_values(r, &values()).cloned().collect();
        let resp = Response::resolution(&req, digest.clone(), &r.handle, values());
        let err = Response::error(
            &req,
            rc::HANDLE_NOT_FOUND,
            "未找到 handle not found",
            digest,
        );
        responses.push((case["hex"].clone(), resp, picked));
        responses.push((case["hex"].clone(), err, vec![]));
    }
    let input: Vec<Value> = responses
        .iter()
        .map(|(req_hex, resp, _)| {
            let hex: String = proto::encode_response(resp)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            json!({"hex": hex, "request_hex": req_hex})
        })
        .collect();
    let decoded = run(
        &py,
        &[client, "decode-responses"],
        Some(&Value::Array(input).to_string()),
    );
    for ((_, resp, _), got) in responses.iter().zip(decoded.as_array().unwrap()) {
        assert_eq!(
            got["responseCode"],
            json!(resp.header.response_code),
            "{got}"
        );
        assert_eq!(got["request_id"], json!(resp.envelope.request_id));
        assert_eq!(got["version"], json!([2, 10]));
        match &resp.body {
            proto::ResponseBody::Resolution(r) => {
                assert_eq!(got["handle"], json!(r.handle));
                let want: Vec<Value> = r.values.iter().map(value_json).collect();
                assert_eq!(got["values"], json!(want));
            }
            proto::ResponseBody::Error { message } => assert_eq!(got["message"], json!(message)),
            proto::ResponseBody::Other(_) => unreachable!(),
        }
        if resp.digest.is_some() {
            assert_eq!(got["digest_algorithm"], json!(3));
            assert_eq!(got["digest_ok"], json!(true), "{got}");
        } else {
            assert!(got.get("digest_algorithm").is_none());
        }
    }
    // Filtering as the server will: by index or type.
    let filtered: Vec<u32> = responses[2].2.iter().map(|v| v.index).collect();
    assert_eq!(filtered, vec![100, 1, 2]);
    println!(
        "{} requests and {} responses agree",
        cases.as_array().unwrap().len(),
        responses.len()
    );
}

/// Answers one resolution request with the values it asks for.
fn answer(raw: &[u8]) -> Vec<u8> {
    let req = proto::decode_request(raw).expect("request");
    let RequestBody::Resolution(r) = &req.body else {
        panic!("not a resolution")
    };
    if r.handle != "88.101.5/abc" {
        return proto::encode_response(&Response::error(
            &req,
            rc::HANDLE_NOT_FOUND,
            "handle not found",
            None,
        ));
    }
    let mut all = values();
    // A value large enough to need several UDP datagrams.
    all.push(HandleValue::new(3, "DESC", "x".repeat(1500).into_bytes()).unwrap());
    let picked = proto::select_values(r, &all).cloned().collect();
    proto::encode_response(&Response::resolution(&req, None, &r.handle, picked))
}

#[test]
fn python_client_resolves_over_udp_and_tcp() {
    let Some(py) = python(
        "the RFC 3652 client",
        "import struct, hashlib, socket",
        true,
    ) else {
        return;
    };
    let client = script("handle_client.py");
    let client = client.to_str().unwrap();

    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let udp_addr = udp.local_addr().unwrap();
    let udp_server = std::thread::spawn(move || {
        for _ in 0..2 {
            let mut buf = [0u8; 2048];
            let (n, peer) = udp.recv_from(&mut buf).unwrap();
            for d in proto::udp_datagrams(&answer(&buf[..n])) {
                udp.send_to(&d, peer).unwrap();
            }
        }
    });
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp_addr = tcp.local_addr().unwrap();
    let tcp_server = std::thread::spawn(move || {
        let (mut s, _) = tcp.accept().unwrap();
        let mut env = [0u8; proto::ENVELOPE_LEN];
        s.read_exact(&mut env).unwrap();
        let e = proto::Envelope::decode(&env).unwrap();
        let mut rest = vec![0u8; e.message_length as usize];
        s.read_exact(&mut rest).unwrap();
        let mut whole = env.to_vec();
        whole.extend_from_slice(&rest);
        s.write_all(&answer(&whole)).unwrap();
    });

    let all = run(
        &py,
        &[client, "--udp", &udp_addr.to_string(), "88.101.5/abc"],
        None,
    );
    assert_eq!(all["responseCode"], json!(1));
    let types: Vec<&str> = all["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["HS_ADMIN", "URL", "BLOB", "产品名称", "DESC"]);
    assert_eq!(all["values"][3]["data"], json!("离心泵 ZB-200"));
    assert_eq!(all["values"][4]["data"].as_str().unwrap().len(), 1500);
    let missing = run(
        &py,
        &[client, "--udp", &udp_addr.to_string(), "88.101.5/none"],
        None,
    );
    assert_eq!(
        missing,
        json!({"responseCode": 100, "message": "handle not found"})
    );
    let url = run(
        &py,
        &[
            client,
            "--tcp",
            &tcp_addr.to_string(),
            "88.101.5/abc",
            "--type",
            "URL",
        ],
        None,
    );
    assert_eq!(url["values"].as_array().unwrap().len(), 1);
    assert_eq!(
        url["values"][0]["data"],
        json!("https://iir.example.cn/88.101.5/abc")
    );
    udp_server.join().unwrap();
    tcp_server.join().unwrap();
}

/// One carrier, what zxing-cpp must read from its PNG: the text, the symbology
/// identifier, the content type, and for GS1 the raw element string.
struct Decode {
    name: &'static str,
    carrier: Carrier,
    text: String,
    symbology: &'static str,
    content_type: &'static str,
    raw: Option<String>,
    /// What a scanner transmits (ISO/IEC 15424): the symbology identifier with its ECI
    /// modifier, an ECI designator as `\\nnnnnn`, the data bytes as encoded.
    transmitted: Vec<u8>,
}

fn carrier_cases() -> Vec<Decode> {
    let handle = Handle::parse("88.101.5/A-1 零件/批次#7").unwrap();
    let url = Carrier::handle_url(Symbology::Qr, "https://iir.example.cn/r/", &handle).unwrap();
    let chinese = "工业互联网标识解析 88.101.5/零件-001";
    let gs1 = Gs1Message::parse("(01)09506000134352(10)AB%1(21)12345(17)180426").unwrap();
    let gs1_lower = Gs1Message::parse("(01)04006381333931(10)lot-a/b%(21)x1y2").unwrap();
    let dm_gs1 = Gs1Message::parse("(01)04006381333931(10)ABC123(21)XYZ(17)251231").unwrap();
    let dl = Carrier::digital_link(Symbology::Qr, &gs1, Some("https://id.example.cn/gs1"))
        .unwrap()
        .with_ec_level(QrEcLevel::H);
    let dl_text = dl.payload.clone();
    let url_text = url.payload.clone();
    // zxing-cpp 3.1.1 keeps the base identifier (`]Q1`, `]d1`) in `symbology_identifier`
    // and shows an ECI only in what it would transmit (`]Q2\000026…`).
    let utf8 = |prefix: &str, text: &str| [prefix.as_bytes(), text.as_bytes()].concat();
    let text = |name, carrier: Carrier, symbology: &'static str, sent: &str| {
        let text = carrier.payload.clone();
        Decode {
            name,
            transmitted: utf8(sent, &text),
            carrier,
            text,
            symbology,
            content_type: "Text",
            raw: None,
        }
    };
    let gs1_case = |name, symbology_id, symbology, m: &Gs1Message| Decode {
        name,
        carrier: Carrier::gs1(symbology, m),
        text: m.hri(),
        symbology: symbology_id,
        content_type: "GS1",
        raw: Some(m.raw()),
        transmitted: utf8(symbology_id, &m.raw()),
    };
    vec![
        Decode {
            text: url_text.clone(),
            transmitted: utf8("]Q1", &url_text),
            ..text("qr_resolution_url", url, "]Q1", "")
        },
        text(
            "qr_chinese_eci_utf8",
            Carrier::new(Symbology::Qr, chinese),
            "]Q1",
            "]Q2\\000026",
        ),
        gs1_case("qr_gs1", "]Q3", Symbology::Qr, &gs1),
        gs1_case("qr_gs1_byte_segments", "]Q3", Symbology::Qr, &gs1_lower),
        Decode {
            text: dl_text.clone(),
            transmitted: utf8("]Q1", &dl_text),
            ..text("qr_digital_link_level_h", dl, "]Q1", "")
        },
        text(
            "qr_two_pixel_modules",
            Carrier::new(Symbology::Qr, "https://iir.example.cn/88.101.5/abc").with_module_px(2),
            "]Q1",
            "]Q1",
        ),
        text(
            "dm_text",
            Carrier::new(Symbology::DataMatrix, "88.101.5/ABC-123"),
            "]d1",
            "]d1",
        ),
        Decode {
            // ISO 8859-1, the symbology's default character set: no ECI.
            transmitted: b"]d1Pr\xfcfnummer 42 \xb0C".to_vec(),
            ..text(
                "dm_latin1",
                Carrier::new(Symbology::DataMatrix, "Prüfnummer 42 °C"),
                "]d1",
                "",
            )
        },
        text(
            "dm_chinese_eci_utf8",
            Carrier::new(Symbology::DataMatrix, chinese),
            "]d1",
            "]d4\\000026",
        ),
        text(
            "dm_rectangle",
            Carrier::new(Symbology::DataMatrix, "88.1/R1").with_shape(DataMatrixShape::Rectangle),
            "]d1",
            "]d1",
        ),
        gs1_case("dm_gs1", "]d2", Symbology::DataMatrix, &dm_gs1),
        gs1_case(
            "dm_gs1_digital_link_keys",
            "]d2",
            Symbology::DataMatrix,
            &gs1,
        ),
    ]
}

#[test]
fn carriers_decode_with_zxing_cpp() {
    let Some(py) = python(
        "zxing-cpp",
        "import zxingcpp, PIL; from importlib.metadata import version; \
         assert version('zxing-cpp') == '3.1.1'",
        false,
    ) else {
        return;
    };
    use base64::Engine as _;
    let cases = carrier_cases();
    let mut input = Vec::new();
    for c in &cases {
        let png = c
            .carrier
            .png()
            .unwrap_or_else(|e| panic!("{}: {e}", c.name));
        input.push(json!({
            "name": c.name,
            "png": base64::engine::general_purpose::STANDARD.encode(png),
        }));
    }
    let out = run(
        &py,
        &[script("crosscheck_carrier.py").to_str().unwrap()],
        Some(&Value::Array(input).to_string()),
    );
    let mut failures = Vec::new();
    for (c, got) in cases.iter().zip(out.as_array().unwrap()) {
        let symbol = c.carrier.encode().unwrap();
        let quiet = c.carrier.quiet_zone_modules().unwrap() as usize;
        let px = c.carrier.module_px as usize;
        let want_size = json!([
            (symbol.width() + 2 * quiet) * px,
            (symbol.height() + 2 * quiet) * px
        ]);
        let barcodes = got["barcodes"].as_array().unwrap();
        let [b] = barcodes.as_slice() else {
            failures.push(format!("{}: {} codes read", c.name, barcodes.len()));
            continue;
        };
        println!("{}: {b}", c.name);
        let format = match c.carrier.symbology {
            Symbology::Qr => "QRCode",
            Symbology::DataMatrix => "DataMatrix",
        };
        let mut check = |what: &str, got: &Value, want: Value| {
            if *got != want {
                failures.push(format!("{}: {what} {got}, expected {want}", c.name));
            }
        };
        check("image size", &got["size"], want_size);
        check("image mode", &got["mode"], json!("1"));
        check("format", &b["format"], json!(format));
        check("valid", &b["valid"], json!(true));
        check("text", &b["text"], json!(c.text));
        check("symbology", &b["symbology_identifier"], json!(c.symbology));
        check("content type", &b["content_type"], json!(c.content_type));
        check(
            "transmitted",
            &got["transmitted"],
            json!([hex(&c.transmitted)]),
        );
        if let Some(raw) = &c.raw {
            check("bytes", &b["bytes"], json!(hex(raw.as_bytes())));
        }
        if c.carrier.symbology == Symbology::Qr {
            let level = format!("{:?}", c.carrier.ec_level);
            check("QR level", &b["ec_level"], json!(level));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
