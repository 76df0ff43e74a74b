//! TLS on every listener of `ironloom serve`, driven by real clients: curl over HTTPS (the
//! REST API and the HTTP device API, with a client certificate too), Eclipse Paho over WSS
//! and MQTTS, mosquitto_pub over MQTTS; devices logging in by client certificate, and
//! only ever as the device the certificate is registered to; certificates replaced while
//! the server runs (polled, and on SIGHUP); bad files stop start-up naming the file.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use bytes::BytesMut;
use ironloom_testkit::tls::{Issued, TestCa};
use rumqttc::mqttbytes::v4;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::process::Command;

use crate::paho::{pump_model, python_with_paho, run_script};
use crate::support::{Api, Server, now_ms, until};

/// A command on PATH, or None after saying the test is skipped (a failure under
/// IRONLOOM_REQUIRE_PEERS).
fn peer(command: &str, test: &str) -> Option<()> {
    let found = std::process::Command::new(command)
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        let required = std::env::var("IRONLOOM_REQUIRE_PEERS").is_ok_and(|v| !v.is_empty());
        assert!(
            !required,
            "IRONLOOM_REQUIRE_PEERS is set but {command} is not on PATH \
             (eval \"$(scripts/install-test-peers.sh)\")"
        );
        println!(
            "SKIPPED {test}: {command} is not on PATH (scripts/install-test-peers.sh installs it)"
        );
    }
    found.then_some(())
}

/// The platform's certificate authority, its server certificate for 127.0.0.1 and the
/// files, in `dir`.
pub(crate) struct Pki {
    pub ca: TestCa,
    pub ca_file: PathBuf,
    pub server: Issued,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The CA that signs the devices' client certificates, and its file.
pub(crate) struct DeviceCa {
    pub ca: TestCa,
    pub file: PathBuf,
}

impl DeviceCa {
    pub fn new(dir: &Path) -> DeviceCa {
        let ca = TestCa::new("device CA");
        let file = ca.write(dir, "device-ca");
        DeviceCa { ca, file }
    }

    /// Client certificates from this CA are optional on HTTPS and on MQTTS.
    pub fn env(&self, pki: &Pki) -> Vec<(&'static str, String)> {
        let mut env = pki.env();
        for (k, v) in [
            (
                "IRONLOOM__HTTP__TLS_CLIENT_CA",
                self.file.display().to_string(),
            ),
            ("IRONLOOM__HTTP__TLS_CLIENT_AUTH", s("optional")),
            (
                "IRONLOOM__MQTT__TLS_CLIENT_CA",
                self.file.display().to_string(),
            ),
            ("IRONLOOM__MQTT__TLS_CLIENT_AUTH", s("optional")),
        ] {
            env.push((k, v));
        }
        env
    }
}

impl Pki {
    pub fn new(dir: &Path) -> Pki {
        let ca = TestCa::new("ironloom test CA");
        let ca_file = ca.write(dir, "ca");
        let server = ca.server();
        let (cert, key) = server.write(dir, "server");
        Pki {
            ca,
            ca_file,
            server,
            cert,
            key,
        }
    }

    /// HTTPS and MQTTS on free ports with the server certificate.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("IRONLOOM__HTTP__TLS_ADDR", s("127.0.0.1:0")),
            ("IRONLOOM__MQTT__TLS_ADDR", s("127.0.0.1:0")),
        ];
        for (k, v) in [
            ("IRONLOOM__HTTP__TLS_CERT", &self.cert),
            ("IRONLOOM__HTTP__TLS_KEY", &self.key),
            ("IRONLOOM__MQTT__TLS_CERT", &self.cert),
            ("IRONLOOM__MQTT__TLS_KEY", &self.key),
        ] {
            env.push((k, v.display().to_string()));
        }
        env
    }
}

