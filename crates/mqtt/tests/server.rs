//! The MQTT server on real sockets, driven by a raw client (both protocol versions).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use common::{Got, Raw, TestServer};
use ironloom_mqtt::{Message, QoS};
use rumqttc::v5::mqttbytes::v5;

const SHORT: Duration = Duration::from_millis(300);

fn ok_connack(g: &Got) -> bool {
    matches!(g, Got::ConnAck { code: 0, .. })
}

#[tokio::test]
async fn authenticates_both_versions_and_refuses_bad_credentials() {
    let t = TestServer::start(|_| {}).await;
    for v5 in [false, true] {
        let (_c, ack) = Raw::connect(t.addr, v5, "a", "dev1", true).await;
        assert!(ok_connack(&ack), "{ack:?}");
        let mut bad = Raw::open(t.addr, v5).await;
        bad.send_connect("a", "wrong", "dev2", true, 30, None).await;
        let ack = bad.next().await;
        let want = if v5 { 0x86 } else { 4 };
        assert!(
            matches!(ack, Got::ConnAck { code, .. } if code == want),
            "{ack:?}"
        );
        assert_eq!(bad.next().await, Got::Closed);
    }
}

#[tokio::test]
async fn refuses_unsupported_protocol_levels() {
    let t = TestServer::start(|_| {}).await;
    // MQTT 3.1 ("MQIsdp", level 3).
    let mut c = Raw::open(t.addr, false).await;
    c.send(&[
        0x10, 0x12, 0, 6, b'M', b'Q', b'I', b's', b'd', b'p', 3, 2, 0, 60, 0, 4, b'a', b'b', b'c',
        b'd',
    ])
    .await;
    assert!(matches!(c.next().await, Got::ConnAck { code: 1, .. }));
    assert_eq!(c.next().await, Got::Closed);
    // Level 6 with the right name.
    let mut c = Raw::open(t.addr, false).await;
    c.send(&[0x10, 0x0c, 0, 4, b'M', b'Q', b'T', b'T', 6, 2, 0, 60, 0, 0])
        .await;
    assert!(matches!(c.next().await, Got::ConnAck { code: 1, .. }));
}

#[tokio::test]
async fn malformed_and_hostile_first_packets_close_only_that_connection() {
    let t = TestServer::start(|c| c.max_connect_size = 1024).await;
    let cases: Vec<Vec<u8>> = vec![
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        vec![0x30, 0x02, 0x00, 0x00], // PUBLISH before CONNECT
        vec![0x10, 0xff, 0xff, 0xff, 0xff, 0x01], // remaining length over 4 bytes
        vec![0x10, 0xff, 0xff, 0xff, 0x7f], // 256 MiB CONNECT
        vec![0x10, 0x03, 0x00, 0x04, b'M'], // truncated protocol name
    ];
    for bytes in cases {
        eprintln!("case {bytes:?}");
        let mut c = Raw::open(t.addr, false).await;
        c.send(&bytes).await;
        assert_eq!(c.next().await, Got::Closed, "{bytes:?}");
    }
    // Others are unaffected.
    let (_ok, ack) = Raw::connect(t.addr, true, "a", "fine", true).await;
    assert!(ok_connack(&ack));
    assert!(t.server.stats().malformed >= 3, "{:?}", t.server.stats());
}

#[tokio::test]
async fn connect_must_arrive_in_time() {
    let t = TestServer::start(|c| c.connect_timeout = Duration::from_millis(200)).await;
    let mut c = Raw::open(t.addr, false).await;
    assert_eq!(c.next().await, Got::Closed);
}

