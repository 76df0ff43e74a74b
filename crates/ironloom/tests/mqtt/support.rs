//! `ironloom serve` as a child process on free ports, and a REST client that sets up a
//! tenant, products and devices the way an operator would.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, QoS};
use serde_json::{Value, json};

pub const ADMIN_PASSWORD: &str = "Admin-pass-1";
pub const TENANT_ADMIN_PASSWORD: &str = "Tenant-admin-pass-1";

/// A running `ironloom serve`. Dropping it kills the process.
pub struct Server {
    child: Child,
    pub http: SocketAddr,
    pub mqtt: SocketAddr,
    /// The MQTT TLS listener, when one was configured.
    pub mqtts: Option<SocketAddr>,
    /// The HTTPS listener, when one was configured.
    pub https: Option<SocketAddr>,
    /// The CoAP listener (reported before the HTTP one).
    pub coap: Option<SocketAddr>,
    /// The Handle protocol's TCP and UDP port (reported before the HTTP one).
    pub handle: Option<SocketAddr>,
    pub base: String,
    /// Everything the server logged so far (for failure messages).
    pub log: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `serve` on the data directory with HTTP and MQTT on free ports, and waits
    /// until both report their addresses.
    pub fn start(data: &Path) -> Server {
        Server::start_on(data, "127.0.0.1:0")
    }

    /// The same with MQTT on a given address (to come back on the same port).
    pub fn start_on(data: &Path, mqtt: &str) -> Server {
        Server::start_with(data, mqtt, &[])
    }

    /// The same with more environment (configuration) variables.
    pub fn start_with(data: &Path, mqtt: &str, env: &[(&str, String)]) -> Server {
        Server::start_args(data, mqtt, env, &[])
    }

    /// The same with more arguments to `serve` (`--demo`).
    pub fn start_args(data: &Path, mqtt: &str, env: &[(&str, String)], args: &[&str]) -> Server {
        let tls = env.iter().any(|(k, _)| *k == "IRONLOOM__MQTT__TLS_ADDR");
        let https_on = env.iter().any(|(k, _)| *k == "IRONLOOM__HTTP__TLS_ADDR");
        let mut child = Command::new(env!("CARGO_BIN_EXE_ironloom"))
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("IRONLOOM_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("RUST_LOG", "info")
            .env("IRONLOOM__MQTT__ADDR", mqtt)
            .env("IRONLOOM__COAP__ADDR", "127.0.0.1:0")
            .env("IRONLOOM__HANDLE__ADDR", "127.0.0.1:0")
            .args(["serve", "--http", "127.0.0.1:0"])
            .args(args)
            .arg("--data-dir")
            .arg(data)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let sink = log.clone();
        let (tx, rx) = mpsc::channel();
        // Reads to the end, so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                for (scheme, what) in [
                    ("mqtt://", "mqtt"),
                    ("mqtts://", "mqtts"),
                    ("http://", "http"),
                    ("https://", "https"),
                    ("coap://", "coap"),
                    ("handle://", "handle"),
                ] {
                    let marker = format!("listening on {scheme}");
                    if let Some(i) = line.find(&marker) {
                        let addr: String = line[i + marker.len()..]
                            .chars()
                            .take_while(|c| !c.is_whitespace())
                            .collect();
                        let _ = tx.send((what, addr));
                    }
                }
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let (mut http, mut mqtt, mut mqtts, mut https, mut coap) = (None, None, None, None, None);
        let mut handle = None;
        while http.is_none()
            || mqtt.is_none()
            || (tls && mqtts.is_none())
            || (https_on && https.is_none())
        {
            let Ok((what, addr)) = rx.recv_timeout(Duration::from_secs(60)) else {
                panic!(
                    "the server did not report its addresses:\n{}",
                    log.lock().unwrap()
                );
            };
            let addr: SocketAddr = addr.parse().unwrap();
            match what {
                "http" => http = Some(addr),
                "mqtts" => mqtts = Some(addr),
                "https" => https = Some(addr),
                "coap" => coap = Some(addr),
                "handle" => handle = Some(addr),
                _ => mqtt = Some(addr),
            }
        }
        while let Ok((what, addr)) = rx.try_recv() {
            if what == "coap" {
                coap = addr.parse().ok();
            }
            if what == "handle" {
                handle = addr.parse().ok();
            }
        }
        let http = http.unwrap();
        Server {
            child,
            http,
            mqtt: mqtt.unwrap(),
            mqtts,
            https,
            coap,
            handle,
            base: format!("http://{http}"),
            log,
        }
    }

    /// The process id (to send it signals).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown, no flush, nothing after the signal.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        let status = self.child.wait().unwrap();
        assert!(!status.success(), "{status:?}");
    }
}

