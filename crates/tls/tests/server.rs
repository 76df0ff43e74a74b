//! One listener's TLS end to end on real sockets: start-up errors naming the file, reloads
//! reaching new connections while old ones continue, the files watched, client
//! certificates verified against the client CA.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ironloom_core::units::ListenAddr;
use ironloom_testkit::tls::{Issued, TestCa};
use ironloom_tls::{CertFingerprint, ClientAuth, Reload, ServerTls, TlsError, TlsListenerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

fn settings(dir: &Path) -> TlsListenerConfig {
    TlsListenerConfig {
        addr: ListenAddr::on("127.0.0.1:0".parse().unwrap()),
        cert: dir.join("server.crt"),
        key: dir.join("server.key"),
        ..TlsListenerConfig::default()
    }
}

fn with_client_ca(dir: &Path, auth: ClientAuth) -> TlsListenerConfig {
    TlsListenerConfig {
        client_ca: dir.join("clients.crt"),
        client_auth: auth,
        ..settings(dir)
    }
}

/// An echo server behind `tls`: each connection answers what it reads, and reports
/// the client certificate of its handshake.
async fn echo_server(
    tls: Arc<ServerTls>,
) -> (
    std::net::SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<Option<CertFingerprint>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let (tls, tx) = (tls.clone(), tx.clone());
            tokio::spawn(async move {
                let Ok((mut s, cert)) = tls.handshake(tcp, Duration::from_secs(5)).await else {
                    return;
                };
                let _ = tx.send(cert);
                let mut buf = [0u8; 64];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                    let _ = s.flush().await;
                }
            });
        }
    });
    (addr, rx)
}

async fn echo(s: &mut tokio_rustls::client::TlsStream<tokio::net::TcpStream>, text: &[u8]) {
    s.write_all(text).await.unwrap();
    s.flush().await.unwrap();
    let mut got = vec![0u8; text.len()];
    s.read_exact(&mut got).await.unwrap();
    assert_eq!(got, text);
}

/// Whether a connection to the echo server answers (a refused client certificate shows
/// on the client's first read in TLS 1.3, after its side of the handshake completed).
async fn answers(
    conn: std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>,
) -> bool {
    let Ok(mut s) = conn else {
        return false;
    };
    let _ = s.write_all(b"hi").await;
    let _ = s.flush().await;
    let mut buf = [0u8; 2];
    s.read_exact(&mut buf).await.is_ok()
}

fn load_err(s: &TlsListenerConfig) -> String {
    ServerTls::load("mqtt", s).unwrap_err().to_string()
}

#[test]
fn start_up_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings(dir.path());
    let ca = TestCa::new("ca");
    // Missing.
    let e = load_err(&s);
    assert!(e.contains("server.crt") && e.contains("cannot read"), "{e}");
    // Unreadable (a directory where the file should be).
    std::fs::create_dir(dir.path().join("server.crt")).unwrap();
    let e = load_err(&s);
    assert!(e.contains("server.crt") && e.contains("cannot read"), "{e}");
    std::fs::remove_dir(dir.path().join("server.crt")).unwrap();
    // Not a certificate.
    let server = ca.server();
    server.write(dir.path(), "server");
    std::fs::write(&s.cert, "hello").unwrap();
    let e = load_err(&s);
    assert!(
        e.contains("server.crt") && e.contains("no PEM certificate"),
        "{e}"
    );
    // A key that is no key, and one of another certificate.
    server.write(dir.path(), "server");
    std::fs::write(&s.key, server.cert_pem.as_bytes()).unwrap();
    let e = load_err(&s);
    assert!(
        e.contains("server.key") && e.contains("no PEM private key"),
        "{e}"
    );
    std::fs::write(&s.key, ca.server().key_pem).unwrap();
    let e = load_err(&s);
    assert!(
        e.contains("server.key") && e.contains("server.crt") && e.contains("does not belong"),
        "{e}"
    );
    // A client CA that is missing, or not a certificate.
    server.write(dir.path(), "server");
    let m = with_client_ca(dir.path(), ClientAuth::Required);
    let e = load_err(&m);
    assert!(
        e.contains("clients.crt") && e.contains("cannot read"),
        "{e}"
    );
    std::fs::write(&m.client_ca, server.key_pem.as_bytes()).unwrap();
    let e = load_err(&m);
    assert!(e.contains("clients.crt"), "{e}");
    // All good.
    ca.write(dir.path(), "clients");
    let tls = ServerTls::load("mqtt", &m).unwrap();
    assert_eq!(tls.fingerprint(), server.fingerprint);
    // Settings are checked first, naming the section.
    let e = load_err(&TlsListenerConfig {
        key: Default::default(),
        ..s
    });
    assert!(e.contains("mqtt.tls_key"), "{e}");
}

