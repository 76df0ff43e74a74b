use super::*;
use crate::handle::{AdminPermissions, AdminRecord, Permissions, TtlType, ValueReference};

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The research notes' request for `4263537/4000`: version 2.10 suggesting 2.11
/// (CNRI's packing), request id 0x1235, all values, no credential.
const REQUEST_4263537_4000: &str = "020a020b 00000000 00001235 00000000 00000034
    00000001 00000000 00000000 0000 00 00 00000000 00000018
    0000000c 343236333533372f34303030 00000000 00000000
    00000000";

/// The `URL` value at index 1 of `4263537/4000`, 61 bytes.
const URL_VALUE: &str = "00000001 3bfbd48f 00 00015180 0e 00000003 55524c 00000020
    687474703a2f2f7777772e68616e646c652e6e65742f696e6465782e68746d6c 00000000";

fn url_value() -> HandleValue {
    HandleValue {
        index: 1,
        value_type: "URL".into(),
        data: b"http://www.handle.net/index.html".to_vec(),
        ttl_type: TtlType::Relative,
        ttl: 86_400,
        timestamp: 0x3BFB_D48F,
        permissions: Permissions::default(),
        references: vec![],
    }
}

fn resolution(req: &Request) -> &ResolutionRequest {
    match &req.body {
        RequestBody::Resolution(r) => r,
        RequestBody::Other(_) => panic!("not a resolution request"),
    }
}

#[test]
fn decodes_the_reference_request_with_cnri_version_bits() {
    let raw = unhex(REQUEST_4263537_4000);
    let req = decode_request(&raw).expect("decode");
    let e = req.envelope;
    assert_eq!((e.major, e.minor), (2, 10));
    assert_eq!((e.suggest_major, e.suggest_minor), (2, 11));
    assert!(!e.compressed && !e.encrypted && !e.truncated);
    assert_eq!(e.request_id, 0x1235);
    assert_eq!(e.message_length, 0x34);
    assert_eq!(req.header.opcode, opcode::RESOLUTION);
    let r = resolution(&req);
    assert_eq!(r.handle, "4263537/4000");
    assert!(r.indexes.is_empty() && r.types.is_empty());
    assert!(req.credential.is_empty());
    // Encoding it again gives the same bytes.
    assert_eq!(encode_request(&req), raw);
}

#[test]
fn encodes_a_value_exactly_as_cnri() {
    let mut out = Vec::new();
    out.put_value(&url_value());
    assert_eq!(out, unhex(URL_VALUE));
    assert_eq!(out.len(), 61);
    assert_eq!(value_len(&url_value()), 61);
}

#[test]
fn envelope_without_suggested_version_suggests_its_own() {
    let mut raw = unhex(REQUEST_4263537_4000);
    raw[2] = 0;
    raw[3] = 0;
    let e = Envelope::decode(&raw).expect("envelope");
    assert_eq!((e.suggest_major, e.suggest_minor), (2, 10));
    // Reserved bits in octet 2 (below the three flags) are not an error.
    raw[2] = 0x1e;
    assert!(decode_request(&raw).is_ok());
    raw[2] = ENV_TRUNCATED;
    assert!(
        decode_request(&raw)
            .expect("truncated flag")
            .envelope
            .truncated
    );
    raw[2] = ENV_COMPRESSED;
    assert_eq!(decode_request(&raw), Err(ProtoError::Unsupported));
}

#[test]
fn tolerates_teleinfo_auth_bytes_after_the_type_list() {
    let mut req = resolution_request(7, "88.101.5/abc", &[1], &["URL"], 0);
    let mut encoded = encode_request(&req);
    // Append an int4-length byte array to the body, as the Teleinfo fork does.
    let extra = [0u8, 0, 0, 3, 0xaa, 0xbb, 0xcc];
    let cred_at = encoded.len() - 4;
    encoded.splice(cred_at..cred_at, extra);
    let body_len = u32::from_be_bytes(encoded[40..44].try_into().expect("4")) + 7;
    encoded[40..44].copy_from_slice(&body_len.to_be_bytes());
    let msg_len = u32::from_be_bytes(encoded[16..20].try_into().expect("4")) + 7;
    encoded[16..20].copy_from_slice(&msg_len.to_be_bytes());
    let got = decode_request(&encoded).expect("decode");
    assert_eq!(resolution(&got).ignored_trailing, 7);
    if let RequestBody::Resolution(r) = &mut req.body {
        r.ignored_trailing = 7;
    }
    req.header.body_length = body_len;
    req.envelope.message_length = msg_len;
    assert_eq!(got, req);
}

