//! Trading in the marketplace on a real `ironloom serve`: a developer's plans; a paid app
//! refused until subscribed; a trial; expiry pausing the installation and saying why;
//! renewal through an order paid by bank transfer and confirmed by the platform
//! administrator (invoice, ledger postings, the installation started again); a refund;
//! per-call billing from the metering counters, once per month; cancellation; and a
//! ledger that balances after every step.

use crate::market::{DEV_PASSWORD, REVIEWER_PASSWORD, app_files, submit};
use crate::support::{Api, Server};
use chrono::Datelike;
use serde_json::{Value, json};

async fn balanced(admin: &Api) -> Value {
    let b = admin.get("/api/v1/market/finance/balances").await;
    assert_eq!(b["total"], 0, "{b}");
    assert_eq!(b["balanced"], true);
    b
}

fn balance(b: &Value, prefix: &str) -> i64 {
    b["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["account"].as_str().unwrap().starts_with(prefix))
        .map(|a| a["amount"].as_i64().unwrap())
        .sum()
}

/// Runs SQL on the server's SQLite metadata (to move time: a period that ended).
async fn sql(data: &std::path::Path, text: &str) {
    use sqlx::Connection;
    let url = format!("sqlite://{}", data.join("meta.db").display());
    let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(text.to_string()))
        .execute(&mut c)
        .await
        .unwrap();
}