/// A REST client logged in as a tenant administrator.
pub struct Api {
    base: String,
    http: reqwest::Client,
    token: String,
}

async fn login(
    http: &reqwest::Client,
    base: &str,
    user: &str,
    password: &str,
    tenant: Option<&str>,
) -> String {
    let r = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": password, "tenant": tenant}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "log-in as {user}");
    let body: Value = r.json().await.unwrap();
    body["token"].as_str().unwrap().to_string()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A device as created through the API.
#[derive(Debug, Clone)]
pub struct Device {
    pub id: String,
    pub name: String,
    pub access_token: String,
    /// The secret of Alink sign-in.
    pub secret: String,
}

impl Api {
    /// The platform administrator creates tenant `factory` and its administrator, who
    /// logs in.
    pub async fn new_tenant(server: &Server) -> Api {
        Api::new_tenant_named(server, "factory", "ta").await
    }

    /// The same for another tenant and administrator.
    pub async fn new_tenant_named(server: &Server, code: &str, user: &str) -> Api {
        let http = client();
        let base = server.base.clone();
        let admin = login(&http, &base, "admin", ADMIN_PASSWORD, None).await;
        let r = http
            .post(format!("{base}/api/v1/tenants"))
            .bearer_auth(&admin)
            .json(&json!({"code": code, "name": code}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let tenant: Value = r.json().await.unwrap();
        let r = http
            .post(format!("{base}/api/v1/users"))
            .bearer_auth(&admin)
            .json(&json!({"username": user, "password": TENANT_ADMIN_PASSWORD,
                          "role": "tenant_admin", "tenant_id": tenant["id"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let token = login(&http, &base, user, TENANT_ADMIN_PASSWORD, Some(code)).await;
        Api { base, http, token }
    }

    /// The bearer token of this session.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The platform administrator's session.
    pub async fn platform_admin(server: &Server) -> Api {
        let http = client();
        let token = login(&http, &server.base, "admin", ADMIN_PASSWORD, None).await;
        Api {
            base: server.base.clone(),
            http,
            token,
        }
    }

    /// Logs in as any user (a developer or reviewer has no tenant).
    pub async fn login_as(
        server: &Server,
        user: &str,
        password: &str,
        tenant: Option<&str>,
    ) -> Api {
        let http = client();
        let token = login(&http, &server.base, user, password, tenant).await;
        Api {
            base: server.base.clone(),
            http,
            token,
        }
    }

    /// Logs in again (after a restart) as the administrator of tenant `factory`.
    pub async fn existing_tenant(server: &Server) -> Api {
        let http = client();
        let token = login(
            &http,
            &server.base,
            "ta",
            TENANT_ADMIN_PASSWORD,
            Some("factory"),
        )
        .await;
        Api {
            base: server.base.clone(),
            http,
            token,
        }
    }

    /// Any request; returns the status and the JSON body (null when there is none).
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A POST of raw bytes (an app package); returns the status and the JSON body.
    pub async fn post_bytes(&self, path: &str, bytes: Vec<u8>) -> (u16, Value) {
        self.post_typed(path, "application/octet-stream", bytes)
            .await
    }

    /// A POST of raw bytes of a content type (a CSV file); the status and the JSON body.
    pub async fn post_typed(&self, path: &str, content_type: &str, bytes: Vec<u8>) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", content_type)
            .body(bytes)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A GET whose body is text (CSV): the status and the body.
    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    /// A download: status, content type and bytes, asked for in `language` (an
    /// `Accept-Language` value) when given.
    pub async fn get_bytes(&self, path: &str, language: Option<&str>) -> (u16, String, Vec<u8>) {
        let mut r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(l) = language {
            r = r.header("accept-language", l);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        let kind = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, kind, r.bytes().await.unwrap().to_vec())
    }

    pub async fn get(&self, path: &str) -> Value {
        self.get_query(path, &[]).await
    }

    async fn get_query(&self, path: &str, query: &[(&str, String)]) -> Value {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .query(query)
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 201, "POST {path}: {body}");
        body
    }

    /// Creates a product; returns its id.
    pub async fn product(&self, product_key: &str, thing_model: Value) -> String {
        self.product_with(product_key, "mqtt", thing_model).await
    }

    /// Creates a product reached over `protocol`; returns its id.
    pub async fn product_with(
        &self,
        product_key: &str,
        protocol: &str,
        thing_model: Value,
    ) -> String {
        let p = self
            .post(
                "/api/v1/products",
                json!({"name": product_key, "product_key": product_key, "protocol": protocol,
                       "thing_model": thing_model}),
            )
            .await;
        p["id"].as_str().unwrap().to_string()
    }

    /// Registers a device and reads its credentials back as an operator would.
    pub async fn device(&self, product_id: &str, name: &str) -> Device {
        let d = self
            .post(
                "/api/v1/devices",
                json!({"name": name, "product_id": product_id}),
            )
            .await;
        let id = d["id"].as_str().unwrap().to_string();
        let creds = self.get(&format!("/api/v1/devices/{id}/credentials")).await;
        Device {
            id,
            name: name.into(),
            access_token: creds["access_token"].as_str().unwrap().to_string(),
            secret: creds["secret"].as_str().unwrap().to_string(),
        }
    }

    /// Every stored point of the given properties of a device in `[from, to)` (epoch ms),
    /// as (property, ts in ms, value), following the pages.
    pub async fn history(
        &self,
        device: &str,
        properties: &str,
        from: i64,
        to: i64,
    ) -> Vec<(String, i64, Value)> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        let path = format!("/api/v1/devices/{device}/telemetry");
        loop {
            let mut query = vec![
                ("properties", properties.to_string()),
                ("from", from.to_string()),
                ("to", to.to_string()),
                ("limit", "10000".to_string()),
            ];
            if let Some(c) = cursor.take() {
                query.push(("cursor", c));
            }
            let page = self.get_query(&path, &query).await;
            for p in page["points"].as_array().unwrap() {
                out.push((
                    p["property"].as_str().unwrap().to_string(),
                    p["ts"].as_i64().unwrap(),
                    p["value"].clone(),
                ));
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return out,
            }
        }
    }
}

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// A device on MQTT that publishes telemetry at QoS 1 and waits for each PUBACK; it
/// records the RPCs it receives (and answers them).
pub struct Dev {
    client: AsyncClient,
    acks: tokio::sync::mpsc::UnboundedReceiver<()>,
    pub rpcs: Arc<Mutex<Vec<Value>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Dev {
    pub async fn connect(server: &Server, token: &str) -> Dev {
        let mut o = MqttOptions::new(
            format!("d-{token}"),
            server.mqtt.ip().to_string(),
            server.mqtt.port(),
        );
        o.set_credentials(token, "");
        let (client, mut ev) = AsyncClient::new(o, 64);
        client
            .subscribe("v1/devices/me/rpc/request/+", QoS::AtLeastOnce)
            .await
            .unwrap();
        let (tx, acks) = tokio::sync::mpsc::unbounded_channel();
        let (sub_tx, sub_rx) = tokio::sync::oneshot::channel();
        let mut sub_tx = Some(sub_tx);
        let rpcs: Arc<Mutex<Vec<Value>>> = Arc::default();
        let seen = rpcs.clone();
        let c = client.clone();
        let task = tokio::spawn(async move {
            while let Ok(e) = ev.poll().await {
                match e {
                    Event::Incoming(Incoming::SubAck(_)) => {
                        if let Some(t) = sub_tx.take() {
                            let _ = t.send(());
                        }
                    }
                    Event::Incoming(Incoming::PubAck(_)) => {
                        let _ = tx.send(());
                    }
                    Event::Incoming(Incoming::Publish(m)) => {
                        let req: Value = serde_json::from_slice(&m.payload).unwrap();
                        seen.lock().unwrap().push(req);
                        let id = m.topic.rsplit('/').next().unwrap().to_owned();
                        let c = c.clone();
                        tokio::spawn(async move {
                            let _ = c
                                .publish(
                                    format!("v1/devices/me/rpc/response/{id}"),
                                    QoS::AtLeastOnce,
                                    false,
                                    json!({"ok": true}).to_string(),
                                )
                                .await;
                        });
                    }
                    _ => {}
                }
            }
        });
        tokio::time::timeout(Duration::from_secs(10), sub_rx)
            .await
            .unwrap()
            .unwrap();
        Dev {
            client,
            acks,
            rpcs,
            task,
        }
    }

    /// Drops the connection without DISCONNECT (its event loop and socket are gone).
    pub fn kill(self) {
        self.task.abort();
    }

    /// Publishes values (with a timestamp when given) and waits for the PUBACK.
    pub async fn send(&mut self, values: Value, ts: Option<i64>) {
        let body = match ts {
            Some(ts) => json!({"ts": ts, "values": values}),
            None => values,
        };
        self.publish("v1/devices/me/telemetry", body).await;
    }

    /// Publishes a JSON body to a topic and waits for the PUBACK.
    pub async fn publish(&mut self, topic: &str, body: Value) {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, body.to_string())
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(10), self.acks.recv())
            .await
            .expect("PUBACK")
            .unwrap();
    }
}

/// Polls `f` every 200 ms until it returns `Some`, for up to `secs` seconds; on timeout
/// fails with `what` and what `context` says.
pub async fn within<T, F, Fut>(secs: u64, what: &str, context: impl Fn() -> String, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out: {what}\n{}", context());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Polls until `f` gives `Some`, for up to 15 s.
pub async fn until<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(x) = f().await {
            return x;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Reads the server-sent events of `path` into a list of (event, data as JSON), in the
/// background.
pub async fn sse(server: &Server, token: &str, path: &str) -> Arc<Mutex<Vec<(String, Value)>>> {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", server.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let events: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let out = events.clone();
    tokio::spawn(async move {
        let mut r = r;
        let mut buf = String::new();
        while let Ok(Some(chunk)) = r.chunk().await {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                let mut name = String::new();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(n) = line.strip_prefix("event: ") {
                        name = n.to_owned();
                    } else if let Some(d) = line.strip_prefix("data: ") {
                        data.push_str(d);
                    }
                }
                if !name.is_empty() {
                    out.lock()
                        .unwrap()
                        .push((name, serde_json::from_str(&data).unwrap_or(Value::Null)));
                }
            }
        }
    });
    events
}

/// Says that `test` is skipped because `missing` is not there (`scripts/install-test-peers.sh`
/// installs it); with IRONLOOM_REQUIRE_PEERS set, fails it instead.
pub fn peer_missing(test: &str, missing: &str) {
    let required = std::env::var("IRONLOOM_REQUIRE_PEERS").is_ok_and(|v| !v.is_empty());
    assert!(
        !required,
        "IRONLOOM_REQUIRE_PEERS is set but {missing} (eval \"$(scripts/install-test-peers.sh)\")"
    );
    println!("SKIPPED {test}: {missing} (eval \"$(scripts/install-test-peers.sh)\" installs it)");
}

/// The Python interpreter of a peer's own virtual environment, named by the environment
/// variable `var` (which `scripts/install-test-peers.sh` exports) and able to import
/// `module`; or None after [`peer_missing`].
pub fn peer_python(var: &str, module: &str, test: &str) -> Option<String> {
    let found = std::env::var(var).ok().filter(|py| {
        Command::new(py)
            .args(["-c", &format!("import {module}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if found.is_none() {
        peer_missing(
            test,
            &format!("${var} names no Python that imports {module}"),
        );
    }
    found
}

/// A peer script of `tests/peers`.
pub fn peer_script(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(name)
}

/// A peer script of `tests/peers` running as a child process, driven by lines on its
/// standard input and output; its standard error is kept for failure messages. Killed
/// when dropped.
pub struct PeerProcess {
    _child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    stdout: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    stderr: tempfile::NamedTempFile,
    seen: Vec<String>,
}

impl PeerProcess {
    pub fn spawn(python: &str, script: &str, args: &[String]) -> PeerProcess {
        use tokio::io::AsyncBufReadExt;
        let stderr = tempfile::NamedTempFile::new().unwrap();
        let mut child = tokio::process::Command::new(python)
            .arg(peer_script(script))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr.reopen().unwrap())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        PeerProcess {
            stdin: child.stdin.take().unwrap(),
            stdout: tokio::io::BufReader::new(child.stdout.take().unwrap()).lines(),
            _child: child,
            stderr,
            seen: Vec::new(),
        }
    }

    /// What the peer printed so far, on both outputs.
    pub fn output(&self) -> String {
        format!(
            "stdout:\n{}\nstderr:\n{}",
            self.seen.join("\n"),
            std::fs::read_to_string(self.stderr.path()).unwrap_or_default()
        )
    }

    /// The next line the peer prints, within `secs` seconds.
    pub async fn line(&mut self, secs: u64) -> String {
        let next = tokio::time::timeout(Duration::from_secs(secs), self.stdout.next_line()).await;
        match next {
            Ok(Ok(Some(line))) => {
                self.seen.push(line.clone());
                line
            }
            Ok(_) => panic!("the peer ended\n{}", self.output()),
            Err(_) => panic!(
                "the peer printed nothing within {secs} s\n{}",
                self.output()
            ),
        }
    }

    /// The rest of the next line, which must start with `prefix`.
    pub async fn expect(&mut self, prefix: &str, secs: u64) -> String {
        let line = self.line(secs).await;
        match line.strip_prefix(prefix) {
            Some(rest) => rest.to_owned(),
            None => panic!("expected {prefix:?}, got {line:?}\n{}", self.output()),
        }
    }

    pub async fn send(&mut self, line: &str) {
        use tokio::io::AsyncWriteExt;
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
        self.stdin.flush().await.unwrap();
    }
}
