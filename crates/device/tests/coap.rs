//! The CoAP device API against libcoap's `coap-client` (a third-party client): confirmable
//! and non-confirmable telemetry, block-wise upload, attributes, and commands by Observe.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::process::{Output, Stdio};
use std::time::Duration;

use common::{Platform, platform};
use ironloom_core::command::{CommandKind, CommandRequest, CommandStatus, DeviceLink};
use ironloom_core::entity::Actor;
use ironloom_core::telemetry::Value;
use serde_json::json;
use tokio_util::sync::CancellationToken;

fn coap_client() -> Option<&'static str> {
    ["coap-client-notls", "coap-client"]
        .into_iter()
        .find(|name| {
            std::process::Command::new(name)
                .arg("-h")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok()
        })
}

async fn serve(p: &Platform) -> (SocketAddr, CancellationToken) {
    serve_with(p, ironloom_coap::CoapConfig::default()).await
}

async fn serve_with(
    p: &Platform,
    config: ironloom_coap::CoapConfig,
) -> (SocketAddr, CancellationToken) {
    let handler = ironloom_device::coap::CoapDevices::new(p.hub.clone());
    let server = ironloom_coap::CoapServer::bind(
        ironloom_coap::CoapConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            ..config
        },
        handler,
    )
    .await
    .unwrap();
    let addr = server.local_addr();
    let stop = CancellationToken::new();
    tokio::spawn(server.run(stop.clone()));
    (addr, stop)
}

