//! Identifier resolution on a real `ironloom serve`: prefixes held by one tenant each; a
//! shipped template validating registrations; single and batch registration with per-item
//! outcomes; the Handle.Net REST API answering public values only, with CNRI's response
//! codes and filters; tenants kept apart; links across tenants and the trace showing of
//! another tenant's identifiers only what it made public.

use crate::support::{Api, Server};
use serde_json::{Value, json};

fn part(suffix: &str, serial: &str) -> Value {
    json!({
        "handle": format!("88.118.8/{suffix}"),
        "template": {"id": "machinery-part", "version": "1.0"},
        "values": [
            {"index": 1, "type": "URL", "data": format!("https://plant.example/parts/{suffix}")},
            {"index": 2000, "type": "model", "data": "GB-6208 轴承座"},
            {"index": 2001, "type": "serial_no", "data": serial},
            {"index": 2002, "type": "made_on", "data": "2026-11-30"},
            {"index": 2005, "type": "maker", "data": "Plant A"},
            {"index": 2007, "type": "inspection", "data": "passed, 3 checks"}
        ]
    })
}

async fn raw(server: &Server, path: &str) -> (u16, Value) {
    let r = reqwest::get(format!("{}{path}", server.base))
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn identifiers_are_registered_resolved_and_traced_across_tenants() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());
    let a = Api::new_tenant(&server).await;
    let b = Api::new_tenant_named(&server, "supplier", "tb").await;

    // Prefixes: one tenant each; malformed ones refused.
    let (status, p) = a
        .call(
            "POST",
            "/api/v1/identifier-prefixes",
            Some(json!({"prefix": "88.118.8", "name": "Plant A"})),
        )
        .await;
    assert_eq!(status, 201, "{p}");
    let (status, e) = b
        .call(
            "POST",
            "/api/v1/identifier-prefixes",
            Some(json!({"prefix": "88.118.8", "name": "mine"})),
        )
        .await;
    assert_eq!(
        (status, &e["code"]),
        (409, &json!("held_by_another_tenant")),
        "{e}"
    );
    let (status, e) = a
        .call(
            "POST",
            "/api/v1/identifier-prefixes",
            Some(json!({"prefix": "88.118.8", "name": "again"})),
        )
        .await;
    assert_eq!((status, &e["code"]), (409, &json!("already_exists")), "{e}");
    for bad in ["", "88..1", "88.1/2", "８８.1"] {
        let (status, _) = b
            .call(
                "POST",
                "/api/v1/identifier-prefixes",
                Some(json!({"prefix": bad, "name": "x"})),
            )
            .await;
        assert_eq!(status, 422, "{bad:?}");
    }
    let (status, _) = b
        .call(
            "POST",
            "/api/v1/identifier-prefixes",
            Some(json!({"prefix": "86.1000.12", "name": "Supplier B"})),
        )
        .await;
    assert_eq!(status, 201);

    // The shipped templates are there for every tenant.
    let templates = a.get("/api/v1/identifier-templates").await;
    let ids: Vec<&str> = templates
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    for t in [
        "machinery-part",
        "electronic-component",
        "food-batch",
        "steel-coil",
    ] {
        assert!(ids.contains(&t), "{t}: {templates}");
    }

    // A shipped template takes no versions from a tenant.
    let (status, body) = b
        .call(
            "POST",
            "/api/v1/identifier-templates",
            Some(json!({"id": "machinery-part", "version": "9", "name": {"en": "Mine", "zh-CN": "我的"},
                "fields": [{"name": "model", "index": 2000, "label": {"en": "Model", "zh-CN": "型号"}, "type": "string"}]})),
        )
        .await;
    assert_eq!(status, 422, "{body}");

    // Registration validated against the template.
    let (status, made) = a
        .call("POST", "/api/v1/identifiers", Some(part("P-0001", "SN-1")))
        .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["handle"], "88.118.8/P-0001");
    let mut missing = part("P-0002", "SN-2");
    missing["values"].as_array_mut().unwrap().remove(3);
    let (status, body) = a.call("POST", "/api/v1/identifiers", Some(missing)).await;
    assert_eq!(status, 422, "made_on is required: {body}");
    assert!(
        body["message"].as_str().unwrap().contains("made_on"),
        "{body}"
    );
    let (status, _) = a
        .call("POST", "/api/v1/identifiers", Some(part("P-0001", "again")))
        .await;
    assert_eq!(status, 409);
    let (status, _) = b
        .call("POST", "/api/v1/identifiers", Some(part("P-0009", "SN-9")))
        .await;
    assert_eq!(status, 422, "not B's prefix");

    // A batch: created, existing and invalid items each reported.
    let mut bad = part("P-0004", "SN-4");
    bad["values"][3]["data"] = json!("30.11.2026");
    let (status, batch) = a
        .call(
            "POST",
            "/api/v1/identifier-batches",
            Some(json!([
                part("P-0002", "SN-2"),
                part("P-0003", "SN-3"),
                part("P-0001", "x"),
                bad
            ])),
        )
        .await;
    assert_eq!(status, 200, "{batch}");
    assert_eq!(
        (&batch["created"], &batch["existing"], &batch["invalid"]),
        (&json!(2), &json!(1), &json!(1)),
        "{batch}"
    );
    assert_eq!(batch["items"][3]["outcome"], "invalid");
    assert!(
        batch["items"][3]["error"]
            .as_str()
            .unwrap()
            .contains("made_on")
    );
    let (status, _) = a
        .call("POST", "/api/v1/identifier-batches", Some(json!([])))
        .await;
    assert_eq!(status, 422);

    // Resolution for everybody: public values only, CNRI's codes, filters.
    let (status, r) = raw(&server, "/api/handles/88.118.8/P-0001").await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        (&r["responseCode"], &r["handle"]),
        (&json!(1), &json!("88.118.8/P-0001"))
    );
    let types: Vec<&str> = r["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["URL", "TEMPLATE", "model", "serial_no", "made_on", "maker"],
        "the inspection is not public; the template at 1001"
    );
    assert_eq!(
        (&r["values"][1]["index"], &r["values"][1]["data"]["value"]),
        (&json!(1001), &json!("machinery-part/1.0"))
    );
    assert_eq!(
        r["values"][2]["data"],
        json!({"format": "string", "value": "GB-6208 轴承座"})
    );
    assert!(r["values"][0]["timestamp"].as_str().unwrap().ends_with('Z'));
    let (status, r) = raw(&server, "/api/handles/88.118.8/P-0001?type=URL&index=2001").await;
    assert_eq!(status, 200);
    assert_eq!(r["values"].as_array().unwrap().len(), 2, "{r}");
    let (status, r) = raw(&server, "/api/handles/88.118.8/P-0001?type=EMAIL").await;
    assert_eq!((status, &r["responseCode"]), (200, &json!(200)), "{r}");
    let (status, r) = raw(&server, "/api/handles/88.118.8/NOPE").await;
    assert_eq!((status, &r["responseCode"]), (404, &json!(100)), "{r}");
    let (status, r) = raw(&server, "/api/handles/88..8/x").await;
    assert_eq!((status, &r["responseCode"]), (400, &json!(102)), "{r}");
    let (status, r) = raw(&server, "/api/handles/88.118.8/P-0001?pretty=true&index=x").await;
    assert_eq!(status, 400, "{r}");

    // The owner sees everything; another tenant sees nothing of it here.
    let mine = a.get("/api/v1/identifiers/88.118.8%2FP-0001").await;
    assert_eq!(mine["values"].as_array().unwrap().len(), 6);
    let (status, _) = b
        .call("GET", "/api/v1/identifiers/88.118.8%2FP-0001", None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = b
        .call("DELETE", "/api/v1/identifiers/88.118.8%2FP-0001", None)
        .await;
    assert_eq!(status, 404);
    let listed = a
        .get("/api/v1/identifiers?prefix=88.118.8&page_size=2")
        .await;
    assert_eq!(
        (&listed["total"], listed["items"].as_array().unwrap().len()),
        (&json!(3), 2)
    );
    assert_eq!(b.get("/api/v1/identifiers").await["total"], 0);

    // A supplier's part built into A's product: the trace shows the supplier's public
    // values only, A's all.
    let (status, _) = b
        .call(
            "POST",
            "/api/v1/identifiers",
            Some(json!({"handle": "86.1000.12/MOTOR-7", "values": [
                {"index": 1, "type": "URL", "data": "https://supplier.example/m7"},
                {"index": 2, "type": "cost", "data": "812.50",
                 "permissions": "1100"}]})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, link) = a
        .call(
            "POST",
            "/api/v1/identifiers/88.118.8%2FP-0001/links",
            Some(json!({"child": "86.1000.12/MOTOR-7", "kind": "component"})),
        )
        .await;
    assert_eq!(status, 201, "{link}");
    let (status, _) = b
        .call(
            "POST",
            "/api/v1/identifiers/86.1000.12%2FMOTOR-7/links",
            Some(json!({"child": "86.1000.12/NOPE", "kind": "component"})),
        )
        .await;
    assert_eq!(status, 422, "an unknown child");
    // Its links both ways: A's part holds B's motor; B sees A's link to its motor.
    let links = a.get("/api/v1/identifiers/88.118.8%2FP-0001/links").await;
    assert_eq!(
        links["children"][0]["child"], "86.1000.12/MOTOR-7",
        "{links}"
    );
    assert_eq!(links["parents"].as_array().unwrap().len(), 0, "{links}");
    let links = b
        .get("/api/v1/identifiers/86.1000.12%2FMOTOR-7/links")
        .await;
    assert_eq!(links["parents"][0]["parent"], "88.118.8/P-0001", "{links}");
    let (status, _) = b
        .call("GET", "/api/v1/identifiers/88.118.8%2FP-0001/links", None)
        .await;
    assert_eq!(status, 404, "another tenant's identifier");
    let trace = a.get("/api/v1/identifiers/88.118.8%2FP-0001/trace").await;
    assert_eq!(trace["nodes"].as_array().unwrap().len(), 2, "{trace}");
    assert_eq!(trace["edges"][0]["kind"], "component");
    let supplier = &trace["nodes"][1];
    assert_eq!(
        (&supplier["handle"], &supplier["own"]),
        (&json!("86.1000.12/MOTOR-7"), &json!(false))
    );
    assert_eq!(
        supplier["values"].as_array().unwrap().len(),
        1,
        "the cost is not public: {trace}"
    );
    // B lets A (tenant `factory`) see its motor's values that are not public: A's trace
    // shows the cost then, and not after B takes the grant back.
    let (status, g) = b
        .call(
            "POST",
            "/api/v1/identifier-grants",
            Some(json!({"scope": "86.1000.12/MOTOR-7", "reader": "factory"})),
        )
        .await;
    assert_eq!(status, 201, "{g}");
    for (body, code) in [
        (json!({"scope": "86.1000.12", "reader": "nobody"}), 422),
        (json!({"scope": "88.118.8", "reader": "factory"}), 422),
        (json!({"scope": "86.1000.12", "reader": "supplier"}), 422),
        (
            json!({"scope": "86.1000.12/MOTOR-7", "reader": "factory"}),
            409,
        ),
    ] {
        let (status, e) = b
            .call("POST", "/api/v1/identifier-grants", Some(body.clone()))
            .await;
        assert_eq!(status, code, "{body}: {e}");
    }
    let granted = a.get("/api/v1/identifiers/88.118.8%2FP-0001/trace").await;
    let motor = granted["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["handle"] == "86.1000.12/MOTOR-7")
        .unwrap();
    assert_eq!(motor["granted"], true, "{granted}");
    assert_eq!(motor["values"].as_array().unwrap().len(), 2, "{granted}");
    let list = b.get("/api/v1/identifier-grants").await;
    assert_eq!(list[0]["reader"], "factory", "{list}");
    assert!(
        a.get("/api/v1/identifier-grants")
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
    let (status, _) = a
        .call(
            "DELETE",
            "/api/v1/identifier-grants/factory/86.1000.12%2FMOTOR-7",
            None,
        )
        .await;
    assert_eq!(status, 404, "only the owner takes a grant back");
    let (status, _) = b
        .call(
            "DELETE",
            "/api/v1/identifier-grants/factory/86.1000.12%2FMOTOR-7",
            None,
        )
        .await;
    assert_eq!(status, 204);
    let after = a.get("/api/v1/identifiers/88.118.8%2FP-0001/trace").await;
    assert_eq!(
        after["nodes"][1]["values"].as_array().unwrap().len(),
        1,
        "{after}"
    );
    let from_b = b
        .get("/api/v1/identifiers/86.1000.12%2FMOTOR-7/trace")
        .await;
    let a_node = from_b["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["handle"] == "88.118.8/P-0001")
        .unwrap();
    assert_eq!(
        a_node["values"].as_array().unwrap().len(),
        5,
        "A's inspection stays A's"
    );

    // A prefix in use stays; updates keep the template's rules.
    let (status, _) = a
        .call("DELETE", "/api/v1/identifier-prefixes/88.118.8", None)
        .await;
    assert_eq!(status, 409);
    let mut upd = part("P-0003", "SN-3b");
    let values = upd["values"].take();
    let (status, after) = a
        .call(
            "PUT",
            "/api/v1/identifiers/88.118.8%2FP-0003",
            Some(json!({"template": {"id": "machinery-part", "version": "1.0"}, "values": values})),
        )
        .await;
    assert_eq!(status, 200, "{after}");
    let (_, r) = raw(&server, "/api/handles/88.118.8/P-0003?type=serial_no").await;
    assert_eq!(r["values"][0]["data"]["value"], "SN-3b");
    // Carriers: the QR code and Data Matrix of an identifier, and label sheets.
    let client = reqwest::Client::new();
    let get = |path: String, token: String| {
        let client = client.clone();
        let url = format!("{}{path}", server.base);
        async move { client.get(url).bearer_auth(token).send().await.unwrap() }
    };
    let svg = get(
        "/api/v1/identifiers/88.118.8%2FP-0001/carrier".into(),
        a.token().to_string(),
    )
    .await;
    assert_eq!(svg.status(), 200);
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    let text = svg.text().await.unwrap();
    assert!(
        text.contains("<svg") && text.contains("88.118.8/P-0001"),
        "{text}"
    );
    let png = get(
        "/api/v1/identifiers/88.118.8%2FP-0001/carrier?symbology=datamatrix&format=png&module_px=4"
            .into(),
        a.token().to_string(),
    )
    .await;
    assert_eq!(png.headers()["content-type"], "image/png");
    assert_eq!(
        png.headers()["content-disposition"],
        "inline; filename=\"88.118.8_P-0001-datamatrix.png\""
    );
    assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
    for bad in [
        "?symbology=aztec",
        "?format=gif",
        "?module_px=0",
        "?base=ftp://x",
    ] {
        let r = get(
            format!("/api/v1/identifiers/88.118.8%2FP-0001/carrier{bad}"),
            a.token().to_string(),
        )
        .await;
        assert_eq!(r.status(), 422, "{bad}");
    }
    let r = get(
        "/api/v1/identifiers/88.118.8%2FP-0001/carrier".into(),
        b.token().to_string(),
    )
    .await;
    assert_eq!(r.status(), 404, "another tenant's");
    let (status, sheets) = a
        .call(
            "POST",
            "/api/v1/identifier-labels",
            Some(
                json!({"handles": ["88.118.8/P-0001", "88.118.8/P-0002", "88.118.8/P-0003"],
                "line": "轴承座 bearing housing"}),
            ),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(sheets["pages"].as_array().unwrap().len(), 1);
    assert!(sheets["pages"][0].as_str().unwrap().contains("轴承座"));
    let (status, _) = b
        .call(
            "POST",
            "/api/v1/identifier-labels",
            Some(json!({"handles": ["88.118.8/P-0001"]})),
        )
        .await;
    assert_eq!(status, 404);

    // Scheme detection of what a scanner read: a handle, a resolution URL, a GTIN; a
    // wrong check digit refused with the reason.
    for (text, scheme, kind, canonical) in [
        ("hdl:88.118.8/P-0001", "handle", "handle", "88.118.8/P-0001"),
        (
            "https://x.example/r/88.118.8/P-0001",
            "handle",
            "resolution_url",
            "88.118.8/P-0001",
        ),
        ("4006381333931", "gs1", "gtin", "04006381333931"),
        ("urn:oid:1.2.156.86", "oid", "oid", "1.2.156.86"),
    ] {
        let (status, d) = a
            .call(
                "POST",
                "/api/v1/identifier-detect",
                Some(json!({"text": text})),
            )
            .await;
        assert_eq!(status, 200, "{text}: {d}");
        assert_eq!(
            (d["scheme"].as_str(), d["kind"].as_str()),
            (Some(scheme), Some(kind)),
            "{d}"
        );
        assert_eq!(d["canonical"], canonical, "{d}");
    }
    let (status, e) = a
        .call(
            "POST",
            "/api/v1/identifier-detect",
            Some(json!({"text": "4006381333932"})),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    // A template's public fields, with labels and units, for anybody.
    let (status, t) = raw(
        &server,
        "/api/v1/shared/identifier-templates/machinery-part/1.0",
    )
    .await;
    assert_eq!(status, 200, "{t}");
    let fields = t["fields"].as_array().unwrap();
    assert!(fields.iter().all(|f| f["public"] == true), "{t}");
    assert!(fields.iter().any(|f| f["name"] == "serial_no"), "{t}");
    assert!(
        !fields.iter().any(|f| f["name"] == "inspection"),
        "not public: {t}"
    );

    // The native Handle protocol over UDP and TCP, asked by an independent client written
    // from RFC 3652 (Python's standard library only): public values only.
    let addr = server
        .handle
        .expect("the Handle server's address")
        .to_string();
    let resolve = crate::identifier_resolvers::resolve;
    let udp = resolve(&["--udp", &addr, "88.118.8/P-0001"]);
    assert_eq!(udp["responseCode"], 1, "{udp}");
    let types: Vec<&str> = udp["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["URL", "TEMPLATE", "model", "serial_no", "made_on", "maker"]
    );
    assert_eq!(udp["values"][2]["data"], "GB-6208 轴承座");
    let tcp = resolve(&["--tcp", &addr, "88.118.8/P-0001", "--type", "serial_no"]);
    assert_eq!(tcp["values"].as_array().unwrap().len(), 1, "{tcp}");
    assert_eq!(tcp["values"][0]["data"], "SN-1");
    let missing = resolve(&["--udp", &addr, "88.118.8/NOPE"]);
    assert_eq!(missing["responseCode"], 100, "{missing}");
    // Garbage and an oversized announced length are dropped; the service answers on.
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.send_to(b"\x02\x0a garbage", &addr).unwrap();
    sock.send_to(&[0u8; 3000], &addr).unwrap();
    {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        let mut env = [0u8; 20];
        env[0] = 2;
        env[1] = 10;
        env[16..20].copy_from_slice(&u32::MAX.to_be_bytes());
        s.write_all(&env).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(s.read(&mut buf).unwrap_or(0), 0, "closed without an answer");
    }
    let hidden = resolve(&["--tcp", &addr, "86.1000.12/MOTOR-7", "--type", "cost"]);
    assert_eq!(
        hidden["responseCode"], 200,
        "a value that is not public: {hidden}"
    );

    // Resolutions counted per identifier and prefix, REST and the protocol alike, in
    // the owner's tenant only.
    let stats = a.get("/api/v1/identifier-stats").await;
    let p1 = stats["top"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["handle"] == "88.118.8/P-0001")
        .cloned()
        .unwrap_or_else(|| panic!("{stats}"));
    // Three REST resolutions that found it (the one with a malformed index did not get
    // that far), one over UDP, one over TCP.
    assert_eq!(p1["count"], 5, "{stats}");
    assert_eq!(stats["prefixes"][0]["prefix"], "88.118.8");
    let bs = b.get("/api/v1/identifier-stats").await;
    assert!(!bs.to_string().contains("88.118.8"), "{bs}");
    let (status, _) = a
        .call("GET", "/api/v1/identifier-stats?month=2026-13", None)
        .await;
    assert_eq!(status, 422);

    let audit = a.get("/api/v1/audit?resource=identifier").await;
    assert!(audit.to_string().contains("create_batch"), "{audit}");

    // A tenant deleted takes its identifiers with it, cached answers included.
    let cached = resolve(&["--udp", &addr, "86.1000.12/MOTOR-7"]);
    assert_eq!(cached["responseCode"], 1, "{cached}");
    let admin = Api::platform_admin(&server).await;
    let tenants = admin.get("/api/v1/tenants?q=supplier").await;
    let supplier = tenants["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{tenants}"))
        .iter()
        .find(|t| t["code"] == "supplier")
        .unwrap_or_else(|| panic!("{tenants}"))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = admin
        .call("DELETE", &format!("/api/v1/tenants/{supplier}"), None)
        .await;
    assert_eq!(status, 204, "{body}");
    let gone = resolve(&["--udp", &addr, "86.1000.12/MOTOR-7"]);
    assert_eq!(gone["responseCode"], 100, "{gone}");
}
