//! The TLS listener with a certificate made for the test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use common::TestHooks;
use ironloom_mqtt::{MqttConfig, MqttServer, TlsConfig};
use rumqttc::mqttbytes::v4;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn tls_clients_connect_and_publish() {
    let dir = tempfile::tempdir().unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let cert_pem = ck.cert.pem();
    std::fs::write(dir.path().join("cert.pem"), &cert_pem).unwrap();
    std::fs::write(dir.path().join("key.pem"), ck.signing_key.serialize_pem()).unwrap();
    let cfg = MqttConfig {
        tcp: None,
        tls: Some(TlsConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            cert: dir.path().join("cert.pem"),
            key: dir.path().join("key.pem"),
        }),
        ..MqttConfig::default()
    };
    let hooks = Arc::new(TestHooks::default());
    let server = MqttServer::bind(cfg, hooks.clone()).await.unwrap();
    let addr = server.tls_addr().unwrap();
    assert!(server.local_addr().is_none());
    let stop = CancellationToken::new();
    let s = server.clone();
    let st = stop.clone();
    let task = tokio::spawn(async move { s.run(st, Duration::from_secs(5)).await });

    let mut roots = rustls::RootCertStore::empty();
    roots.add(ck.cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client_cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_cfg));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();

    let mut b = BytesMut::new();
    let mut c = v4::Connect::new("tls-dev");
    c.set_login("ns:t", "secret");
    c.write(&mut b).unwrap();
    let mut p = v4::Publish::new("store/x", rumqttc::mqttbytes::QoS::AtLeastOnce, "42");
    p.pkid = 1;
    p.write(&mut b).unwrap();
    tls.write_all(&b).await.unwrap();
    tls.flush().await.unwrap();
    let mut got = BytesMut::new();
    while got.len() < 8 {
        let n = tls.read_buf(&mut got).await.unwrap();
        assert!(n > 0, "closed after {got:?}");
    }
    assert_eq!(&got[..4], &[0x20, 0x02, 0x00, 0x00], "CONNACK accepted");
    assert_eq!(&got[4..8], &[0x40, 0x02, 0x00, 0x01], "PUBACK 1");
    assert_eq!(hooks.received_topics(), vec!["t:store/x"]);
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn a_missing_certificate_is_a_clear_error() {
    let cfg = MqttConfig {
        tcp: None,
        tls: Some(TlsConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            cert: "/nonexistent/cert.pem".into(),
            key: "/nonexistent/key.pem".into(),
        }),
        ..MqttConfig::default()
    };
    let err = MqttServer::bind(cfg, Arc::new(TestHooks::default()))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/cert.pem"), "{err}");
}
