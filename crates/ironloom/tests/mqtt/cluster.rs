//! Cluster mode with real parts: two `ironloom serve` nodes sharing a PostgreSQL database
//! and a 3-node NATS JetStream cluster. Devices on both nodes are acknowledged only once
//! their data is on a quorum of the stream's replicas; the nodes split the partitions;
//! when one node is killed (SIGKILL), the other takes its partitions from the segments
//! they sealed into object storage and the streams' tails, and serves every acknowledged
//! point. Before that, each node answers queries for every device, the other node's
//! partitions through their owner. The nodes seal their partitions into a SeaweedFS S3
//! bucket every second.
//!
//! Needs nats-server and weed on PATH and `IRONLOOM_TEST_PG_URL` (scripts/test.sh provides
//! them);
//! skipped otherwise unless IRONLOOM_REQUIRE_PEERS=1 / IRONLOOM_REQUIRE_PG=1.

use std::path::Path;

use serde_json::json;

use crate::support::{Api, Dev, Server, now_ms, within};
use ironloom_testkit::peers::{NatsCluster, SeaweedS3, or_skip};

/// A fresh database on the test PostgreSQL server, or None (skipped).
pub(crate) async fn database(test: &str) -> Option<String> {
    let Ok(url) = std::env::var("IRONLOOM_TEST_PG_URL") else {
        if std::env::var("IRONLOOM_REQUIRE_PG").is_ok_and(|v| v == "1") {
            panic!("{test}: IRONLOOM_REQUIRE_PG=1 but IRONLOOM_TEST_PG_URL is not set");
        }
        eprintln!("SKIPPED {test}: IRONLOOM_TEST_PG_URL not set");
        return None;
    };
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let db = format!("ironloom_cluster_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::AnyConnection::connect(&url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let (base, _) = url.rsplit_once('/').unwrap();
    Some(format!("{base}/{db}"))
}

fn node(
    data: &Path,
    name: &str,
    nats: &NatsCluster,
    s3: &SeaweedS3,
    meta: &str,
    key: &Path,
) -> Server {
    node_with_ttl(data, name, nats, s3, meta, key, "3s")
}

/// A node whose partition leases last `lease_ttl` (its ticks: a third of it), sealing
/// into `s3` every second.
pub(crate) fn node_with_ttl(
    data: &Path,
    name: &str,
    nats: &NatsCluster,
    s3: &SeaweedS3,
    meta: &str,
    key: &Path,
    lease_ttl: &str,
) -> Server {
    let secret = s3.dir().join("secret");
    std::fs::write(&secret, s3.secret_key()).unwrap();
    let urls = nats
        .urls()
        .iter()
        .map(|u| format!("\"{u}\""))
        .collect::<Vec<_>>()
        .join(",");
    Server::start_with(
        data,
        "127.0.0.1:0",
        &[
            ("IRONLOOM__META__URL", meta.to_string()),
            ("IRONLOOM__AUTH__TOKEN_KEY_FILE", key.display().to_string()),
            ("IRONLOOM__CLUSTER__ENABLED", "true".into()),
            ("IRONLOOM__CLUSTER__NODE", name.into()),
            ("IRONLOOM__CLUSTER__NATS_URLS", format!("[{urls}]")),
            ("IRONLOOM__CLUSTER__PARTITIONS", "8".into()),
            ("IRONLOOM__CLUSTER__STREAM_SHARDS", "2".into()),
            ("IRONLOOM__CLUSTER__STREAM_MAX_BYTES", "\"64MiB\"".into()),
            ("IRONLOOM__CLUSTER__LEASE_TTL", format!("\"{lease_ttl}\"")),
            ("IRONLOOM__CLUSTER__SEAL_INTERVAL", "\"1s\"".into()),
            ("IRONLOOM__CLUSTER__OBJECT_STORE__ENDPOINT", s3.endpoint()),
            (
                "IRONLOOM__CLUSTER__OBJECT_STORE__BUCKET",
                s3.bucket().into(),
            ),
            (
                "IRONLOOM__CLUSTER__OBJECT_STORE__REGION",
                s3.region().into(),
            ),
            ("IRONLOOM__CLUSTER__OBJECT_STORE__ALLOW_HTTP", "true".into()),
            ("IRONLOOM__CLUSTER__OBJECT_STORE__PREFIX", "it".into()),
            (
                "IRONLOOM__CLUSTER__OBJECT_STORE__ACCESS_KEY_ID",
                s3.access_key().into(),
            ),
            (
                "IRONLOOM__CLUSTER__OBJECT_STORE__SECRET_ACCESS_KEY_FILE",
                secret.display().to_string(),
            ),
        ],
    )
}

/// `GET /api/v1/system/health` as the platform administrator.
pub(crate) async fn health(server: &Server) -> serde_json::Value {
    let http = reqwest::Client::new();
    let r: serde_json::Value = http
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"username": "admin", "password": crate::support::ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = r["token"].as_str().unwrap().to_string();
    http.get(format!("{}/api/v1/system/health", server.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A device's values of `n` in [from, to) (one page), or None while the device's
/// partition has no owner (503: a partition moving between nodes) or the count differs.
async fn values(api: &Api, id: &str, from: i64, to: i64, count: usize) -> Option<Vec<i64>> {
    let (status, page) = api
        .call(
            "GET",
            &format!("/api/v1/devices/{id}/telemetry?properties=n&from={from}&to={to}&limit=10000"),
            None,
        )
        .await;
    if status == 503 {
        return None;
    }
    assert_eq!(status, 200, "{page}");
    let v: Vec<i64> = page["points"]
        .as_array()?
        .iter()
        .filter_map(|p| p["value"].as_i64())
        .collect();
    (v.len() == count).then_some(v)
}

pub(crate) fn took(server: &Server) -> usize {
    server
        .log
        .lock()
        .unwrap()
        .matches("took a partition")
        .count()
}

/// Two nodes on one database and a 3-server NATS cluster, a tenant on node a.
pub(crate) struct Cluster {
    pub(crate) nats: NatsCluster,
    pub(crate) s3: SeaweedS3,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) a: Server,
    pub(crate) b: Server,
    pub(crate) api: Api,
}

/// Starts [`Cluster`] and waits until the nodes have split the eight partitions (each
/// takes its fair share); None when a peer is missing (the test is skipped).
pub(crate) async fn two_nodes(test: &str) -> Option<Cluster> {
    let nats = or_skip(test, NatsCluster::start(3))?;
    let s3 = or_skip(test, SeaweedS3::start())?;
    let meta = database(test).await?;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("token.key");
    let a = node(&dir.path().join("a"), "a", &nats, &s3, &meta, &key);
    let api = Api::new_tenant(&a).await;
    let b = node(&dir.path().join("b"), "b", &nats, &s3, &meta, &key);
    within(
        20,
        "both nodes own partitions",
        || {
            format!(
                "a:\n{}\nb:\n{}",
                a.log.lock().unwrap(),
                b.log.lock().unwrap()
            )
        },
        || async { (took(&a) >= 4 && took(&b) >= 4).then_some(()) },
    )
    .await;
    Some(Cluster {
        nats,
        s3,
        dir,
        a,
        b,
        api,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_dies_and_the_other_serves_every_acknowledged_point() {
    let Some(Cluster {
        nats: _nats,
        s3: _s3,
        dir: _dir,
        a,
        b,
        api,
    }) = two_nodes("a_node_dies_and_the_other_serves_every_acknowledged_point").await
    else {
        return;
    };
    // Health, on either node: both nodes, every partition owned by one of them.
    let h = within(
        20,
        "health shows two nodes owning all partitions",
        String::new,
        || async {
            let h = health(&b).await;
            let owners = h["cluster"]["owners"].as_array()?;
            let owned = owners.iter().filter(|o| o["owner"].is_string()).count();
            (h["cluster"]["nodes"].as_array()?.len() == 2 && owned == 8).then_some(h)
        },
    )
    .await;
    assert_eq!(h["cluster"]["node"], "b");
    assert_eq!(h["cluster"]["partitions"], 8);
    for o in h["cluster"]["owners"].as_array().unwrap() {
        let mine = o["owner"] == "b";
        assert_eq!(o["applied"].is_u64(), mine, "{o}");
        assert_eq!(o["lease"], "held");
    }
    // An identifier registered through node a resolves over UDP on node b (the
    // PostgreSQL store has no per-thread reader: the miss goes through the store's
    // queries on the runtime).
    let (s, p) = api
        .call(
            "POST",
            "/api/v1/identifier-prefixes",
            Some(json!({"prefix": "88.118.9", "name": "Cluster plant"})),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    let (s, r) = api
        .call(
            "POST",
            "/api/v1/identifiers",
            Some(json!({"handle": "88.118.9/C-1", "values": [
                {"index": 1, "type": "URL", "data": "https://plant.example/C-1"}]})),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let b_handle = b.handle.expect("node b's Handle address").to_string();
    let m = crate::identifier_resolvers::resolve(&["--udp", &b_handle, "88.118.9/C-1"]);
    assert_eq!(m["values"][0]["data"], "https://plant.example/C-1", "{m}");

    let product = api
        .product(
            "meter",
            json!({"properties": [{"identifier": "n", "name": "N", "data_type": {"type": "int"}}]}),
        )
        .await;
    let mut devices = Vec::new();
    for i in 0..8 {
        devices.push(api.device(&product, &format!("m-{i}")).await);
    }
    // Half the devices on each node; every message acknowledged (PUBACK) is counted.
    let from = now_ms() - 1000;
    let mut sent = Vec::new();
    for (i, d) in devices.iter().enumerate() {
        let server = if i % 2 == 0 { &a } else { &b };
        let mut dev = Dev::connect(server, &d.access_token).await;
        for n in 0..20i64 {
            dev.send(json!({"n": n}), Some(from + 1 + n)).await;
        }
        sent.push((d.id.clone(), 20usize));
        dev.kill();
    }
    // Queries from any node: each node stores only its own partitions, and either one
    // serves every device's history (the other's partitions through their owner).
    let api_b = Api::existing_tenant(&b).await;
    for (id, count) in &sent {
        for (node, api) in [("a", &api), ("b", &api_b)] {
            let points = within(
                20,
                &format!("every device's history readable on node {node}"),
                || {
                    format!(
                        "a:\n{}\nb:\n{}",
                        a.log.lock().unwrap(),
                        b.log.lock().unwrap()
                    )
                },
                || values(api, id, from, from + 100, *count),
            )
            .await;
            assert_eq!(points, (0..20).collect::<Vec<_>>(), "device {id} on {node}");
        }
    }
    // Exports from any node: the same CSV from both, every acknowledged point once.
    let export = format!(
        "/api/v1/telemetry/export?format=csv&time=ms&from={from}&to={}",
        from + 100
    );
    let (status_a, csv_a) = api.get_text(&export).await;
    let (status_b, csv_b) = api_b.get_text(&export).await;
    assert_eq!((status_a, status_b), (200, 200), "{csv_a}\n{csv_b}");
    assert_eq!(csv_a, csv_b, "the two nodes' exports differ");
    assert_eq!(csv_a.lines().count(), 1 + 8 * 20, "{csv_a}");
    for (id, count) in &sent {
        let rows = csv_a.lines().filter(|l| l.starts_with(id.as_str())).count();
        assert_eq!(rows, *count, "device {id} in\n{csv_a}");
    }
    // /metrics counts the partition engines each node owns: the eight devices' series once
    // over the two nodes (`n` and the connection events' `$events` each), and their points.
    let mut series = 0.0;
    let mut points = 0.0;
    let mut appended = (0.0, 0.0);
    for node in [&a, &b] {
        let text = reqwest::get(format!("{}/metrics", node.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        // A metric's samples (every label set) added up.
        let sum = |name: &str| -> f64 {
            text.lines()
                .filter(|l| l.split(['{', ' ']).next() == Some(name))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .sum()
        };
        series += sum("ironloom_tsdb_series");
        points += sum("ironloom_tsdb_points") + sum("ironloom_tsdb_unflushed_points");
        appended.0 += sum("ironloom_cluster_records_appended_total");
        appended.1 += sum("ironloom_cluster_record_bytes_appended_total");
    }
    assert_eq!(series, 16.0, "series over both nodes' /metrics");
    assert!(points >= 160.0, "{points} points over both nodes' /metrics");
    // The messages and connection events went out in records (at most one a message or
    // event here: each device waits for its acknowledgement), each at least a header long.
    assert!(
        appended.0 >= 1.0 && appended.0 <= 400.0 && appended.1 >= appended.0 * 24.0,
        "appended {appended:?}"
    );
    // Any node takes any device over HTTP and CoAP too: a point sent to one node is
    // acknowledged (HTTP 200, CoAP 2.04) and read through the other.
    let late = from + 200;
    let (token0, token1) = (&devices[0].access_token, &devices[1].access_token);
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/{token0}/telemetry", b.base))
        .json(&json!({"ts": late, "values": {"n": 100}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "HTTP upload to node b");
    let got = within(
        10,
        "the HTTP point read through node a",
        String::new,
        || values(&api, &sent[0].0, late, late + 1, 1),
    )
    .await;
    assert_eq!(got, vec![100]);
    match ironloom_testkit::peers::coap_client() {
        Some(bin) => {
            let coap = a.coap.expect("node a's CoAP address");
            let url = format!("coap://{coap}/api/v1/{token1}/telemetry");
            let body = json!({"ts": late, "values": {"n": 101}}).to_string();
            let out = std::process::Command::new(bin)
                .args(["-m", "post", "-t", "50", "-e", &body, &url])
                .output()
                .unwrap();
            assert!(out.status.success(), "CoAP upload to node a: {out:?}");
            let got = within(
                10,
                "the CoAP point read through node b",
                String::new,
                || values(&api_b, &sent[1].0, late, late + 1, 1),
            )
            .await;
            assert_eq!(got, vec![101]);
        }
        None if std::env::var("IRONLOOM_REQUIRE_PEERS").is_ok_and(|v| v == "1") => {
            panic!("IRONLOOM_REQUIRE_PEERS=1 but coap-client (libcoap3-bin) is not installed")
        }
        None => println!("SKIPPED the CoAP upload: coap-client (libcoap3-bin) is not installed"),
    }
    // Node b seals what it applied into the bucket (every second here; a loaded CI
    // machine's object store may take far longer to answer).
    let last_health = std::sync::Mutex::new(serde_json::Value::Null);
    within(
        60,
        "node b sealed its partitions",
        || {
            format!(
                "{:#}\n{}",
                last_health.lock().unwrap(),
                b.log.lock().unwrap()
            )
        },
        || async {
            let h = health(&b).await;
            *last_health.lock().unwrap() = h.clone();
            let c = &h["cluster"];
            let mine: Vec<_> = c["owners"]
                .as_array()?
                .iter()
                .filter(|o| o["owner"] == "b")
                .collect();
            (c["object_store"]["state"] == "ok"
                && mine.iter().any(|o| o["applied"].as_u64() > Some(0))
                && mine
                    .iter()
                    .all(|o| o["sealed_seq"].is_u64() && o["sealed_seq"] == o["applied"]))
            .then_some(())
        },
    )
    .await;
    // Node b dies; a takes its partitions over from the bucket and the streams' tails,
    // and serves everything.
    let took_before = took(&a);
    b.kill();
    within(
        30,
        "node a owns all partitions",
        || a.log.lock().unwrap().clone(),
        || async { (took(&a) >= took_before + 4).then_some(()) },
    )
    .await;
    for (id, count) in &sent {
        let points = within(
            20,
            "every acknowledged point readable on the survivor",
            || a.log.lock().unwrap().clone(),
            || values(&api, id, from, from + 100, *count),
        )
        .await;
        assert_eq!(points, (0..20).collect::<Vec<_>>(), "device {id}");
    }
    assert!(
        a.log
            .lock()
            .unwrap()
            .contains("fetched the partition's segments from object storage"),
        "node a read b's partitions from the bucket"
    );
}

fn signal(server: &Server, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &server.pid().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_owner_loses_its_partitions_and_applies_nothing_after() {
    let Some(Cluster {
        nats: _nats,
        s3: _s3,
        dir: _dir,
        a,
        b,
        api,
    }) = two_nodes("a_paused_owner_loses_its_partitions_and_applies_nothing_after").await
    else {
        return;
    };
    let product = api
        .product(
            "meter",
            json!({"properties": [{"identifier": "n", "name": "N", "data_type": {"type": "int"}}]}),
        )
        .await;
    let mut devices = Vec::new();
    for i in 0..8 {
        devices.push(api.device(&product, &format!("m-{i}")).await);
    }
    // Node b stops (SIGSTOP) past its leases: node a takes b's partitions within a few
    // seconds, with higher epochs, while devices go on sending to a.
    let took_before = took(&a);
    signal(&b, "-STOP");
    let paused = std::time::Instant::now();
    within(
        20,
        "node a takes the paused node's partitions",
        || a.log.lock().unwrap().clone(),
        || async { (took(&a) >= took_before + 4).then_some(()) },
    )
    .await;
    let failover = paused.elapsed();
    let from = now_ms() - 1000;
    for d in &devices {
        let mut dev = Dev::connect(&a, &d.access_token).await;
        for n in 0..10i64 {
            dev.send(json!({"n": n}), Some(from + 1 + n)).await;
        }
        dev.kill();
    }
    // b wakes up: it notices its leases are gone and stops applying.
    signal(&b, "-CONT");
    within(
        20,
        "the woken node gives its partitions up",
        || b.log.lock().unwrap().clone(),
        || async {
            let log = b.log.lock().unwrap();
            (log.matches("gave up a partition").count() >= 4).then_some(())
        },
    )
    .await;
    eprintln!("a paused owner: partitions moved {failover:?} after the pause");
    assert!(
        failover < std::time::Duration::from_secs(15),
        "fail-over took {failover:?}"
    );
    for d in &devices {
        let h = within(
            20,
            "every point readable",
            || a.log.lock().unwrap().clone(),
            || values(&api, &d.id, from, from + 100, 10),
        )
        .await;
        assert_eq!(h.len(), 10);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drained_node_hands_its_partitions_and_devices_to_the_others() {
    let Some(Cluster {
        nats: _nats,
        s3: _s3,
        dir: _dir,
        a,
        b,
        api,
    }) = two_nodes("a_drained_node_hands_its_partitions_and_devices_to_the_others").await
    else {
        return;
    };
    let product = api
        .product(
            "meter",
            json!({"properties": [{"identifier": "n", "name": "N", "data_type": {"type": "int"}}]}),
        )
        .await;
    let d = api.device(&product, "m-1").await;
    let (_client, mut ev) = crate::drain::connect_v5(&b, &d.access_token).await.unwrap();
    let admin_b = Api::platform_admin(&b).await;
    let (status, body) = admin_b
        .call("POST", "/api/v1/system/drain", Some(json!({})))
        .await;
    assert_eq!(status, 202, "{body}");
    // The device is sent elsewhere; node a takes every partition; b takes none back.
    assert_eq!(
        crate::drain::told_to_leave(&mut ev).await,
        rumqttc::v5::mqttbytes::v5::DisconnectReasonCode::UseAnotherServer
    );
    let h = within(
        20,
        "node a owns every partition, b is draining",
        || {
            format!(
                "a:\n{}\nb:\n{}",
                a.log.lock().unwrap(),
                b.log.lock().unwrap()
            )
        },
        || async {
            let h = health(&a).await;
            let owners = h["cluster"]["owners"].as_array()?;
            let nodes = h["cluster"]["nodes"].as_array()?;
            let b_node = nodes.iter().find(|n| n["name"] == "b")?;
            (owners.iter().all(|o| o["owner"] == "a")
                && b_node["draining"] == true
                && b_node["owned"].as_array()?.is_empty())
            .then_some(h)
        },
    )
    .await;
    assert_eq!(h["cluster"]["nodes"].as_array().unwrap().len(), 2);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert!(
        health(&b).await["cluster"]["owners"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["owner"] == "a")
    );
    // The device reconnects to a; its data is stored and readable on both nodes.
    let from = now_ms() - 1000;
    let mut dev = Dev::connect(&a, &d.access_token).await;
    for n in 0..5i64 {
        dev.send(json!({"n": n}), Some(from + 1 + n)).await;
    }
    let api_b = Api::existing_tenant(&b).await;
    for api in [&api, &api_b] {
        let got = within(
            20,
            "the device's data readable",
            || a.log.lock().unwrap().clone(),
            || values(api, &d.id, from, from + 100, 5),
        )
        .await;
        assert_eq!(got, (0..5).collect::<Vec<_>>());
    }
}
