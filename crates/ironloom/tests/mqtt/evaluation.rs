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