#[tokio::test]
async fn qos1_and_qos2_are_acknowledged_after_the_platform_made_them_durable() {
    let t = TestServer::start(|_| {}).await;
    for v5 in [false, true] {
        let (mut c, _) = Raw::connect(t.addr, v5, "a", "d", true).await;
        let stall = t.hooks.durable.lock().await;
        c.publish("store/t", b"1", 1, 7, false).await;
        assert!(
            c.quiet_for(SHORT).await,
            "no PUBACK while the data is not durable"
        );
        drop(stall);
        assert!(matches!(
            c.next().await,
            Got::PubAck {
                pkid: 7,
                reason: 0,
                ..
            }
        ));

        c.publish("store/t", b"2", 2, 8, false).await;
        assert!(matches!(c.next().await, Got::PubRec { pkid: 8, reason: 0 }));
        // A retransmission before PUBREL is not handed on twice.
        c.publish("store/t", b"2", 2, 8, false).await;
        assert!(matches!(c.next().await, Got::PubRec { pkid: 8, .. }));
        c.pubrel(8).await;
        assert_eq!(c.next().await, Got::PubComp(8));
        c.publish("store/t", b"0", 0, 0, false).await;
        c.send(&[0xc0, 0x00]).await;
        assert_eq!(c.next().await, Got::PingResp);
    }
    let got: Vec<_> = t
        .hooks
        .received
        .lock()
        .unwrap()
        .iter()
        .map(|(_, _, p)| p.clone())
        .collect();
    let one = Bytes::from_static(b"1");
    let two = Bytes::from_static(b"2");
    let zero = Bytes::from_static(b"0");
    assert_eq!(
        got,
        vec![one.clone(), two.clone(), zero.clone(), one, two, zero]
    );
}

#[tokio::test]
async fn acknowledgements_keep_the_order_of_publishes() {
    let t = TestServer::start(|_| {}).await;
    let (mut c, _) = Raw::connect(t.addr, false, "a", "d", true).await;
    let mut b = BytesMut::new();
    for i in 1..=300u16 {
        let mut p = rumqttc::mqttbytes::v4::Publish::new("store/x", common::q4(1), vec![b'x'; 40]);
        p.pkid = i;
        p.write(&mut b).unwrap();
    }
    c.send(&b).await;
    for i in 1..=300u16 {
        assert!(matches!(c.next().await, Got::PubAck { pkid, .. } if pkid == i));
    }
}

#[tokio::test]
async fn v5_refusals_carry_reason_codes_and_strings() {
    let t = TestServer::start(|_| {}).await;
    let (mut c, _) = Raw::connect(t.addr, true, "a", "d", true).await;
    c.publish("reject/x", b"{", 1, 1, false).await;
    match c.next().await {
        Got::PubAck {
            pkid: 1,
            reason: 0x99,
            text,
        } => {
            assert_eq!(text.as_deref(), Some("payload is not valid"))
        }
        other => panic!("{other:?}"),
    }
    c.publish("a/+/b", b"x", 1, 2, false).await;
    assert!(matches!(
        c.next().await,
        Got::PubAck {
            pkid: 2,
            reason: 0x90,
            ..
        }
    ));
    c.publish("deny/x", b"x", 1, 3, false).await;
    assert!(matches!(
        c.next().await,
        Got::PubAck {
            pkid: 3,
            reason: 0x87,
            ..
        }
    ));
    // Still connected.
    c.send(&[0xc0, 0x00]).await;
    assert_eq!(c.next().await, Got::PingResp);
}

#[tokio::test]
async fn v311_clients_are_closed_on_wildcard_topics_and_unauthorized_publishes() {
    let t = TestServer::start(|_| {}).await;
    let (mut c, _) = Raw::connect(t.addr, false, "a", "d", true).await;
    c.publish("a/#", b"x", 1, 1, false).await;
    assert_eq!(c.next().await, Got::Closed);
    let (mut c, _) = Raw::connect(t.addr, false, "a", "d", true).await;
    c.publish("deny/x", b"x", 1, 1, false).await;
    assert_eq!(c.next().await, Got::Closed);
    // A payload the platform refuses is still acknowledged (3.1.1 cannot say otherwise).
    let (mut c, _) = Raw::connect(t.addr, false, "a", "d", true).await;
    c.publish("reject/x", b"x", 1, 5, false).await;
    assert!(matches!(c.next().await, Got::PubAck { pkid: 5, .. }));
}

