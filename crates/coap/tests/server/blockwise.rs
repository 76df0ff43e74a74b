//! Block-wise transfers (RFC 7959) over the socket.

use crate::support::*;
use coap_lite::{CoapOption, RequestType};
use ironloom_coap::ResponseCode;

/// Uploads `body` in blocks of 2^(szx+4) bytes; returns the answer to the last block, or
/// the first answer that is not 2.31 Continue.
async fn upload(c: &mut Client, uri: &str, body: &[u8], szx: u8) -> coap_lite::Packet {
    let size = 1usize << (szx + 4);
    let chunks: Vec<&[u8]> = body.chunks(size).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let more = i + 1 < chunks.len();
        let mut req = c.con(RequestType::Post, uri);
        set_uint(&mut req, CONTENT_FORMAT, 42);
        set_block(&mut req, BLOCK1, i as u32, more, szx);
        req.payload = chunk.to_vec();
        let resp = c.call(&req).await;
        if !more || code(&resp) != ResponseCode::CONTINUE {
            return resp;
        }
        assert_eq!(block(&resp, BLOCK1), Some((i as u32, true, szx)));
    }
    unreachable!("an empty body has no blocks")
}

#[tokio::test]
async fn block1_upload_reaches_the_handler_once_as_a_whole() {
    let mut h = Harness::start(|_| {}).await;
    let mut c = h.client().await;
    let body = big_body(3000);
    let resp = upload(&mut c, "echo", &body, 5).await;
    assert_eq!(code(&resp), ResponseCode::CHANGED);
    assert_eq!(block(&resp, BLOCK1), Some((5, false, 5)));
    let seen = h.next_call().await;
    assert_eq!(seen.payload, body);
    assert_eq!(seen.content_format, Some(42));
    assert_eq!(h.calls(), 1);
    // The echo (3000 bytes) comes back in Block2 blocks: block 0 here, the rest on request.
    assert_eq!(block(&resp, BLOCK2), Some((0, true, 5)));
    assert_eq!(option_uint(&resp, SIZE2), Some(3000));
    let mut got = resp.payload.clone();
    let mut num = 1;
    loop {
        let mut req = c.con(RequestType::Post, "echo");
        set_block(&mut req, BLOCK2, num, false, 5);
        let r = c.call(&req).await;
        assert_eq!(code(&r), ResponseCode::CHANGED);
        let (n, more, _) = block(&r, BLOCK2).unwrap();
        assert_eq!(n, num);
        got.extend_from_slice(&r.payload);
        if !more {
            break;
        }
        num += 1;
    }
    assert_eq!(got, body);
    assert_eq!(
        h.calls(),
        1,
        "later blocks of a POST's answer come from the cache"
    );
    h.stop().await;
}

#[tokio::test]
async fn block1_over_the_body_limit_is_refused_with_size1() {
    let h = Harness::start(|c| c.max_body_size = ironloom_coap::ByteSize(1000)).await;
    let mut c = h.client().await;
    let resp = upload(&mut c, "echo", &big_body(1200), 4).await;
    // The 4.13 comes on the block that crosses the limit (block 3 of 256 bytes).
    assert_eq!(code(&resp), ResponseCode::REQUEST_ENTITY_TOO_LARGE);
    assert_eq!(option_uint(&resp, SIZE1), Some(1000));

    // Announced with Size1 on the first block: refused at once.
    let mut req = c.con(RequestType::Post, "echo");
    set_block(&mut req, BLOCK1, 0, true, 4);
    set_uint(&mut req, SIZE1, 5000);
    req.payload = vec![0; 256];
    let resp = c.call(&req).await;
    assert_eq!(code(&resp), ResponseCode::REQUEST_ENTITY_TOO_LARGE);
    assert_eq!(option_uint(&resp, SIZE1), Some(1000));
    assert_eq!(h.calls(), 0);
    h.stop().await;
}

#[tokio::test]
async fn block1_out_of_order_or_missing_is_request_entity_incomplete() {
    let h = Harness::start(|_| {}).await;
    let mut c = h.client().await;
    let send = |c: &mut Client, num, more| {
        let mut req = c.con(RequestType::Post, "echo");
        set_block(&mut req, BLOCK1, num, more, 2);
        req.payload = vec![num as u8; 64];
        req
    };
    let r = send(&mut c, 0, true);
    assert_eq!(code(&c.call(&r).await), ResponseCode::CONTINUE);
    // Block 2 without block 1.
    let r = send(&mut c, 2, true);
    assert_eq!(
        code(&c.call(&r).await),
        ResponseCode::REQUEST_ENTITY_INCOMPLETE
    );
    // The transfer is gone: block 1 now is incomplete too.
    let r = send(&mut c, 1, false);
    assert_eq!(
        code(&c.call(&r).await),
        ResponseCode::REQUEST_ENTITY_INCOMPLETE
    );
    assert_eq!(h.calls(), 0);
    h.stop().await;
}

#[tokio::test]
async fn large_response_is_served_in_blocks_from_one_handler_call() {
    let h = Harness::start(|_| {}).await;
    let mut c = h.client().await;
    let body = big_body(2000);
    let first = c.ask(RequestType::Get, "big?n=2000").await;
    assert_eq!(code(&first), ResponseCode::CONTENT);
    assert_eq!(
        block(&first, BLOCK2),
        Some((0, true, 5)),
        "the default 512-byte blocks"
    );
    assert_eq!(option_uint(&first, SIZE2), Some(2000));
    assert_eq!(option_uint(&first, CONTENT_FORMAT), Some(42));
    let etag = first.get_first_option(CoapOption::ETag).cloned().unwrap();
    let mut got = first.payload.clone();
    for num in 1..4 {
        let mut req = c.con(RequestType::Get, "big?n=2000");
        set_block(&mut req, BLOCK2, num, false, 5);
        let r = c.call(&req).await;
        assert_eq!(block(&r, BLOCK2), Some((num, num < 3, 5)));
        assert_eq!(r.get_first_option(CoapOption::ETag), Some(&etag));
        got.extend_from_slice(&r.payload);
    }
    assert_eq!(got, body);
    assert_eq!(h.calls(), 1);
    h.stop().await;
}

#[tokio::test]
async fn early_block2_negotiation_gets_the_clients_smaller_blocks() {
    let h = Harness::start(|_| {}).await;
    let mut c = h.client().await;
    let body = big_body(300);
    let mut got = Vec::new();
    for num in 0.. {
        let mut req = c.con(RequestType::Get, "big?n=300");
        set_block(&mut req, BLOCK2, num, false, 2);
        let r = c.call(&req).await;
        let (n, more, szx) = block(&r, BLOCK2).unwrap();
        assert_eq!((n, szx), (num, 2));
        assert!(r.payload.len() == 64 || !more);
        got.extend_from_slice(&r.payload);
        if !more {
            break;
        }
    }
    assert_eq!(got, body);
    assert_eq!(h.calls(), 1);
    // A client asking for blocks larger than ours gets ours.
    let mut req = c.con(RequestType::Get, "big?n=3000");
    set_block(&mut req, BLOCK2, 0, false, 6);
    let r = c.call(&req).await;
    assert_eq!(block(&r, BLOCK2), Some((0, true, 5)));
    assert_eq!(r.payload.len(), 512);
    h.stop().await;
}
