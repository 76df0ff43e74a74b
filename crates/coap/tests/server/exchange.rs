//! Confirmable and non-confirmable exchanges, deduplication, handler failures, shutdown.

use crate::support::*;
use coap_lite::{MessageType, RequestType};
use ironloom_coap::{Method, ResponseCode};

#[tokio::test]
async fn con_request_is_acknowledged_only_with_the_handlers_response() {
    let mut h = Harness::start(|_| {}).await;
    let mut c = h.client().await;
    let mut req = c.con(RequestType::Post, "slow");
    set_uint(&mut req, CONTENT_FORMAT, 50);
    req.payload = br#"{"t":21.5}"#.to_vec();
    c.send(&req).await;
    let seen = h.next_call().await;
    assert_eq!(seen.method, Method::Post);
    assert_eq!(seen.path, ["slow"]);
    assert_eq!(seen.content_format, Some(50));
    assert_eq!(seen.payload, req.payload);
    assert_eq!(seen.token, req.get_token());

    // The handler is still running: no empty ACK went out, and a retransmission is ignored.
    c.barrier().await;
    c.send(&req).await;
    c.barrier().await;

    h.handler.gate.add_permits(1);
    let ack = c.recv().await;
    assert_eq!(ack.header.get_type(), MessageType::Acknowledgement);
    assert_eq!(ack.header.message_id, req.header.message_id);
    assert_eq!(ack.get_token(), req.get_token());
    assert_eq!(code(&ack), ResponseCode::CHANGED);
    assert_eq!(option_uint(&ack, CONTENT_FORMAT), Some(50));
    assert_eq!(ack.payload, req.payload);

    // A retransmission after the answer gets the same answer; the handler is not called.
    c.send(&req).await;
    let again = c.recv().await;
    assert_eq!(again, ack);
    assert_eq!(h.calls(), 1);
    h.stop().await;
}

#[tokio::test]
async fn non_request_gets_a_non_response_and_its_duplicate_is_dropped() {
    let mut h = Harness::start(|_| {}).await;
    let mut c = h.client().await;
    let mut req = c.request(
        MessageType::NonConfirmable,
        RequestType::Put,
        "echo?a=1&b=2",
    );
    req.payload = b"on".to_vec();
    c.send(&req).await;
    let resp = c.recv().await;
    assert_eq!(resp.header.get_type(), MessageType::NonConfirmable);
    assert_eq!(resp.get_token(), req.get_token());
    assert_eq!(code(&resp), ResponseCode::CHANGED);
    assert_eq!(resp.payload, b"on");
    let seen = h.next_call().await;
    assert_eq!(seen.method, Method::Put);
    assert_eq!(seen.query, ["a=1", "b=2"]);
    c.send(&req).await;
    c.barrier().await;
    assert_eq!(h.calls(), 1);
    h.stop().await;
}

#[tokio::test]
async fn ping_is_answered_with_a_reset_and_methods_reach_the_handler() {
    let mut h = Harness::start(|_| {}).await;
    let mut c = h.client().await;
    c.barrier().await;
    for (method, expect) in [
        (RequestType::Get, Method::Get),
        (RequestType::Post, Method::Post),
        (RequestType::Put, Method::Put),
        (RequestType::Delete, Method::Delete),
    ] {
        let req = c.con(method, "nothing/here");
        let resp = c.call(&req).await;
        assert_eq!(code(&resp), ResponseCode::NOT_FOUND);
        let seen = h.next_call().await;
        assert_eq!(seen.method, expect);
        assert_eq!(seen.path, ["nothing", "here"]);
        assert_eq!(seen.peer, c.socket.local_addr().unwrap());
    }
    h.stop().await;
}

#[tokio::test]
async fn a_panicking_handler_answers_5_00_and_the_server_keeps_serving() {
    let h = Harness::start(|_| {}).await;
    let mut c = h.client().await;
    let resp = c.ask(RequestType::Get, "panic").await;
    assert_eq!(code(&resp), ResponseCode::INTERNAL_SERVER_ERROR);
    let resp = c.ask(RequestType::Post, "echo").await;
    assert_eq!(code(&resp), ResponseCode::CHANGED);
    h.stop().await;
}

#[tokio::test]
async fn a_handler_over_its_timeout_is_answered_5_03() {
    let mut h = Harness::start(|c| {
        c.handler_timeout = "50ms".parse().unwrap();
    })
    .await;
    let mut c = h.client().await;
    // The gate is never opened: the call times out.
    let resp = c.ask(RequestType::Post, "slow").await;
    assert_eq!(code(&resp), ResponseCode::SERVICE_UNAVAILABLE);
    h.next_call().await;
    h.stop().await;
}

#[tokio::test]
async fn shutdown_answers_calls_in_flight_then_stops() {
    let mut h = Harness::start(|_| {}).await;
    let mut c = h.client().await;
    let req = c.con(RequestType::Post, "slow");
    c.send(&req).await;
    h.next_call().await;
    h.shutdown.cancel();
    h.handler.gate.add_permits(1);
    let resp = c.recv().await;
    assert_eq!(resp.header.message_id, req.header.message_id);
    assert_eq!(code(&resp), ResponseCode::CHANGED);
    tokio::time::timeout(WAIT, h.task).await.unwrap().unwrap();
}

#[tokio::test]
async fn bind_reports_a_taken_address_and_an_invalid_config() {
    let taken = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let handler = Harness::start(|_| {}).await;
    let config = ironloom_coap::CoapConfig {
        addr: ironloom_coap::ListenAddr::on(taken.local_addr().unwrap()),
        ..Default::default()
    };
    let e = ironloom_coap::CoapServer::bind(config, handler.handler.clone())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "coap_bind");
    let config = ironloom_coap::CoapConfig {
        block_size: ironloom_coap::ByteSize(100),
        ..Default::default()
    };
    let e = ironloom_coap::CoapServer::bind(config, handler.handler.clone())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "coap_invalid_config");
    handler.stop().await;
}