#[tokio::test]
async fn a_publish_the_platform_could_not_store_is_never_acknowledged_as_accepted() {
    let t = TestServer::start(|_| {}).await;
    // 3.1.1 has only positive acknowledgements: the connection closes without one, so the
    // client sends the message again.
    let (mut c, _) = Raw::connect(t.addr, false, "a", "d", true).await;
    c.publish("fail/x", b"1", 1, 4, false).await;
    assert_eq!(c.next().await, Got::Closed);
    // MQTT 5 says so in the PUBACK and stays connected.
    let (mut c, _) = Raw::connect(t.addr, true, "a", "d5", true).await;
    c.publish("fail/x", b"1", 1, 4, false).await;
    assert!(matches!(
        c.next().await,
        Got::PubAck {
            pkid: 4,
            reason: 0x83,
            ..
        }
    ));
}

#[tokio::test]
async fn routes_within_a_namespace_and_never_across() {
    let t = TestServer::start(|_| {}).await;
    let (mut a_sub, _) = Raw::connect(t.addr, false, "tenant-a", "sub", true).await;
    a_sub.subscribe("#", 2, 1).await;
    assert!(matches!(a_sub.next().await, Got::SubAck { pkid: 1, .. }));
    let (mut b_sub, _) = Raw::connect(t.addr, true, "tenant-b", "sub", true).await;
    b_sub.subscribe("#", 2, 1).await;
    assert!(matches!(b_sub.next().await, Got::SubAck { .. }));

    let (mut b_pub, _) = Raw::connect(t.addr, false, "tenant-b", "pub", true).await;
    b_pub.publish("route/x", b"from b", 1, 1, false).await;
    assert!(matches!(b_pub.next().await, Got::PubAck { .. }));
    match b_sub.next().await {
        Got::Publish { topic, payload, .. } => {
            assert_eq!(topic, "route/x");
            assert_eq!(&payload[..], b"from b");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        a_sub.quiet_for(SHORT).await,
        "tenant A saw tenant B's message"
    );
    // The platform publishes into one namespace only, too.
    let r = t.server.publish(
        "tenant-a",
        Message {
            topic: "cmd/1".into(),
            payload: Bytes::from_static(b"for a"),
            qos: QoS::AtLeastOnce,
            retain: false,
            props: None,
        },
    );
    assert_eq!((r.matched, r.online), (1, 1));
    match a_sub.next().await {
        Got::Publish {
            topic,
            qos: 1,
            pkid,
            ..
        } => {
            assert_eq!(topic, "cmd/1");
            a_sub.ack(pkid).await;
        }
        other => panic!("{other:?}"),
    }
    assert!(b_sub.quiet_for(SHORT).await);
}

#[tokio::test]
async fn subscriptions_refused_by_the_platform_or_invalid_get_failure_codes() {
    let t = TestServer::start(|_| {}).await;
    let (mut c, _) = Raw::connect(t.addr, true, "a", "d", true).await;
    let mut b = BytesMut::new();
    let mut s = v5::Subscribe::new_many(
        [
            v5::Filter::new("ok/#", common::q5(2)),
            v5::Filter::new("forbidden/x", common::q5(1)),
            v5::Filter::new("bad/#/x", common::q5(1)),
            v5::Filter::new("$share/g/x", common::q5(1)),
            v5::Filter::new("qos1/x", common::q5(2)),
        ],
        None,
    );
    s.pkid = 3;
    s.write(&mut b).unwrap();
    c.send(&b).await;
    assert_eq!(
        c.next().await,
        Got::SubAck {
            pkid: 3,
            codes: vec![2, 0x87, 0x8f, 0x9e, 1]
        }
    );
}

#[tokio::test]
async fn retained_messages_reach_later_subscribers_until_cleared() {
    let t = TestServer::start(|_| {}).await;
    let (mut p, _) = Raw::connect(t.addr, false, "a", "pub", true).await;
    p.publish("route/state", b"on", 1, 1, true).await;
    assert!(matches!(p.next().await, Got::PubAck { .. }));
    let (mut s, _) = Raw::connect(t.addr, true, "a", "sub", true).await;
    s.subscribe("route/+", 1, 1).await;
    assert!(matches!(s.next().await, Got::SubAck { .. }));
    match s.next().await {
        Got::Publish {
            topic,
            payload,
            retain: true,
            ..
        } => {
            assert_eq!((topic.as_str(), &payload[..]), ("route/state", &b"on"[..]))
        }
        other => panic!("{other:?}"),
    }
    p.publish("route/state", b"", 1, 2, true).await;
    assert!(matches!(p.next().await, Got::PubAck { .. }));
    let (mut s2, _) = Raw::connect(t.addr, false, "a", "sub2", true).await;
    s2.subscribe("route/+", 1, 1).await;
    assert!(matches!(s2.next().await, Got::SubAck { .. }));
    assert!(
        s2.quiet_for(SHORT).await,
        "a cleared retained message came back"
    );
}

#[tokio::test]
async fn persistent_sessions_keep_subscriptions_and_queue_while_away() {
    let t = TestServer::start(|_| {}).await;
    for v5 in [false, true] {
        let id = if v5 { "p5" } else { "p4" };
        let (mut c, ack) = Raw::connect(t.addr, v5, "a", id, false).await;
        assert!(matches!(
            ack,
            Got::ConnAck {
                present: false,
                code: 0,
                ..
            }
        ));
        c.subscribe("cmd/#", 1, 1).await;
        assert!(matches!(c.next().await, Got::SubAck { .. }));
        c.disconnect().await;
        assert_eq!(c.next().await, Got::Closed);

        let msg = |n: &'static str| Message {
            topic: "cmd/x".into(),
            payload: Bytes::from_static(n.as_bytes()),
            qos: QoS::AtLeastOnce,
            retain: false,
            props: None,
        };
        // Wait until the server has seen the disconnect.
        while t.server.online("a") {
            tokio::task::yield_now().await;
        }
        let r = t.server.publish("a", msg("queued"));
        assert_eq!((r.matched, r.offline), (1, 1), "{r:?}");

        let (mut c, ack) = Raw::connect(t.addr, v5, "a", id, false).await;
        assert!(
            matches!(
                ack,
                Got::ConnAck {
                    present: true,
                    code: 0,
                    ..
                }
            ),
            "{ack:?}"
        );
        match c.next().await {
            Got::Publish {
                payload,
                qos: 1,
                pkid,
                ..
            } => {
                assert_eq!(&payload[..], b"queued");
                c.ack(pkid).await;
            }
            other => panic!("{other:?}"),
        }
        // A clean start throws the session away.
        c.disconnect().await;
        let (_c, ack) = Raw::connect(t.addr, v5, "a", id, true).await;
        assert!(matches!(ack, Got::ConnAck { present: false, .. }));
    }
}

