use super::*;
use serde_json::json;

/// CNRI `hdlproxy-9.0.0/REST-API.txt`, `GET /api/handles/4263537/4000`, verbatim.
const REST_API_EXAMPLE: &str = r#"{"responseCode":1,"handle":"4263537/4000","values":[{"index":100,"type":"HS_ADMIN","data":{"format":"admin","value":{"handle":"0.NA/4263537","index":200,"permissions":"011111111111"}},"ttl":86400,"timestamp":"2000-04-10T22:41:46Z"},{"index":1,"type":"URL","data":{"format":"string","value":"http://www.handle.net/index.html"},"ttl":86400,"timestamp":"2001-11-21T16:21:35Z"},{"index":2,"type":"EMAIL","data":{"format":"string","value":"hdladmin@cnri.reston.va.us"},"ttl":86400,"timestamp":"2000-04-10T22:41:46Z"}]}"#;

#[test]
fn parses_handles_with_any_prefix() {
    for (s, prefix, suffix) in [
        ("88.101.5/abc", "88.101.5", "abc"),
        ("86.1000.12/x", "86.1000.12", "x"),
        ("hdl:4263537/4000", "4263537", "4000"),
        ("HDL:0.NA/88.101.5", "0.NA", "88.101.5"),
        ("20.500.12345/a/b c", "20.500.12345", "a/b c"),
        ("88.608.8899/META_zj02", "88.608.8899", "META_zj02"),
        ("88.1000.2/零件-批次", "88.1000.2", "零件-批次"),
    ] {
        let h = Handle::parse(s).expect(s);
        assert_eq!((h.prefix(), h.suffix()), (prefix, suffix), "{s}");
    }
    let h = Handle::parse("0.na/X").expect("lower-case prefix");
    assert_eq!(h.canonical(), "0.NA/X");
    assert_eq!(
        Handle::new("88.101.5", "abc").expect("parts").as_str(),
        "88.101.5/abc"
    );
}

#[test]
fn rejects_malformed_handles() {
    let long_prefix = format!("{}/x", "1".repeat(256));
    let long_suffix = format!("88.1/{}", "x".repeat(1025));
    for (s, code) in [
        ("", HandleError::Empty),
        ("hdl:", HandleError::Empty),
        ("88.101.5", HandleError::NoSlash),
        ("/abc", HandleError::EmptyPrefix),
        ("88.101.5/", HandleError::EmptySuffix),
        ("88..5/x", HandleError::BadPrefixSegment(String::new())),
        ("88.1 0/x", HandleError::BadPrefixSegment("1 0".into())),
        ("88.101/a\u{0}b", HandleError::ControlInSuffix(0)),
        ("88.101/a\nb", HandleError::ControlInSuffix(10)),
        (long_prefix.as_str(), HandleError::PrefixTooLong(256)),
        (long_suffix.as_str(), HandleError::SuffixTooLong(1025)),
    ] {
        assert_eq!(Handle::parse(s), Err(code), "{s:?}");
    }
}

#[test]
fn value_indices_zero_and_above_2_pow_31_are_rejected() {
    assert!(HandleValue::new(1, "URL", b"x".to_vec()).is_ok());
    assert!(HandleValue::new(MAX_INDEX, "URL", vec![]).is_ok());
    assert_eq!(
        HandleValue::new(0, "URL", vec![]),
        Err(HandleError::BadIndex(0))
    );
    assert_eq!(
        HandleValue::new(1 << 31, "URL", vec![]),
        Err(HandleError::BadIndex(1 << 31))
    );
    assert!(HandleValue::new(1, "A\u{7}", vec![]).is_err());
    assert!(HandleValue::new(1, "URL", vec![0; MAX_DATA_LEN + 1]).is_err());
}

