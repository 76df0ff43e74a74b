//! The demo's store on a real `ironloom serve --demo`, with three apps of `apps/` in its
//! apps directory: the first-party developer publishes them through the pipeline (checks
//! with their fixtures, approval, signature), the demo tenant installs them from the
//! store, and the demo's trading is made: plans for the three apps and the tenant's
//! subscriptions (a trial, a running per-call subscription, an order waiting for its bank
//! transfer). A restart publishes and sells nothing twice.

use crate::support::{Api, Server};
use serde_json::Value;
use std::time::Duration;

const APPS: [&str; 3] = [
    "production-scheduler",
    "steam-trap-loss",
    "weibull-reliability",
];

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

async fn wait_for_log(server: &Server, what: &str, secs: u64) {
    for _ in 0..secs * 2 {
        if server.log.lock().unwrap().contains(what) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("no {what:?} in {secs} s:\n{}", server.log.lock().unwrap());
}

fn statuses(subs: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = subs
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["app_id"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn the_demo_publishes_installs_and_sells_its_apps_once() {
    let dir = tempfile::tempdir().unwrap();
    let apps = dir.path().join("apps");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../apps");
    for a in APPS {
        copy_dir(&root.join(a), &apps.join(a));
    }
    let data = dir.path().join("data");
    let env = [("IRONLOOM_APPS_DIR", apps.display().to_string())];
    let server = Server::start_args(&data, "127.0.0.1:0", &env, &["--demo"]);
    wait_for_log(&server, "demo store: paid apps offered and subscribed", 600).await;
    assert!(
        server.log.lock().unwrap().contains("subscriptions=3"),
        "{}",
        server.log.lock().unwrap()
    );
    let demo = Api::login_as(&server, "demo", "ironloom-demo-1", Some("demo")).await;

    // Released by the first-party developer, installed from the store.
    let releases = demo.get("/api/v1/market/releases").await;
    assert_eq!(releases["total"], 3, "{releases}");
    assert!(
        releases["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["developer"] == "Ironloom")
    );
    let installed = demo.get("/api/v1/app-installations").await;
    let names: Vec<&str> = installed
        .as_array()
        .or(installed["items"].as_array())
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    for n in ["line-scheduler", "pump-weibull"] {
        assert!(names.contains(&n), "{n}: {installed}");
    }

    // Sold: a trial, a running per-call subscription, a yearly order to pay.
    let subs = demo.get("/api/v1/market/subscriptions").await;
    assert_eq!(
        statuses(&subs),
        [
            ("maintenance.weibull-reliability".into(), "active".into()),
            ("planning.flow-shop-scheduler".into(), "trial".into()),
            ("steam.trap-loss".into(), "pending".into()),
        ],
        "{subs}"
    );
    let orders = demo.get("/api/v1/market/orders").await;
    assert_eq!(orders["total"], 1, "{orders}");
    let order = &orders["items"][0];
    assert_eq!(
        (&order["app_id"], &order["status"], &order["amount"]),
        (
            &Value::from("steam.trap-loss"),
            &Value::from("pending"),
            &Value::from(199_000)
        ),
        "{order}"
    );
    let plans = demo
        .get("/api/v1/market/apps/planning.flow-shop-scheduler/plans")
        .await;
    assert_eq!(plans.as_array().unwrap().len(), 2, "{plans}");

    // The demo plant's identifiers: resolvable by anyone, public values only; the pump
    // unit traced to its motor and the coil of its frame.
    let r: Value = reqwest::get(format!(
        "{}/api/handles/88.118.8/PUMP-UNIT-0001",
        server.base
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(r["responseCode"], 1, "{r}");
    assert!(
        !r.to_string().contains("hydrostatic"),
        "the inspection is not public: {r}"
    );
    let trace = demo
        .get("/api/v1/identifiers/88.118.8%2FPUMP-UNIT-0001/trace")
        .await;
    assert_eq!(trace["nodes"].as_array().unwrap().len(), 3, "{trace}");

    // The platform counts one first-party developer and the demo tenant as subscribing.
    let admin = Api::platform_admin(&server).await;
    let st = admin.get("/api/v1/market/statistics?months=1").await;
    let now = &st["developers"]["months"][0];
    assert_eq!(
        (&now["registered"], &now["third_party"]),
        (&Value::from(1), &Value::from(0)),
        "{st}"
    );
    assert_eq!(st["store"]["apps"], 3, "{st}");
    assert_eq!(st["store"]["subscribing_tenants"], 1, "{st}");
    assert_eq!(st["store"]["running_subscriptions"], 2, "{st}");

    // A restart: nothing published, installed or sold twice.
    drop(server);
    let server = Server::start_args(&data, "127.0.0.1:0", &env, &["--demo"]);
    wait_for_log(&server, "demo store: paid apps offered and subscribed", 300).await;
    assert!(
        server.log.lock().unwrap().contains("subscriptions=0"),
        "{}",
        server.log.lock().unwrap()
    );
    let demo = Api::login_as(&server, "demo", "ironloom-demo-1", Some("demo")).await;
    assert_eq!(demo.get("/api/v1/market/releases").await["total"], 3);
    assert_eq!(demo.get("/api/v1/market/orders").await["total"], 1);
    assert_eq!(
        demo.get("/api/v1/identifiers?prefix=88.118.8").await["total"],
        4,
        "registered once"
    );
    assert_eq!(
        demo.get("/api/v1/market/apps/planning.flow-shop-scheduler/plans")
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
