use super::*;

fn canon(s: &str) -> (Scheme, String) {
    let d = detect(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
    (d.scheme(), d.canonical())
}

#[test]
fn detects_each_scheme() {
    let cases = [
        (
            "https://id.gs1.org/01/09506000134352/10/ABC/21/12345?17=180426",
            Scheme::Gs1,
            "https://id.gs1.org/01/09506000134352/10/ABC/21/12345?17=180426",
        ),
        (
            "https://www.example.com/products/01/07032069804988?10=0329&15=210526",
            Scheme::Gs1,
            "https://id.gs1.org/01/07032069804988/10/0329?15=210526",
        ),
        ("17251231101234", Scheme::Gs1, "(17)251231(10)1234"),
        (
            "https://id.example.cn/88.101.5/abc",
            Scheme::Handle,
            "88.101.5/abc",
        ),
        (
            "https://hdl.handle.net/api/handles/4263537/4000?type=URL",
            Scheme::Handle,
            "4263537/4000",
        ),
        (
            "http://iir.example.com/r/86.1000.12/x%2Fy",
            Scheme::Handle,
            "86.1000.12/x/y",
        ),
        ("88.101.5/abc", Scheme::Handle, "88.101.5/abc"),
        ("hdl:86.1000.12/x", Scheme::Handle, "86.1000.12/x"),
        ("0.na/88.101.5", Scheme::Handle, "0.NA/88.101.5"),
        ("4006381333931", Scheme::Gs1, "04006381333931"),
        ("6291041500213\r\n", Scheme::Gs1, "06291041500213"),
        ("106141411234567897", Scheme::Gs1, "106141411234567897"),
        ("376130321109103420", Scheme::Gs1, "376130321109103420"),
        (
            "(01)09506000134352(10)ABC",
            Scheme::Gs1,
            "(01)09506000134352(10)ABC",
        ),
        (
            "]C10107032069804988100329\u{1d}15210526",
            Scheme::Gs1,
            "(01)07032069804988(10)0329(15)210526",
        ),
        (
            "0107032069804988100329",
            Scheme::Gs1,
            "(01)07032069804988(10)0329",
        ),
        (
            "urn:oid:1.2.156.10197.1.301",
            Scheme::Oid,
            "1.2.156.10197.1.301",
        ),
        ("2.16.156", Scheme::Oid, "2.16.156"),
        (
            "ecode:10001123456789",
            Scheme::Ecode,
            "ecode:10001123456789",
        ),
        ("VAA.1/x", Scheme::Handle, "VAA.1/x"),
        ("(10)A(B", Scheme::Gs1, "]C110A(B"),
        ("VAA12345ABC-0001", Scheme::Vaa, "VAA12345ABC-0001"),
        ("25SVAA12345ABC", Scheme::Vaa, "VAA12345ABC"),
    ];
    for (s, scheme, canonical) in cases {
        assert_eq!(canon(s), (scheme, canonical.to_owned()), "{s:?}");
    }
}

#[test]
fn reports_why_a_string_is_not_an_identifier() {
    let cases: [(&str, &str); 13] = [
        ("", "identifier_length"),
        ("   ", "identifier_length"),
        ("4006381333932", "identifier_gs1_key"),
        ("106141411234567898", "identifier_gs1_key"),
        (
            "https://id.gs1.org/01/09506000134353",
            "identifier_gs1_element_string",
        ),
        ("https://example.com/about/us", "identifier_resolution_url"),
        ("https:///88.1/x", "identifier_resolution_url"),
        ("1.40.3", "identifier_oid"),
        ("88.101.5/", "identifier_handle"),
        ("VAAabc", "identifier_vaa"),
        ("ecode:9", "identifier_ecode"),
        ("hello world", "identifier_unrecognised"),
        ("(99", "identifier_gs1_element_string"),
    ];
    for (s, code) in cases {
        assert_eq!(detect(s).map_err(|e| e.code()), Err(code), "{s:?}");
    }
    let huge = "1".repeat(MAX_DETECT_LEN + 1);
    assert!(matches!(detect(&huge), Err(SchemeError::TooLong { .. })));
}

#[test]
fn hostile_strings_do_not_panic() {
    let samples = [
        "(",
        ")",
        "((",
        "()",
        "(01",
        "(01)",
        "]",
        "]C1",
        "\u{1d}",
        "\u{1d}\u{1d}",
        "%",
        "https://",
        "https://a/%",
        "https://a/01/%E4",
        "https://a/01/1?%=%",
        "hdl:/",
        "urn:oid:.",
        "ecode:0",
        "25S",
        "VAA-",
        "3103",
        "31",
        "8003",
        "(3103)",
        "０１",
        "\u{0}",
        "𝟘𝟙",
        "https://a/01/x/10",
    ];
    for s in samples {
        let _ = detect(s);
    }
    // Every prefix of valid inputs, cut at any char boundary.
    for s in [
        "https://id.gs1.org/01/09506000134352/10/ABC/21/12345?17=180426",
        "]C10107032069804988100329\u{1d}15210526(01)",
        "(8003)00614141000012SERIAL(421)528ZIP1",
    ] {
        for (i, _) in s.char_indices() {
            let _ = detect(&s[..i]);
        }
    }
}