#[tokio::test]
async fn unacknowledged_messages_are_sent_again_with_dup_on_resume() {
    let t = TestServer::start(|_| {}).await;
    let (mut c, _) = Raw::connect(t.addr, false, "a", "r", false).await;
    c.subscribe("cmd/#", 1, 1).await;
    assert!(matches!(c.next().await, Got::SubAck { .. }));
    t.server.publish(
        "a",
        Message {
            topic: "cmd/y".into(),
            payload: Bytes::from_static(b"once"),
            qos: QoS::AtLeastOnce,
            retain: false,
            props: None,
        },
    );
    let first = c.next().await;
    assert!(matches!(first, Got::Publish { dup: false, .. }));
    drop(c); // no PUBACK
    let (mut c, ack) = loop {
        let (c, ack) = Raw::connect(t.addr, false, "a", "r", false).await;
        if matches!(ack, Got::ConnAck { present: true, .. }) {
            break (c, ack);
        }
    };
    assert!(ok_connack(&ack));
    match c.next().await {
        Got::Publish {
            dup: true, payload, ..
        } => assert_eq!(&payload[..], b"once"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn wills_are_published_on_abrupt_loss_but_not_after_disconnect() {
    let t = TestServer::start(|_| {}).await;
    let (mut s, _) = Raw::connect(t.addr, false, "a", "watch", true).await;
    s.subscribe("status/#", 1, 1).await;
    assert!(matches!(s.next().await, Got::SubAck { .. }));

    let mut c = Raw::open(t.addr, true).await;
    c.send_connect(
        "a",
        "secret",
        "w1",
        true,
        30,
        Some(("status/w1", "gone", 1)),
    )
    .await;
    assert!(ok_connack(&c.next().await));
    drop(c);
    match s.next().await {
        Got::Publish { topic, payload, .. } => {
            assert_eq!((topic.as_str(), &payload[..]), ("status/w1", &b"gone"[..]))
        }
        other => panic!("{other:?}"),
    }

    let mut c = Raw::open(t.addr, false).await;
    c.send_connect(
        "a",
        "secret",
        "w2",
        true,
        30,
        Some(("status/w2", "gone", 1)),
    )
    .await;
    assert!(ok_connack(&c.next().await));
    c.disconnect().await;
    assert!(s.quiet_for(SHORT).await, "a will after a clean DISCONNECT");
}

#[tokio::test]
async fn keep_alive_is_enforced() {
    let t = TestServer::start(|_| {}).await;
    for v5 in [false, true] {
        let mut c = Raw::open(t.addr, v5).await;
        c.send_connect("a", "secret", "ka", true, 1, None).await;
        assert!(ok_connack(&c.next().await));
        let started = std::time::Instant::now();
        let end = c.next().await;
        if v5 {
            assert!(
                matches!(end, Got::Disconnect { reason: 0x8d, .. }),
                "{end:?}"
            );
            assert_eq!(c.next().await, Got::Closed);
        } else {
            assert_eq!(end, Got::Closed);
        }
        assert!(started.elapsed() >= Duration::from_millis(1400));
    }
}

#[tokio::test]
async fn oversized_packets_are_refused_before_they_are_read() {
    let t = TestServer::start(|c| {
        c.max_packet_size = 1024;
        c.max_connect_size = 512;
    })
    .await;
    let (mut c, ack) = Raw::connect(t.addr, true, "a", "big", true).await;
    match ack {
        Got::ConnAck { props: Some(p), .. } => assert_eq!(p.max_packet_size, Some(1024)),
        other => panic!("{other:?}"),
    }
    // Announce 100 MB and send only the header: the refusal comes at once.
    c.send(&[0x32, 0x80, 0x80, 0x80, 0x30]).await;
    assert!(matches!(
        c.next().await,
        Got::Disconnect { reason: 0x95, .. }
    ));
    assert_eq!(c.next().await, Got::Closed);
}

#[tokio::test]
async fn a_flooding_client_is_disconnected_and_others_carry_on() {
    let t = TestServer::start(|c| {
        c.rate_limit = ironloom_mqtt::RateLimit {
            per_second: 10,
            burst: 20,
        }
    })
    .await;
    let (mut flood, _) = Raw::connect(t.addr, true, "noisy", "f", true).await;
    let (mut calm, _) = Raw::connect(t.addr, true, "calm", "c", true).await;
    let mut b = BytesMut::new();
    for i in 1..=100u16 {
        let mut p = v5::Publish::new("store/x", common::q5(1), "1", None);
        p.pkid = i;
        p.write(&mut b).unwrap();
    }
    flood.send(&b).await;
    let mut saw_disconnect = false;
    loop {
        match flood.next().await {
            Got::PubAck { .. } => {}
            Got::Disconnect { reason: 0x96, .. } => saw_disconnect = true,
            Got::Closed => break,
            other => panic!("{other:?}"),
        }
    }
    assert!(saw_disconnect);
    calm.publish("store/x", b"1", 1, 1, false).await;
    assert!(matches!(calm.next().await, Got::PubAck { reason: 0, .. }));
}

#[tokio::test]
async fn a_second_connection_takes_the_session_over() {
    let t = TestServer::start(|_| {}).await;
    let (mut first, _) = Raw::connect(t.addr, true, "a", "same", true).await;
    let (_second, ack) = Raw::connect(t.addr, true, "a", "same", true).await;
    assert!(ok_connack(&ack));
    assert!(matches!(
        first.next().await,
        Got::Disconnect { reason: 0x8e, .. }
    ));
    // The same client id in another namespace is another session.
    let (_other, ack) = Raw::connect(t.addr, true, "b", "same", true).await;
    assert!(ok_connack(&ack));
    assert!(t.server.online("a") && t.server.online("b"));
}

#[tokio::test]
async fn a_connection_elsewhere_takes_over_only_an_older_session() {
    let t = TestServer::start(|_| {}).await;
    let before = std::time::SystemTime::now() - std::time::Duration::from_secs(1);
    let (mut c, _) = Raw::connect(t.addr, true, "a", "same", true).await;
    // The other node's connection is older than this session: it stays.
    assert!(!t.server.take_over("a", "same", before));
    assert!(
        !t.server
            .take_over("a", "other", std::time::SystemTime::now())
    );
    assert!(t.server.online("a"));
    // A newer one ends it, as a takeover on one node does (0x8E).
    assert!(
        t.server
            .take_over("a", "same", std::time::SystemTime::now())
    );
    assert!(matches!(
        c.next().await,
        Got::Disconnect { reason: 0x8e, .. }
    ));
    assert_eq!(c.next().await, Got::Closed);
    assert!(!t.server.online("a"));
}

#[tokio::test]
async fn the_platform_can_disconnect_a_namespace() {
    let t = TestServer::start(|_| {}).await;
    let (mut c, _) = Raw::connect(t.addr, true, "dev-9", "x", false).await;
    assert_eq!(t.server.kick("dev-9"), 1);
    assert!(matches!(
        c.next().await,
        Got::Disconnect { reason: 0x98, .. }
    ));
    assert_eq!(c.next().await, Got::Closed);
}

#[tokio::test]
async fn a_drained_server_sends_clients_elsewhere_a_few_at_a_time() {
    let t = TestServer::start(|_| {}).await;
    let mut clients = Vec::new();
    for i in 0..5 {
        let (c, ack) = Raw::connect(t.addr, true, "a", &format!("c{i}"), true).await;
        assert!(ok_connack(&ack));
        clients.push(c);
    }
    let (mut old, ack) = Raw::connect(t.addr, false, "b", "old", false).await;
    assert!(ok_connack(&ack));
    let started = std::time::Instant::now();
    // Twenty a second: two every 100 ms, so six clients take three steps.
    t.server.drain(20);
    assert!(t.server.draining());
    for c in &mut clients {
        assert!(matches!(
            c.next().await,
            Got::Disconnect { reason: 0x9c, .. }
        ));
    }
    assert_eq!(old.next().await, Got::Closed);
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert!(!t.server.online("a") && !t.server.online("b"));
    // New connections are sent to another server.
    let (_late, ack) = Raw::connect(t.addr, true, "a", "late", true).await;
    assert!(matches!(ack, Got::ConnAck { code: 0x9c, .. }), "{ack:?}");
    let (_late, ack) = Raw::connect(t.addr, false, "a", "late", true).await;
    assert!(matches!(ack, Got::ConnAck { code: 3, .. }), "{ack:?}");
}

#[tokio::test]
async fn v5_properties_travel_with_routed_messages() {
    let t = TestServer::start(|_| {}).await;
    let (mut s, _) = Raw::connect(t.addr, true, "a", "s", true).await;
    let mut b = BytesMut::new();
    let mut sub = v5::Subscribe::new(
        v5::Filter::new("route/#", common::q5(1)),
        Some(v5::SubscribeProperties {
            id: Some(42),
            user_properties: vec![],
        }),
    );
    sub.pkid = 1;
    sub.write(&mut b).unwrap();
    s.send(&b).await;
    assert!(matches!(s.next().await, Got::SubAck { .. }));
    let props = v5::PublishProperties {
        payload_format_indicator: Some(1),
        message_expiry_interval: Some(60),
        topic_alias: None,
        response_topic: Some("route/reply".into()),
        correlation_data: Some(Bytes::from_static(b"corr-1")),
        user_properties: vec![("k".into(), "v".into())],
        subscription_identifiers: vec![],
        content_type: Some("application/json".into()),
    };
    s.publish_props("route/req", b"{}", 1, 9, false, Some(props))
        .await;
    let mut got_ack = false;
    let mut got_msg = false;
    while !(got_ack && got_msg) {
        match s.next().await {
            Got::PubAck { pkid: 9, .. } => got_ack = true,
            Got::Publish { props: Some(p), .. } => {
                assert_eq!(p.response_topic.as_deref(), Some("route/reply"));
                assert_eq!(p.correlation_data.as_deref(), Some(&b"corr-1"[..]));
                assert_eq!(p.user_properties, vec![("k".into(), "v".into())]);
                assert_eq!(p.content_type.as_deref(), Some("application/json"));
                assert_eq!(p.subscription_identifiers, vec![42]);
                assert!(p.message_expiry_interval.is_some_and(|e| e <= 60));
                got_msg = true;
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn topic_aliases_and_auth_packets_are_protocol_errors() {
    let t = TestServer::start(|_| {}).await;
    let (mut c, _) = Raw::connect(t.addr, true, "a", "alias", true).await;
    let props = v5::PublishProperties {
        payload_format_indicator: None,
        message_expiry_interval: None,
        topic_alias: Some(1),
        response_topic: None,
        correlation_data: None,
        user_properties: vec![],
        subscription_identifiers: vec![],
        content_type: None,
    };
    c.publish_props("store/a", b"1", 0, 0, false, Some(props))
        .await;
    assert!(matches!(
        c.next().await,
        Got::Disconnect { reason: 0x94, .. }
    ));
}

#[tokio::test]
async fn shutdown_tells_clients_and_finishes() {
    let t = TestServer::start(|_| {}).await;
    let (mut c, _) = Raw::connect(t.addr, true, "a", "s", true).await;
    t.stop.cancel();
    assert!(matches!(
        c.next().await,
        Got::Disconnect { reason: 0x8b, .. }
    ));
    tokio::time::timeout(Duration::from_secs(5), t.task)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn hook_events_follow_the_connection() {
    let t = TestServer::start(|_| {}).await;
    let (mut c, _) = Raw::connect(t.addr, false, "a", "ev", true).await;
    c.disconnect().await;
    assert_eq!(c.next().await, Got::Closed);
    while t.hooks.events.lock().unwrap().len() < 2 {
        tokio::task::yield_now().await;
    }
    let events = t.hooks.events.lock().unwrap().clone();
    assert_eq!(events, vec!["connected a/ev", "disconnected a/ev normal"]);
    assert_eq!(t.server.stats().sessions, 0);
}

#[tokio::test]
async fn subscriptions_granted_at_connect_deliver_without_a_subscribe() {
    let t = TestServer::start(|_| {}).await;
    let publish = |topic: &str| {
        t.server.publish(
            "tenant-a",
            Message {
                topic: topic.into(),
                payload: Bytes::from_static(b"down"),
                qos: QoS::AtLeastOnce,
                retain: false,
                props: None,
            },
        )
    };
    // The hooks grant `to/auto-1` to the client `auto-1`, which never subscribes.
    let (mut auto, ack) = Raw::connect(t.addr, false, "tenant-a", "auto-1", true).await;
    assert!(ok_connack(&ack), "{ack:?}");
    // The platform heard of it as of a subscription the client made.
    assert!(
        t.hooks
            .events
            .lock()
            .unwrap()
            .contains(&"subscribed tenant-a/auto-1 to/auto-1".to_owned())
    );
    let r = publish("to/auto-1");
    assert_eq!((r.matched, r.online), (1, 1));
    match auto.next().await {
        Got::Publish {
            topic,
            qos: 1,
            pkid,
            ..
        } => {
            assert_eq!(topic, "to/auto-1");
            auto.ack(pkid).await;
        }
        other => panic!("{other:?}"),
    }
    // Subscribing to it again itself leaves one subscription: one copy per message.
    auto.subscribe("to/auto-1", 1, 1).await;
    assert!(matches!(auto.next().await, Got::SubAck { pkid: 1, .. }));
    publish("to/auto-1");
    assert!(matches!(auto.next().await, Got::Publish { .. }));
    assert!(auto.quiet_for(SHORT).await, "a second copy arrived");
    // Other clients are granted nothing.
    let (_plain, ack) = Raw::connect(t.addr, true, "tenant-a", "plain", true).await;
    assert!(ok_connack(&ack), "{ack:?}");
    assert_eq!(publish("to/plain").matched, 0);
}