#[test]
fn accepts_a_message_without_credential_section() {
    let mut raw = unhex(REQUEST_4263537_4000);
    raw.truncate(raw.len() - 4);
    raw[19] -= 4;
    assert!(decode_request(&raw).is_ok());
}

#[test]
fn rejects_hostile_lengths_without_allocating() {
    let raw = unhex(REQUEST_4263537_4000);
    // Envelope length 2^32-1.
    let mut m = raw.clone();
    m[16..20].copy_from_slice(&[0xff; 4]);
    assert!(matches!(
        decode_request(&m),
        Err(ProtoError::MessageTooLong(..))
    ));
    // Body length 2^32-1.
    let mut m = raw.clone();
    m[40..44].copy_from_slice(&[0xff; 4]);
    assert!(matches!(
        decode_request(&m),
        Err(ProtoError::BodyLength { .. })
    ));
    // Handle length 2^32-1.
    let mut m = raw.clone();
    m[44..48].copy_from_slice(&[0xff; 4]);
    assert!(matches!(
        decode_request(&m),
        Err(ProtoError::TooMany { .. })
    ));
    // Handle length within the limit but past the body.
    let mut m = raw.clone();
    m[44..48].copy_from_slice(&[0, 0, 0x07, 0xff]);
    assert!(matches!(
        decode_request(&m),
        Err(ProtoError::Truncated { .. })
    ));
    // Index count 2^32-1 and 2047 (more than the body holds).
    for count in [[0xff; 4], [0, 0, 0x07, 0xff]] {
        let mut m = raw.clone();
        m[60..64].copy_from_slice(&count);
        assert!(decode_request(&m).is_err());
    }
    // Credential length 2^32-1.
    let mut m = raw.clone();
    let n = m.len();
    m[n - 4..].copy_from_slice(&[0xff; 4]);
    assert!(matches!(
        decode_request(&m),
        Err(ProtoError::Truncated { .. })
    ));
}

#[test]
fn rejects_malformed_messages() {
    let raw = unhex(REQUEST_4263537_4000);
    assert_eq!(decode_request(&[]), Err(ProtoError::ShortEnvelope(0)));
    assert_eq!(
        decode_request(&raw[..19]),
        Err(ProtoError::ShortEnvelope(19))
    );
    assert!(matches!(
        decode_request(&raw[..30]),
        Err(ProtoError::LengthMismatch { .. })
    ));
    let mut m = raw.clone();
    m.push(0);
    assert!(matches!(
        decode_request(&m),
        Err(ProtoError::LengthMismatch { .. })
    ));
    let mut m = raw.clone();
    m[0] = 5;
    assert_eq!(decode_request(&m), Err(ProtoError::Version(5)));
    let mut m = raw.clone();
    m[27] = 1; // response code 1
    assert!(matches!(
        decode_request(&m),
        Err(ProtoError::NotARequest { .. })
    ));
    let mut m = raw.clone();
    m[48] = 0xff; // invalid UTF-8 in the handle
    assert_eq!(decode_request(&m), Err(ProtoError::Utf8("handle")));
    // Bytes after the credential.
    let mut m = raw.clone();
    m.extend_from_slice(&[0, 0]);
    m[19] += 2;
    assert_eq!(decode_request(&m), Err(ProtoError::TrailingBytes(2)));
    // A short header.
    let mut m = raw[..30].to_vec();
    m[16..20].copy_from_slice(&10u32.to_be_bytes());
    assert_eq!(decode_request(&m), Err(ProtoError::ShortHeader(10)));
}

#[test]
fn other_operations_are_passed_through() {
    let req = Request {
        envelope: Envelope::new(9),
        header: Header {
            opcode: opcode::CREATE_HANDLE,
            ..Header::default()
        },
        body: RequestBody::Other(vec![1, 2, 3]),
        credential: vec![9, 9],
    };
    let got = decode_request(&encode_request(&req)).expect("decode");
    assert_eq!(got.body, RequestBody::Other(vec![1, 2, 3]));
    assert_eq!(got.credential, vec![9, 9]);
}