#[test]
fn recognises_reserved_types_and_type_filters() {
    let v = HandleValue::new(100, "HS_ADMIN", vec![]).expect("value");
    assert!(v.is_reserved_type());
    assert_eq!(v.reserved_type(), Some(ReservedType::Admin));
    assert_eq!(ReservedType::SitePrefix.name(), "HS_SITE.PREFIX");
    let url = HandleValue::new(1, "URL.alt", vec![]).expect("value");
    assert!(url.matches_type("url.alt"));
    assert!(url.matches_type("URL."));
    assert!(!url.matches_type("URL"));
    let plain = HandleValue::new(1, "URL", vec![]).expect("value");
    assert!(plain.matches_type("URL."));
    assert!(!plain.matches_type("URLX"));
    assert!(
        !HandleValue::new(1, "URLX", vec![])
            .expect("v")
            .matches_type("URL.")
    );
}

#[test]
fn permissions_octet_round_trips() {
    for b in 0..16u8 {
        assert_eq!(Permissions::from_octet(b).octet(), b);
    }
    assert_eq!(Permissions::default().octet(), 0x0e);
}

#[test]
fn admin_permissions_follow_cnri_bit_order() {
    let p = AdminPermissions::parse("011111110011").expect("perms");
    assert_eq!(
        p.0 & AdminPermissions::ADD_HANDLE,
        AdminPermissions::ADD_HANDLE
    );
    assert_eq!(p.0 & AdminPermissions::ADD_DERIVED_PREFIX, 0);
    assert_eq!(p.0 & AdminPermissions::LIST_HANDLES, 0);
    assert_eq!(
        p.0 & AdminPermissions::READ_VALUE,
        AdminPermissions::READ_VALUE
    );
    assert_eq!(p.to_string(), "011111110011");
    assert_eq!(AdminPermissions::parse("*").expect("all").0, 0x0fff);
    assert_eq!(AdminPermissions::parse("11").expect("short").0, 0x0003);
    for bad in ["", "0111111100112", "01x1", " 1"] {
        assert!(AdminPermissions::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn admin_and_vlist_data_round_trip_and_reject_hostile_lengths() {
    let rec = AdminRecord {
        handle: "0.NA/4263537".into(),
        index: 200,
        permissions: AdminPermissions(0x07ff),
    };
    let bytes = rec.encode();
    assert_eq!(&bytes[..6], &[0x07, 0xff, 0, 0, 0, 12]);
    assert_eq!(AdminRecord::decode(&bytes), Ok(rec));
    assert!(AdminRecord::decode(&[0, 1, 0xff, 0xff, 0xff, 0xff]).is_err());
    assert!(AdminRecord::decode(&bytes[..bytes.len() - 1]).is_err());
    let mut long = bytes.clone();
    long.push(0);
    assert!(AdminRecord::decode(&long).is_err());

    let refs = vec![
        ValueReference {
            handle: "88.1/a".into(),
            index: 300,
        },
        ValueReference {
            handle: "88.1/b".into(),
            index: 301,
        },
    ];
    assert_eq!(decode_vlist(&encode_vlist(&refs)), Ok(refs));
    assert!(decode_vlist(&[0xff, 0xff, 0xff, 0xff]).is_err());
    assert!(decode_vlist(&[0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]).is_err());
    assert!(decode_vlist(&[]).is_err());
}

#[test]
fn rest_api_example_reads_and_writes_back_byte_for_byte() {
    let rec: HandleRecordJson = serde_json::from_str(REST_API_EXAMPLE).expect("golden");
    assert_eq!(rec.response_code, 1);
    assert_eq!(rec.handle, "4263537/4000");
    let admin = &rec.values[0];
    assert_eq!(admin.index, 100);
    assert_eq!(admin.reserved_type(), Some(ReservedType::Admin));
    let ar = AdminRecord::decode(&admin.data).expect("admin data");
    assert_eq!(ar.handle, "0.NA/4263537");
    assert_eq!(ar.index, 200);
    assert_eq!(ar.permissions.0, 0x07ff);
    let url = &rec.values[1];
    assert_eq!(url.data_str(), Some("http://www.handle.net/index.html"));
    assert_eq!(url.timestamp, 0x3BFB_D48F);
    assert_eq!((url.ttl_type, url.ttl), (TtlType::Relative, 86_400));
    assert_eq!(url.permissions, Permissions::default());
    assert_eq!(
        serde_json::to_string(&rec).expect("serialise"),
        REST_API_EXAMPLE
    );
}

#[test]
fn reads_what_pyhandle_sends() {
    // A bare string as data, and HS_ADMIN with its index as a string.
    let v: HandleValue =
        serde_json::from_value(json!({"index": 2, "type": "FOO", "data": "foo"})).expect("bare");
    assert_eq!(v.data, b"foo");
    assert_eq!(v.ttl, HandleValue::DEFAULT_TTL);
    let admin: HandleValue = serde_json::from_value(json!({
        "index": 100, "type": "HS_ADMIN",
        "data": {"format": "admin", "value": {"index": "200", "handle": "0.NA/88.101.5", "permissions": "011111110011"}}
    }))
    .expect("admin");
    let ar = AdminRecord::decode(&admin.data).expect("record");
    assert_eq!(
        (ar.index, ar.permissions.to_string().as_str()),
        (200, "011111110011")
    );
    let back = admin.to_rest_json();
    assert_eq!(back["data"]["value"]["index"], json!(200));
    assert_eq!(back["data"]["format"], json!("admin"));
}

#[test]
fn writes_binary_absolute_ttl_permissions_and_references() {
    let mut v = HandleValue::new(7, "BLOB", vec![0, 1, 2, 0xff]).expect("value");
    v.ttl_type = TtlType::Absolute;
    v.ttl = 0x3BFB_D48F;
    v.permissions.public_read = false;
    v.references.push(ValueReference {
        handle: "88.1/x".into(),
        index: 1,
    });
    let j = v.to_rest_json();
    assert_eq!(
        j,
        json!({"index": 7, "type": "BLOB", "data": {"format": "base64", "value": "AAEC/w=="},
               "permissions": "1100", "ttl": "2001-11-21T16:21:35Z",
               "references": [{"handle": "88.1/x", "index": 1}]})
    );
    assert_eq!(HandleValue::from_rest_json(&j), Ok(v));
    let hex: HandleValue = serde_json::from_value(
        json!({"index": 3, "type": "X", "data": {"format": "HEX", "value": "00ff10"}}),
    )
    .expect("hex");
    assert_eq!(hex.data, vec![0, 0xff, 0x10]);
    let vl: HandleValue = serde_json::from_value(json!({"index": 4, "type": "HS_VLIST",
        "data": {"format": "vlist", "value": [{"handle": "88.1/a", "index": 300}]}}))
    .expect("vlist");
    assert_eq!(vl.to_rest_json()["data"]["format"], json!("vlist"));
}

#[test]
fn rejects_malformed_rest_values() {
    for bad in [
        json!(null),
        json!([]),
        json!({"type": "URL", "data": "x"}),
        json!({"index": 0, "type": "URL", "data": "x"}),
        json!({"index": 2147483648u64, "type": "URL", "data": "x"}),
        json!({"index": -1, "type": "URL", "data": "x"}),
        json!({"index": "1x", "type": "URL", "data": "x"}),
        json!({"index": 1, "data": "x"}),
        json!({"index": 1, "type": "URL"}),
        json!({"index": 1, "type": "URL", "data": 5}),
        json!({"index": 1, "type": "URL", "data": {"value": "x"}}),
        json!({"index": 1, "type": "URL", "data": {"format": "base64", "value": "!!"}}),
        json!({"index": 1, "type": "URL", "data": {"format": "hex", "value": "abc"}}),
        json!({"index": 1, "type": "URL", "data": {"format": "site", "value": {}}}),
        json!({"index": 1, "type": "URL", "data": {"format": "admin", "value": {"index": 1}}}),
        json!({"index": 1, "type": "URL", "data": "x", "ttl": -5}),
        json!({"index": 1, "type": "URL", "data": "x", "ttl": 1e3}),
        json!({"index": 1, "type": "URL", "data": "x", "timestamp": "yesterday"}),
        json!({"index": 1, "type": "URL", "data": "x", "permissions": "11111"}),
        json!({"index": 1, "type": "URL", "data": "x", "references": [{"index": 1}]}),
    ] {
        assert!(HandleValue::from_rest_json(&bad).is_err(), "{bad}");
    }
}
