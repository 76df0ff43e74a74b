//! The TLS listener with certificates made for the test: connecting, client certificates
//! handed to authentication, a reload reaching new connections only, start-up errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use common::TestHooks;
use ironloom_mqtt::{ClientAuth, ListenerKind, MqttConfig, MqttServer, TlsListenerConfig};
use ironloom_testkit::tls::{Issued, TestCa};
use rumqttc::mqttbytes::v4;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

fn tls_settings(dir: &Path, server: &Issued) -> TlsListenerConfig {
    let (cert, key) = server.write(dir, "server");
    TlsListenerConfig {
        addr: ironloom_core::units::ListenAddr::on("127.0.0.1:0".parse().unwrap()),
        cert,
        key,
        ..TlsListenerConfig::default()
    }
}

async fn start(
    tls: TlsListenerConfig,
) -> (
    MqttServer<TestHooks>,
    Arc<TestHooks>,
    SocketAddr,
    CancellationToken,
) {
    let cfg = MqttConfig {
        addr: ironloom_core::units::ListenAddr(None),
        tls,
        ..MqttConfig::default()
    };
    let hooks = Arc::new(TestHooks::default());
    let server = MqttServer::bind(cfg, hooks.clone()).await.unwrap();
    let addr = server.tls_addr().unwrap();
    assert!(server.local_addr().is_none());
    let stop = CancellationToken::new();
    let (s, st) = (server.clone(), stop.clone());
    tokio::spawn(async move { s.run(st, Duration::from_secs(5)).await });
    (server, hooks, addr, stop)
}

/// Sends CONNECT (as namespace `t`) and a QoS 1 PUBLISH numbered `pkid`; returns what
/// came back, CONNACK and PUBACK, or less if the server closed the connection.
async fn connect_and_publish<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S, pkid: u16) -> Vec<u8> {
    let mut b = BytesMut::new();
    let mut c = v4::Connect::new("tls-dev");
    c.set_login("ns:t", "secret");
    c.write(&mut b).unwrap();
    publish_packet(&mut b, pkid);
    exchange(s, &b, 8).await
}

fn publish_packet(b: &mut BytesMut, pkid: u16) {
    let mut p = v4::Publish::new("store/x", rumqttc::mqttbytes::QoS::AtLeastOnce, "42");
    p.pkid = pkid;
    p.write(b).unwrap();
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    out: &[u8],
    want: usize,
) -> Vec<u8> {
    if s.write_all(out).await.is_err() || s.flush().await.is_err() {
        return Vec::new();
    }
    let mut got = BytesMut::new();
    while got.len() < want {
        match tokio::time::timeout(Duration::from_secs(10), s.read_buf(&mut got)).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => break,
        }
    }
    got.to_vec()
}

const ACCEPTED: [u8; 8] = [0x20, 0x02, 0x00, 0x00, 0x40, 0x02, 0x00, 0x01];

#[tokio::test]
async fn tls_clients_connect_and_publish() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("server ca");
    let (_server, hooks, addr, stop) = start(tls_settings(dir.path(), &ca.server())).await;
    let mut tls = ca.connect(addr, None).await.unwrap();
    assert_eq!(
        connect_and_publish(&mut tls, 1).await,
        ACCEPTED,
        "CONNACK, PUBACK 1"
    );
    assert_eq!(hooks.received_topics(), vec!["t:store/x"]);
    assert_eq!(
        *hooks.listeners.lock().unwrap(),
        vec![ListenerKind::Tls { client_cert: None }]
    );
    stop.cancel();
}

#[tokio::test]
async fn client_certificates_reach_authentication_and_other_cas_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("server ca");
    let devices = TestCa::new("device ca");
    let settings = TlsListenerConfig {
        client_ca: devices.write(dir.path(), "devices"),
        client_auth: ClientAuth::Required,
        ..tls_settings(dir.path(), &ca.server())
    };
    let (_server, hooks, addr, stop) = start(settings).await;
    let device = devices.client("pump-1");
    let mut tls = ca.connect(addr, Some(&device)).await.unwrap();
    assert_eq!(connect_and_publish(&mut tls, 1).await, ACCEPTED);
    assert_eq!(
        *hooks.listeners.lock().unwrap(),
        vec![ListenerKind::Tls {
            client_cert: Some(device.fingerprint)
        }]
    );
    // A certificate of another CA, and none at all: no CONNECT gets through.
    let stranger = TestCa::new("other ca").client("pump-1");
    for cert in [Some(&stranger), None] {
        if let Ok(mut tls) = ca.connect(addr, cert).await {
            assert_eq!(connect_and_publish(&mut tls, 1).await, Vec::<u8>::new());
        }
    }
    assert_eq!(hooks.listeners.lock().unwrap().len(), 1);
    assert_eq!(hooks.received_topics().len(), 1);
    stop.cancel();
}

#[tokio::test]
async fn a_reloaded_certificate_reaches_new_connections_and_old_ones_continue() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("server ca");
    let first = ca.server();
    let settings = TlsListenerConfig {
        // Reloaded when asked, as on SIGHUP.
        reload_interval: ironloom_core::units::Duration(Duration::ZERO),
        ..tls_settings(dir.path(), &first)
    };
    let (server, _hooks, addr, stop) = start(settings).await;
    let mut old = ca.connect(addr, None).await.unwrap();
    assert_eq!(connect_and_publish(&mut old, 1).await, ACCEPTED);
    assert_eq!(ca.server_fingerprint(addr).await, first.fingerprint);

    let second = ca.server();
    second.write(dir.path(), "server");
    let tls = server.tls().unwrap();
    assert!(matches!(tls.reload(), ironloom_tls::Reload::Reloaded(f) if f == second.fingerprint));
    assert_eq!(ca.server_fingerprint(addr).await, second.fingerprint);
    let mut b = BytesMut::new();
    publish_packet(&mut b, 2);
    assert_eq!(
        exchange(&mut old, &b, 4).await,
        [0x40, 0x02, 0x00, 0x02],
        "PUBACK 2 on the old connection"
    );
    stop.cancel();
}

#[tokio::test]
async fn the_certificate_files_are_watched() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("server ca");
    let settings = TlsListenerConfig {
        reload_interval: ironloom_core::units::Duration(Duration::from_secs(1)),
        ..tls_settings(dir.path(), &ca.server())
    };
    let (_server, _hooks, addr, stop) = start(settings).await;
    let next = ca.server();
    next.write(dir.path(), "server");
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while ca.server_fingerprint(addr).await != next.fingerprint {
        assert!(std::time::Instant::now() < deadline, "not reloaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.cancel();
}

#[tokio::test]
async fn a_missing_certificate_is_a_clear_error() {
    let cfg = MqttConfig {
        addr: ironloom_core::units::ListenAddr(None),
        tls: TlsListenerConfig {
            addr: ironloom_core::units::ListenAddr::on("127.0.0.1:0".parse().unwrap()),
            cert: "/nonexistent/cert.pem".into(),
            key: "/nonexistent/key.pem".into(),
            ..TlsListenerConfig::default()
        },
        ..MqttConfig::default()
    };
    let err = MqttServer::bind(cfg, Arc::new(TestHooks::default()))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/cert.pem"), "{err}");
}
