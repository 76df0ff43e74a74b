//! Our driver against an asyncua server (tests/peers/asyncua_server.py).

use ironloom_drivers::DriverError;
use ironloom_drivers::model::{Quality, Value};
use ironloom_opcua::config::{Auth, Security};

use crate::peers::*;
use crate::support::*;

fn writable(mut n: ironloom_opcua::config::NodeConfig) -> ironloom_opcua::config::NodeConfig {
    n.writable = true;
    n
}

#[tokio::test]
async fn driver_reads_subscribes_and_writes_against_asyncua() {
    let Some(py) = python_or_skip("driver_reads_subscribes_and_writes_against_asyncua") else {
        return;
    };
    let server = PyServer::start(py, free_port(), &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let nodes = vec![
        node("line1", "temperature", "ns=2;s=Line1.Temperature"),
        poll("line1", "counter", "ns=2;s=Line1.Counter", 100),
        node("line1", "stamped", "ns=2;s=Line1.Stamped"),
        node("line1", "blob", "ns=2;s=Line1.Blob"),
        writable(node("line1", "setpoint", "ns=2;s=Line1.Setpoint")),
        writable(poll("line1", "mode", "ns=2;s=Line1.Mode", 500)),
        writable(node("line1", "enabled", "ns=2;s=Line1.Enabled")),
        writable(node("line1", "small", "ns=2;s=Line1.Small")),
    ];
    let mut d = Driver::start(config(&server.endpoint(), &dir, nodes));
    let got = d
        .each(
            "first samples",
            &[
                &|s| good(s, "line1", "temperature"),
                &|s| good(s, "line1", "counter"),
                &|s| good(s, "line1", "stamped"),
                &|s| is(s, "line1", "blob"),
            ],
        )
        .await;
    assert!((14.0..26.0).contains(&f64_of(&got[0])), "{:?}", got[0]);
    assert!(matches!(got[1].value, Some(Value::I64(_))), "{:?}", got[1]);
    // The server's source time, not the time we received it.
    assert_eq!(got[2].ts_ms, 1_704_164_645_000);
    assert_eq!(got[2].value, Some(Value::F64(1.5)));
    assert_eq!(got[3].quality, Quality::Bad);
    assert_eq!(
        got[3].reason.as_deref(),
        Some("unsupported type ByteString")
    );
    let c1 = match got[1].value {
        Some(Value::I64(n)) => n,
        _ => unreachable!(),
    };
    d.until("the counter counting", |s| {
        good(s, "line1", "counter") && matches!(s.value, Some(Value::I64(n)) if n > c1)
    })
    .await;
    d.until("temperature changing", |s| {
        good(s, "line1", "temperature") && s.value != got[0].value
    })
    .await;

    let done = d
        .write("line1", "setpoint", Value::F64(42.5))
        .await
        .unwrap();
    assert_eq!(
        (done.old, done.new),
        (Some(Value::F64(20.0)), Value::F64(42.5))
    );
    d.until("setpoint notification", |s| {
        good(s, "line1", "setpoint") && s.value == Some(Value::F64(42.5))
    })
    .await;
    let done = d
        .write("line1", "mode", Value::Str("auto".into()))
        .await
        .unwrap();
    assert_eq!(
        (done.old, done.new),
        (Some(Value::Str("manual".into())), Value::Str("auto".into()))
    );
    let done = d
        .write("line1", "enabled", Value::Bool(true))
        .await
        .unwrap();
    assert_eq!(
        (done.old, done.new),
        (Some(Value::Bool(false)), Value::Bool(true))
    );
    let done = d.write("line1", "small", Value::I64(-300)).await.unwrap();
    assert_eq!(
        (done.old, done.new),
        (Some(Value::I64(7)), Value::I64(-300))
    );
    match d.write("line1", "small", Value::I64(70_000)).await {
        Err(DriverError::Invalid(m)) => assert!(m.contains("Int16"), "{m}"),
        other => panic!("{other:?}"),
    }
    let st = d.stats.snapshot();
    assert_eq!((st.writes, st.connects), (4, 1));
    d.stop().await;
    server.kill().await;
}

#[tokio::test]
async fn driver_uses_basic256sha256_and_a_password_with_asyncua() {
    let Some(py) = python_or_skip("driver_uses_basic256sha256_and_a_password_with_asyncua") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("peer-pki");
    let server = PyServer::start(
        py,
        free_port(),
        &[
            "--security",
            "basic256sha256",
            "--user",
            "gateway:pa55:word",
            "--pki",
            pki.to_str().unwrap(),
        ],
    )
    .await;
    let nodes = vec![
        node("line1", "temperature", "ns=2;s=Line1.Temperature"),
        poll("line1", "counter", "ns=2;s=Line1.Counter", 100),
        writable(node("line1", "setpoint", "ns=2;s=Line1.Setpoint")),
    ];
    let mut cfg = config(&server.endpoint(), &dir, nodes);
    cfg.security = Security::Basic256Sha256;
    cfg.trust_server_certificate = true;
    cfg.auth = Auth::UserName {
        username: "gateway".into(),
        password: "pa55:word".into(),
    };
    let mut d = Driver::start(cfg.clone());
    d.first_good_of(&[("line1", "temperature"), ("line1", "counter")])
        .await;
    let done = d
        .write("line1", "setpoint", Value::F64(-3.25))
        .await
        .unwrap();
    assert_eq!(done.new, Value::F64(-3.25));
    d.stop().await;

    // The wrong password: no session, the points say why.
    cfg.auth = Auth::UserName {
        username: "gateway".into(),
        password: "nope".into(),
    };
    let mut d = Driver::start(cfg.clone());
    let s = d
        .until("refused login", |s| is(s, "line1", "temperature"))
        .await;
    assert_eq!(s.quality, Quality::Bad);
    assert!(
        s.reason.as_deref().unwrap().starts_with("not connected: "),
        "{s:?}"
    );
    d.stop().await;

    // Security None is not offered by this server.
    cfg.security = Security::None;
    let mut d = Driver::start(cfg);
    let s = d
        .until("no matching endpoint", |s| is(s, "line1", "temperature"))
        .await;
    assert_eq!(s.quality, Quality::Bad);
    d.stop().await;
    server.kill().await;
}
