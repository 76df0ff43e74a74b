//! `ironloom export` and `ironloom import` as processes: refused while a server holds the
//! data directory, then offline: CSV and Parquet out, CSV (by device name, with bad rows)
//! and Parquet back in.

// In tests a failed unwrap is a failed test, with the reason in the panic message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct Server {
    child: Child,
    base: String,
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
        .env_remove("LANG")
        .env("RUST_LOG", "info");
    c
}

fn start(data: &Path) -> Server {
    let mut child = ironloom()
        .env("IRONLOOM_ADMIN_PASSWORD", "Admin-pass-1")
        // Only the points this test writes: no simulated equipment.
        .env("IRONLOOM_DEMO_EQUIPMENT", "off")
        .args(["serve", "--demo", "--http", "127.0.0.1:0"])
        .args([
            "--mqtt",
            "127.0.0.1:0",
            "--coap",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
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
    }
}

/// Stops the server with SIGTERM and waits for it.
fn stop(mut s: Server) {
    let pid = s.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = s.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

fn run(args: &[&str], data: &Path) -> Output {
    let mut c = ironloom();
    c.args(args).arg("--data-dir").arg(data);
    c.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[tokio::test]
async fn export_and_import_work_offline_and_are_refused_while_the_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = start(&data);
    let c = reqwest::Client::new();
    let token = c
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&serde_json::json!({"username": "demo", "password": "ironloom-demo-1", "tenant": "demo"}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let devices: serde_json::Value = c
        .get(format!("{}/api/v1/devices?page_size=100", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_of = |name: &str| {
        devices["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let pump1 = id_of("pump-01");
    let now_ms = chrono::Utc::now().timestamp_millis() / 1000 * 1000;
    let t0 = now_ms - 3_600_000;
    let r = c
        .post(format!("{}/api/v1/devices/{pump1}/telemetry", server.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({"points": [
            {"property": "flow", "ts": t0, "value": 12.5},
            {"property": "flow", "ts": t0 + 1000, "value": 0.1, "quality": "uncertain"},
            {"property": "starts", "ts": t0, "value": 3},
            {"property": "running", "ts": t0, "value": true},
            {"property": "mode", "ts": t0, "value": "auto, remote"},
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // While the server runs, the data directory is locked.
    let out_csv = dir.path().join("out.csv");
    let o = run(
        &[
            "export",
            "--tenant",
            "demo",
            "--out",
            out_csv.to_str().unwrap(),
        ],
        &data,
    );
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("in use by a running server"), "{e}");
    assert!(e.contains("/api/v1/telemetry/export"), "{e}");
    assert!(!out_csv.exists());
    stop(server);

    // Offline: CSV.
    let o = run(
        &[
            "export",
            "--tenant",
            "demo",
            "--device",
            "pump-01",
            "--from",
            "2000-01-01",
            "--out",
            out_csv.to_str().unwrap(),
        ],
        &data,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("exported 5 points of 4 series"),
        "{}",
        stderr(&o)
    );
    let csv = std::fs::read_to_string(&out_csv).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "device,property,ts,value,type,quality");
    assert_eq!(lines.len(), 6, "{csv}");
    assert!(csv.contains(&format!("{pump1},flow,")), "{csv}");
    assert!(csv.contains(",0.1,f64,uncertain"), "{csv}");
    assert!(csv.contains(",\"auto, remote\",str,good"), "{csv}");
    assert!(
        csv.contains(",3,i64,good") && csv.contains(",true,bool,good"),
        "{csv}"
    );

    // Offline: Parquet, by file name.
    let out_pq = dir.path().join("out.parquet");
    let o = run(
        &[
            "export",
            "--tenant",
            "demo",
            "--out",
            out_pq.to_str().unwrap(),
        ],
        &data,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let pq = std::fs::read(&out_pq).unwrap();
    assert!(pq.starts_with(b"PAR1") && pq.ends_with(b"PAR1"));

    // CSV in, by device name, epoch milliseconds, one bad row: exit code 2 and the line.
    let input = dir.path().join("in.csv");
    std::fs::write(
        &input,
        format!(
            "device,property,ts_ms,value\n\
             pump-02,pressure,{t0},4.25\n\
             pump-02,pressure,yesterday,4.5\n\
             no-such-pump,pressure,{t0},1\n\
             pump-02,pressure,{},4.75\n",
            t0 + 1000
        ),
    )
    .unwrap();
    let o = run(
        &["import", "--tenant", "demo", input.to_str().unwrap()],
        &data,
    );
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("4 rows, 2 stored, 2 rejected"), "{e}");
    assert!(e.contains("line 3: bad_timestamp"), "{e}");
    assert!(e.contains("line 4: unknown_device"), "{e}");

    // A dry run stores nothing.
    let o = run(
        &[
            "import",
            "--tenant",
            "demo",
            "--dry-run",
            input.to_str().unwrap(),
        ],
        &data,
    );
    assert!(
        stderr(&o).contains("dry run, nothing stored"),
        "{}",
        stderr(&o)
    );

    // Parquet back in (the same points: last write wins), then everything out again.
    let o = run(
        &["import", "--tenant", "demo", out_pq.to_str().unwrap()],
        &data,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("5 rows, 5 stored, 0 rejected"),
        "{}",
        stderr(&o)
    );
    let all = dir.path().join("all.csv");
    let o = run(
        &[
            "export",
            "--tenant",
            "demo",
            "--time",
            "ms",
            "--out",
            all.to_str().unwrap(),
        ],
        &data,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(&all).unwrap();
    assert!(csv.starts_with("device,property,ts_ms,value,type,quality\n"));
    assert_eq!(csv.lines().count(), 8, "{csv}");
    assert!(
        csv.contains(&format!(",pressure,{},4.75,f64,good", t0 + 1000)),
        "{csv}"
    );

    // Unknown tenant and missing data directory: one clear line each.
    let o = run(&["export", "--tenant", "nobody", "--out", "x.csv"], &data);
    assert!(
        stderr(&o).contains("no tenant with the id or code \"nobody\""),
        "{}",
        stderr(&o)
    );
    let o = run(
        &["import", "--tenant", "demo", input.to_str().unwrap()],
        &dir.path().join("missing"),
    );
    assert!(stderr(&o).contains("no data directory"), "{}", stderr(&o));
}