fn admin_value() -> HandleValue {
    let mut v = HandleValue::new(
        100,
        "HS_ADMIN",
        AdminRecord {
            handle: "0.NA/4263537".into(),
            index: 200,
            permissions: AdminPermissions(0x07ff),
        }
        .encode(),
    )
    .expect("value");
    v.timestamp = 955_406_506;
    v.permissions = Permissions::from_octet(0x0c);
    v.references.push(ValueReference {
        handle: "0.NA/4263537".into(),
        index: 300,
    });
    v
}

#[test]
fn responses_round_trip_with_and_without_digest() {
    let raw = unhex(REQUEST_4263537_4000);
    let req = decode_request(&raw).expect("request");
    let values = vec![admin_value(), url_value()];
    let resp = Response::resolution(&req, None, "4263537/4000", values.clone());
    let bytes = encode_response(&resp);
    let back = decode_response(&bytes).expect("response");
    assert_eq!(back.envelope.request_id, 0x1235);
    assert_eq!((back.envelope.major, back.envelope.minor), (2, 10));
    assert!(!back.header.has(flag::RRDG));
    match &back.body {
        ResponseBody::Resolution(r) => {
            assert_eq!(r.handle, "4263537/4000");
            assert_eq!(r.values, values);
        }
        other => panic!("{other:?}"),
    }

    for version in [(2, 10), (2, 5), (2, 0)] {
        let digest = RequestDigest::of_request(&raw, version).expect("digest");
        let resp = Response::resolution(&req, Some(digest.clone()), "4263537/4000", vec![]);
        let back = decode_response(&encode_response(&resp)).expect("response");
        assert!(back.header.has(flag::RRDG));
        assert_eq!(back.digest, Some(digest));
    }
    let d = RequestDigest::of_request(&raw, (2, 10)).expect("digest");
    assert_eq!(d.algorithm, DigestAlgorithm::Sha256);
    assert_eq!(d.digest.len(), 32);
}

#[test]
fn error_responses_carry_their_message() {
    let req = decode_request(&unhex(REQUEST_4263537_4000)).expect("request");
    let resp = Response::error(&req, rc::HANDLE_NOT_FOUND, "handle not found", None);
    let bytes = encode_response(&resp);
    let back = decode_response(&bytes).expect("decode");
    assert_eq!(back.header.response_code, rc::HANDLE_NOT_FOUND);
    assert_eq!(
        back.body,
        ResponseBody::Error {
            message: "handle not found".into()
        }
    );
    assert_eq!(
        back,
        Response {
            header: Header {
                body_length: 20,
                ..resp.header
            },
            envelope: Envelope {
                message_length: back.envelope.message_length,
                ..resp.envelope
            },
            ..resp
        }
    );
    assert_eq!(
        decode_request(&bytes).err().map(|e| e.code()),
        Some("handle_proto_kind")
    );
}

#[test]
fn replies_at_the_lower_version() {
    let mut raw = unhex(REQUEST_4263537_4000);
    raw[1] = 3;
    let req = decode_request(&raw).expect("request");
    let e = Envelope::reply_to(&req.envelope);
    assert_eq!(
        (e.major, e.minor, e.suggest_major, e.suggest_minor),
        (2, 3, 2, 10)
    );
    raw[1] = 11;
    let req = decode_request(&raw).expect("request");
    let e = Envelope::reply_to(&req.envelope);
    assert_eq!((e.major, e.minor), (2, 10));
}

#[test]
fn response_decoding_bounds_value_lists() {
    let req = decode_request(&unhex(REQUEST_4263537_4000)).expect("request");
    let bytes = encode_response(&Response::resolution(
        &req,
        None,
        "4263537/4000",
        vec![url_value()],
    ));
    // The value count is at body offset 4 + 12.
    let at = ENVELOPE_LEN + HEADER_LEN + 16;
    for count in [[0xff; 4], [0, 0, 0x08, 0x00], [0, 0, 0, 2]] {
        let mut m = bytes.clone();
        m[at..at + 4].copy_from_slice(&count);
        assert!(decode_response(&m).is_err(), "{count:?}");
    }
    // A value's data length of 2^32-1.
    let mut m = bytes.clone();
    let data_len_at = at + 4 + 14 + 4 + 3;
    m[data_len_at..data_len_at + 4].copy_from_slice(&[0xff; 4]);
    assert!(matches!(
        decode_response(&m),
        Err(ProtoError::Truncated { .. })
    ));
    // A value of index 0.
    let mut m = bytes.clone();
    m[at + 4..at + 8].copy_from_slice(&[0; 4]);
    assert!(matches!(decode_response(&m), Err(ProtoError::Value(_))));
}

