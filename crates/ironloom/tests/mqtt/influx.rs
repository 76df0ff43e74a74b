//! The InfluxDB-compatible writes (`/write`, `/api/v2/write`) of a real `ironloom serve`,
//! driven by InfluxDB's own tools: the Python clients `influxdb-client` (2.x) and
//! `influxdb` (1.x), and `influx -import` (Debian's `influxdb-client`); then refusals,
//! limits and tenancy over plain HTTP. What was written is read back through the REST API.

use crate::support::{Api, Server, peer_missing, peer_python, peer_script};
use serde_json::{Value, json};
use std::io::Write;

fn press_model() -> Value {
    json!({"properties": [
        {"identifier": "temperature", "name": "Temperature", "data_type": {"type": "float", "min": -40.0, "max": 200.0}},
        {"identifier": "count", "name": "Count", "data_type": {"type": "int"}},
        {"identifier": "running", "name": "Running", "data_type": {"type": "bool"}},
        {"identifier": "note", "name": "Note", "data_type": {"type": "text"}}
    ]})
}

async fn api_key(api: &Api, scopes: &[&str]) -> String {
    let (status, k) = api
        .call(
            "POST",
            "/api/v1/api-keys",
            Some(json!({"name": "influx", "scopes": scopes})),
        )
        .await;
    assert_eq!(status, 201, "{k}");
    k["key"].as_str().unwrap().to_string()
}

/// Values of one property as (ts, value).
fn series(h: &[(String, i64, Value)], property: &str) -> Vec<(i64, Value)> {
    h.iter()
        .filter(|(p, _, _)| p == property)
        .map(|(_, t, v)| (*t, v.clone()))
        .collect()
}