#[tokio::test]
async fn new_connections_get_a_reloaded_certificate_and_old_ones_continue() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("ca");
    let first = ca.server();
    first.write(dir.path(), "server");
    let tls = ServerTls::load("http", &settings(dir.path())).unwrap();
    let (addr, _) = echo_server(tls.clone()).await;
    let mut old = ca.connect(addr, None).await.unwrap();
    echo(&mut old, b"before").await;
    assert_eq!(ca.server_fingerprint(addr).await, first.fingerprint);
    assert!(matches!(tls.reload(), Reload::Unchanged));

    let second = ca.server();
    second.write(dir.path(), "server");
    match tls.reload() {
        Reload::Reloaded(f) => assert_eq!(f, second.fingerprint),
        other => panic!("{other:?}"),
    }
    assert_eq!(ca.server_fingerprint(addr).await, second.fingerprint);
    echo(&mut old, b"after the reload").await;

    // A bad file changes nothing, and is reported once.
    std::fs::write(dir.path().join("server.crt"), "garbage").unwrap();
    match tls.reload() {
        Reload::Failed(e) => assert!(e.to_string().contains("server.crt"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(tls.reload(), Reload::Unchanged));
    assert_eq!(ca.server_fingerprint(addr).await, second.fingerprint);
    // Half-replaced files (a new certificate, the old key) change nothing either.
    let third: Issued = ca.server();
    std::fs::write(dir.path().join("server.crt"), &third.cert_pem).unwrap();
    assert!(matches!(
        tls.reload(),
        Reload::Failed(TlsError::KeyMismatch { .. })
    ));
    assert_eq!(ca.server_fingerprint(addr).await, second.fingerprint);
    std::fs::write(dir.path().join("server.key"), &third.key_pem).unwrap();
    assert!(matches!(tls.reload(), Reload::Reloaded(f) if f == third.fingerprint));
    assert_eq!(ca.server_fingerprint(addr).await, third.fingerprint);
    echo(&mut old, b"still there").await;
}

#[tokio::test]
async fn the_files_are_watched() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("ca");
    ca.server().write(dir.path(), "server");
    let s = TlsListenerConfig {
        reload_interval: ironloom_core::units::Duration(Duration::from_secs(1)),
        ..settings(dir.path())
    };
    let tls = ServerTls::load("http", &s).unwrap();
    let stop = CancellationToken::new();
    let watcher = tokio::spawn(tls.clone().watch(stop.clone()));
    let next = ca.server();
    next.write(dir.path(), "server");
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while tls.fingerprint() != next.fingerprint {
        assert!(std::time::Instant::now() < deadline, "not reloaded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.cancel();
    watcher.await.unwrap();
}

#[tokio::test]
async fn client_certificates_are_verified_against_the_client_ca() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("server ca");
    ca.server().write(dir.path(), "server");
    let clients = TestCa::new("device ca");
    clients.write(dir.path(), "clients");
    let device = clients.client("pump-1");
    let stranger = TestCa::new("other ca").client("pump-1");

    for auth in [ClientAuth::Required, ClientAuth::Optional] {
        let tls = ServerTls::load("mqtt", &with_client_ca(dir.path(), auth)).unwrap();
        let (addr, mut certs) = echo_server(tls).await;
        // The CA's client: verified, and its certificate reported.
        let mut s = ca.connect(addr, Some(&device)).await.unwrap();
        echo(&mut s, b"hi").await;
        assert_eq!(certs.recv().await.unwrap(), Some(device.fingerprint));
        // Another CA's client: refused (TLS 1.3 tells the client on its first read).
        assert!(
            !answers(ca.connect(addr, Some(&stranger)).await).await,
            "{auth:?}: a certificate of another CA was accepted"
        );
        // No certificate: refused when required, anonymous when optional.
        let anonymous = answers(ca.connect(addr, None).await).await;
        assert_eq!(anonymous, auth == ClientAuth::Optional, "{auth:?}");
        if anonymous {
            assert_eq!(certs.recv().await.unwrap(), None);
        }
    }
}
