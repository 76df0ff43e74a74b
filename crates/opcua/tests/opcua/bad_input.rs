//! Servers that answer badly or not at all.

use std::time::Duration;

use ironloom_drivers::DriverError;
use ironloom_drivers::model::{Quality, Value};

use crate::peers::*;
use crate::support::*;

#[tokio::test]
async fn bad_and_uncertain_status_codes_become_sample_quality() {
    let Some(py) = python_or_skip("bad_and_uncertain_status_codes_become_sample_quality") else {
        return;
    };
    let server = PyServer::start(py, free_port(), &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let mut locked = node("line1", "locked", "ns=2;s=Line1.Locked");
    // Configured writable, but the server's AccessLevel says no.
    locked.writable = true;
    let nodes = vec![
        node("line1", "faulty", "ns=2;s=Line1.Faulty"),
        poll("line1", "faulty_polled", "ns=2;s=Line1.Faulty", 200),
        node("line1", "stale", "ns=2;s=Line1.Stale"),
        locked,
        node("line1", "temperature", "ns=2;s=Line1.Temperature"),
    ];
    let mut d = Driver::start(config(&server.endpoint(), &dir, nodes));
    let got = d
        .each(
            "status samples",
            &[
                &|s| is(s, "line1", "faulty"),
                &|s| is(s, "line1", "faulty_polled"),
                &|s| is(s, "line1", "stale"),
                &|s| good(s, "line1", "locked"),
            ],
        )
        .await;
    for s in &got[..2] {
        assert_eq!((s.quality, s.value.clone()), (Quality::Bad, None), "{s:?}");
        assert_eq!(s.reason.as_deref(), Some("BadSensorFailure"));
    }
    assert_eq!(got[2].quality, Quality::Uncertain);
    assert_eq!(got[2].value, Some(Value::F64(12.5)));
    assert_eq!(got[2].reason.as_deref(), Some("UncertainLastUsableValue"));

    match d.write("line1", "locked", Value::F64(4.0)).await {
        Err(DriverError::Refused(status)) => assert!(status.starts_with("Bad"), "{status}"),
        other => panic!("expected Refused, got {other:?}"),
    }
    assert!(d.stats.snapshot().refused >= 1);
    d.until("the rest goes on", |s| good(s, "line1", "temperature"))
        .await;
    d.stop().await;
    server.kill().await;
}

#[tokio::test]
async fn a_server_that_stops_answering_or_dies_leaves_the_driver_up_and_reconnecting() {
    let Some(py) = python_or_skip(
        "a_server_that_stops_answering_or_dies_leaves_the_driver_up_and_reconnecting",
    ) else {
        return;
    };
    let port = free_port();
    let server = PyServer::start(py, port, &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let mut setpoint = node("line1", "setpoint", "ns=2;s=Line1.Setpoint");
    setpoint.writable = true;
    let nodes = vec![
        node("line1", "temperature", "ns=2;s=Line1.Temperature"),
        poll("line1", "counter", "ns=2;s=Line1.Counter", 100),
        setpoint,
    ];
    let mut cfg = config(&server.endpoint(), &dir, nodes);
    cfg.timeout_ms = 1_000;
    let mut d = Driver::start(cfg);
    d.first_good_of(&[("line1", "temperature"), ("line1", "counter")])
        .await;

    // Frozen: the socket stays open but nothing answers. Reads time out, then the
    // keep-alive gives up on the session.
    server.signal("-STOP");
    let s = d
        .until("a timed-out poll", |s| {
            is(s, "line1", "counter") && s.quality == Quality::Bad
        })
        .await;
    let reason = s.reason.unwrap();
    assert!(reason.contains("no answer within"), "{reason}");
    let s = d
        .until("not connected", |s| {
            is(s, "line1", "temperature")
                && s.reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with("not connected"))
        })
        .await;
    assert_eq!(s.quality, Quality::Bad);
    assert!(!d.task.is_finished());
    server.signal("-CONT");
    d.until("back after the freeze", |s| good(s, "line1", "counter"))
        .await;

    // Killed in the middle of its work: the connection drops at once.
    server.kill().await;
    d.until("not connected after the kill", |s| {
        is(s, "line1", "counter")
            && s.reason
                .as_deref()
                .is_some_and(|r| r.starts_with("not connected"))
    })
    .await;
    assert_eq!(
        d.write("line1", "setpoint", Value::F64(1.0)).await,
        Err(DriverError::NotConnected)
    );
    // Nothing more while it is down: one bad sample per point, not a stream.
    let quiet = d.collect(Duration::from_millis(600)).await;
    assert!(
        quiet.iter().all(|s| s.quality == Quality::Bad) && quiet.len() <= 3,
        "{quiet:?}"
    );
    assert!(!d.task.is_finished());

    let server = PyServer::start(py, port, &[]).await;
    d.first_good_of(&[("line1", "temperature"), ("line1", "counter")])
        .await;
    let done = d.write("line1", "setpoint", Value::F64(1.0)).await.unwrap();
    assert_eq!(done.new, Value::F64(1.0));
    let st = d.stats.snapshot();
    assert!(st.connects >= 3, "{st:?}");
    assert!(st.timeouts >= 1, "{st:?}");
    d.stop().await;
    server.kill().await;
}
