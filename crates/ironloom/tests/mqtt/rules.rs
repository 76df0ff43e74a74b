//! Rules at work in `ironloom serve`: devices publish over MQTT, rules raise and clear
//! alarms (seen through the REST API and its live stream), command devices, call a local
//! webhook receiver through 500s and refused connections, republish to an application
//! signed in with an API key, keep their state across a restart, stop at once when
//! disabled, and never see another tenant's devices.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, QoS};
use serde_json::{Value, json};

use crate::support::{Api, Dev, Server, sse, until};

fn model() -> Value {
    json!({"properties": [
        {"identifier": "temp", "name": "Temp", "data_type": {"type": "double"}},
        {"identifier": "speed", "name": "Speed", "access": "rw", "data_type": {"type": "int", "min": 0, "max": 3000}}
    ]})
}

async fn alarms(api: &Api, query: &str) -> Vec<Value> {
    api.get(&format!("/api/v1/alarms?{query}")).await["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn create_rule(api: &Api, rule: Value) -> String {
    let (s, r) = api.call("POST", "/api/v1/rules", Some(rule)).await;
    assert_eq!(s, 201, "{r}");
    r["id"].as_str().unwrap().to_owned()
}

/// Reads server-sent events of the alarm stream into a list of (event, alarm).
async fn alarm_stream(server: &Server, token: &str) -> Arc<Mutex<Vec<(String, Value)>>> {
    sse(server, token, "/api/v1/alarms/stream").await
}

#[tokio::test]
async fn threshold_alarms_are_raised_streamed_counted_and_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let api = Api::new_tenant(&server).await;
    let product = api.product("boiler", model()).await;
    let d = api.device(&product, "boiler-1").await;
    let rule = create_rule(
        &api,
        json!({"name": "overheat", "source": {"products": ["boiler"]},
               "condition": {"expr": "temp > 80"},
               "actions": [{"type": "alarm", "alarm_type": "overheat", "severity": "major",
                            "details": {"temp": "temp"}}]}),
    )
    .await;
    let stream = alarm_stream(&server, api.token()).await;
    let mut dev = Dev::connect(&server, &d.access_token).await;

    dev.send(json!({"temp": 70}), None).await;
    dev.send(json!({"temp": 85.5}), None).await;
    let a = until("the alarm", || async {
        alarms(&api, "active=true").await.into_iter().next()
    })
    .await;
    assert_eq!(a["alarm_type"], "overheat");
    assert_eq!(a["severity"], "major");
    assert_eq!(a["device_id"], d.id.as_str());
    assert_eq!(a["rule_id"], rule.as_str());
    assert_eq!(a["details"]["temp"], 85.5);
    until("the raised event", || async {
        let s = stream.lock().unwrap();
        s.iter()
            .any(|(n, x)| n == "raised" && x["id"] == a["id"])
            .then_some(())
    })
    .await;
    let counts = api.get("/api/v1/alarms/counts").await;
    assert_eq!(counts["major"], 1, "{counts}");

    dev.send(json!({"temp": 60}), None).await;
    until("the alarm cleared", || async {
        let x = api
            .get(&format!("/api/v1/alarms/{}", a["id"].as_str().unwrap()))
            .await;
        (x["active"] == false).then_some(x)
    })
    .await;
    until("the cleared event", || async {
        let s = stream.lock().unwrap();
        s.iter().any(|(n, _)| n == "cleared").then_some(())
    })
    .await;
    // Groups (by name) and server attributes, read from the store for rules that use
    // them: the group's limit rule fires only above the device's own attribute.
    let (s, g) = api
        .call(
            "POST",
            "/api/v1/device-groups",
            Some(json!({"name": "line-1"})),
        )
        .await;
    assert_eq!(s, 201, "{g}");
    let (s, r) = api
        .call(
            "PATCH",
            &format!("/api/v1/devices/{}", d.id),
            Some(json!({"groups": [g["id"]]})),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = api
        .call(
            "PATCH",
            &format!("/api/v1/devices/{}/attributes", d.id),
            Some(json!({"set": {"limit": 65}})),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    create_rule(
        &api,
        json!({"name": "over-limit", "source": {"groups": ["line-1"]},
               "condition": {"expr": "temp > attr.limit"},
               "actions": [{"type": "alarm", "alarm_type": "over_limit", "severity": "minor"}]}),
    )
    .await;
    dev.send(json!({"temp": 64}), None).await;
    dev.send(json!({"temp": 66}), None).await;
    until("the over-limit alarm", || async {
        alarms(&api, "alarm_type=over_limit&active=true")
            .await
            .into_iter()
            .next()
    })
    .await;

    let stats = api.get(&format!("/api/v1/rules/{rule}/stats")).await;
    assert_eq!(stats["running"], true, "{stats}");
    assert_eq!(stats["evaluated"], 5, "{stats}");
    assert_eq!(stats["matched"], 1, "{stats}");
    assert_eq!(stats["actions"], 2, "raise and clear: {stats}");
    assert_eq!(stats["errors"], 0, "{stats}");

    // The counters reach /metrics (exported every second).
    until("rule metrics", || async {
        let m = reqwest::get(format!("{}/metrics", server.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        m.lines()
            .any(|l| {
                l.starts_with("ironloom_rule_evaluated_total")
                    && l.contains(rule.as_str())
                    && l.ends_with(" 5")
            })
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn windows_durations_no_data_and_commands() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let api = Api::new_tenant(&server).await;
    let product = api.product("pump", model()).await;
    let d = api.device(&product, "pump-1").await;
    let mut dev = Dev::connect(&server, &d.access_token).await;
    // Average of the last 3 readings above 50, three messages in a row: slow down.
    create_rule(
        &api,
        json!({"name": "hot-average", "source": {"devices": ["pump-1"], "properties": ["temp"]},
               "windows": [{"name": "avg3", "fn": "avg", "of": "temp", "kind": "sliding", "count": 3}],
               "condition": {"expr": "avg3 > 50", "for_samples": 3},
               "actions": [
                   {"type": "alarm", "alarm_type": "hot", "severity": "minor"},
                   {"type": "command", "properties": {"speed": "=round(3000 - avg3 * 10)"}}]}),
    )
    .await;
    // Silent for 2 s: an alarm, cleared when data comes again.
    create_rule(
        &api,
        json!({"name": "silent", "source": {"products": ["pump"]},
               "condition": {"no_data_seconds": 2},
               "actions": [{"type": "alarm", "alarm_type": "no_data", "severity": "warning"}]}),
    )
    .await;

    // A connection lost without DISCONNECT: an alarm; connected again: cleared.
    create_rule(
        &api,
        json!({"name": "offline", "source": {"products": ["pump"], "events": ["disconnected"], "telemetry": false},
               "condition": {"expr": "reason != \"normal\""},
               "actions": [{"type": "alarm", "alarm_type": "offline", "severity": "major",
                            "details": {"reason": "reason"}}]}),
    )
    .await;
    create_rule(
        &api,
        json!({"name": "online", "source": {"products": ["pump"], "events": ["connected"], "telemetry": false},
               "condition": {"expr": "true"},
               "actions": [{"type": "clear_alarm", "alarm_type": "offline"}]}),
    )
    .await;

    let t0 = crate::support::now_ms();
    // avg3: 40, 50, 60 (holds 1), 70 (holds 2): not yet.
    for (i, t) in [40.0, 60.0, 80.0, 100.0].iter().enumerate() {
        dev.send(json!({"temp": t}), Some(t0 + i as i64 * 100))
            .await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(alarms(&api, "alarm_type=hot").await.is_empty());
    // avg3 = 100: the third in a row.
    dev.send(json!({"temp": 120}), Some(t0 + 400)).await;
    let hot = until("the hot alarm", || async {
        alarms(&api, "alarm_type=hot&active=true")
            .await
            .into_iter()
            .next()
    })
    .await;
    assert_eq!(hot["severity"], "minor");
    // The command went to the device with the computed value: 3000 - 100 * 10.
    let rpc = until("the command", || async {
        dev.rpcs.lock().unwrap().first().cloned()
    })
    .await;
    assert_eq!(rpc["method"], "setProperties", "{rpc}");
    assert_eq!(rpc["params"]["speed"], 2000, "{rpc}");
    let cmds = api.get(&format!("/api/v1/devices/{}/commands", d.id)).await;
    assert_eq!(cmds["items"][0]["created_by"]["kind"], "system", "{cmds}");
    assert!(
        cmds["items"][0]["created_by"]["name"]
            .as_str()
            .unwrap()
            .starts_with("rule "),
        "{cmds}"
    );

    // Silence: the no-data alarm comes after 2 s (ticks are each second).
    let silent = until("the no-data alarm", || async {
        alarms(&api, "alarm_type=no_data&active=true")
            .await
            .into_iter()
            .next()
    })
    .await;
    assert_eq!(silent["severity"], "warning");
    dev.send(json!({"temp": 20}), None).await;
    until("the no-data alarm cleared", || async {
        alarms(&api, "alarm_type=no_data&active=true")
            .await
            .is_empty()
            .then_some(())
    })
    .await;

    // The device's connection drops (the client is gone without DISCONNECT).
    dev.kill();
    let offline = until("the offline alarm", || async {
        alarms(&api, "alarm_type=offline&active=true")
            .await
            .into_iter()
            .next()
    })
    .await;
    assert_ne!(offline["details"]["reason"], "normal", "{offline}");
    let _dev = Dev::connect(&server, &d.access_token).await;
    until("the offline alarm cleared", || async {
        alarms(&api, "alarm_type=offline&active=true")
            .await
            .is_empty()
            .then_some(())
    })
    .await;
}

/// A webhook receiver: answers 500 to the first `fail` requests, then 200; records every
/// request's idempotency key and body.
async fn receiver(
    listener: tokio::net::TcpListener,
    fail: usize,
) -> Arc<Mutex<Vec<(u16, String, Value)>>> {
    use axum::routing::post;
    let seen: Arc<Mutex<Vec<(u16, String, Value)>>> = Arc::default();
    let s = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(
            move |headers: axum::http::HeaderMap, body: axum::Json<Value>| {
                let s = s.clone();
                async move {
                    let key = headers["idempotency-key"].to_str().unwrap().to_owned();
                    let mut s = s.lock().unwrap();
                    let status = if s.len() < fail { 500 } else { 200 };
                    s.push((status, key, body.0));
                    axum::http::StatusCode::from_u16(status).unwrap()
                }
            },
        ),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    seen
}

#[tokio::test]
async fn webhooks_are_retried_through_500_and_refused_connections() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        dir.path(),
        "127.0.0.1:0",
        &[("IRONLOOM__RULES__WEBHOOK_BACKOFF", "200ms".into())],
    );
    let api = Api::new_tenant(&server).await;
    let product = api.product("press", model()).await;
    let d = api.device(&product, "press-1").await;
    let mut dev = Dev::connect(&server, &d.access_token).await;

    // 1: a receiver that fails twice.
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    let seen = receiver(l, 2).await;
    // 2: nobody listening yet (the port is reserved, then freed).
    let l2 = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr2 = l2.local_addr().unwrap();
    drop(l2);
    let url2 = format!("http://{addr2}/hook");
    create_rule(
        &api,
        json!({"name": "notify", "source": {"products": ["press"]},
               "condition": {"expr": "temp > 100"},
               "actions": [
                   {"type": "webhook", "url": url, "headers": {"X-Plant": "north"}, "retries": 5},
                   {"type": "webhook", "url": url2, "retries": 8}]}),
    )
    .await;
    dev.send(json!({"temp": 150}), None).await;
    let got = until("delivery after two 500s", || async {
        let s = seen.lock().unwrap();
        (s.len() >= 3).then(|| s.clone())
    })
    .await;
    assert_eq!(
        got.iter().map(|(s, _, _)| *s).collect::<Vec<_>>(),
        [500, 500, 200]
    );
    // The same key on every attempt: the receiver can deduplicate.
    assert!(got.iter().all(|(_, k, _)| *k == got[0].1), "{got:?}");
    assert_eq!(got[2].2["rule"], "notify");
    assert_eq!(got[2].2["device"], "press-1");
    assert_eq!(got[2].2["values"]["temp"], 150);

    // The second receiver starts listening a second later: still delivered.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let l = tokio::net::TcpListener::bind(addr2).await.unwrap();
    let seen2 = receiver(l, 0).await;
    let got2 = until("delivery after refused connections", || async {
        let s = seen2.lock().unwrap();
        (!s.is_empty()).then(|| s.clone())
    })
    .await;
    assert_eq!(got2[0].0, 200);
    assert_eq!(got2[0].2["values"]["temp"], 150);
    // Nothing left in the outbox.
    until("an empty outbox", || async {
        let n = std::fs::read_dir(dir.path().join("rules/webhooks"))
            .unwrap()
            .count();
        (n == 0).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_restart_neither_loses_nor_duplicates_an_alarm_nor_forgets_durations() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("IRONLOOM__RULES__CHECKPOINT_INTERVAL", "200ms".to_string())];
    let server = Server::start_with(dir.path(), "127.0.0.1:0", &env);
    let api = Api::new_tenant(&server).await;
    let product = api.product("kiln", model()).await;
    let d = api.device(&product, "kiln-1").await;
    let d2 = api.device(&product, "kiln-2").await;
    create_rule(
        &api,
        json!({"name": "kiln-hot", "source": {"products": ["kiln"]},
               "condition": {"expr": "temp > 900", "for_samples": 3},
               "actions": [{"type": "alarm", "alarm_type": "kiln_hot", "severity": "critical"}]}),
    )
    .await;
    let mut dev = Dev::connect(&server, &d.access_token).await;
    let mut dev2 = Dev::connect(&server, &d2.access_token).await;
    for _ in 0..3 {
        dev.send(json!({"temp": 950}), None).await;
    }
    let before = until("the alarm", || async {
        alarms(&api, "active=true").await.into_iter().next()
    })
    .await;
    // kiln-2: two of its three samples before the crash.
    dev2.send(json!({"temp": 950}), None).await;
    dev2.send(json!({"temp": 950}), None).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    drop((dev, dev2));
    let mqtt = server.mqtt.to_string();
    server.kill();

    let server = Server::start_with(dir.path(), &mqtt, &env);
    let api = Api::existing_tenant(&server).await;
    let mut dev = Dev::connect(&server, &d.access_token).await;
    let mut dev2 = Dev::connect(&server, &d2.access_token).await;
    // Still hot: the same alarm, not a second one.
    dev.send(json!({"temp": 960}), None).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all = alarms(&api, "").await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["id"], before["id"]);
    assert_eq!(all[0]["active"], true);
    // kiln-2's third sample fires: its count survived the crash.
    dev2.send(json!({"temp": 950}), None).await;
    until("kiln-2's alarm", || async {
        alarms(&api, &format!("device_id={}&active=true", d2.id))
            .await
            .into_iter()
            .next()
    })
    .await;
    // Cooling down clears the alarm raised before the restart.
    dev.send(json!({"temp": 500}), None).await;
    until("the alarm cleared", || async {
        let x = api
            .get(&format!(
                "/api/v1/alarms/{}",
                before["id"].as_str().unwrap()
            ))
            .await;
        (x["active"] == false).then_some(())
    })
    .await;
}

#[tokio::test]
async fn disabling_is_immediate_republish_reaches_applications_and_tenants_are_apart() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let api = Api::new_tenant(&server).await;
    let product = api.product("mixer", model()).await;
    let d = api.device(&product, "mixer-1").await;
    // By device name, which the other tenant uses too.
    let rule = json!({"name": "mixer-fast", "source": {"devices": ["mixer-1"]},
        "condition": {"expr": "speed > 2000"},
        "actions": [{"type": "alarm", "alarm_type": "fast", "severity": "minor"},
                    {"type": "republish", "topic": "mixer/fast"}]});
    let id = create_rule(&api, rule.clone()).await;

    // An application of the tenant, signed in with an API key, listens on rules/#.
    let (s, key) = api
        .call(
            "POST",
            "/api/v1/api-keys",
            Some(json!({"name": "dashboard", "scopes": ["rule:read"]})),
        )
        .await;
    assert_eq!(s, 201, "{key}");
    let mut o = MqttOptions::new("app-1", server.mqtt.ip().to_string(), server.mqtt.port());
    o.set_credentials("apikey", key["key"].as_str().unwrap());
    let (app, mut ev) = AsyncClient::new(o, 16);
    app.subscribe("rules/#", QoS::AtLeastOnce).await.unwrap();
    app.subscribe("v1/devices/me/telemetry", QoS::AtLeastOnce)
        .await
        .unwrap();
    let got: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let suback: Arc<Mutex<Vec<Vec<String>>>> = Arc::default();
    let (g, sa) = (got.clone(), suback.clone());
    tokio::spawn(async move {
        while let Ok(e) = ev.poll().await {
            match e {
                Event::Incoming(Incoming::Publish(p)) => g.lock().unwrap().push((
                    p.topic.clone(),
                    serde_json::from_slice(&p.payload).unwrap_or(Value::Null),
                )),
                Event::Incoming(Incoming::SubAck(a)) => sa
                    .lock()
                    .unwrap()
                    .push(a.return_codes.iter().map(|c| format!("{c:?}")).collect()),
                _ => {}
            }
        }
    });
    until("both subscriptions answered", || async {
        (suback.lock().unwrap().len() == 2).then_some(())
    })
    .await;
    let codes = suback.lock().unwrap().clone();
    assert!(codes[0][0].contains("Success"), "{codes:?}");
    assert!(
        codes[1][0].contains("Failure"),
        "devices' topics are not the application's: {codes:?}"
    );
    // A wrong key does not sign in.
    let mut o = MqttOptions::new("app-2", server.mqtt.ip().to_string(), server.mqtt.port());
    o.set_credentials(
        "apikey",
        "ilk_00000000000000000000000000000000_0000000000000000000000000000000000000000",
    );
    let (_bad, mut bad_ev) = AsyncClient::new(o, 4);
    let refused = loop {
        match bad_ev.poll().await {
            Ok(Event::Incoming(Incoming::ConnAck(c))) => break format!("{:?}", c.code),
            Ok(_) => {}
            Err(e) => break e.to_string(),
        }
    };
    assert!(!refused.contains("Success"), "{refused}");

    // Another tenant with the same product key and device name.
    let api2 = Api::new_tenant_named(&server, "second", "ta2").await;
    let stream2 = alarm_stream(&server, api2.token()).await;
    let p2 = api2.product("mixer2", model()).await;
    let d2 = api2.device(&p2, "mixer-1").await;
    let mut dev2 = Dev::connect(&server, &d2.access_token).await;
    dev2.send(json!({"speed": 2500}), None).await;
    let mut dev = Dev::connect(&server, &d.access_token).await;
    dev.send(json!({"speed": 2500}), None).await;
    let mine = until("the alarm", || async {
        alarms(&api, "active=true").await.into_iter().next()
    })
    .await;
    assert_eq!(mine["device_id"], d.id.as_str());
    let msg = until("the republished message", || async {
        got.lock().unwrap().first().cloned()
    })
    .await;
    assert_eq!(msg.0, "rules/mixer/fast");
    assert_eq!(msg.1["device"], "mixer-1");
    assert_eq!(msg.1["device_id"], d.id.as_str());
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The rule never saw the other tenant's device; that tenant sees none of it.
    assert_eq!(got.lock().unwrap().len(), 1);
    assert!(alarms(&api2, "").await.is_empty());
    assert!(
        stream2.lock().unwrap().is_empty(),
        "the other tenant's live stream stays silent"
    );
    let (s, _) = api2.call("GET", &format!("/api/v1/rules/{id}"), None).await;
    assert_eq!(s, 404);
    let (s, _) = api2
        .call(
            "GET",
            &format!("/api/v1/alarms/{}", mine["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = api2
        .call(
            "POST",
            &format!("/api/v1/alarms/{}/ack", mine["id"].as_str().unwrap()),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 404);

    // Disabled: the very next message is not evaluated.
    let before = api.get(&format!("/api/v1/rules/{id}/stats")).await;
    let mut off = rule.clone();
    off["enabled"] = json!(false);
    let (s, r) = api
        .call("PUT", &format!("/api/v1/rules/{id}"), Some(off))
        .await;
    assert_eq!(s, 200, "{r}");
    dev.send(json!({"speed": 100}), None).await;
    let after = api.get(&format!("/api/v1/rules/{id}/stats")).await;
    assert_eq!(after["running"], false, "{after}");
    assert_eq!(before["evaluated"], 1, "{before}");
    // The alarm stays: a disabled rule no longer clears it.
    assert_eq!(alarms(&api, "active=true").await.len(), 1);
}

#[tokio::test]
async fn a_webhook_pending_at_a_crash_is_delivered_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    // Retries far apart: the webhook is still waiting in the outbox when the server dies.
    let env = [("IRONLOOM__RULES__WEBHOOK_BACKOFF", "30s".to_string())];
    let server = Server::start_with(dir.path(), "127.0.0.1:0", &env);
    let api = Api::new_tenant(&server).await;
    let product = api.product("oven", model()).await;
    let d = api.device(&product, "oven-1").await;
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    create_rule(
        &api,
        json!({"name": "oven-hot", "source": {"products": ["oven"]},
               "condition": {"expr": "temp > 250"},
               "actions": [{"type": "webhook", "url": format!("http://{addr}/hook"), "retries": 10}]}),
    )
    .await;
    let mut dev = Dev::connect(&server, &d.access_token).await;
    dev.send(json!({"temp": 300}), None).await;
    let outbox = dir.path().join("rules/webhooks");
    until("the webhook in the outbox", || async {
        (std::fs::read_dir(&outbox).unwrap().count() == 1).then_some(())
    })
    .await;
    // The first attempt was refused; the next is 30 s away. SIGKILL now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mqtt = server.mqtt.to_string();
    drop(dev);
    server.kill();

    // The receiver is there now; the restarted server sends what its outbox holds.
    let l = tokio::net::TcpListener::bind(addr).await.unwrap();
    let seen = receiver(l, 0).await;
    let _server = Server::start_with(dir.path(), &mqtt, &env);
    let got = until("the delivery after the restart", || async {
        let s = seen.lock().unwrap();
        (!s.is_empty()).then(|| s.clone())
    })
    .await;
    assert_eq!(got[0].0, 200);
    assert_eq!(got[0].2["rule"], "oven-hot");
    assert_eq!(got[0].2["values"]["temp"], 300);
    assert!(
        got[0].1.contains(&d.id),
        "the idempotency key names the device: {}",
        got[0].1
    );
    until("an empty outbox", || async {
        (std::fs::read_dir(&outbox).unwrap().count() == 0).then_some(())
    })
    .await;
}

/// Derived telemetry takes the devices' one ingest path: it is checked against the thing
/// model (an undeclared property is refused into the device's error log and the rule's
/// last error), stored under the product, shown on the device's live stream, and read by
/// other rules; a rule never sees its own output, so a rule writing what it reads does
/// not loop.
#[tokio::test]
async fn derived_telemetry_goes_through_the_ingest_path_and_never_loops() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let api = Api::new_tenant(&server).await;
    let product = api
        .product(
            "press",
            json!({"properties": [
                {"identifier": "force", "name": "Force", "data_type": {"type": "double"}},
                {"identifier": "force_kn", "name": "Force kN", "data_type": {"type": "double"}},
                {"identifier": "strokes", "name": "Strokes", "data_type": {"type": "int", "min": 0, "max": 1000}},
                {"identifier": "overload", "name": "Overload", "data_type": {"type": "bool"}}
            ]}),
        )
        .await;
    let d = api.device(&product, "press-1").await;
    // force (N) → force_kn; force_kn → overload (a second rule reading the first's
    // output); strokes → strokes + 1 (reads and writes the same property); and one
    // property the model does not declare.
    let kn = create_rule(
        &api,
        json!({"name": "to-kn", "source": {"products": ["press"], "properties": ["force"]},
               "condition": {"expr": "true"},
               "actions": [{"type": "telemetry", "property": "force_kn", "expr": "force / 1000"}]}),
    )
    .await;
    create_rule(
        &api,
        json!({"name": "overload", "source": {"products": ["press"], "properties": ["force_kn"]},
               "condition": {"expr": "true"},
               "actions": [{"type": "telemetry", "property": "overload", "expr": "force_kn > 50"}]}),
    )
    .await;
    let count = create_rule(
        &api,
        json!({"name": "count", "source": {"products": ["press"], "properties": ["strokes"]},
               "condition": {"expr": "true"},
               "actions": [{"type": "telemetry", "property": "strokes", "expr": "strokes + 1"}]}),
    )
    .await;
    let bad = create_rule(
        &api,
        json!({"name": "undeclared", "source": {"products": ["press"], "properties": ["force"]},
               "condition": {"expr": "true"},
               "actions": [{"type": "telemetry", "property": "force_lbf", "expr": "force * 0.2248"}]}),
    )
    .await;
    let live = sse(
        &server,
        api.token(),
        &format!("/api/v1/devices/{}/telemetry/stream", d.id),
    )
    .await;
    let mut dev = Dev::connect(&server, &d.access_token).await;
    let ts = crate::support::now_ms() - 5_000;
    dev.send(json!({"force": 62000.0, "strokes": 7}), Some(ts))
        .await;

    // Stored at the message's timestamp, as declared types.
    let stored = until("the derived values", || async {
        let h = api
            .history(&d.id, "force_kn,overload,strokes", ts - 1, ts + 1)
            .await;
        (h.iter().any(|(p, _, _)| p == "overload")).then_some(h)
    })
    .await;
    let get = |name: &str| {
        stored
            .iter()
            .filter(|(p, _, _)| p == name)
            .map(|(_, t, v)| (*t, v.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(get("force_kn"), [(ts, json!(62.0))], "{stored:?}");
    assert_eq!(get("overload"), [(ts, json!(true))], "{stored:?}");
    // The device's 7 replaced once by the rule's 8, and never by 9: no loop.
    assert_eq!(get("strokes"), [(ts, json!(8))], "{stored:?}");

    // On the live stream like the device's own values.
    until("derived values on the live stream", || async {
        let e = live.lock().unwrap();
        e.iter()
            .any(|(n, v)| n == "telemetry" && v["values"]["force_kn"] == 62.0)
            .then_some(())
    })
    .await;

    // The undeclared property is refused by the thing model, into the device's error
    // log (naming the rule) and the rule's last error.
    let err = until("the refusal in the error log", || async {
        let log = api.get(&format!("/api/v1/devices/{}/errors", d.id)).await;
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["entry"]["key"] == "force_lbf")
            .cloned()
    })
    .await;
    assert_eq!(err["entry"]["source"], format!("rule:{bad}"), "{err}");
    assert_eq!(err["entry"]["code"], "unknown_property", "{err}");
    let stats = until("the rule's error", || async {
        let s = api.get(&format!("/api/v1/rules/{bad}/stats")).await;
        (s["errors"].as_u64() > Some(0)).then_some(s)
    })
    .await;
    assert!(
        stats["last_error"].as_str().unwrap().contains("force_lbf"),
        "{stats}"
    );
    // The loop guard held: the counting rule evaluated the device's message only.
    let s = api.get(&format!("/api/v1/rules/{count}/stats")).await;
    assert_eq!(s["evaluated"], 1, "{s}");
    let s = api.get(&format!("/api/v1/rules/{kn}/stats")).await;
    assert_eq!(s["errors"], 0, "{s}");
}
