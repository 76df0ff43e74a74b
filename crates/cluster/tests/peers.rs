//! The test harness of `ironloom_testkit::peers` itself (here, where the `peers` feature is
//! always on): a NATS cluster survives a killed and a stopped server and takes them back
//! on the same ports and stores; SeaweedFS answers S3, freezes and thaws.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ironloom_testkit::peers::{NatsCluster, SeaweedS3, http_get, or_skip};

fn healthy(nats: &NatsCluster, i: usize) -> bool {
    matches!(
        http_get(nats.http_port(i), "/healthz?js-enabled-only=true"),
        Some((200, _))
    )
}

#[test]
fn nats_servers_come_back_after_kill_and_stop() {
    let Some(mut nats) = or_skip(
        "nats_servers_come_back_after_kill_and_stop",
        NatsCluster::start(3),
    ) else {
        return;
    };
    let urls = nats.urls();
    assert_eq!(urls.len(), 3);
    assert!(urls.iter().all(|u| u.starts_with("nats://127.0.0.1:")));
    assert!((0..3).all(|i| healthy(&nats, i)));

    nats.kill(1);
    assert!(!nats.is_running(1));
    assert!(http_get(nats.http_port(1), "/healthz").is_none());
    nats.restart(1).unwrap();
    assert!(healthy(&nats, 1));
    assert_eq!(nats.urls(), urls, "same ports after a restart");

    nats.stop(2);
    assert!(http_get(nats.http_port(2), "/healthz").is_none());
    nats.restart(2).unwrap();
    assert!(healthy(&nats, 2));
    assert!(
        nats.dir().join("js2").is_dir(),
        "the store directory is kept"
    );
}

#[test]
fn a_single_nats_server_has_jetstream() {
    let Some(nats) = or_skip("a_single_nats_server_has_jetstream", NatsCluster::start(1)) else {
        return;
    };
    assert_eq!(nats.urls().len(), 1);
    assert!(healthy(&nats, 0));
}

#[test]
fn seaweed_answers_s3_and_can_be_paused() {
    let Some(s3) = or_skip("seaweed_answers_s3_and_can_be_paused", SeaweedS3::start()) else {
        return;
    };
    let port: u16 = s3.endpoint().rsplit(':').next().unwrap().parse().unwrap();
    // Anonymous requests are refused: the identities file is in force.
    let (status, body) = http_get(port, "/").unwrap();
    assert_eq!(status, 403, "{body}");
    assert_ne!(s3.access_key(), s3.secret_key());
    assert_eq!(s3.bucket(), "ironloom-test");

    s3.pause().unwrap();
    assert!(
        http_get(port, "/").is_none(),
        "a paused server does not answer"
    );
    s3.resume().unwrap();
    assert_eq!(http_get(port, "/").unwrap().0, 403);
}
