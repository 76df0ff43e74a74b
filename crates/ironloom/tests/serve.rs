//! End-to-end tests of `ironloom serve` as a process: start-up on port 0, the first
//! administrator, health and metrics, graceful shutdown, the one-line errors, demo data,
//! configuration from file and environment.

// In tests a failed unwrap is a failed test, with the reason in the panic message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct Server {
    child: Child,
    base: String,
    stdout: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ironloom() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ironloom"));
    c.env_remove("IRONLOOM_ADMIN_PASSWORD")
        .env("RUST_LOG", "info")
        // Tests run in parallel: every server takes free MQTT and CoAP ports.
        .env("IRONLOOM__MQTT__ADDR", "127.0.0.1:0")
        .env("IRONLOOM__COAP__ADDR", "127.0.0.1:0");
    c
}

/// Starts `serve` with the given arguments and waits for the "listening" line.
fn start(mut cmd: Command) -> Server {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut out = child.stdout.take().unwrap();
    let stdout = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = stdout.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(i) = line.find("listening on http://") {
                let addr: String = line[i + 20..]
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .collect();
                let _ = tx.send(addr);
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("server did not report its address");
    Server {
        child,
        base: format!("http://{addr}"),
        stdout,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// A GET answered with JSON.
async fn get_json(c: &reqwest::Client, url: String, token: &str) -> serde_json::Value {
    c.get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn login(base: &str, user: &str, password: &str, tenant: Option<&str>) -> reqwest::Response {
    client()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": user, "password": password, "tenant": tenant}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn first_start_prints_a_one_time_admin_password_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = ironloom();
    cmd.args(["serve", "--http", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path());
    let server = start(cmd);
    let c = client();
    assert_eq!(
        c.get(format!("{}/healthz", server.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        c.get(format!("{}/readyz", server.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // The banner is printed before the server listens.
    let printed = server.stdout.lock().unwrap().clone();
    let password = printed
        .lines()
        .find_map(|l| l.split("password  / 密码:").nth(1))
        .map(|p| p.trim().to_string())
        .unwrap_or_else(|| panic!("no password in: {printed}"));
    let r = login(&server.base, "admin", &password, None).await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["password_change_required"], true);
    let metrics = c
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("ironloom_http_requests_total"),
        "{metrics}"
    );
    assert!(metrics.contains("route=\"/api/v1/auth/login\""));
    let landing = c
        .get(&server.base)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(landing.contains("/api/docs/"));
    drop(server);
    // Second start: the admin exists, nothing is printed.
    let mut cmd = ironloom();
    cmd.args(["serve", "--http", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path());
    let server = start(cmd);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!server.stdout.lock().unwrap().contains("password"));
    assert_eq!(
        login(&server.base, "admin", &password, None).await.status(),
        200
    );
}

#[tokio::test]
async fn sigterm_and_sigint_shut_down_gracefully() {
    for signal in ["TERM", "INT"] {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = ironloom();
        cmd.env("IRONLOOM_ADMIN_PASSWORD", "Admin-pass-1")
            .args(["serve", "--http", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path());
        let mut server = start(cmd);
        assert_eq!(
            client()
                .get(format!("{}/healthz", server.base))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        let pid = server.child.id().to_string();
        assert!(
            Command::new("kill")
                .args([&format!("-{signal}"), &pid])
                .status()
                .unwrap()
                .success()
        );
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(s) = server.child.try_wait().unwrap() {
                break s;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "did not stop on SIG{signal}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(status.success(), "SIG{signal}: {status:?}");
    }
}

fn run_to_error(mut cmd: Command) -> String {
    let out = cmd.output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let last = stderr.lines().last().unwrap_or("").to_string();
    assert!(last.starts_with("error: "), "{stderr}");
    last
}

#[test]
fn a_port_in_use_is_one_clear_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = ironloom();
    cmd.args(["serve", "--http", &addr, "--data-dir"])
        .arg(dir.path());
    let line = run_to_error(cmd);
    assert!(line.contains(&format!("cannot listen on {addr}")), "{line}");
    assert!(
        line.to_lowercase().contains("address already in use"),
        "{line}"
    );
}

#[test]
fn an_unwritable_data_directory_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let mut cmd = ironloom();
    cmd.args(["serve", "--http", "127.0.0.1:0", "--data-dir"])
        .arg(file.join("data"));
    let line = run_to_error(cmd);
    assert!(
        line.contains("data directory") && line.contains("is not writable"),
        "{line}"
    );
}

#[test]
fn bad_configuration_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[http]\naddress = \"127.0.0.1:1\"\n").unwrap();
    let mut cmd = ironloom();
    // Only the file configures: then the error names it.
    cmd.env_remove("IRONLOOM__MQTT__ADDR")
        .env_remove("IRONLOOM__COAP__ADDR")
        .args(["serve", "--config"])
        .arg(&cfg);
    let line = run_to_error(cmd);
    assert!(
        line.contains("c.toml") && line.contains("address"),
        "{line}"
    );
    let mut cmd = ironloom();
    cmd.env("IRONLOOM__AUTH__TOKEN_TTL", "soon")
        .args(["serve", "--data-dir"])
        .arg(dir.path());
    let line = run_to_error(cmd);
    assert!(line.contains("soon"), "{line}");
    let mut cmd = ironloom();
    cmd.args(["serve", "--meta-url", "mysql://nope", "--data-dir"])
        .arg(dir.path());
    let line = run_to_error(cmd);
    assert!(line.contains("meta.url"), "{line}");
}

#[tokio::test]
async fn demo_mode_creates_a_tenant_products_and_devices_once() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[api]\ndefault_locale = \"en\"\n[auth]\nlockout_threshold = 3\n",
    )
    .unwrap();
    for round in 0..2 {
        let mut cmd = ironloom();
        cmd.env("IRONLOOM_ADMIN_PASSWORD", "Admin-pass-1")
            .env("IRONLOOM__API__DEFAULT_LOCALE", "zh-CN")
            .args(["serve", "--demo", "--http", "127.0.0.1:0", "--config"])
            .arg(&cfg)
            .arg("--data-dir")
            .arg(dir.path());
        let server = start(cmd);
        let r = login(&server.base, "demo", "ironloom-demo-1", Some("demo")).await;
        assert_eq!(r.status(), 200, "round {round}");
        let token = r.json::<serde_json::Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string();
        let c = client();
        let devices: serde_json::Value = get_json(
            &c,
            format!("{}/api/v1/devices?page_size=100", server.base),
            &token,
        )
        .await;
        assert_eq!(devices["total"], 13, "round {round}");
        // The demo's gateway reads the simulators: motor-01's and the other machines'
        // values arrive over Modbus, boiler-01's over OPC UA.
        for (device, property, range) in [
            ("motor-01", "voltage", 380.0..420.0),
            ("boiler-01", "water_level", 40.0..70.0),
            ("compressor-01", "discharge_pressure", 6.0..8.0),
            ("coldroom-01", "setpoint", -18.5..-17.5),
            ("imm-01", "melt_temp", 210.0..250.0),
            ("loom-01", "speed_setpoint", 599.0..601.0),
        ] {
            let id = devices["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["name"] == device)
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            loop {
                let latest: serde_json::Value = get_json(
                    &c,
                    format!("{}/api/v1/devices/{id}/telemetry/latest", server.base),
                    &token,
                )
                .await;
                let value = latest
                    .as_array()
                    .and_then(|a| a.iter().find(|p| p["property"] == property))
                    .and_then(|p| p["value"].as_f64());
                if let Some(v) = value {
                    assert!(range.contains(&v), "{device}: {latest}");
                    break;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "no simulated {property} of {device} from the demo gateway: {latest}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            }
        }
        // The pump app runs at the edge too: the demo gateway reports its runs (also in
        // the second round, from the document it kept).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let list: serde_json::Value = get_json(
                &c,
                format!("{}/api/v1/app-installations", server.base),
                &token,
            )
            .await;
            let edge = list
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["name"] == "pump-efficiency-edge")
                .cloned()
                .unwrap_or_default();
            let reported = &edge["edge_status"]["reported"];
            if reported["running"] == true && reported["invocations"].as_u64() > Some(0) {
                assert_eq!(edge["edge"]["gateway"], "edge-01");
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "round {round}: the demo's edge app does not run on edge-01: {edge}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
        let products: serde_json::Value =
            get_json(&c, format!("{}/api/v1/products", server.base), &token).await;
        let keys: Vec<&str> = products["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["product_key"].as_str().unwrap())
            .collect();
        for k in [
            "demo-pump",
            "demo-motor",
            "demo-boiler",
            "demo-cnc",
            "demo-compressor",
            "demo-coldroom",
            "demo-imm",
            "demo-loom",
            "demo-edge",
        ] {
            assert!(keys.contains(&k), "{keys:?}");
        }
        // One demo dashboard (not one per start), its map placing all 13 devices and its
        // widgets showing the gateway's data.
        let dashboards: serde_json::Value =
            get_json(&c, format!("{}/api/v1/dashboards", server.base), &token).await;
        assert_eq!(dashboards["total"], 1, "round {round}: {dashboards}");
        let id = dashboards["items"][0]["id"].as_str().unwrap();
        let data: serde_json::Value = get_json(
            &c,
            format!("{}/api/v1/dashboards/{id}/data", server.base),
            &token,
        )
        .await;
        let placed = data["devices"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["latitude"].is_f64() && d["longitude"].is_f64())
            .count();
        assert_eq!(placed, 13, "{data}");
        assert!(
            data["latest"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["property"] == "current"),
            "{data}"
        );
        demo_rules_are_valid_and_run(&server.base, &token, round).await;
        let stdout = server.stdout.lock().unwrap().clone();
        assert!(stdout.contains("ironloom-demo-1"));
        assert!(
            stdout.contains(&format!("{}/\n", server.base)),
            "the console's address is not printed: {stdout}"
        );
        // The environment beats the file: messages default to Chinese.
        let r = c
            .get(format!("{}/api/v1/devices/not-an-id", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().contains("路径"), "{body}");
        for role_user in ["demo-engineer", "demo-operator", "demo-viewer"] {
            assert_eq!(
                login(&server.base, role_user, "ironloom-demo-1", Some("demo"))
                    .await
                    .status(),
                200
            );
        }
    }
}

/// The demo's alarm rules: four (not four per start), each valid against its products,
/// run by the engine on the simulated data, and the pump bearing's warning raised and
/// cleared by a dry run of the simulator's bearing temperature (55 °C ± 2 °C over a
/// 377 s cycle at 1450 r/min).
async fn demo_rules_are_valid_and_run(base: &str, token: &str, round: usize) {
    let c = client();
    let get = |path: String| {
        let c = c.clone();
        async move {
            let r = c
                .get(format!("{base}/api/v1{path}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{path}");
            r.json::<serde_json::Value>().await.unwrap()
        }
    };
    let post = |path: String, body: serde_json::Value| {
        let c = c.clone();
        async move {
            let r = c
                .post(format!("{base}/api/v1{path}"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{path}");
            r.json::<serde_json::Value>().await.unwrap()
        }
    };
    let rules = get("/rules?page_size=100&sort=name".into()).await;
    assert_eq!(rules["total"], 4, "round {round}: {rules}");
    let mut bearing = None;
    for rule in rules["items"].as_array().unwrap() {
        let doc = &rule["document"];
        let check = post("/rules/check".into(), doc.clone()).await;
        assert_eq!(check["problems"], serde_json::json!([]), "{doc}");
        if doc["actions"][0]["alarm_type"] == "bearing_warm" {
            bearing = Some(rule["id"].as_str().unwrap().to_string());
        }
    }
    let bearing = bearing.expect("no bearing_warm rule");
    // The engine runs it on pump-01's data from the gateway.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let stats = get(format!("/rules/{bearing}/stats")).await;
        if stats["running"] == true && stats["evaluated"].as_u64().unwrap_or(0) > 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the bearing rule does not run: {stats}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let messages: Vec<serde_json::Value> = (0..200)
        .map(|i| {
            let t = f64::from(i) * 2.0;
            serde_json::json!({"device": "pump-01", "ts": 1_700_000_000_000i64 + i64::from(i) * 2000,
                "values": {"bearing_temp": 55.0 + 2.0 * (t / 60.0).sin()}})
        })
        .collect();
    let run = post(
        format!("/rules/{bearing}/dry-run"),
        serde_json::json!({"messages": messages}),
    )
    .await;
    let at = |action: &str| {
        run["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| {
                s["effects"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["action"] == action)
            })
            .map(|s| s["message"].as_u64().unwrap() * 2)
    };
    let (raised, cleared) = (
        at("alarm").expect("never raised"),
        at("clear_alarm").expect("never cleared"),
    );
    assert!(
        (30..=60).contains(&raised) && (150..=200).contains(&cleared),
        "raised at {raised} s, cleared at {cleared} s"
    );
}

#[test]
fn admin_commands_print_generated_documents() {
    let out = ironloom().args(["admin", "openapi"]).output().unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["paths"]["/api/v1/devices"].is_object());
    let out = ironloom().args(["admin", "permissions"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("| `device:write` |"));
}

#[tokio::test]
async fn opcua_browse_prints_gateway_nodes_and_writes_a_thing_model() {
    let dir = tempfile::tempdir().unwrap();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = ironloom_opcua::serve_sim(
        l,
        ironloom_opcua::SimOptions {
            pki_dir: dir.path().join("sim-pki"),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let model = dir.path().join("boiler.json");
    let mut cmd = ironloom();
    cmd.args(["opcua", "browse", "--endpoint", &sim.endpoint_url()])
        .args([
            "--device",
            "boiler-01",
            "--root",
            "ns=2;s=Boiler1",
            "--pki-dir",
        ])
        .arg(dir.path().join("pki"))
        .arg("--model")
        .arg(&model);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("node_id = \"ns=2;s=Boiler1.Temperature\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("writable = true"),
        "the setpoint is writable: {stdout}"
    );
    // The printed entries are a valid gateway configuration with the platform section.
    let cfg = format!(
        "[platform]\nmqtt = \"h:1\"\ntoken = \"t\"\n[[opcua]]\nname = \"b\"\nendpoint = \"{}\"\n{stdout}",
        sim.endpoint_url()
    );
    let parsed = ironloom_gateway::config::parse(&cfg).unwrap_or_else(|e| panic!("{e:?}\n{cfg}"));
    assert!(parsed.opcua[0].nodes.len() >= 5);
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    let ids: Vec<&str> = m["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["identifier"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"temperature"), "{ids:?}");
    sim.stop().await;
}
