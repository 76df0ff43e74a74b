//! Identifier import jobs on a real `ironloom serve`: a CSV file of 20 000 rows (some
//! invalid, a repeat, one registered before) registered in the background with exact
//! counts and row numbers, resolvable afterwards; JSON Lines; tenants apart; files that
//! are not what they should be failing the job (or refused) with a clear reason; a job
//! SIGKILLed half way resumed on restart with exact counts.

use crate::support::{Api, Server, within};
use serde_json::{Value, json};
use std::path::Path;

const PART: &str = "template_id=machinery-part&template_version=1.0";

async fn make_prefix(api: &Api, prefix: &str) {
    let (status, body) = api
        .call(
            "POST",
            "/api/v1/identifier-prefixes",
            Some(json!({"prefix": prefix, "name": "Plant"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

async fn upload(api: &Api, query: &str, content_type: &str, body: Vec<u8>) -> Value {
    let (status, job) = api
        .post_typed(
            &format!("/api/v1/identifier-imports?{query}"),
            content_type,
            body,
        )
        .await;
    assert_eq!(status, 202, "{job}");
    assert!(
        ["queued", "running"].contains(&job["state"].as_str().unwrap()),
        "{job}"
    );
    job
}

/// Follows a job until it has finished (within `secs`).
async fn finished(server: &Server, api: &Api, id: &str, secs: u64) -> Value {
    within(
        secs,
        "the import to finish",
        || server.log.lock().unwrap().clone(),
        || async {
            let job = api.get(&format!("/api/v1/identifier-imports/{id}")).await;
            (!["queued", "running"].contains(&job["state"].as_str().unwrap())).then_some(job)
        },
    )
    .await
}

/// Files waiting in the data directory for their jobs.
fn waiting_files(data: &Path) -> usize {
    walk(&data.join("identifier-imports"))
}

fn walk(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .map(|e| e.unwrap().path())
            .map(|p| if p.is_dir() { walk(&p) } else { 1 })
            .sum()
    })
}

fn csv_row(i: usize) -> String {
    format!("88.118.8/P-{i:06},GB-6208,SN-{i},2026-11-30,Plant A,12.5\n")
}

#[tokio::test]
async fn identifier_imports_register_a_file_in_the_background_with_exact_counts() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        data.path(),
        "127.0.0.1:0",
        &[("IRONLOOM__API__IDENTIFIER_IMPORT_LIMIT", "4MiB".into())],
    );
    let a = Api::new_tenant(&server).await;
    let b = Api::new_tenant_named(&server, "other", "tb").await;
    make_prefix(&a, "88.118.8").await;
    make_prefix(&b, "86.1000.12").await;
    let (status, _) = a
        .call(
            "POST",
            "/api/v1/identifier-batches",
            Some(json!([{"handle": "88.118.8/P-000007", "template": {"id": "machinery-part", "version": "1.0"},
                "values": [{"index": 2000, "type": "model", "data": "before"},
                    {"index": 2001, "type": "serial_no", "data": "S"},
                    {"index": 2002, "type": "made_on", "data": "2026-01-01"},
                    {"index": 2005, "type": "maker", "data": "M"}]}])),
        )
        .await;
    assert_eq!(status, 200);

    // 20 000 data rows (file rows 2 to 20 001); row 12 has a quoted cell with a comma, a
    // quote and a line break; four invalid rows; a repeat; one registered before.
    let mut csv = String::from("\u{FEFF}handle,model,serial_no,made_on,maker,mass\r\n");
    let mut bad_rows = Vec::new();
    for i in 1..=20_000usize {
        let row = i as u64 + 1;
        let line = match i {
            11 => {
                "88.118.8/P-000011,\"Pump, \"\"big\"\"\nmodel\",SN-11,2026-11-30,Plant A,\n".into()
            }
            500 => {
                bad_rows.push((row, "made_on"));
                "88.118.8/P-000500,M,SN,30.11.2026,Plant A,\n".into()
            }
            9_000 => {
                bad_rows.push((row, "86.1000.12"));
                "86.1000.12/P-9000,M,SN,2026-11-30,Plant A,\n".into()
            }
            15_000 => {
                bad_rows.push((row, "mass"));
                "88.118.8/P-015000,M,SN,2026-11-30,Plant A,heavy\n".into()
            }
            19_999 => {
                bad_rows.push((row, "handle"));
                ",M,SN,2026-11-30,Plant A,\n".into()
            }
            20_000 => csv_row(3), // a repeat of row 4
            _ => csv_row(i),
        };
        csv.push_str(&line);
    }
    let size = csv.len() as u64;
    // Resolved before it is registered: a "not found" the resolver may keep, which the
    // import must make it forget.
    let r = reqwest::get(format!("{}/api/handles/88.118.8/P-000011", server.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let job = upload(&a, PART, "text/csv; charset=utf-8", csv.into_bytes()).await;
    let id = job["id"].as_str().unwrap().to_string();
    assert_eq!(job["total_bytes"], size);
    assert_eq!(job["template"]["id"], "machinery-part");

    // Another tenant can neither read nor cancel nor delete it.
    let path = format!("/api/v1/identifier-imports/{id}");
    assert_eq!(b.call("GET", &path, None).await.0, 404);
    assert_eq!(b.call("POST", &format!("{path}/cancel"), None).await.0, 404);
    assert_eq!(b.call("DELETE", &path, None).await.0, 404);
    assert_eq!(b.get("/api/v1/identifier-imports").await["total"], 0);

    let done = finished(&server, &a, &id, 120).await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["rows_read"], 20_000);
    assert_eq!(done["invalid"], 4, "{}", done["errors"]);
    assert_eq!(
        done["existing"], 2,
        "the repeat and the one registered before"
    );
    assert_eq!(done["created"], 20_000 - 4 - 2);
    assert_eq!(done["bytes_read"], size);
    assert!(done["rows_per_second"].as_f64().unwrap() > 0.0);
    assert!(done["started_at"].is_string() && done["finished_at"].is_string());
    let errors = done["errors"].as_array().unwrap();
    assert_eq!(errors.len(), bad_rows.len(), "{errors:?}");
    for (e, (row, names)) in errors.iter().zip(&bad_rows) {
        assert_eq!(e["row"], *row, "{e}");
        let en = e["message"]["en"].as_str().unwrap();
        assert!(en.contains(names), "row {row}: {en}");
        assert!(!e["message"]["zh-CN"].as_str().unwrap().is_empty(), "{e}");
    }
    assert_eq!(
        waiting_files(data.path()),
        0,
        "a finished job's file is removed"
    );

    // Registered as a single registration would: resolvable, the quoted cell whole, the
    // one registered before left as it was.
    let r = reqwest::get(format!(
        "{}/api/handles/88.118.8/P-000011?type=model",
        server.base
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["values"][0]["data"]["value"], "Pump, \"big\"\nmodel",
        "{body}"
    );
    let before = a.get("/api/v1/identifiers/88.118.8%2FP-000007").await;
    assert_eq!(before["values"][0]["data"]["value"], "before", "{before}");
    let r = reqwest::get(format!("{}/api/handles/88.118.8/P-015000", server.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "an invalid row is not registered");
    let prefixes = a.get("/api/v1/identifier-prefixes").await;
    assert_eq!(prefixes[0]["identifiers"], 20_000 - 4 - 2 + 1);

    // One audit entry for the start and one for the end, none per row or chunk.
    let audit = a
        .get(&format!(
            "/api/v1/audit?resource=id_import&resource_id={id}"
        ))
        .await;
    let mut actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    actions.sort_unstable();
    assert_eq!(actions, ["import_finish", "import_start"], "{audit}");
    let registrations = a.get("/api/v1/audit?resource=identifier").await;
    assert_eq!(
        registrations["total"], 1,
        "only the registration before: {registrations}"
    );

    // JSON Lines: the job's template for lines that name none; a line that is not an
    // identifier object is an invalid row.
    let lines = [
        json!({"handle": "88.118.8/J-1", "values": [{"index": 2000, "type": "model", "data": "M"},
            {"index": 2001, "type": "serial_no", "data": "S"}, {"index": 2002, "type": "made_on", "data": "2026-11-30"},
            {"index": 2005, "type": "maker", "data": "Plant A"}]})
        .to_string(),
        "{\"handle\": ".into(),
        String::new(),
        json!({"handle": "88.118.8/J-2", "values": [{"index": 1, "type": "URL", "data": "https://x.example/j2"}]})
            .to_string(),
    ];
    let job = upload(
        &a,
        PART,
        "application/x-ndjson",
        lines.join("\n").into_bytes(),
    )
    .await;
    let done = finished(&server, &a, job["id"].as_str().unwrap(), 30).await;
    assert_eq!(
        (
            &done["state"],
            &done["created"],
            &done["invalid"],
            &done["rows_read"]
        ),
        (&json!("done"), &json!(1), &json!(2), &json!(3)),
        "{done}"
    );
    assert_eq!(done["errors"][0]["row"], 2);
    assert!(
        done["errors"][1]["message"]["en"]
            .as_str()
            .unwrap()
            .contains("required"),
        "J-2 lacks the template's required fields: {done}"
    );

    // Files that are not what they should be: the job fails with the reason.
    let mut junk: Vec<u8> = (0..50_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    junk[0] = 0xff;
    let mut long = b"handle,model,serial_no,made_on,maker\n88.118.8/L-1,".to_vec();
    long.extend(std::iter::repeat_n(b'x', 2 << 20));
    long.extend(b",S,2026-11-30,M\n88.118.8/L-2,y,S,2026-11-30,M\n");
    for (body, why) in [
        (junk, "not UTF-8"),
        (long, "longer than 1 MiB"),
        (b"name,model\nx,y\n".to_vec(), "no `handle` column"),
        (
            b"handle,model\n88.118.8/W-1,y\n".to_vec(),
            "required field serial_no",
        ),
    ] {
        let job = upload(&a, PART, "text/csv", body).await;
        let done = finished(&server, &a, job["id"].as_str().unwrap(), 30).await;
        assert_eq!(done["state"], "failed", "{done}");
        assert!(
            done["failure"]["en"].as_str().unwrap().contains(why),
            "{why}: {done}"
        );
        assert!(!done["failure"]["zh-CN"].as_str().unwrap().is_empty());
    }
    assert_eq!(
        a.call("GET", "/api/v1/identifiers/88.118.8%2FL-2", None)
            .await
            .0,
        404,
        "nothing after a failure is registered"
    );
    // Refused before a job is made: too large (with the limit said), not CSV or JSON
    // Lines, an unknown template, nothing in it.
    // Only the headers are sent: the declared length alone is refused, before any of the
    // body is read (sending the 5 MiB would race the server's early answer and close).
    let (status, body) = declared_only(&server, a.token(), 5 << 20).await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("4194304"),
        "{body}"
    );
    let (status, _) = a
        .post_typed(
            "/api/v1/identifier-imports",
            "application/pdf",
            b"x".to_vec(),
        )
        .await;
    assert_eq!(status, 415);
    let (status, _) = a
        .post_typed(
            "/api/v1/identifier-imports?template_id=nope&template_version=1",
            "text/csv",
            b"handle\n".to_vec(),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = a
        .post_typed("/api/v1/identifier-imports", "text/csv", Vec::new())
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        waiting_files(data.path()),
        0,
        "refused uploads leave no file"
    );

    // The list, newest first; a finished job deleted, a running one not.
    let list = a.get("/api/v1/identifier-imports").await;
    assert_eq!(list["total"], 6, "{list}");
    assert_eq!(list["items"][5]["id"], id.as_str());
    assert_eq!(a.call("DELETE", &path, None).await.0, 204);
    assert_eq!(a.call("GET", &path, None).await.0, 404);
    assert_eq!(a.call("POST", &format!("{path}/cancel"), None).await.0, 404);
}

#[tokio::test]
async fn an_identifier_import_killed_half_way_resumes_with_exact_counts() {
    const ROWS: usize = 150_000;
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());
    let a = Api::new_tenant(&server).await;
    make_prefix(&a, "88.118.8").await;
    let mut csv = String::from("handle,model,serial_no,made_on,maker,mass\n");
    for i in 1..=ROWS {
        csv.push_str(&csv_row(i));
    }
    let job = upload(&a, PART, "text/csv", csv.into_bytes()).await;
    let id = job["id"].as_str().unwrap().to_string();
    // A second job waits behind the first and can be cancelled while it does.
    let second = upload(&a, PART, "text/csv", csv_row(1).into_bytes()).await;
    let second_id = second["id"].as_str().unwrap();
    let (status, cancelled) = a
        .call(
            "POST",
            &format!("/api/v1/identifier-imports/{second_id}/cancel"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["state"], "cancelled");
    assert_eq!(
        a.call(
            "POST",
            &format!("/api/v1/identifier-imports/{second_id}/cancel"),
            None
        )
        .await
        .0,
        422,
        "a finished job is not cancelled again"
    );
    // A running job is not deleted.
    let path = format!("/api/v1/identifier-imports/{id}");
    let at = within(
        120,
        "a few chunks committed",
        || server.log.lock().unwrap().clone(),
        || async {
            let job = a.get(&path).await;
            (job["rows_read"].as_u64().unwrap() >= 8_000).then_some(job)
        },
    )
    .await;
    assert_eq!(at["state"], "running", "killed before the end: {at}");
    assert_eq!(a.call("DELETE", &path, None).await.0, 422);
    server.kill();

    let server = Server::start(data.path());
    let a = Api::existing_tenant(&server).await;
    let done = finished(&server, &a, &id, 300).await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(
        (
            &done["rows_read"],
            &done["created"],
            &done["existing"],
            &done["invalid"]
        ),
        (&json!(ROWS), &json!(ROWS), &json!(0), &json!(0)),
        "every row counted once across the restart: {done}"
    );
    let prefixes = a.get("/api/v1/identifier-prefixes").await;
    assert_eq!(prefixes[0]["identifiers"], ROWS);
    assert_eq!(waiting_files(data.path()), 0);
}

/// `POST /api/v1/identifier-imports` announcing `length` bytes of CSV and sending none of
/// them: the status and JSON body of the answer the headers alone get.
async fn declared_only(server: &Server, token: &str, length: usize) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = server.base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/identifier-imports HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: text/csv\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        s.read_to_end(&mut answer),
    )
    .await
    .expect("an answer to the headers alone");
    let text = String::from_utf8_lossy(&answer);
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text}"));
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}
