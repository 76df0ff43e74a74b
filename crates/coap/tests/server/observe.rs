//! Observe (RFC 7641) over the socket.

use crate::support::*;
use coap_lite::{MessageType, Packet, RequestType};
use ironloom_coap::{CoapResponse, ObserveEnd, ResponseCode};

/// Registers on `obs`; returns the registration request and the first response.
async fn register(c: &mut Client) -> (Packet, Packet) {
    let mut req = c.con(RequestType::Get, "obs?since=0");
    set_uint(&mut req, OBSERVE, 0);
    let first = c.call(&req).await;
    (req, first)
}

fn update(text: &str) -> CoapResponse {
    CoapResponse::with_payload(ResponseCode::CONTENT, Some(0), text)
}

#[tokio::test]
async fn notifications_are_confirmable_in_order_and_one_at_a_time() {
    let mut h = Harness::start(|_| {}).await;
    let mut c = h.client().await;
    let (req, first) = register(&mut c).await;
    let seen = h.next_call().await;
    assert_eq!(seen.observe, Some(0));
    assert_eq!(seen.query, ["since=0"]);
    assert_eq!(code(&first), ResponseCode::CONTENT);
    assert_eq!(first.payload, b"state 0");
    let mut last_seq = option_uint(&first, OBSERVE).expect("the first response has Observe");

    let tx = h.sender(0);
    for i in 1..=3 {
        tx.send(update(&format!("state {i}"))).await.unwrap();
    }
    for i in 1..=3 {
        let n = c.recv().await;
        assert_eq!(n.header.get_type(), MessageType::Confirmable);
        assert_eq!(n.get_token(), req.get_token());
        assert_eq!(n.payload, format!("state {i}").as_bytes());
        let seq = option_uint(&n, OBSERVE).unwrap();
        assert!(
            seq > last_seq,
            "sequence numbers increase: {seq} after {last_seq}"
        );
        last_seq = seq;
        // The next notification waits for this one's ACK.
        c.barrier().await;
        c.ack(&n).await;
    }
    c.barrier().await;
    drop(tx);
    let (o, reason) = h.next_gone().await;
    assert_eq!(reason, ObserveEnd::UpdatesClosed);
    assert_eq!(o.token, req.get_token());
    assert_eq!(o.path, ["obs"]);
    assert_eq!(o.peer, c.socket.local_addr().unwrap());
    h.stop().await;
}

#[tokio::test]
async fn a_reset_ends_the_observation() {
    let mut h = Harness::start(|_| {}).await;
    let mut c = h.client().await;
    let (req, _) = register(&mut c).await;
    let tx = h.sender(0);
    tx.send(update("one")).await.unwrap();
    let n = c.recv().await;
    c.reset(&n).await;
    let (o, reason) = h.next_gone().await;
    assert_eq!(reason, ObserveEnd::Reset);
    assert_eq!(o.token, req.get_token());
    // The handler's sender now fails.
    tokio::time::timeout(WAIT, tx.closed()).await.unwrap();
    h.stop().await;
}

#[tokio::test]
async fn an_unacknowledged_notification_is_retransmitted_then_given_up() {
    let mut h = Harness::start(|c| {
        c.ack_timeout = "20ms".parse().unwrap();
        c.max_retransmit = 2;
    })
    .await;
    let mut c = h.client().await;
    register(&mut c).await;
    h.sender(0).send(update("lost")).await.unwrap();
    let n = c.recv().await;
    for _ in 0..2 {
        let again = c.recv().await;
        assert_eq!(again, n, "a retransmission is the same message");
    }
    let (_, reason) = h.next_gone().await;
    assert_eq!(reason, ObserveEnd::NotAcknowledged);
    c.barrier().await;
    h.stop().await;
}

#[tokio::test]
async fn get_with_observe_1_deregisters() {
    let mut h = Harness::start(|_| {}).await;
    let mut c = h.client().await;
    let (req, _) = register(&mut c).await;
    let mut dereg = c.con(RequestType::Get, "obs?since=0");
    dereg.set_token(req.get_token().to_vec());
    set_uint(&mut dereg, OBSERVE, 1);
    let resp = c.call(&dereg).await;
    assert_eq!(code(&resp), ResponseCode::CONTENT);
    assert_eq!(
        option_uint(&resp, OBSERVE),
        None,
        "the answer to a deregistration"
    );
    let (_, reason) = h.next_gone().await;
    assert_eq!(reason, ObserveEnd::Deregistered);
    // The handler offered a second observation for the deregistering GET: refused.
    let (_, reason) = h.next_gone().await;
    assert_eq!(reason, ObserveEnd::Refused);
    h.stop().await;
}

#[tokio::test]
async fn beyond_the_observer_limit_the_get_is_answered_without_observe() {
    let mut h = Harness::start(|c| {
        c.max_observers = 1;
    })
    .await;
    let mut c = h.client().await;
    let (_, first) = register(&mut c).await;
    assert!(option_uint(&first, OBSERVE).is_some());
    let (_, second) = register(&mut c).await;
    assert_eq!(code(&second), ResponseCode::CONTENT);
    assert_eq!(option_uint(&second, OBSERVE), None);
    let (_, reason) = h.next_gone().await;
    assert_eq!(reason, ObserveEnd::Refused);
    h.stop().await;
}

#[tokio::test]
async fn an_error_update_is_delivered_as_the_last_notification() {
    let mut h = Harness::start(|_| {}).await;
    let mut c = h.client().await;
    register(&mut c).await;
    h.sender(0)
        .send(CoapResponse::new(ResponseCode::NOT_FOUND))
        .await
        .unwrap();
    let n = c.recv().await;
    assert_eq!(code(&n), ResponseCode::NOT_FOUND);
    assert_eq!(option_uint(&n, OBSERVE), None);
    c.ack(&n).await;
    let (_, reason) = h.next_gone().await;
    assert_eq!(reason, ObserveEnd::ErrorSent);
    h.stop().await;
}

#[tokio::test]
async fn a_large_notification_sends_block_0_and_the_rest_on_request() {
    let h = Harness::start(|c| c.block_size = ironloom_coap::ByteSize(64)).await;
    let mut c = h.client().await;
    register(&mut c).await;
    let body = big_body(150);
    h.sender(0)
        .send(CoapResponse::with_payload(
            ResponseCode::CONTENT,
            Some(42),
            body.clone(),
        ))
        .await
        .unwrap();
    let n = c.recv().await;
    assert!(option_uint(&n, OBSERVE).is_some());
    assert_eq!(block(&n, BLOCK2), Some((0, true, 2)));
    c.ack(&n).await;
    let mut got = n.payload.clone();
    for num in 1..3 {
        let mut req = c.con(RequestType::Get, "obs?since=0");
        set_block(&mut req, BLOCK2, num, false, 2);
        let r = c.call(&req).await;
        assert_eq!(block(&r, BLOCK2).unwrap().0, num);
        got.extend_from_slice(&r.payload);
    }
    assert_eq!(got, body);
    // Only the registration reached the handler.
    assert_eq!(h.calls(), 1);
    h.stop().await;
}

#[tokio::test]
async fn shutdown_ends_observations() {
    let mut h = Harness::start(|_| {}).await;
    let mut c = h.client().await;
    register(&mut c).await;
    h.shutdown.cancel();
    let (_, reason) = h.next_gone().await;
    assert_eq!(reason, ObserveEnd::Shutdown);
    tokio::time::timeout(WAIT, h.task).await.unwrap().unwrap();
}
