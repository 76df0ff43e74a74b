//! The evaluation report's inputs and figures, through a real `ironloom serve`: enterprise
//! profiles (validated, derived size class, audited, one tenant apart from another).

use crate::support::{Api, Server};
use serde_json::{Value, json};

fn profile(name: &str, code: &str, industry: &str, employees: u64, revenue: f64) -> Value {
    json!({"legal_name": name, "credit_code": code, "industry": industry,
           "industry_mode": "discrete", "kind": "manufacturer",
           "employees": employees, "revenue": revenue, "region": "320583",
           "park": "昆山经济技术开发区"})
}

#[tokio::test]
async fn enterprise_profiles_are_checked_derived_audited_and_kept_apart() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let a = Api::new_tenant_named(&server, "works-a", "ta-a").await;
    let b = Api::new_tenant_named(&server, "works-b", "ta-b").await;
    let admin = Api::platform_admin(&server).await;

    let (status, body) = a.call("GET", "/api/v1/enterprise-profile", None).await;
    assert_eq!(status, 404, "{body}");

    // Every problem at once: a credit code with a wrong check character, an industry that
    // is no division, a region that does not exist.
    let mut bad = profile(" ", "914403001922038217", "C99", 50, 100.0);
    bad["region"] = json!("329999");
    let (status, body) = a
        .call("PUT", "/api/v1/enterprise-profile", Some(bad.clone()))
        .await;
    assert_eq!(status, 422, "{body}");
    let msg = body["message"].as_str().unwrap();
    for part in [
        "4 problem(s)",
        "check character is wrong: 6",
        "C99",
        "329999",
    ] {
        assert!(msg.contains(part), "{part}: {msg}");
    }
    // The check answers the same problems without saving, and what a good one derives.
    let (status, check) = a
        .call("POST", "/api/v1/enterprise-profile/check", Some(bad))
        .await;
    assert_eq!(status, 200, "{check}");
    assert_eq!(check["problems"].as_array().unwrap().len(), 4, "{check}");
    let good = profile(
        "苏州精工机械有限公司",
        "914403001922038216",
        "c3411 ",
        120,
        8000.0,
    );
    let (_, check) = a
        .call(
            "POST",
            "/api/v1/enterprise-profile/check",
            Some(good.clone()),
        )
        .await;
    assert_eq!(check["size_class"], "small", "{check}");
    assert_eq!(check["is_sme"], true);
    assert_eq!(check["division"]["name_zh"], "通用设备制造业");
    let path: Vec<&str> = check["region_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(path, ["江苏省", "苏州市", "昆山市"]);

    // Saved: the code is kept as typed but normalised; the size is derived, not taken.
    let mut sent = good.clone();
    sent["size_class"] = json!("large");
    let (status, _) = a
        .call("PUT", "/api/v1/enterprise-profile", Some(sent))
        .await;
    assert_eq!(status, 422, "a size class cannot be entered");
    let (status, saved) = a
        .call("PUT", "/api/v1/enterprise-profile", Some(good))
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["industry"], "C3411");
    assert_eq!(saved["size_class"], "small");
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["updated_by"], "ta-a");
    // A change made to an old copy is refused.
    let mut stale = profile(
        "苏州精工机械有限公司",
        "914403001922038216",
        "C34",
        400,
        9000.0,
    );
    stale["version"] = json!(0);
    let (status, _) = a
        .call("PUT", "/api/v1/enterprise-profile", Some(stale.clone()))
        .await;
    assert_eq!(status, 409);
    stale["version"] = json!(1);
    let (status, changed) = a
        .call("PUT", "/api/v1/enterprise-profile", Some(stale))
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["size_class"], "medium");
    let audit = a
        .get("/api/v1/audit?resource=enterprise_profile&page_size=10")
        .await;
    assert_eq!(audit["total"], 2, "{audit}");

    // Tenant B neither sees nor changes A's profile; naming A answers 404.
    let a_id = saved["tenant_id"].as_str().unwrap().to_owned();
    let (status, _) = b.call("GET", "/api/v1/enterprise-profile", None).await;
    assert_eq!(status, 404);
    let (status, _) = b
        .call(
            "GET",
            &format!("/api/v1/enterprise-profile?tenant={a_id}"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let mut other = profile("杭州织造有限公司", "9144030071526726XG", "C17", 30, 500.0);
    other["region"] = json!("330106");
    let (status, _) = b
        .call(
            "PUT",
            &format!("/api/v1/enterprise-profile?tenant={a_id}"),
            Some(other.clone()),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = b.call("GET", "/api/v1/enterprise-profiles", None).await;
    assert_eq!(status, 403, "only the platform lists every profile");

    // The platform administrator sees all, filters, and fills in B's.
    let (status, _) = admin
        .call("PUT", "/api/v1/enterprise-profile", Some(other.clone()))
        .await;
    assert_eq!(status, 422, "the platform must name the tenant");
    let tenants = admin.get("/api/v1/tenants?q=works-b").await;
    let b_id = tenants["items"][0]["id"].as_str().unwrap();
    let (status, p) = admin
        .call(
            "PUT",
            &format!("/api/v1/enterprise-profile?tenant={b_id}"),
            Some(other),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["size_class"], "small");
    let (_, mine) = b.call("GET", "/api/v1/enterprise-profile", None).await;
    assert_eq!(mine["legal_name"], "杭州织造有限公司");
    let all = admin.get("/api/v1/enterprise-profiles?region=320000").await;
    assert_eq!(all["total"], 1, "{all}");
    assert_eq!(all["items"][0]["legal_name"], "苏州精工机械有限公司");
    let all = admin.get("/api/v1/enterprise-profiles?industry=C17").await;
    assert_eq!(all["items"][0]["tenant_id"], b_id);
    let regions = admin.get("/api/v1/catalog/regions?parent=320500").await;
    assert!(
        regions
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "320583")
    );
}

fn pump_model() -> Value {
    json!({
        "properties": [
            {"identifier": "flow", "name": "Flow", "data_type": {"type": "double"}},
            {"identifier": "head", "name": "Head", "data_type": {"type": "double"}},
            {"identifier": "power", "name": "Power", "data_type": {"type": "double"}}
        ],
        "services": [{"identifier": "reboot", "name": "Reboot"}]
    })
}

/// A product of `kind` with the pump model; its id.
async fn product(api: &Api, key: &str, kind: &str) -> String {
    let (status, p) = api
        .call(
            "POST",
            "/api/v1/products",
            Some(
                json!({"name": key, "product_key": key, "kind": kind, "thing_model": pump_model()}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{p}");
    p["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_report_counts_connected_and_managed_devices_from_their_records() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        dir.path(),
        "127.0.0.1:0",
        &[
            ("IRONLOOM__DEVICES__ACTIVITY_FLUSH", "200ms".into()),
            ("IRONLOOM__API__EVALUATION_MAX_AGE", "2s".into()),
        ],
    );
    let a = Api::new_tenant_named(&server, "works-a", "ta-a").await;
    let b = Api::new_tenant_named(&server, "works-b", "ta-b").await;
    let admin = Api::platform_admin(&server).await;
    let (status, _) = a
        .call(
            "PUT",
            "/api/v1/enterprise-profile",
            Some(profile(
                "苏州精工机械有限公司",
                "914403001922038216",
                "C34",
                120,
                8000.0,
            )),
        )
        .await;
    assert_eq!(status, 200);
    let mut pb = profile(
        "杭州化工有限公司",
        "9144030071526726XG",
        "C26",
        2000,
        90000.0,
    );
    pb["industry_mode"] = json!("process");
    pb["region"] = json!("330106");
    assert_eq!(
        b.call("PUT", "/api/v1/enterprise-profile", Some(pb))
            .await
            .0,
        200
    );
    // A kind that is not in the catalogue is refused with the ones that are.
    let (status, e) = a
        .call(
            "POST",
            "/api/v1/products",
            Some(json!({"name": "x", "kind": "teapot"})),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    let pumps = product(&a, "pumps", "pump").await;
    let (_, p) = a
        .call("GET", &format!("/api/v1/products/{pumps}"), None)
        .await;
    assert_eq!(p["category"], "operating", "the kind's category: {p}");
    let mixers = product(&b, "mixers", "mixer").await;
    let a1 = a.device(&pumps, "pump-1").await;
    let _a2 = a.device(&pumps, "pump-2").await;
    let b1 = b.device(&mixers, "mixer-1").await;

    // pump-1 delivers two properties and answers a command; pump-2 never connects;
    // mixer-1 (a process-industry enterprise) delivers three properties.
    let mut d1 = crate::support::Dev::connect(&server, &a1.access_token).await;
    d1.send(json!({"flow": 36.0, "head": 30.0}), None).await;
    d1.send(json!({"flow": 35.0}), None).await;
    let (status, c) = a
        .call(
            "POST",
            &format!("/api/v1/devices/{}/commands", a1.id),
            Some(json!({"method": "reboot"})),
        )
        .await;
    assert_eq!(
        (status, c["status"].as_str()),
        (200, Some("succeeded")),
        "{c}"
    );
    let mut d2 = crate::support::Dev::connect(&server, &b1.access_token).await;
    d2.send(json!({"flow": 1.0, "head": 2.0, "power": 3.0}), None)
        .await;

    let report = crate::support::until("the devices' activity in the report", || async {
        let r = admin.get("/api/v1/evaluation?fresh=true").await;
        (r["metrics"]["connected_devices"] == 2).then_some(r)
    })
    .await;
    // The platform's figures are kept (here for 2 s): a device registered now is not in
    // the next report, which is the kept one; once they are older, a report still answers
    // at once with them while new ones are gathered for the next.
    let extra = a.device(&pumps, "pump-3").await;
    let kept = admin.get("/api/v1/evaluation").await;
    assert_eq!(kept["computed_at"], report["computed_at"]);
    assert_eq!(kept["metrics"]["registered_devices"], 3);
    assert!(kept["gathered_in_ms"].is_u64(), "{kept}");
    let newer = crate::support::until("the kept figures gathered again", || async {
        let r = admin.get("/api/v1/evaluation").await;
        (r["metrics"]["registered_devices"] == 4).then_some(r)
    })
    .await;
    assert!(newer["computed_at"].as_str() > report["computed_at"].as_str());
    let (status, _) = a
        .call("DELETE", &format!("/api/v1/devices/{}", extra.id), None)
        .await;
    assert_eq!(status, 204);
    let report = admin.get("/api/v1/evaluation?fresh=true").await;
    assert_eq!(report["metrics"]["registered_devices"], 3);
    // The platform's transactions: the devices' stored messages and the REST writes above,
    // sampled each second and written every few.
    let load = crate::support::until("the transactions counted", || async {
        let r = admin.get("/api/v1/evaluation?fresh=true").await;
        let l = r["metrics"]["load"].clone();
        (l["device_messages"].as_u64() >= Some(2) && l["api_writes"].as_u64() >= Some(10))
            .then_some(l)
    })
    .await;
    assert!(
        load["peak_tps"].as_u64() >= Some(1)
            && load["average_tps"].as_f64() > Some(0.0)
            && load["transactions"].as_u64() >= load["peak_tps"].as_u64(),
        "{load}"
    );
    let m = &report["metrics"];
    assert_eq!(report["scope"], "platform");
    assert_eq!(m["registered_devices"], 3, "{m}");
    assert_eq!(m["managed_devices"], 1);
    assert_eq!(
        (m["connected_kinds"].as_u64(), m["managed_kinds"].as_u64()),
        (Some(2), Some(1))
    );
    // Data points are the process-industry enterprise's properties that delivered.
    assert_eq!(m["process_points"], 3);
    assert_eq!(m["enterprises"], 2);
    assert_eq!(m["smes"], 1);
    let c34 = m["industries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["industry"] == "C34")
        .unwrap();
    assert_eq!(
        (
            c34["connected_devices"].as_u64(),
            c34["enterprises"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert!(
        c34["mechanism_models"].as_u64().unwrap() > 0,
        "the library's models name C34"
    );
    assert!(
        m["mechanism_models"].as_u64().unwrap() >= 150,
        "{}",
        m["mechanism_models"]
    );
    let get = |id: &str| {
        report["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap_or_else(|| panic!("{id}"))
            .clone()
    };
    let ind = get("cross.connected_devices");
    assert_eq!(
        (
            ind["value"].as_f64(),
            ind["floor"].as_f64(),
            ind["pass"].as_bool()
        ),
        (Some(2.0), Some(5000.0), Some(false))
    );
    assert_eq!(get("cross.mechanism_models")["pass"], true);
    // The regional and industry classes are figured for the busiest region and division.
    assert_eq!(get("industry.connected_devices")["value"], 1.0);
    assert!(
        report["region"].is_string() && report["industry"].is_string(),
        "{report}"
    );
    let r = admin
        .get("/api/v1/evaluation?region=330000&industry=C26")
        .await;
    assert_eq!(r["region_metrics"]["process_points"], 3);
    assert_eq!(r["industry_metrics"]["connected_devices"], 1);

    // Drill-down: which devices, with what they delivered.
    let list = admin
        .get("/api/v1/evaluation/records?list=connected_devices")
        .await;
    assert_eq!(list["total"], 2, "{list}");
    let row = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["device_name"] == "pump-1")
        .unwrap();
    assert_eq!(
        (
            row["count"].as_u64(),
            row["values"].as_u64(),
            row["properties"].as_u64()
        ),
        (Some(2), Some(3), Some(2))
    );
    assert_eq!(row["kind"], "pump");
    let list = admin
        .get("/api/v1/evaluation/records?list=connected_devices&industry=C26")
        .await;
    assert_eq!(list["items"][0]["device_name"], "mixer-1");
    let list = admin
        .get("/api/v1/evaluation/records?list=managed_devices")
        .await;
    assert_eq!(
        (list["total"].as_u64(), list["items"][0]["count"].as_u64()),
        (Some(1), Some(1))
    );

    // A tenant sees its own figures and records only, and no criteria.
    let own = a.get("/api/v1/evaluation").await;
    assert_eq!(own["scope"], "tenant");
    assert_eq!(own["metrics"]["connected_devices"], 1);
    assert_eq!(own["metrics"]["registered_devices"], 2);
    assert!(
        own["metrics"]["load"].is_null(),
        "the platform's, not a tenant's"
    );
    assert!(own["indicators"].as_array().unwrap().is_empty());
    let list = b
        .get("/api/v1/evaluation/records?list=connected_devices")
        .await;
    assert_eq!(list["total"], 1);
    let tenants = admin.get("/api/v1/tenants?q=works-a").await;
    let a_tenant = tenants["items"][0]["id"].as_str().unwrap();
    let list = b
        .get(&format!(
            "/api/v1/evaluation/records?list=connected_devices&tenant={a_tenant}"
        ))
        .await;
    assert_eq!(
        list["items"][0]["device_name"], "mixer-1",
        "B names A and still sees only its own"
    );
    assert_eq!(
        admin
            .call("GET", "/api/v1/evaluation?month=2026-13", None)
            .await
            .0,
        422
    );

    // A month kept as it was: the snapshot is served for that month from then on.
    let (status, kept) = admin
        .call(
            "POST",
            "/api/v1/evaluation/snapshots",
            Some(json!({"month": "2026-11"})),
        )
        .await;
    assert_eq!(status, 200, "{kept}");
    let list = admin
        .get("/api/v1/evaluation/snapshots?from=2026-01&to=2026-12")
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["month"], "2026-11");
    assert_eq!(list[0]["registered_devices"], 3);
    assert_eq!(
        list[0]["criteria"].as_u64(),
        Some(report["indicators"].as_array().unwrap().len() as u64)
    );
    let old = admin.get("/api/v1/evaluation?month=2026-11").await;
    assert_eq!(
        (old["from_snapshot"].as_bool(), old["computed_at"].clone()),
        (Some(true), kept["computed_at"].clone())
    );
    let none = a.get("/api/v1/evaluation/snapshots").await;
    assert_eq!(none, json!([]), "a tenant has no kept reports of its own");
    assert_eq!(
        a.call(
            "POST",
            "/api/v1/evaluation/snapshots",
            Some(json!({"month": "2026-11"}))
        )
        .await
        .0,
        403
    );

    // The workbook, opened with openpyxl: every criterion, the figures, in both languages.
    let (status, kind, xlsx) = admin.get_bytes("/api/v1/evaluation/export", None).await;
    assert_eq!(status, 200);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    let (_, _, xlsx_zh) = admin
        .get_bytes("/api/v1/evaluation/export", Some("zh-CN"))
        .await;
    // The PDF document, read back with pdftotext (poppler-utils): cover, criteria with
    // their verdicts, figures, page footers, in both languages; a tenant's has no criteria.
    let (status, kind, pdf) = admin
        .get_bytes("/api/v1/evaluation/export?format=pdf", None)
        .await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    assert!(
        pdf.starts_with(b"%PDF-") && pdf.len() < 2 << 20,
        "{}",
        pdf.len()
    );
    let (_, _, pdf_zh) = admin
        .get_bytes("/api/v1/evaluation/export?format=pdf", Some("zh-CN"))
        .await;
    let (_, _, own_pdf) = a
        .get_bytes("/api/v1/evaluation/export?format=pdf", None)
        .await;
    if let Some(en) = pdf_text(dir.path(), &pdf, "report-en.pdf") {
        for want in [
            "Platform evaluation report",
            "Criteria met",
            "Connected industrial devices",
            "not met",
            "Connected devices by category",
            "Page 1 of",
        ] {
            assert!(en.contains(want), "{want:?} not in the PDF:\n{en}");
        }
        let zh = pdf_text(dir.path(), &pdf_zh, "report-zh.pdf").unwrap();
        for want in [
            "平台评价报告",
            "跨行业跨领域",
            "未达标",
            "连接设备数",
            "第 1 页",
        ] {
            assert!(zh.contains(want), "{want:?} not in the PDF:\n{zh}");
        }
        let own = pdf_text(dir.path(), &own_pdf, "report-a.pdf").unwrap();
        assert!(
            own.contains("One tenant") && !own.contains("not met"),
            "{own}"
        );
    }
    let Some(py) =
        crate::support::peer_python("IRONLOOM_REPORT_PYTHON", "openpyxl", "evaluation xlsx")
    else {
        return;
    };
    let read = |bytes: &[u8], name: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = std::process::Command::new(&py)
            .args(["-c", XLSX_READER, path.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let en = read(&xlsx, "report-en.xlsx");
    let sheets: Vec<&str> = en["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(
        sheets,
        [
            "Report",
            "Criteria",
            "Figures",
            "Industries",
            "Provinces",
            "Domains",
            "Devices",
            "Calls"
        ]
    );
    assert_eq!(
        en["criteria"].as_u64(),
        Some(report["indicators"].as_array().unwrap().len() as u64)
    );
    assert_eq!(en["figures"]["Connected devices"], 2.0, "{en}");
    assert_eq!(en["figures"]["Managed devices"], 1.0);
    assert_eq!(en["figures"]["Enterprises"], 2.0);
    assert_eq!(
        en["connected_criterion"],
        json!([
            "Connected industrial devices (or process data points)",
            2,
            5000,
            "no"
        ])
    );
    let zh = read(&xlsx_zh, "report-zh.xlsx");
    assert_eq!(zh["sheets"][1], "评价指标");
    assert_eq!(zh["figures"]["连接设备数"], 2.0, "{zh}");
    // A tenant's workbook holds its own figures.
    let (status, _, own_xlsx) = a.get_bytes("/api/v1/evaluation/export", None).await;
    assert_eq!(status, 200);
    let own = read(&own_xlsx, "report-a.xlsx");
    assert_eq!(own["figures"]["Connected devices"], 1.0);
    assert_eq!(own["criteria"], 0);
}

/// The text of a PDF as `pdftotext -layout` reads it, or None after
/// [`peer_missing`](crate::support::peer_missing) when it is not installed.
fn pdf_text(dir: &std::path::Path, pdf: &[u8], name: &str) -> Option<String> {
    let path = dir.join(name);
    std::fs::write(&path, pdf).unwrap();
    match std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(String::from_utf8(out.stdout).unwrap())
        }
        Err(_) => {
            crate::support::peer_missing("evaluation pdf", "pdftotext (poppler-utils) is missing");
            None
        }
    }
}

/// Reads a report workbook with openpyxl: its sheets, the criteria count, the figures by
/// name, and the first criterion's name, value, floor and verdict.
const XLSX_READER: &str = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], read_only=True)
rows = lambda ws: [r for r in ws.iter_rows(min_row=2, values_only=True)]
crit = rows(wb.worksheets[1])
first = crit[0] if crit else None
print(json.dumps({
    "sheets": wb.sheetnames,
    "criteria": len(crit),
    "figures": {r[0]: r[1] for r in rows(wb.worksheets[2])},
    "connected_criterion": [first[0], first[3], first[4], first[7]] if first else None,
}))
"#;

/// `scripts/load-region.py` loads enterprises by really doing it (profiles, devices
/// reporting over HTTP, commands answered, model calls); the report counts exactly what
/// it did.
#[tokio::test]
async fn the_region_load_script_is_counted_as_it_happened() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        dir.path(),
        "127.0.0.1:0",
        &[("IRONLOOM__DEVICES__ACTIVITY_FLUSH", "200ms".into())],
    );
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/load-region.py");
    let base = server.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg(script)
            .args([
                "--url",
                &base,
                "--admin-password",
                crate::support::ADMIN_PASSWORD,
            ])
            .args(["--enterprises", "6", "--devices", "6", "--seed", "7"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let done: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(done["enterprises"], 6, "{done}");
    assert!(done["managed"].as_u64().unwrap() > 0, "{done}");
    let admin = Api::platform_admin(&server).await;
    let want = done["connected"].clone();
    let report = crate::support::until("the script's devices counted", || {
        let (admin, want) = (&admin, want.clone());
        async move {
            let r = admin.get("/api/v1/evaluation?fresh=true").await;
            (r["metrics"]["connected_devices"] == want).then_some(r)
        }
    })
    .await;
    let m = &report["metrics"];
    assert_eq!(m["enterprises"], done["enterprises"], "{m}");
    assert_eq!(m["registered_devices"], done["devices"]);
    assert_eq!(m["managed_devices"], done["managed"]);
    assert_eq!(m["connected_kinds"], done["kinds"]);
    assert_eq!(m["process_points"], done["process_points"]);
    let calls = m["calls_by_month"].as_array().unwrap().last().unwrap()["count"].clone();
    assert_eq!(calls, done["model_calls"]);
    // The calls' records add up to the same, the month's rows.
    let list = admin
        .get("/api/v1/evaluation/tenant-records?list=model_calls&page_size=500")
        .await;
    let month_calls: u64 = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["month"] == m["month"])
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    assert_eq!(Some(month_calls), done["model_calls"].as_u64(), "{list}");
    // Five industries, two provinces.
    let industries: Vec<&str> = m["industries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["enterprises"].as_u64().unwrap() > 0)
        .map(|i| i["industry"].as_str().unwrap())
        .collect();
    assert_eq!(industries.len(), 5, "{industries:?}");
}
