//! Alarms across a fail-over, on two real `ironloom serve` nodes (one PostgreSQL, a
//! 3-server NATS cluster). Rule `hot` raises an alarm on every device and the owners
//! record their rule state; then rule `wet` raises, clears and raises again an alarm on
//! every device, and the node owning half of the devices' partitions is killed (SIGKILL)
//! at once, before it records how far its rules got. The survivor restores the rule
//! state recorded for those partitions (so it knows `hot` is firing) and re-runs the
//! events after it (`wet`'s): no alarm is raised, cleared or counted twice, none is
//! lost, and the survivor's rules clear the alarms the dead node raised.
//!
//! Needs nats-server on PATH and `IRONLOOM_TEST_PG_URL` (scripts/test.sh provides both);
//! skipped otherwise unless IRONLOOM_REQUIRE_PEERS=1 / IRONLOOM_REQUIRE_PG=1.

use std::collections::BTreeMap;

use serde_json::json;

use crate::cluster::{database, node_with_ttl, took};
use crate::support::{Api, Dev, Server, within};
use ironloom_testkit::peers::{NatsCluster, SeaweedS3, or_skip};

const DEVICES: usize = 8;

/// Every alarm of a type, per device id: (how many, how many active, their counts).
async fn alarms_of(api: &Api, kind: &str) -> BTreeMap<String, (usize, usize, Vec<i64>)> {
    let (status, page) = api
        .call(
            "GET",
            &format!("/api/v1/alarms?alarm_type={kind}&page_size=200"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let mut out: BTreeMap<String, (usize, usize, Vec<i64>)> = BTreeMap::new();
    for a in page["items"].as_array().unwrap() {
        let e = out
            .entry(a["device_id"].as_str().unwrap().to_owned())
            .or_default();
        e.0 += 1;
        e.1 += usize::from(a["active"] == true);
        e.2.push(a["count"].as_i64().unwrap());
    }
    out
}

/// Waits until every device has `total` alarms of the type, `active` of them active.
async fn alarms_become(api: &Api, kind: &str, logs: &[&Server], total: usize, active: usize) {
    let what = format!("{DEVICES} devices with {total} {kind} alarms, {active} active");
    let last = std::sync::Mutex::new(String::new());
    within(
        40,
        &what,
        || {
            let logs = logs
                .iter()
                .map(|s| s.log.lock().unwrap().clone())
                .collect::<Vec<_>>()
                .join("\n----\n");
            format!("last seen: {}\n{logs}", last.lock().unwrap())
        },
        || async {
            let got = alarms_of(api, kind).await;
            *last.lock().unwrap() = format!("{got:?}");
            (got.len() == DEVICES && got.values().all(|(t, a, _)| (*t, *a) == (total, active)))
                .then_some(())
        },
    )
    .await;
}

/// Each device sends `values` once (through `server`).
async fn send_all(server: &Server, tokens: &[String], values: serde_json::Value) {
    for token in tokens {
        let mut dev = Dev::connect(server, token).await;
        dev.send(values.clone(), None).await;
        dev.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alarms_are_neither_lost_nor_raised_twice_when_a_node_dies() {
    let test = "alarms_are_neither_lost_nor_raised_twice_when_a_node_dies";
    let Some(nats) = or_skip(test, NatsCluster::start(3)) else {
        return;
    };
    let Some(s3) = or_skip(test, SeaweedS3::start()) else {
        return;
    };
    let Some(meta) = database(test).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("token.key");
    // Leases of 9 s: a node records its rule state every 3 s, so the kill below almost
    // always lands before the last events' state was recorded (they are re-run).
    let a = node_with_ttl(&dir.path().join("a"), "a", &nats, &s3, &meta, &key, "9s");
    let api = Api::new_tenant(&a).await;
    let product = api
        .product(
            "oven",
            json!({"properties": [
                {"identifier": "t", "name": "T", "data_type": {"type": "double"}},
                {"identifier": "h", "name": "H", "data_type": {"type": "double"}}
            ]}),
        )
        .await;
    for (kind, expr) in [("hot", "t > 50"), ("wet", "h > 50")] {
        let (status, rule) = api
            .call(
                "POST",
                "/api/v1/rules",
                Some(json!({"name": kind, "source": {"products": ["oven"]},
                            "condition": {"expr": expr},
                            "actions": [{"type": "alarm", "alarm_type": kind, "severity": "major"}]})),
            )
            .await;
        assert_eq!(status, 201, "{rule}");
    }
    let mut tokens = Vec::new();
    for i in 0..DEVICES {
        tokens.push(
            api.device(&product, &format!("oven-{i}"))
                .await
                .access_token,
        );
    }
    // Node b starts after the rule exists (it loads the rules when it starts).
    let b = node_with_ttl(&dir.path().join("b"), "b", &nats, &s3, &meta, &key, "9s");
    within(
        40,
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
    // `hot` raised on every device (all connected to node a; each partition's owner runs
    // its rules), and time for the owners to record their rule state (every 3 s).
    send_all(&a, &tokens, json!({"t": 60})).await;
    alarms_become(&api, "hot", &[&a, &b], 1, 1).await;
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    // `wet` raised, cleared and raised again; node b dies at once. Node a takes b's
    // partitions and re-runs what b's rules did after b last recorded their state.
    send_all(&a, &tokens, json!({"h": 60})).await;
    alarms_become(&api, "wet", &[&a, &b], 1, 1).await;
    send_all(&a, &tokens, json!({"h": 10})).await;
    alarms_become(&api, "wet", &[&a, &b], 1, 0).await;
    send_all(&a, &tokens, json!({"h": 70})).await;
    alarms_become(&api, "wet", &[&a, &b], 2, 1).await;
    // (`hot` is counted again by each message while it holds: at most once a second.)
    let before = [alarms_of(&api, "hot").await, alarms_of(&api, "wet").await];
    let took_before = took(&a);
    b.kill();
    within(
        40,
        "node a owns all partitions",
        || a.log.lock().unwrap().clone(),
        || async { (took(&a) >= took_before + 4).then_some(()) },
    )
    .await;
    // Give the replay time to run, then check nothing changed.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let after = [alarms_of(&api, "hot").await, alarms_of(&api, "wet").await];
    assert_eq!(
        after,
        before,
        "alarms raised, cleared or counted again after the fail-over\n{}",
        a.log.lock().unwrap()
    );
    assert!(after[1].values().all(|(_, _, counts)| counts == &[1, 1]));
    // The survivor's rules know the alarms b raised: they clear them, and raise anew.
    send_all(&a, &tokens, json!({"t": 10, "h": 10})).await;
    alarms_become(&api, "hot", &[&a], 1, 0).await;
    alarms_become(&api, "wet", &[&a], 2, 0).await;
    send_all(&a, &tokens, json!({"t": 80})).await;
    alarms_become(&api, "hot", &[&a], 2, 1).await;
}