async fn run(args: Vec<String>) -> Output {
    let bin = coap_client().unwrap();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(bin)
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn coap_client_sends_telemetry_and_takes_commands() {
    let Some(_) = coap_client() else {
        println!("SKIPPED: coap-client (libcoap3-bin) is not installed");
        return;
    };
    let p = platform().await;
    let (addr, stop) = serve(&p).await;
    let base = format!(
        "coap://127.0.0.1:{}/api/v1/{}",
        addr.port(),
        p.creds.access_token
    );

    // Confirmable POST: the ACK (with 2.04) comes once the point is stored.
    let out = run(args(&[
        "-m",
        "post",
        "-t",
        "50",
        "-e",
        r#"{"ts":1700000000000,"values":{"temp":30.5}}"#,
        &format!("{base}/telemetry"),
    ]))
    .await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        p.series("temp").await,
        vec![(1_700_000_000_000_000, Value::F64(30.5))]
    );
    // Non-confirmable.
    let out = run(args(&[
        "-N",
        "-m",
        "post",
        "-e",
        r#"{"ts":1700000001000,"values":{"temp":31.5}}"#,
        &format!("{base}/telemetry"),
    ]))
    .await;
    assert!(out.status.success(), "{out:?}");
    for _ in 0..50 {
        if p.series("temp").await.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(p.series("temp").await.len(), 2);
    // Block-wise: a batch of 40 points in 64-byte blocks.
    let batch: Vec<serde_json::Value> = (0..40)
        .map(|i| json!({"ts": 1_700_000_100_000i64 + i * 1000, "values": {"rpm": 1000 + i}}))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("batch.json");
    std::fs::write(&file, serde_json::to_vec(&batch).unwrap()).unwrap();
    let out = run(vec![
        "-m".into(),
        "post".into(),
        "-b".into(),
        "64".into(),
        "-t".into(),
        "50".into(),
        "-f".into(),
        file.display().to_string(),
        format!("{base}/telemetry"),
    ])
    .await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(p.series("rpm").await.len(), 40);
    // A refused value: 4.00 with the reason.
    let out = run(args(&[
        "-m",
        "post",
        "-e",
        r#"{"rpm":-5}"#,
        &format!("{base}/telemetry"),
    ]))
    .await;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("out_of_range") || text.contains("4.00"),
        "{text}"
    );
    // A bad token: 4.01.
    let out = run(args(&[
        "-m",
        "post",
        "-e",
        r#"{"temp":1}"#,
        &format!("coap://127.0.0.1:{}/api/v1/nope/telemetry", addr.port()),
    ]))
    .await;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("4.01") || text.contains("unknown device token"),
        "{text}"
    );
    assert_eq!(p.series("temp").await.len(), 2);

    // Attributes: post client ones, read them back.
    let out = run(args(&[
        "-m",
        "post",
        "-e",
        r#"{"fw":"coap-1"}"#,
        &format!("{base}/attributes"),
    ]))
    .await;
    assert!(out.status.success(), "{out:?}");
    let out = run(args(&[
        "-m",
        "get",
        &format!("{base}/attributes?clientKeys=fw"),
    ]))
    .await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(r#""fw":"coap-1""#), "{text}");

    // Commands by Observe: a queued command arrives as a notification.
    let link: &dyn DeviceLink = &*p.hub;
    let c = link
        .send_command(
            &Actor::system("test"),
            p.tenant,
            p.device,
            CommandRequest {
                kind: CommandKind::SetProperties,
                method: String::new(),
                params: json!({"speed": 7}),
                one_way: false,
                timeout: Duration::from_secs(10),
                queue_for: Some(Duration::from_secs(60)),
                wait: false,
            },
        )
        .await
        .unwrap();
    let out = run(args(&["-s", "2", "-m", "get", &format!("{base}/rpc")])).await;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains(r#""method":"setProperties""#), "{out:?}");
    let body: serde_json::Value = serde_json::from_str(
        text.lines()
            .find(|l| l.contains("setProperties"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    let id = body["id"].as_u64().unwrap();
    let out = run(args(&[
        "-m",
        "post",
        "-e",
        r#"{"speed":7}"#,
        &format!("{base}/rpc/{id}"),
    ]))
    .await;
    assert!(out.status.success(), "{out:?}");
    let done = p.hub.meta().get_command(p.tenant, c.id).await.unwrap();
    assert_eq!(done.status, CommandStatus::Succeeded);
    stop.cancel();
    p.stop.cancel();
}

/// Waits up to ten seconds for `cond`.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..200 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not within 10 s: {what}");
}

fn queued_write(speed: i64) -> CommandRequest {
    CommandRequest {
        kind: CommandKind::SetProperties,
        method: String::new(),
        params: json!({ "speed": speed }),
        one_way: false,
        timeout: Duration::from_secs(30),
        queue_for: Some(Duration::from_secs(60)),
        wait: false,
    }
}

/// RFC 7641 §4.5: an observer that stops acknowledging (here a `coap-client` frozen with
/// SIGSTOP, its socket still open) is removed once a confirmable notification goes
/// unacknowledged. The device then no longer listens, so a command sent with a queue
/// stays queued (it is not handed to the gone observer, marked sent and left to time
/// out) and reaches the device when it observes again.
#[tokio::test]
async fn an_observer_that_stops_acknowledging_is_removed_and_commands_stay_queued() {
    let Some(bin) = coap_client() else {
        assert!(
            std::env::var("IRONLOOM_REQUIRE_PEERS").as_deref() != Ok("1"),
            "IRONLOOM_REQUIRE_PEERS=1 but coap-client is missing: run scripts/install-test-peers.sh"
        );
        println!("SKIPPED: coap-client (libcoap3-bin) is not installed");
        return;
    };
    let p = platform().await;
    let config = ironloom_coap::CoapConfig {
        ack_timeout: ironloom_coap::Duration(Duration::from_millis(100)),
        max_retransmit: 2,
        ..Default::default()
    };
    let (addr, stop) = serve_with(&p, config).await;
    let rpc = format!(
        "coap://127.0.0.1:{}/api/v1/{}/rpc",
        addr.port(),
        p.creds.access_token
    );
    let link: &dyn DeviceLink = &*p.hub;
    let actor = Actor::system("test");
    let mut frozen = std::process::Command::new(bin)
        .args(["-s", "60", "-m", "get", &rpc])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    eventually("the observer listens", || p.hub.reachable(p.device)).await;
    let status = std::process::Command::new("kill")
        .args(["-STOP", &frozen.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());

    // The platform cannot tell yet: this command goes out as a confirmable notification,
    // which nobody acknowledges.
    let probe = link
        .send_command(&actor, p.tenant, p.device, queued_write(1))
        .await
        .unwrap();
    assert_eq!(probe.status, CommandStatus::Sent);
    eventually("the unacknowledging observer is removed", || {
        !p.hub.reachable(p.device)
    })
    .await;

    // The device is offline now: the next command waits in the queue.
    let queued = link
        .send_command(&actor, p.tenant, p.device, queued_write(8))
        .await
        .unwrap();
    assert_eq!(queued.status, CommandStatus::Queued);
    let stored = p.hub.meta().get_command(p.tenant, queued.id).await.unwrap();
    assert_eq!(stored.status, CommandStatus::Queued);
    frozen.kill().unwrap();
    frozen.wait().unwrap();

    // A new observation gets it.
    let out = run(args(&["-s", "2", "-m", "get", &rpc])).await;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains(r#""speed":8"#), "{out:?}");
    let sent = p.hub.meta().get_command(p.tenant, queued.id).await.unwrap();
    assert_eq!(sent.status, CommandStatus::Sent);
    stop.cancel();
    p.stop.cancel();
}
