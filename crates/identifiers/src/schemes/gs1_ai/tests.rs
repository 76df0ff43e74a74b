use super::*;

#[test]
fn reads_the_digital_link_example_in_both_forms() {
    let hri = Gs1Message::parse("(01)07032069804988(10)0329(15)210526").expect("hri");
    let raw = Gs1Message::parse("0107032069804988100329\u{1d}15210526").expect("raw");
    assert_eq!(hri, raw);
    assert_eq!(raw.get("10"), Some("0329"));
    assert_eq!(raw.raw(), "0107032069804988100329\u{1d}15210526");
    assert_eq!(raw.hri(), "(01)07032069804988(10)0329(15)210526");
}

#[test]
fn reads_raw_strings_with_symbology_identifiers_and_separators() {
    for s in [
        "]C1010950600013435210ABC\u{1d}2112345\u{1d}17180426",
        "]d2010950600013435210ABC\u{1d}2112345\u{1d}17180426",
        "\u{1d}010950600013435210ABC\u{1d}2112345\u{1d}17180426",
        "010950600013435210ABC\u{1d}2112345\u{1d}17180426\u{1d}",
    ] {
        let m = Gs1Message::parse(s).expect(s);
        assert_eq!(
            m.hri(),
            "(01)09506000134352(10)ABC(21)12345(17)180426",
            "{s:?}"
        );
    }
    // A fixed-length element needs no separator; one after it is tolerated.
    let m = Gs1Message::parse("0010614141123456789715210526\u{1d}3103000195").expect("sscc");
    assert_eq!(m.get("00"), Some("106141411234567897"));
    assert_eq!(m.elements[2].decimal().as_deref(), Some("0.195"));
}

#[test]
fn checks_every_kind_of_field() {
    let ok = [
        ("00", "376130321109103420"),
        ("02", "10614141123459"),
        ("11", "240229"),
        ("17", "251100"),
        ("20", "07"),
        ("30", "12345678"),
        ("37", "1"),
        ("240", "A-1/2"),
        ("253", "4000001000005ABC"),
        ("253", "4000001000005"),
        ("3205", "001250"),
        ("402", "00614141000000014"),
        ("414", "0614141000012"),
        ("421", "528ZIP1"),
        ("7003", "2512312359"),
        ("8003", "00614141000012SERIAL"),
        ("8004", "ABC-123"),
        ("91", "x"),
    ];
    for (ai, v) in ok {
        assert!(
            ElementString::new(ai, v).is_ok(),
            "({ai}){v}: {:?}",
            ElementString::new(ai, v)
        );
    }
    let long = "x".repeat(91);
    let bad = [
        ("01", "09506000134353"),
        ("01", "0950600013435"),
        ("00", "106141411234567898"),
        ("10", ""),
        ("10", "123456789012345678901"),
        ("10", "AB C"),
        ("10", "批次"),
        ("11", "241301"),
        ("11", "230229"),
        ("17", "250431"),
        ("3106", "000100"),
        ("37", "123456789"),
        ("402", "00614141000000012"),
        ("414", "0614141000013"),
        ("421", "528"),
        ("7003", "2512312460"),
        ("8003", "10614141000012"),
        ("8003", "00614141000013"),
        ("253", "400000100000"),
        ("99", long.as_str()),
        ("7777", "1"),
    ];
    for (ai, v) in bad {
        assert!(ElementString::new(ai, v).is_err(), "({ai}){v}");
    }
}

#[test]
fn reads_measure_decimals_and_dates() {
    let d = |ai: &str, v: &str| ElementString::new(ai, v).expect("el").decimal();
    assert_eq!(d("3100", "001000").as_deref(), Some("1000"));
    assert_eq!(d("3102", "001000").as_deref(), Some("10"));
    assert_eq!(d("3155", "123450").as_deref(), Some("1.2345"));
    assert_eq!(d("3105", "000000").as_deref(), Some("0"));
    assert_eq!(d("10", "1"), None);
    let e = ElementString::new("17", "180426").expect("date");
    assert_eq!(e.date(2026), Some((2018, 4, 26)));
    let e = ElementString::new("17", "990101").expect("date");
    assert_eq!(e.date(2026), Some((1999, 1, 1)));
    let e = ElementString::new("17", "760101").expect("date");
    assert_eq!(e.date(2026), Some((2076, 1, 1)));
    let e = ElementString::new("17", "770101").expect("date");
    assert_eq!(e.date(2026), Some((1977, 1, 1)));
}

#[test]
fn rejects_malformed_element_strings() {
    for s in [
        "",
        "(01)",
        "(01)0950600013435",
        "(01)09506000134352(10)",
        "(7777)1",
        "01)09506000134352",
        "(01 09506000134352",
        "0109506000134352\u{1d}\u{1d}10A",
        "77771",
        "010950600013435",
        "0109506000134352100329\u{1d}0109506000134352",
        "10ABC\u{1d}10ABD",
        "(10)A(10)A",
    ] {
        assert!(Gs1Message::parse(s).is_err(), "{s:?}");
    }
    let long = format!("10{}", "A".repeat(MAX_ELEMENT_STRING_LEN));
    assert!(matches!(
        Gs1Message::parse(&long),
        Err(SchemeError::TooLong { .. })
    ));
}

#[test]
fn the_table_covers_the_identifiers_asked_for() {
    for ai in [
        "00", "01", "02", "10", "11", "13", "15", "17", "21", "22", "30", "37", "240", "241",
        "250", "251", "253", "254", "3100", "3105", "3110", "3125", "3130", "3145", "3150", "3165",
        "3200", "3205", "400", "401", "402", "410", "411", "412", "413", "414", "415", "420",
        "421", "8003", "8004",
    ] {
        assert!(ai_spec(ai).is_some(), "{ai}");
    }
    assert!(ai_spec("3106").is_none());
    assert!(ai_spec("310").is_none());
    assert!(ai_spec("0").is_none());
    assert!(ai_spec("01x").is_none());
}