#[tokio::test]
async fn plans_trials_expiry_orders_refunds_and_usage_billing() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());
    let admin = Api::platform_admin(&server).await;
    let tenant = Api::new_tenant(&server).await;
    let anon = reqwest::Client::new();
    let r = anon
        .post(format!("{}/api/v1/market/register", server.base))
        .json(
            &json!({"username": "seller", "password": DEV_PASSWORD, "name": "Seller Ltd",
            "email": "s@example.com", "organisation": "Seller Industrial Software Co."}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let dev_id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    admin
        .call(
            "POST",
            "/api/v1/users",
            Some(json!({"username": "rev", "password": REVIEWER_PASSWORD, "role": "reviewer"})),
        )
        .await;
    let reviewer = Api::login_as(&server, "rev", REVIEWER_PASSWORD, None).await;
    reviewer
        .call(
            "POST",
            &format!("/api/v1/market/review/developers/{dev_id}"),
            Some(json!({"status": "verified"})),
        )
        .await;
    let dev = Api::login_as(&server, "seller", DEV_PASSWORD, None).await;
    let sub = submit(&dev, &app_files("pump-efficiency"), "").await;
    assert_eq!(sub["status"], "in_review", "{sub}");
    let (status, _) = reviewer
        .call(
            "POST",
            &format!(
                "/api/v1/market/review/submissions/{}/approve",
                sub["id"].as_str().unwrap()
            ),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 201);

    // Plans: a monthly plan with a trial, and a per-call plan; nonsense is refused.
    let (status, body) = dev
        .call(
            "POST",
            "/api/v1/market/apps/pump.efficiency/plans",
            Some(json!({"name": {"en": "Free", "zh-CN": "免费"}, "kind": "free", "price": 100})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, monthly) = dev
        .call(
            "POST",
            "/api/v1/market/apps/pump.efficiency/plans",
            Some(
                json!({"name": {"en": "Monthly", "zh-CN": "包月"}, "kind": "monthly",
                "price": 9900, "trial_days": 14}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{monthly}");
    let (status, per_call) = dev
        .call(
            "POST",
            "/api/v1/market/apps/pump.efficiency/plans",
            Some(
                json!({"name": {"en": "Per call", "zh-CN": "按次"}, "kind": "per_call",
                "included_calls": 1000, "price_per_1000_calls": 50}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{per_call}");
    let (status, _) = tenant
        .call(
            "POST",
            "/api/v1/market/apps/pump.efficiency/plans",
            Some(json!({"name": {"en": "X", "zh-CN": "X"}, "kind": "free"})),
        )
        .await;
    assert_eq!(status, 403, "a tenant is no developer");
    // With plans and no free one, the store lists it as paid.
    let listed = crate::support::until("the store to list it as paid", || async {
        let v = tenant.get("/api/v1/market/catalogue?q=pump&kind=app").await;
        (v["items"][0]["price"] == "paid").then_some(v)
    })
    .await;
    assert_eq!(listed["items"][0]["id"], "pump.efficiency");
    assert_eq!(
        tenant
            .get("/api/v1/market/apps/pump.efficiency/plans")
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // A paid app is refused until subscribed; the first subscription is a trial.
    let grant = json!([{"kind": "read_telemetry"}, {"kind": "write_telemetry"}, {"kind": "alarms"}, {"kind": "models"}]);
    let install = json!({"name": "pumps", "grant": grant, "products": []});
    let (status, body) = tenant
        .call(
            "POST",
            "/api/v1/market/releases/pump.efficiency/1.0.0/install",
            Some(install.clone()),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("subscribe"),
        "{body}"
    );
    let (status, trial) = tenant
        .call(
            "POST",
            "/api/v1/market/apps/pump.efficiency/subscribe",
            Some(json!({"plan_id": monthly["id"]})),
        )
        .await;
    assert_eq!(status, 201, "{trial}");
    assert_eq!(trial["subscription"]["status"], "trial");
    assert!(trial["order"].is_null());
    let (status, inst) = tenant
        .call(
            "POST",
            "/api/v1/market/releases/pump.efficiency/1.0.0/install",
            Some(install),
        )
        .await;
    assert_eq!(status, 201, "{inst}");
    let inst_id = inst["id"].as_str().unwrap().to_string();

    // The trial ends: the installation is paused, with the reason in its log.
    sql(
        data.path(),
        "UPDATE market_subscriptions SET period_end = 1000",
    )
    .await;
    let run = admin
        .call("POST", "/api/v1/market/finance/expire-due", None)
        .await;
    assert_eq!(run.1["expired"], 1, "{run:?}");
    let i = tenant
        .get(&format!("/api/v1/app-installations/{inst_id}"))
        .await;
    assert_eq!(i["enabled"], false, "{i}");
    let logs = tenant
        .get(&format!("/api/v1/app-installations/{inst_id}/logs"))
        .await;
    assert!(
        logs.to_string()
            .contains("paused: the subscription to pump.efficiency ended"),
        "{logs}"
    );
    let subs = tenant.get("/api/v1/market/subscriptions").await;
    assert_eq!(subs[0]["status"], "expired");

    // Renewal: an order, paid by transfer, confirmed by the platform administrator.
    let (status, renew) = tenant
        .call(
            "POST",
            "/api/v1/market/apps/pump.efficiency/subscribe",
            Some(json!({"plan_id": monthly["id"]})),
        )
        .await;
    assert_eq!(status, 201, "{renew}");
    let order = &renew["order"];
    assert_eq!(
        (order["amount"].as_i64(), order["fee"].as_i64()),
        (Some(9900), Some(1980))
    );
    assert!(
        renew["payment"]["zh-CN"]
            .as_str()
            .unwrap()
            .contains("99.00"),
        "{renew}"
    );
    let order_id = order["id"].as_str().unwrap().to_string();
    assert!(
        order["description"].as_str().unwrap().contains("包月"),
        "in both languages: {order}"
    );
    // Subscribing again while it waits for its payment gives the same order.
    let (status, again) = tenant
        .call(
            "POST",
            "/api/v1/market/apps/pump.efficiency/subscribe",
            Some(json!({"plan_id": monthly["id"]})),
        )
        .await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["order"]["id"], order_id.as_str(), "{again}");
    let pending = admin
        .get("/api/v1/market/finance/orders?status=pending&app_id=pump.efficiency")
        .await;
    assert_eq!(pending["total"], 1, "{pending}");
    assert_eq!(
        admin.get("/api/v1/market/finance/orders?status=paid").await["total"],
        0
    );
    let (status, _) = admin
        .call("GET", "/api/v1/market/finance/orders?status=owed", None)
        .await;
    assert_eq!(status, 422);
    let (status, _) = tenant
        .call(
            "GET",
            &format!("/api/v1/market/orders/{order_id}/invoice"),
            None,
        )
        .await;
    assert_eq!(status, 422, "no invoice before the payment");
    let b = balanced(&admin).await;
    assert_eq!(balance(&b, "tenant:"), 9900, "invoiced: {b}");
    let (status, _) = tenant
        .call(
            "POST",
            &format!("/api/v1/market/finance/orders/{order_id}/confirm-payment"),
            None,
        )
        .await;
    assert_eq!(status, 403, "only the platform confirms payments");
    let (status, paid) = admin
        .call(
            "POST",
            &format!("/api/v1/market/finance/orders/{order_id}/confirm-payment"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["order"]["status"], "paid");
    assert!(
        paid["order"]["invoice_no"]
            .as_str()
            .unwrap()
            .starts_with("INV-")
    );
    assert_eq!(paid["subscription"]["status"], "active");
    let i = tenant
        .get(&format!("/api/v1/app-installations/{inst_id}"))
        .await;
    assert_eq!(i["enabled"], true, "started again: {i}");
    let b = balanced(&admin).await;
    assert_eq!(balance(&b, "tenant:"), 0);
    assert_eq!(balance(&b, "platform:bank"), 9900);
    assert_eq!(balance(&b, "platform:fees"), -1980);
    assert_eq!(balance(&b, "developer:"), -7920);

    // The developer's analytics: the tenant that took the app, its installation, the
    // calls the metering counted (last month, written here as the runtime would) and the
    // developer's share of the paid order.
    let this = chrono::Utc::now().format("%Y-%m").to_string();
    let prev = (chrono::Utc::now().date_naive().with_day(1).unwrap() - chrono::Duration::days(1))
        .format("%Y-%m")
        .to_string();
    let t1 = admin.get("/api/v1/tenants?q=factory").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    sql(data.path(), &format!(
        "INSERT INTO app_usage (tenant_id, month, app_id, invocations, errors, fuel, wall_us, host_calls) \
         VALUES ('{t1}', '{prev}', 'pump.efficiency', 500, 2, 0, 0, 1500)")).await;
    let a = dev.get("/api/v1/market/developer/analytics?months=2").await;
    let app = &a["apps"][0];
    assert_eq!(app["app_id"], "pump.efficiency", "{a}");
    assert_eq!(
        (
            &app["tenants"],
            &app["installations"],
            &app["active_installations"]
        ),
        (&json!(1), &json!(1), &json!(1)),
        "{a}"
    );
    assert_eq!(app["calls_total"], 500);
    assert_eq!(app["revenue_total"], 7920);
    assert_eq!(app["months"][0]["month"], prev.as_str());
    assert_eq!(
        (
            &app["months"][0]["calls"],
            &app["months"][0]["errors"],
            &app["months"][0]["sdk_calls"]
        ),
        (&json!(500), &json!(2), &json!(1500))
    );
    assert_eq!(app["months"][1]["month"], this.as_str());
    assert_eq!(app["months"][1]["revenue"], 7920);
    // Its requests to the developer API this month (the plans, this one) are SDK calls.
    assert!(a["api_calls"][1]["count"].as_u64().unwrap() >= 4, "{a}");
    let (status, _) = dev
        .call("GET", "/api/v1/market/developer/analytics?months=99", None)
        .await;
    assert_eq!(status, 422);
    let (status, _) = tenant
        .call("GET", "/api/v1/market/developer/analytics", None)
        .await;
    assert_eq!(status, 403, "a tenant is no developer");
    // The platform's counts: one third-party developer, active and using the SDK.
    let (status, _) = tenant.call("GET", "/api/v1/market/statistics", None).await;
    assert_eq!(status, 403);
    let st = reviewer.get("/api/v1/market/statistics?months=2").await;
    let (last_month, now) = (
        &st["developers"]["months"][0],
        &st["developers"]["months"][1],
    );
    assert_eq!(
        (
            &now["registered"],
            &now["verified"],
            &now["third_party"],
            &now["third_party_share"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(1.0)),
        "{st}"
    );
    assert_eq!(
        (&now["active"], &now["sdk_developers"]),
        (&json!(1), &json!(1))
    );
    assert!(now["api_calls"].as_u64().unwrap() >= 4);
    assert_eq!(now["sdk_calls"], now["api_calls"]);
    assert_eq!(
        (&last_month["active"], &last_month["sdk_calls"]),
        (&json!(1), &json!(1500)),
        "{st}"
    );
    assert_eq!(
        (
            &st["store"]["apps"],
            &st["store"]["subscribing_tenants"],
            &st["store"]["installations"]
        ),
        (&json!(1), &json!(1), &json!(1)),
        "{st}"
    );
    let inv = tenant
        .get(&format!("/api/v1/market/orders/{order_id}/invoice"))
        .await;
    assert_eq!(
        (inv["total"].as_i64(), inv["seller"].as_str()),
        (Some(9900), Some("Seller Industrial Software Co.")),
        "{inv}"
    );
    let (status, _) = admin
        .call(
            "POST",
            &format!("/api/v1/market/finance/orders/{order_id}/confirm-payment"),
            None,
        )
        .await;
    assert_eq!(status, 422, "paid twice");
    let sales = dev.get("/api/v1/market/developer/orders").await;
    assert_eq!(
        (sales["total"].as_u64(), sales["balance"].as_i64()),
        (Some(1), Some(7920)),
        "{sales}"
    );

    // A refund reverses everything and pauses the app again.
    let (status, _) = admin
        .call(
            "POST",
            &format!("/api/v1/market/finance/orders/{order_id}/refund"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 422, "a refund says why");
    let (status, refunded) = admin
        .call(
            "POST",
            &format!("/api/v1/market/finance/orders/{order_id}/refund"),
            Some(json!({"note": "bought by mistake"})),
        )
        .await;
    assert_eq!(status, 200, "{refunded}");
    assert_eq!(refunded["subscription"]["status"], "expired");
    let i = tenant
        .get(&format!("/api/v1/app-installations/{inst_id}"))
        .await;
    assert_eq!(i["enabled"], false);
    let b = balanced(&admin).await;
    for a in ["tenant:", "platform:bank", "platform:fees", "developer:"] {
        assert_eq!(balance(&b, a), 0, "{a}: {b}");
    }

    // Per call: billed after the month from the metering counters, once.
    let plant2 = Api::new_tenant_named(&server, "plant2", "tb").await;
    let (status, pc) = plant2
        .call(
            "POST",
            "/api/v1/market/apps/pump.efficiency/subscribe",
            Some(json!({"plan_id": per_call["id"]})),
        )
        .await;
    assert_eq!(
        (status, pc["subscription"]["status"].as_str()),
        (201, Some("active")),
        "{pc}"
    );
    let last = (chrono::Utc::now().date_naive().with_day(1).unwrap() - chrono::Duration::days(1))
        .format("%Y-%m")
        .to_string();
    let t2 = admin.get("/api/v1/tenants?q=plant2").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    sql(data.path(), &format!(
        "INSERT INTO app_usage (tenant_id, month, app_id, invocations, errors, fuel, wall_us, host_calls) \
         VALUES ('{t2}', '{last}', 'pump.efficiency', 12345, 0, 0, 0, 0)")).await;
    let (status, run) = admin
        .call(
            "POST",
            "/api/v1/market/finance/usage-billing",
            Some(json!({"month": last})),
        )
        .await;
    assert_eq!(status, 200, "{run}");
    // 12 345 calls − 1000 included = 11 345 → 12 thousands × 0.50 yuan.
    assert_eq!(run["orders"].as_array().unwrap().len(), 1, "{run}");
    assert_eq!(
        (
            run["orders"][0]["quantity"].as_i64(),
            run["orders"][0]["amount"].as_i64()
        ),
        (Some(12), Some(600))
    );
    let again = admin
        .call(
            "POST",
            "/api/v1/market/finance/usage-billing",
            Some(json!({"month": last})),
        )
        .await;
    assert_eq!(
        again.1["orders"].as_array().unwrap().len(),
        0,
        "billed once: {again:?}"
    );
    let (status, _) = admin
        .call(
            "POST",
            "/api/v1/market/finance/usage-billing",
            Some(json!({"month": chrono::Utc::now().format("%Y-%m").to_string()})),
        )
        .await;
    assert_eq!(status, 422, "a month still running");
    // Another tenant's order does not exist for this one; the owner cancels its own.
    let usage_order = run["orders"][0]["id"].as_str().unwrap().to_string();
    let (status, _) = tenant
        .call("GET", &format!("/api/v1/market/orders/{usage_order}"), None)
        .await;
    assert_eq!(status, 404);
    let (status, c) = plant2
        .call(
            "POST",
            &format!("/api/v1/market/orders/{usage_order}/cancel"),
            None,
        )
        .await;
    assert_eq!(
        (status, c["status"].as_str()),
        (200, Some("cancelled")),
        "{c}"
    );
    let b = balanced(&admin).await;
    assert_eq!(balance(&b, "tenant:"), 0);
    let ledger = admin
        .get("/api/v1/market/finance/ledger?page_size=100")
        .await;
    // Invoiced 3 + paid 2 + refunded 5, the usage order invoiced 3 + cancelled 3.
    assert_eq!(
        ledger["total"].as_u64(),
        Some(3 + 2 + 5 + 3 + 3),
        "{ledger}"
    );
}