/// Runs curl; returns the HTTP status (0 when there was no answer), the body and curl's
/// own complaint.
pub(crate) async fn curl(args: &[String]) -> (u16, String, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20", "-w", "\n%{http_code}"])
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = stdout.rsplit_once('\n').unwrap_or(("", &stdout));
    (
        code.trim().parse().unwrap_or(0),
        body.to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn s(v: impl std::fmt::Display) -> String {
    v.to_string()
}

/// A device's raw MQTT 3.1.1 connection (over TLS in these tests): CONNECT with a user
/// name, then QoS 1 publishes answered by PUBACKs.
pub(crate) struct RawDevice<S> {
    io: S,
    next: u16,
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut S,
    out: &[u8],
    want: usize,
) -> Vec<u8> {
    if io.write_all(out).await.is_err() || io.flush().await.is_err() {
        return Vec::new();
    }
    let mut got = BytesMut::new();
    while got.len() < want {
        match tokio::time::timeout(Duration::from_secs(10), io.read_buf(&mut got)).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => break,
        }
    }
    got.to_vec()
}

impl<S: AsyncRead + AsyncWrite + Unpin> RawDevice<S> {
    /// Connects with `username` (none: log-in by client certificate); returns the CONNACK
    /// return code, or None when the server closed the connection instead.
    pub async fn connect(mut io: S, username: Option<&str>) -> (Option<u8>, RawDevice<S>) {
        let mut b = BytesMut::new();
        let mut c = v4::Connect::new("raw-tls-device");
        if let Some(u) = username {
            c.set_login(u, "");
        }
        c.write(&mut b).unwrap();
        let got = exchange(&mut io, &b, 4).await;
        let code = (got.len() >= 4 && got[0] == 0x20).then(|| got[3]);
        (code, RawDevice { io, next: 1 })
    }

    /// Publishes telemetry at QoS 1; true when the PUBACK came.
    pub async fn publish(&mut self, values: Value) -> bool {
        let pkid = self.next;
        self.next += 1;
        let mut b = BytesMut::new();
        let mut p = v4::Publish::new(
            "v1/devices/me/telemetry",
            rumqttc::mqttbytes::QoS::AtLeastOnce,
            values.to_string(),
        );
        p.pkid = pkid;
        p.write(&mut b).unwrap();
        let [hi, lo] = pkid.to_be_bytes();
        exchange(&mut self.io, &b, 4).await == [0x40, 0x02, hi, lo]
    }
}

#[tokio::test]
async fn curl_over_https_reaches_the_api_and_the_device_http_api() {
    let Some(()) = peer(
        "curl",
        "curl_over_https_reaches_the_api_and_the_device_http_api",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let server = Server::start_with(&dir.path().join("data"), "127.0.0.1:0", &pki.env());
    let https = format!("https://{}", server.https.unwrap());
    let api = Api::new_tenant(&server).await;
    let product = api.product("tlsPump", pump_model()).await;
    let device = api.device(&product, "tls-pump").await;
    let ca = pki.ca_file.display().to_string();

    let (status, body, _) =
        curl(&["--cacert".into(), ca.clone(), format!("{https}/healthz")]).await;
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    // Without the CA, curl does not trust the server: it is our certificate it got.
    let (status, _, complaint) = curl(&[format!("{https}/healthz")]).await;
    assert_eq!(status, 0, "{complaint}");
    assert!(complaint.contains("certificate"), "{complaint}");

    // The REST API, with the token of a log-in.
    let (status, body, _) = curl(&[
        "--cacert".into(),
        ca.clone(),
        "-H".into(),
        format!("authorization: Bearer {}", api.token()),
        format!("{https}/api/v1/devices"),
    ])
    .await;
    assert_eq!(status, 200, "{body}");
    let list: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(list["items"][0]["name"], "tls-pump");

    // The HTTP device API: the values are stored and readable through the API.
    let ts = now_ms() - 1000;
    let (status, body, _) = curl(&[
        "--cacert".into(),
        ca,
        "-H".into(),
        "content-type: application/json".into(),
        "-d".into(),
        json!({"ts": ts, "values": {"temp": 21.5, "rpm": 1200}}).to_string(),
        format!("{https}/api/v1/{}/telemetry", device.access_token),
    ])
    .await;
    assert_eq!(status, 200, "{body}");
    let h = api.history(&device.id, "temp,rpm", ts, ts + 1).await;
    assert_eq!(h.len(), 2, "{h:?}");
}

#[tokio::test]
async fn paho_over_wss_stores_telemetry() {
    let Some(python) = python_with_paho("paho_over_wss_stores_telemetry") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let server = Server::start_with(&dir.path().join("data"), "127.0.0.1:0", &pki.env());
    let api = Api::new_tenant(&server).await;
    let product = api.product("wssPump", pump_model()).await;
    let device = api.device(&product, "wss-pump").await;
    let base = now_ms() - 60_000;
    let https = server.https.unwrap();
    let args = vec![
        s("wss"),
        https.ip().to_string(),
        https.port().to_string(),
        pki.ca_file.display().to_string(),
        device.access_token.clone(),
        base.to_string(),
    ];
    run_script(python, &args, &server).await;
    let h = api.history(&device.id, "temp", base, base + 1).await;
    assert_eq!(h, vec![("temp".to_string(), base, json!(41.5))]);
}

#[tokio::test]
async fn mosquitto_pub_over_mqtts_with_a_token() {
    let Some(()) = peer("mosquitto_pub", "mosquitto_pub_over_mqtts_with_a_token") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let server = Server::start_with(&dir.path().join("data"), "127.0.0.1:0", &pki.env());
    let api = Api::new_tenant(&server).await;
    let product = api.product("mqttsPump", pump_model()).await;
    let device = api.device(&product, "mqtts-pump").await;
    let ts = now_ms() - 1000;
    let mqtts = server.mqtts.unwrap();
    let (ok, err) = mosquitto_pub(
        mqtts.port(),
        &pki.ca_file,
        None,
        Some(&device.access_token),
        json!({"ts": ts, "values": {"temp": 30.5}}),
    )
    .await;
    assert!(ok, "{err}");
    // mosquitto_pub exits after the PUBACK: the value is stored.
    let h = api.history(&device.id, "temp", ts, ts + 1).await;
    assert_eq!(h, vec![("temp".to_string(), ts, json!(30.5))]);
}

#[tokio::test]
async fn certificates_are_replaced_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let mut env = pki.env();
    // HTTPS looks at its files every second; MQTT only on SIGHUP.
    env.push(("IRONLOOM__HTTP__TLS_RELOAD_INTERVAL", s("1s")));
    env.push(("IRONLOOM__MQTT__TLS_RELOAD_INTERVAL", s("0s")));
    let server = Server::start_with(&dir.path().join("data"), "127.0.0.1:0", &env);
    let (mqtts, https) = (server.mqtts.unwrap(), server.https.unwrap());
    let api = Api::new_tenant(&server).await;
    let product = api.product("reloadPump", pump_model()).await;
    let device = api.device(&product, "reload-pump").await;
    let ca = &pki.ca;
    assert_eq!(ca.server_fingerprint(mqtts).await, pki.server.fingerprint);
    assert_eq!(ca.server_fingerprint(https).await, pki.server.fingerprint);
    let (code, mut old) = RawDevice::connect(
        ca.connect(mqtts, None).await.unwrap(),
        Some(&device.access_token),
    )
    .await;
    assert_eq!(code, Some(0));
    assert!(old.publish(json!({"temp": 1.0})).await);

    // New files: HTTPS picks them up by itself, new connections get the new certificate.
    let next = ca.server();
    next.write(dir.path(), "server");
    until("the HTTPS listener's new certificate", || async {
        (ca.server_fingerprint(https).await == next.fingerprint).then_some(())
    })
    .await;
    // MQTT waits for SIGHUP; the connection made before goes on meanwhile and after.
    assert_eq!(ca.server_fingerprint(mqtts).await, pki.server.fingerprint);
    assert!(old.publish(json!({"temp": 2.0})).await);
    let hup = std::process::Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    until("the MQTT listener's new certificate", || async {
        (ca.server_fingerprint(mqtts).await == next.fingerprint).then_some(())
    })
    .await;

    // A broken file is reported, naming it, and changes nothing.
    std::fs::write(&pki.cert, "not a certificate").unwrap();
    let log = server.log.clone();
    until("the complaint about the broken file", || async {
        let l = log.lock().unwrap();
        (l.contains("TLS files not reloaded") && l.contains("server.crt")).then_some(())
    })
    .await;
    assert_eq!(ca.server_fingerprint(https).await, next.fingerprint);
    assert!(old.publish(json!({"temp": 3.0})).await);
    let h = api
        .history(&device.id, "temp", now_ms() - 120_000, now_ms() + 1000)
        .await;
    assert_eq!(h.len(), 3, "{h:?}");
}

/// Runs `ironloom serve` expecting it to stop at start-up; returns its last words.
async fn start_up_error(data: &Path, env: &[(&str, String)]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ironloom"))
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("IRONLOOM_ADMIN_PASSWORD", crate::support::ADMIN_PASSWORD)
        .env("IRONLOOM__MQTT__ADDR", "127.0.0.1:0")
        .env("IRONLOOM__COAP__ADDR", "127.0.0.1:0")
        .args(["serve", "--http", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), out)
        .await
        .expect("serve should have stopped")
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    stderr.lines().last().unwrap_or_default().to_string()
}

#[tokio::test]
async fn bad_tls_files_stop_start_up_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let data = dir.path().join("data");
    let with = |k: &'static str, v: String| {
        let mut env = pki.env();
        env.retain(|(name, _)| *name != k);
        env.push((k, v));
        env
    };
    // Missing.
    let missing = dir.path().join("missing.crt").display().to_string();
    let e = start_up_error(&data, &with("IRONLOOM__HTTP__TLS_CERT", missing.clone())).await;
    assert!(e.starts_with("error: HTTPS") && e.contains(&missing), "{e}");
    // Unreadable (a directory).
    let e = start_up_error(
        &data,
        &with("IRONLOOM__MQTT__TLS_KEY", dir.path().display().to_string()),
    )
    .await;
    assert!(
        e.contains("cannot read") && e.contains(&dir.path().display().to_string()),
        "{e}"
    );
    // Not PEM.
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "hello").unwrap();
    let e = start_up_error(
        &data,
        &with("IRONLOOM__MQTT__TLS_CERT", junk.display().to_string()),
    )
    .await;
    assert!(
        e.contains("junk.pem") && e.contains("no PEM certificate"),
        "{e}"
    );
    // The key of another certificate.
    let (_, other_key) = pki.ca.server().write(dir.path(), "other");
    let e = start_up_error(
        &data,
        &with("IRONLOOM__HTTP__TLS_KEY", other_key.display().to_string()),
    )
    .await;
    assert!(
        e.contains("other.key") && e.contains("server.crt") && e.contains("does not belong"),
        "{e}"
    );
    // Client certificates without the CA that signs them.
    let e = start_up_error(
        &data,
        &with("IRONLOOM__HTTP__TLS_CLIENT_AUTH", s("required")),
    )
    .await;
    assert!(e.contains("http.tls_client_ca"), "{e}");
}