#[test]
fn selects_values_by_index_or_type() {
    let values = vec![admin_value(), url_value()];
    let pick = |indexes: &[u32], types: &[&str]| -> Vec<u32> {
        let r = ResolutionRequest {
            indexes: indexes.to_vec(),
            types: types.iter().map(|t| (*t).to_owned()).collect(),
            ..ResolutionRequest::default()
        };
        select_values(&r, &values).map(|v| v.index).collect()
    };
    assert_eq!(pick(&[], &[]), vec![100, 1]);
    assert_eq!(pick(&[1], &[]), vec![1]);
    assert_eq!(pick(&[], &["hs_admin"]), vec![100]);
    assert_eq!(pick(&[1], &["HS_ADMIN"]), vec![100, 1]);
    assert_eq!(pick(&[7], &["EMAIL"]), Vec::<u32>::new());
}

#[test]
fn large_messages_cross_udp_in_pieces() {
    let req = decode_request(&unhex(REQUEST_4263537_4000)).expect("request");
    let mut big = url_value();
    big.data = vec![b'x'; 1500];
    let bytes = encode_response(&Response::resolution(&req, None, "4263537/4000", vec![big]));
    let grams = udp_datagrams(&bytes);
    assert_eq!(
        grams.len(),
        (bytes.len() - ENVELOPE_LEN).div_ceil(UDP_DATA_SIZE)
    );
    assert!(grams.iter().all(|g| g.len() <= 512));
    // In reverse order.
    let mut r = UdpReassembly::new(&grams[grams.len() - 1]).expect("start");
    let mut whole = None;
    for g in grams.iter().rev() {
        whole = r.push(g).expect("piece");
    }
    assert_eq!(whole.as_deref(), Some(bytes.as_slice()));
    // A repeated piece is refused.
    let mut r = UdpReassembly::new(&grams[0]).expect("start");
    assert_eq!(r.push(&grams[0]), Ok(None));
    assert!(r.push(&grams[0]).is_err());
    // A piece of another message is refused.
    let mut other = grams[1].clone();
    other[11] ^= 1;
    assert!(r.push(&other).is_err());
    // A small message is one datagram.
    let small = unhex(REQUEST_4263537_4000);
    assert_eq!(udp_datagrams(&small), vec![small.clone()]);
    let mut r = UdpReassembly::new(&small).expect("one");
    assert_eq!(r.push(&small), Ok(Some(small.clone())));
}

#[test]
fn stored_value_lists_round_trip_and_refuse_garbage() {
    let mut a = HandleValue::new(1, "URL", b"https://example.com/a".to_vec()).unwrap();
    a.timestamp = 1_700_000_000;
    let mut b = HandleValue::new(2001, "batch", "批次 7".as_bytes().to_vec()).unwrap();
    b.permissions.public_read = false;
    let bytes = encode_values(&[a.clone(), b.clone()]);
    assert_eq!(decode_values(&bytes).unwrap(), vec![a, b]);
    assert_eq!(decode_values(&encode_values(&[])).unwrap(), vec![]);
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(decode_values(&longer).is_err());
    assert!(decode_values(&bytes[..bytes.len() - 1]).is_err());
    assert!(decode_values(&[0xff, 0xff, 0xff, 0xff]).is_err());
}

#[test]
fn a_resolution_from_encoded_values_is_the_same_bytes() {
    let raw = unhex(REQUEST_4263537_4000);
    let req = decode_request(&raw).unwrap();
    let values = vec![url_value(), admin_value()];
    let blob = encode_values(&values);
    for digest in [None, RequestDigest::of_request(&raw, VERSION).ok()] {
        let whole = encode_response(&Response::resolution(
            &req,
            digest.clone(),
            "4263537/4000",
            values.clone(),
        ));
        assert_eq!(
            encode_resolution(&req, digest, "4263537/4000", &blob),
            whole
        );
    }
}
