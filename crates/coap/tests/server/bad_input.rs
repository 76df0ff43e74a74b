//! Bad input never crashes the server and never reaches another peer.

use crate::support::*;
use coap_lite::{CoapOption, MessageType, RequestType};
use ironloom_coap::ResponseCode;

/// The Reset the server must send for a datagram, if any.
async fn expect_reset(c: &mut Client, bytes: &[u8], mid: u16) {
    c.send_raw(bytes).await;
    let r = c.recv().await;
    assert_eq!(r.header.get_type(), MessageType::Reset, "for {bytes:02x?}");
    assert_eq!(r.header.message_id, mid, "for {bytes:02x?}");
    assert!(r.get_token().is_empty() && r.payload.is_empty());
}

async fn expect_silence(c: &mut Client, bytes: &[u8]) {
    c.send_raw(bytes).await;
    c.barrier().await;
}

#[tokio::test]
async fn malformed_messages_are_reset_when_their_id_is_readable_else_dropped() {
    let h = Harness::start(|_| {}).await;
    let mut c = h.client().await;
    // Shorter than a header, or another version: dropped.
    for bytes in [
        &[][..],
        &[0x40],
        &[0x40, 0x01, 0x00],
        &[0x80, 0x01, 0x12, 0x34],
        &[0x00, 0x01, 0, 1],
    ] {
        expect_silence(&mut c, bytes).await;
    }
    let cases: &[&[u8]] = &[
        // Token length 9 (and 15).
        &[0x49, 0x01, 0x12, 0x34, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        &[0x5f, 0x01, 0x12, 0x34],
        // Token longer than the datagram.
        &[0x48, 0x01, 0x12, 0x34, 1, 2],
        // Reserved option nibble, option past the end, number above 65535.
        &[0x40, 0x01, 0x12, 0x34, 0xf1, 0x00],
        &[0x40, 0x01, 0x12, 0x34, 0xb9, b'a'],
        &[0x40, 0x01, 0x12, 0x34, 0xe0, 0xff, 0xff],
        // Payload marker without payload.
        &[0x40, 0x02, 0x12, 0x34, 0xff],
        // An empty message with bytes after the header.
        &[0x40, 0x00, 0x12, 0x34, 0xff, 0x01],
        // Reserved code classes 1, 6, 7.
        &[0x40, 0x20, 0x12, 0x34],
        &[0x50, 0xc1, 0x12, 0x34],
        &[0x40, 0xff, 0x12, 0x34],
        // A non-confirmable empty message.
        &[0x50, 0x00, 0x12, 0x34],
    ];
    for bytes in cases {
        expect_reset(&mut c, bytes, 0x1234).await;
    }
    // Malformed ACKs and RSTs are never answered.
    for bytes in [
        &[0x69, 0x00, 0x12, 0x34][..],
        &[0x70, 0x00, 0x12, 0x34, 0xff, 1],
        &[0x60, 0x01, 0x12, 0x34],
    ] {
        expect_silence(&mut c, bytes).await;
    }
    // A response a client sends us unasked: reset if confirmable, dropped if not.
    expect_reset(&mut c, &[0x40, 0x45, 0x12, 0x34], 0x1234).await;
    expect_silence(&mut c, &[0x50, 0x45, 0x12, 0x34]).await;
    // Still serving.
    let resp = c.ask(RequestType::Post, "echo").await;
    assert_eq!(code(&resp), ResponseCode::CHANGED);
    assert_eq!(h.calls(), 1);
    h.stop().await;
}

#[tokio::test]
async fn unknown_critical_option_is_4_02_for_con_and_reset_for_non() {
    let h = Harness::start(|_| {}).await;
    let mut c = h.client().await;
    let mut req = c.con(RequestType::Get, "echo");
    req.add_option(CoapOption::Unknown(2049), b"x".to_vec());
    let resp = c.call(&req).await;
    assert_eq!(code(&resp), ResponseCode::BAD_OPTION);
    assert!(!resp.payload.is_empty(), "a diagnostic payload");

    let mut req = c.request(MessageType::NonConfirmable, RequestType::Get, "echo");
    req.add_option(CoapOption::Unknown(9), vec![]);
    let mid = req.header.message_id;
    c.send(&req).await;
    let r = c.recv().await;
    assert_eq!(r.header.get_type(), MessageType::Reset);
    assert_eq!(r.header.message_id, mid);

    // Unknown elective options are ignored.
    let mut req = c.con(RequestType::Post, "echo");
    req.add_option(CoapOption::Unknown(2048), b"x".to_vec());
    assert_eq!(code(&c.call(&req).await), ResponseCode::CHANGED);

    // Other refusals before the handler.
    let req = c.con(RequestType::Fetch, "echo");
    assert_eq!(code(&c.call(&req).await), ResponseCode::METHOD_NOT_ALLOWED);
    let mut req = c.con(RequestType::Get, "echo");
    req.add_option(CoapOption::ProxyUri, b"coap://elsewhere/".to_vec());
    assert_eq!(
        code(&c.call(&req).await),
        ResponseCode::PROXYING_NOT_SUPPORTED
    );
    let mut req = c.con(RequestType::Get, "");
    req.add_option(CoapOption::UriPath, vec![0xc3, 0x28]);
    assert_eq!(code(&c.call(&req).await), ResponseCode::BAD_REQUEST);
    let mut req = c.con(RequestType::Get, "echo");
    set_block(&mut req, BLOCK2, 0, false, 7);
    assert_eq!(code(&c.call(&req).await), ResponseCode::BAD_OPTION);
    assert_eq!(h.calls(), 1);
    h.stop().await;
}

#[tokio::test]
async fn an_oversized_datagram_is_refused_before_decoding() {
    let h = Harness::start(|_| {}).await;
    let mut c = h.client().await;
    // A request too large for one datagram: 4.13 with the block size to use instead.
    let mut req = c.con(RequestType::Post, "echo");
    req.payload = vec![7; 4000];
    let resp = c.call(&req).await;
    assert_eq!(code(&resp), ResponseCode::REQUEST_ENTITY_TOO_LARGE);
    assert_eq!(block(&resp, BLOCK1), Some((0, false, 5)));
    assert_eq!(option_uint(&resp, SIZE1), Some(64 * 1024));
    // Large garbage: dropped (version 0), or reset when it has a readable header.
    expect_silence(&mut c, &vec![0x00; 2000]).await;
    let mut junk = vec![0xee; 2000];
    junk[..4].copy_from_slice(&[0x40, 0x45, 0x43, 0x21]);
    expect_reset(&mut c, &junk, 0x4321).await;
    assert_eq!(h.calls(), 0);
    h.stop().await;
}

#[tokio::test]
async fn a_flooding_peer_does_not_starve_another() {
    let h = Harness::start(|_| {}).await;
    let mut flooder = h.client().await;
    let mut other = h.client().await;
    // Requests whose handler never finishes (the gate stays closed): beyond the per-peer
    // limit of 8 calls in flight they are refused at once instead of queueing. Sent in
    // batches so the kernel's receive buffer never overflows and every answer is counted.
    let mut unavailable = 0;
    for _ in 0..4 {
        for _ in 0..50 {
            let req = flooder.con(RequestType::Post, "slow");
            flooder.send(&req).await;
        }
        for p in flooder.drain().await {
            assert_eq!(code(&p), ResponseCode::SERVICE_UNAVAILABLE);
            assert!(option_uint(&p, 14).is_some(), "with Max-Age");
            unavailable += 1;
        }
        // The other peer is served between the batches.
        let resp = other.ask(RequestType::Post, "echo").await;
        assert_eq!(code(&resp), ResponseCode::CHANGED);
    }
    assert_eq!(unavailable, 200 - 8);
    // Malformed messages of every kind: each is reset (or dropped), none reaches the
    // handler, the other peer is still served.
    let mut resets = 0;
    for batch in 0..20u16 {
        for i in 0..100u16 {
            let mid = 0x8000 + batch * 100 + i;
            let [hi, lo] = mid.to_be_bytes();
            let bytes: Vec<u8> = match i % 5 {
                0 => vec![0x40, 0x01, hi, lo, 0xff],
                1 => vec![0x4c, 0x02, hi, lo, 1, 2, 3],
                2 => vec![0x40, 0x03, hi, lo, 0xf0, 0xf0],
                3 => vec![0x50, 0xe5, hi, lo],
                _ => vec![0x00, 0x00, hi, lo, 0xff, 0xff],
            };
            flooder.send_raw(&bytes).await;
        }
        for p in flooder.drain().await {
            assert_eq!(p.header.get_type(), MessageType::Reset);
            assert!(p.header.message_id >= 0x8000);
            resets += 1;
        }
    }
    assert_eq!(
        resets,
        2000 - 400,
        "all but the wrong-version ones are reset"
    );
    let resp = other.ask(RequestType::Post, "echo").await;
    assert_eq!(code(&resp), ResponseCode::CHANGED);
    assert_eq!(h.calls(), 8 + 5);
    h.handler.gate.add_permits(8);
    h.stop().await;
}