/// Registers `cert` as the device's X.509 credential; returns the API's status and answer.
async fn register(api: &Api, device: &str, cert: &Issued) -> (u16, Value) {
    api.call(
        "POST",
        &format!("/api/v1/devices/{device}/credentials/rotate"),
        Some(json!({"x509_certificate": cert.cert_pem})),
    )
    .await
}

/// mosquitto_pub over MQTTS at QoS 1, with a client certificate (and key) and a user name
/// when given; whether it succeeded (it exits after the PUBACK) and what it said.
async fn mosquitto_pub(
    port: u16,
    ca: &Path,
    cert: Option<(&Path, &Path)>,
    user: Option<&str>,
    body: Value,
) -> (bool, String) {
    let mut c = Command::new("mosquitto_pub");
    c.args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q", "1"])
        .arg("--cafile")
        .arg(ca)
        .args(["-t", "v1/devices/me/telemetry", "-m", &body.to_string()]);
    if let Some((cert, key)) = cert {
        c.arg("--cert").arg(cert).arg("--key").arg(key);
    }
    if let Some(u) = user {
        c.args(["-u", u]);
    }
    let out = c.kill_on_drop(true).output().await.unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[tokio::test]
async fn devices_log_in_by_client_certificate_with_paho_and_mosquitto() {
    let test = "devices_log_in_by_client_certificate_with_paho_and_mosquitto";
    let (Some(python), Some(())) = (python_with_paho(test), peer("mosquitto_pub", test)) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let devices = DeviceCa::new(dir.path());
    let server = Server::start_with(&dir.path().join("data"), "127.0.0.1:0", &devices.env(&pki));
    let api = Api::new_tenant(&server).await;
    let product = api.product("certPump", pump_model()).await;
    let device = api.device(&product, "cert-pump").await;
    let cert = devices.ca.client("cert-pump");
    let (cert_file, key_file) = cert.write(dir.path(), "cert-pump");
    let (status, creds) = register(&api, &device.id, &cert).await;
    assert_eq!(status, 200, "{creds}");
    assert_eq!(creds["x509_fingerprint"], cert.fingerprint.to_string());
    // Rotating the other credentials keeps the certificate.
    let (status, creds) = api
        .call(
            "POST",
            &format!("/api/v1/devices/{}/credentials/rotate", device.id),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(creds["x509_fingerprint"], cert.fingerprint.to_string());
    assert_ne!(creds["access_token"], device.access_token.as_str());

    let base = now_ms() - 60_000;
    let (mqtts, https) = (server.mqtts.unwrap(), server.https.unwrap());
    let paho = |transport: &str,
                addr: std::net::SocketAddr,
                cert: &Path,
                key: &Path,
                base: i64,
                expect: &str| {
        vec![
            s("x509"),
            s(transport),
            addr.ip().to_string(),
            addr.port().to_string(),
            pki.ca_file.display().to_string(),
            cert.display().to_string(),
            key.display().to_string(),
            base.to_string(),
            s(expect),
        ]
    };
    // Paho over MQTTS and over WSS, the certificate and no user name.
    run_script(
        python,
        &paho("tcp", mqtts, &cert_file, &key_file, base, "stored"),
        &server,
    )
    .await;
    run_script(
        python,
        &paho(
            "websockets",
            https,
            &cert_file,
            &key_file,
            base + 1,
            "stored",
        ),
        &server,
    )
    .await;
    // mosquitto_pub over MQTTS.
    let (ok, err) = mosquitto_pub(
        mqtts.port(),
        &pki.ca_file,
        Some((&cert_file, &key_file)),
        None,
        json!({"ts": base + 2, "values": {"temp": 52.5}}),
    )
    .await;
    assert!(ok, "{err}");
    let h = api.history(&device.id, "temp", base, base + 3).await;
    assert_eq!(
        h,
        vec![
            (s("temp"), base, json!(51.5)),
            (s("temp"), base + 1, json!(51.5)),
            (s("temp"), base + 2, json!(52.5)),
        ]
    );

    // A certificate of the device CA that is registered to no device: refused by both.
    let unknown = devices.ca.client("nobody");
    let (u_cert, u_key) = unknown.write(dir.path(), "nobody");
    run_script(
        python,
        &paho("tcp", mqtts, &u_cert, &u_key, base, "refused"),
        &server,
    )
    .await;
    let (ok, _) = mosquitto_pub(
        mqtts.port(),
        &pki.ca_file,
        Some((&u_cert, &u_key)),
        None,
        json!({"temp": 1}),
    )
    .await;
    assert!(!ok, "a certificate registered to no device was accepted");
    // A certificate of another CA, registered or not: refused in the handshake.
    let stranger = TestCa::new("other CA").client("cert-pump");
    let (s_cert, s_key) = stranger.write(dir.path(), "stranger");
    run_script(
        python,
        &paho("tcp", mqtts, &s_cert, &s_key, base, "refused"),
        &server,
    )
    .await;
    run_script(
        python,
        &paho("websockets", https, &s_cert, &s_key, base, "refused"),
        &server,
    )
    .await;
    let (ok, _) = mosquitto_pub(
        mqtts.port(),
        &pki.ca_file,
        Some((&s_cert, &s_key)),
        None,
        json!({"temp": 1}),
    )
    .await;
    assert!(!ok, "a certificate of another CA was accepted");
    let h = api
        .history(&device.id, "temp", base - 1, now_ms() + 1000)
        .await;
    assert_eq!(h.len(), 3, "{h:?}");
    // Removing the registration ends log-ins by the certificate.
    let (status, creds) = api
        .call(
            "POST",
            &format!("/api/v1/devices/{}/credentials/rotate", device.id),
            Some(json!({"x509_fingerprint": null})),
        )
        .await;
    assert_eq!((status, &creds["x509_fingerprint"]), (200, &Value::Null));
    let (ok, _) = mosquitto_pub(
        mqtts.port(),
        &pki.ca_file,
        Some((&cert_file, &key_file)),
        None,
        json!({"temp": 1}),
    )
    .await;
    assert!(!ok, "a certificate no longer registered was accepted");
}

#[tokio::test]
async fn a_certificate_is_only_ever_the_device_it_is_registered_to() {
    let Some(()) = peer(
        "mosquitto_pub",
        "a_certificate_is_only_ever_the_device_it_is_registered_to",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let devices = DeviceCa::new(dir.path());
    let server = Server::start_with(&dir.path().join("data"), "127.0.0.1:0", &devices.env(&pki));
    let factory = Api::new_tenant(&server).await;
    let other = Api::new_tenant_named(&server, "rival", "rival-admin").await;
    let pa = factory.product("ownPump", pump_model()).await;
    let pb = other.product("rivalPump", pump_model()).await;
    let cert = devices.ca.client("own-pump");
    // Registered when the device is created, by the fingerprint as openssl prints it.
    let openssl: Vec<String> = cert
        .fingerprint
        .0
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    let (status, own) = factory
        .call("POST", "/api/v1/devices", Some(json!({"name": "own-pump", "product_id": pa,
            "credentials": {"x509_fingerprint": format!("sha256 Fingerprint={}", openssl.join(":"))}})))
        .await;
    assert_eq!(status, 201, "{own}");
    assert_eq!(
        own["credentials"]["x509_fingerprint"],
        cert.fingerprint.to_string()
    );
    let own_id = own["id"].as_str().unwrap();
    // Another tenant cannot register the same certificate to its device.
    let rival = other.device(&pb, "rival-pump").await;
    let (status, body) = register(&other, &rival.id, &cert).await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = other
        .call(
            "POST",
            "/api/v1/devices",
            Some(json!({"name": "rival-2", "product_id": pb,
            "credentials": {"x509_fingerprint": cert.fingerprint.to_string()}})),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    // Bad registrations are refused with the field named.
    for (input, field) in [
        (
            json!({"x509_certificate": "not a certificate"}),
            "credentials.x509_certificate",
        ),
        (
            json!({"x509_fingerprint": "abc"}),
            "credentials.x509_fingerprint",
        ),
        (
            json!({"x509_certificate": cert.cert_pem, "x509_fingerprint": cert.fingerprint.to_string()}),
            "credentials.x509_fingerprint",
        ),
    ] {
        let (status, body) = other
            .call(
                "POST",
                &format!("/api/v1/devices/{}/credentials/rotate", rival.id),
                Some(input),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert!(body.to_string().contains(field), "{field} in {body}");
    }
    // The certificate with the rival device's token as user name is still the own device.
    let (cert_file, key_file) = cert.write(dir.path(), "own-pump");
    let ts = now_ms() - 1000;
    let (ok, err) = mosquitto_pub(
        server.mqtts.unwrap().port(),
        &pki.ca_file,
        Some((&cert_file, &key_file)),
        Some(&rival.access_token),
        json!({"ts": ts, "values": {"temp": 12.5}}),
    )
    .await;
    assert!(ok, "{err}");
    assert_eq!(factory.history(own_id, "temp", ts, ts + 1).await.len(), 1);
    assert!(
        other
            .history(&rival.id, "temp", ts - 60_000, now_ms() + 1000)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn curl_with_a_client_certificate_over_https() {
    let Some(()) = peer("curl", "curl_with_a_client_certificate_over_https") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let devices = DeviceCa::new(dir.path());
    let mut env = devices.env(&pki);
    env.retain(|(k, _)| *k != "IRONLOOM__HTTP__TLS_CLIENT_AUTH");
    env.push(("IRONLOOM__HTTP__TLS_CLIENT_AUTH", s("required")));
    let server = Server::start_with(&dir.path().join("data"), "127.0.0.1:0", &env);
    let api = Api::new_tenant(&server).await;
    let product = api.product("httpsPump", pump_model()).await;
    let device = api.device(&product, "https-pump").await;
    let url = format!(
        "https://{}/api/v1/{}/telemetry",
        server.https.unwrap(),
        device.access_token
    );
    let cert = devices.ca.client("https-pump");
    let (cert_file, key_file) = cert.write(dir.path(), "https-pump");
    let ts = now_ms() - 1000;
    let send = |cert: Option<(&Path, &Path)>| {
        let mut args = vec![
            s("--cacert"),
            pki.ca_file.display().to_string(),
            s("-d"),
            json!({"ts": ts, "values": {"temp": 33.5}}).to_string(),
            url.clone(),
        ];
        if let Some((c, k)) = cert {
            args.extend([
                s("--cert"),
                c.display().to_string(),
                s("--key"),
                k.display().to_string(),
            ]);
        }
        args
    };
    let (status, body, complaint) = curl(&send(Some((&cert_file, &key_file)))).await;
    assert_eq!(status, 200, "{body} {complaint}");
    // Without a certificate, or with one of another CA, there is no HTTPS connection.
    let (status, _, complaint) = curl(&send(None)).await;
    assert_eq!(status, 0, "{complaint}");
    let (s_cert, s_key) = TestCa::new("other CA")
        .client("https-pump")
        .write(dir.path(), "stranger");
    let (status, _, complaint) = curl(&send(Some((&s_cert, &s_key)))).await;
    assert_eq!(status, 0, "{complaint}");
    assert_eq!(api.history(&device.id, "temp", ts, ts + 1).await.len(), 1);
}