/// A write of `body` over plain HTTP: status and JSON body (null when empty).
async fn post(
    base: &str,
    path: &str,
    auth: Option<&str>,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (u16, Value) {
    let mut r = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .body(body);
    if let Some(a) = auth {
        r = r.header("authorization", a);
    }
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let res = r.send().await.unwrap();
    let status = res.status().as_u16();
    let bytes = res.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[tokio::test]
async fn influx_clients_and_import_write_into_the_tenant_checked_against_the_thing_model() {
    let Some(python) = peer_python(
        "IRONLOOM_INFLUX_PYTHON",
        "influxdb_client, influxdb",
        "influx_clients_and_import_write_into_the_tenant_checked_against_the_thing_model",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        dir.path(),
        "127.0.0.1:0",
        &[("IRONLOOM__HTTP__IMPORT_BODY_LIMIT", "1MiB".into())],
    );
    let a = Api::new_tenant(&server).await;
    let b = Api::new_tenant_named(&server, "other", "tb").await;
    let product = a.product("press", press_model()).await;
    let p1 = a.device(&product, "press-1").await;
    let p2 = a.device(&product, "press-2").await;
    let product_b = b.product("press-b", press_model()).await;
    let b1 = b.device(&product_b, "press-1").await;
    let key = api_key(&a, &["telemetry:write"]).await;
    let key_b = api_key(&b, &["telemetry:write"]).await;
    let read_only = api_key(&a, &["telemetry:read"]).await;
    // Whole seconds, an hour ago: every precision can say it.
    let start = (crate::support::now_ms() / 1000 - 3600) * 1000;

    // --- The Python clients.
    let out = std::process::Command::new(&python)
        .arg(peer_script("influx_clients.py"))
        .args([&server.base, &key, &start.to_string()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let steps: std::collections::HashMap<String, Value> = stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["step"].as_str().unwrap().to_string(), v)
        })
        .collect();
    for ok in [
        "v2_points",
        "v2_line_seconds",
        "v2_ping",
        "v1_points",
        "v1_ping",
    ] {
        assert_eq!(steps[ok]["ok"], true, "{ok}: {stdout}");
    }
    assert_eq!(steps["v2_bad_token"]["status"], 401, "{stdout}");
    let partial = &steps["v1_partial"];
    assert_eq!(partial["status"], 400, "{stdout}");
    let msg = partial["error"].as_str().unwrap();
    for part in [
        "partial write",
        "1 lines and 1 values refused",
        "line 3",
        "temperature",
    ] {
        assert!(msg.contains(part), "{part}: {msg}");
    }

    let h1 = a
        .history(
            &p1.id,
            "temperature,count,running,note",
            start,
            start + 300_000,
        )
        .await;
    let temps = series(&h1, "temperature");
    assert_eq!(temps.len(), 11, "{h1:?}");
    assert_eq!(temps[0], (start, json!(20.0)));
    assert_eq!(temps[9], (start + 9000, json!(20.9)));
    // The good line of the partial write is stored, the refused value is not.
    assert_eq!(temps[10], (start + 200_000, json!(99.5)));
    assert_eq!(series(&h1, "count")[3], (start + 3000, json!(3)));
    assert_eq!(series(&h1, "running")[1], (start + 1000, json!(false)));
    assert_eq!(series(&h1, "note")[2], (start + 2000, json!("cycle 2")));
    let h2 = a
        .history(&p2.id, "temperature,count", start, start + 300_000)
        .await;
    let temps = series(&h2, "temperature");
    assert_eq!(temps[0], (start + 60_000, json!(30.5)), "{h2:?}");
    assert_eq!(
        temps[1..].to_vec(),
        (0..5)
            .map(|i| (start + 120_000 + i * 1000, json!(40.0 + i as f64)))
            .collect::<Vec<_>>()
    );
    assert_eq!(series(&h2, "count")[0], (start + 60_000, json!(7)));
    // The refusal is in the device's error log, as for any device data.
    let errors = a.get(&format!("/api/v1/devices/{}/errors", p1.id)).await;
    assert!(errors.to_string().contains("temperature"), "{errors}");

    // --- `influx -import` (the 1.x command line), the key as password.
    if which("influx") {
        let file = dir.path().join("import.txt");
        let mut text = String::from("# DML\n# CONTEXT-DATABASE: plant\n");
        for i in 0..50 {
            text.push_str(&format!(
                "press,device=press-2,line=A temperature={}.5,count={i}i {}\n",
                i,
                start / 1000 + 600 + i
            ));
        }
        std::fs::write(&file, text).unwrap();
        let (host, port) = server
            .base
            .trim_start_matches("http://")
            .rsplit_once(':')
            .unwrap();
        let out = std::process::Command::new("influx")
            .args([
                "-host",
                host,
                "-port",
                port,
                "-username",
                "importer",
                "-password",
                &key,
            ])
            .args([
                "-import",
                "-path",
                file.to_str().unwrap(),
                "-precision",
                "s",
            ])
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{text}");
        assert!(text.contains("Processed 50 inserts"), "{text}");
        assert!(text.contains("Failed 0 inserts"), "{text}");
        let h = a
            .history(&p2.id, "count", start + 600_000, start + 700_000)
            .await;
        assert_eq!(h.len(), 50, "{h:?}");
        assert_eq!(h[49], ("count".into(), start + 649_000, json!(49)));
    } else {
        peer_missing(
            "influx_clients_and_import_write_into_the_tenant_checked_against_the_thing_model (influx -import)",
            "the influx command (Debian influxdb-client)",
        );
    }

    // --- Over plain HTTP: mapping options.
    let base = server.base.as_str();
    let token = format!("Token {key}");
    let t = start + 900_000;
    let (s, body) = post(
        base,
        "/api/v2/write?bucket=x&precision=ms&device_tag=host",
        Some(&token),
        &[],
        format!("m,host=press-1 temperature=1.5 {t}\npress-2 temperature=2.5 {t}\n").into_bytes(),
    )
    .await;
    assert_eq!(s, 204, "{body}");
    let (s, body) = post(
        base,
        "/write?db=x&precision=ms&properties=measurement",
        Some(&token),
        &[],
        format!("press-1,device=press-1 temperature=3.5 {}", t + 1).into_bytes(),
    )
    .await;
    // The property is `press-1_temperature`, which the thing model does not have.
    assert_eq!(s, 400, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("press-1_temperature"),
        "{body}"
    );
    let h = a.history(&p1.id, "temperature", t, t + 10).await;
    assert_eq!(h, vec![("temperature".into(), t, json!(1.5))]);
    let h = a.history(&p2.id, "temperature", t, t + 10).await;
    assert_eq!(h, vec![("temperature".into(), t, json!(2.5))]);
    // gzip bodies.
    let (s, body) = post(
        base,
        "/api/v2/write?precision=ms",
        Some(&token),
        &[("content-encoding", "gzip")],
        gzip(format!("press,device=press-1 count=77i {}", t + 2).as_bytes()),
    )
    .await;
    assert_eq!(s, 204, "{body}");

    // --- Tenancy: the other tenant's key reaches its own devices only.
    let (s, body) = post(
        base,
        "/api/v2/write?precision=ms",
        Some(&format!("Token {key_b}")),
        &[],
        format!(
            "# lines are counted with comments and blank ones\n\npress,device=press-1 temperature=66 {}\npress,device=press-2 temperature=67 {}",
            t + 5,
            t + 5
        )
        .into_bytes(),
    )
    .await;
    assert_eq!(s, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("line 4: no device named \"press-2\""),
        "{body}"
    );
    assert!(
        a.history(&p1.id, "temperature", t + 5, t + 6)
            .await
            .is_empty()
    );
    assert!(
        a.history(&p2.id, "temperature", t + 5, t + 6)
            .await
            .is_empty()
    );
    let hb = b.history(&b1.id, "temperature", t + 5, t + 6).await;
    assert_eq!(hb, vec![("temperature".into(), t + 5, json!(66.0))]);

    // --- Refusals.
    let line = format!("press,device=press-1 temperature=5 {}", t + 9).into_bytes();
    let (s, body) = post(base, "/write?db=x", None, &[], line.clone()).await;
    assert_eq!(s, 401, "{body}");
    assert!(
        body["error"].is_string() && body["code"] == "unauthorized",
        "{body}"
    );
    let (s, body) = post(
        base,
        "/write?db=x",
        Some(&format!("Token {read_only}")),
        &[],
        line.clone(),
    )
    .await;
    assert_eq!(s, 403, "{body}");
    let (s, body) = post(
        base,
        "/api/v2/write?precision=h",
        Some(&token),
        &[],
        line.clone(),
    )
    .await;
    assert_eq!(s, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("precision"),
        "{body}"
    );
    // Over the limit (1 MiB here), raw and as a gzip bomb; a broken gzip stream.
    let big = vec![b'#'; 2 << 20];
    let (s, body) = post(base, "/api/v2/write", Some(&token), &[], big.clone()).await;
    assert_eq!(s, 413, "{body}");
    let (s, body) = post(
        base,
        "/api/v2/write",
        Some(&token),
        &[("content-encoding", "gzip")],
        gzip(&big),
    )
    .await;
    assert_eq!(s, 413, "{body}");
    let (s, body) = post(
        base,
        "/api/v2/write",
        Some(&token),
        &[("content-encoding", "gzip")],
        b"not gzip".to_vec(),
    )
    .await;
    assert_eq!(s, 400, "{body}");
    // Hostile bytes: refused line by line, nothing stored, the server carries on.
    let mut seed = 7u64;
    let junk: Vec<u8> = (0..20_000)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            b",= \\\"\nxt0.9i#"[(seed >> 33) as usize % 13]
        })
        .collect();
    let (s, body) = post(base, "/api/v2/write", Some(&token), &[], junk).await;
    assert!(s == 400 || s == 204, "{s} {body}");
    // A line of 2000 fields, then 900 KiB of empty lines: answered like any partial write
    // (the route once reserved room for the line count times the first line's fields).
    let mut wide = b"press,device=press-1 ".to_vec();
    for i in 0..2000 {
        wide.extend_from_slice(format!("{}f{i}=1", if i > 0 { "," } else { "" }).as_bytes());
    }
    wide.extend(std::iter::repeat_n(b'\n', 900 << 10));
    let (s, body) = post(base, "/api/v2/write", Some(&token), &[], wide).await;
    assert_eq!(s, 400, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("2000 values refused")),
        "{body}"
    );
    let (s, _) = post(base, "/api/v2/write?precision=ms", Some(&token), &[], line).await;
    assert_eq!(s, 204);
    assert_eq!(
        a.history(&p1.id, "temperature", t + 9, t + 10).await.len(),
        1
    );
}

fn which(cmd: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .is_ok_and(|o| o.status.success())
}
