//! SIGKILL of `ironloom serve` under MQTT load: every QoS 1 publish whose PUBACK arrived
//! must be readable through the REST API after a restart on the same data directory.
//!
//! Devices publish over plain MQTT 3.1.1 sockets (a few lines of framing, so the test
//! knows exactly which packet id was acknowledged), eight messages in flight each. Each
//! message carries a unique timestamp and its sequence number as value. After some
//! hundreds of acknowledgements the server is killed, restarted, and every device's
//! series is compared with what was acknowledged: an acknowledged point missing, a value
//! changed, or a point that was never sent fails the test; sent-but-unacknowledged points
//! may or may not be there. `IRONLOOM_MQTT_CRASH_ITERATIONS` (default 3) sets how many
//! kill-and-restart rounds run; every round re-checks all earlier rounds' points.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::{Api, Device, Server, now_ms};

const DEVICES: usize = 6;
const IN_FLIGHT: usize = 8;
/// Acknowledgements (all devices together) before the kill may come.
const ACKED_BEFORE_KILL: usize = 1000;

/// MQTT remaining length (variable byte integer).
fn remaining_length(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let mut b = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            b |= 0x80;
        }
        out.push(b);
        if n == 0 {
            return;
        }
    }
}

fn string(s: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(&u16::try_from(s.len()).unwrap().to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// CONNECT (3.1.1, clean session, user name = access token, no password).
fn connect_packet(client_id: &str, token: &str) -> Vec<u8> {
    let mut body = Vec::new();
    string("MQTT", &mut body);
    body.push(4);
    body.push(0x80 | 0x02);
    body.extend_from_slice(&60u16.to_be_bytes());
    string(client_id, &mut body);
    string(token, &mut body);
    let mut p = vec![0x10];
    remaining_length(body.len(), &mut p);
    p.extend_from_slice(&body);
    p
}

/// PUBLISH QoS 1.
fn publish_packet(topic: &str, pkid: u16, payload: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    string(topic, &mut body);
    body.extend_from_slice(&pkid.to_be_bytes());
    body.extend_from_slice(payload);
    let mut p = vec![0x32];
    remaining_length(body.len(), &mut p);
    p.extend_from_slice(&body);
    p
}

/// What one device sent and which of it was acknowledged (sequence numbers).
#[derive(Debug, Default)]
struct Outcome {
    sent: Vec<i64>,
    acked: Vec<i64>,
    /// How the connection ended: after the kill it must be an I/O error or EOF.
    ended: String,
}

/// Shared by the clients and the test.
#[derive(Default)]
struct Load {
    killed: AtomicBool,
    acked: AtomicUsize,
}

/// One device: connects, then keeps `IN_FLIGHT` publishes outstanding until the
/// connection fails.
fn device_client(addr: SocketAddr, token: String, base: i64, first: i64, load: &Load) -> Outcome {
    let mut out = Outcome::default();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_nodelay(true).unwrap();
    // Bounds a hung server; a killed one fails the read at once.
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(&connect_packet("loader", &token)).unwrap();
    let mut connack = [0u8; 4];
    s.read_exact(&mut connack).unwrap();
    assert_eq!(connack, [0x20, 2, 0, 0], "CONNACK");
    let mut in_flight: HashMap<u16, i64> = HashMap::new();
    let mut seq = first;
    let mut pkid: u16 = 0;
    loop {
        while in_flight.len() < IN_FLIGHT {
            pkid = pkid.checked_add(1).unwrap_or(1);
            let payload = format!(r#"{{"ts":{},"values":{{"seq":{seq}}}}}"#, base + seq);
            let p = publish_packet("v1/devices/me/telemetry", pkid, payload.as_bytes());
            // Counted as sent even if the write fails: part of it may have gone out.
            out.sent.push(seq);
            if let Err(e) = s.write_all(&p) {
                out.ended = format!("write: {e}");
                return out;
            }
            in_flight.insert(pkid, seq);
            seq += 1;
        }
        let mut ack = [0u8; 4];
        if let Err(e) = s.read_exact(&mut ack) {
            out.ended = format!("read: {e}");
            return out;
        }
        assert!(
            load.killed.load(Ordering::SeqCst) || ack[..2] == [0x40, 2],
            "expected a PUBACK, got {ack:02x?}"
        );
        let id = u16::from_be_bytes([ack[2], ack[3]]);
        let Some(seq) = in_flight.remove(&id) else {
            panic!("PUBACK for packet id {id}, which is not in flight");
        };
        out.acked.push(seq);
        load.acked.fetch_add(1, Ordering::SeqCst);
    }
}

/// Runs every device's client until the server is killed; returns their outcomes.
async fn load_and_kill(
    server: Server,
    devices: &[Device],
    base: i64,
    next: &[i64],
) -> Vec<Outcome> {
    let load = Arc::new(Load::default());
    let clients: Vec<_> = devices
        .iter()
        .zip(next)
        .map(|(d, &first)| {
            let (addr, token, load) = (server.mqtt, d.access_token.clone(), load.clone());
            std::thread::spawn(move || device_client(addr, token, base, first, &load))
        })
        .collect();
    let started = Instant::now();
    while load.acked.load(Ordering::SeqCst) < ACKED_BEFORE_KILL {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "only {} acknowledgements in 30 s:\n{}",
            load.acked.load(Ordering::SeqCst),
            server.log.lock().unwrap()
        );
        assert!(
            !clients.iter().any(|c| c.is_finished()),
            "a client stopped before the kill:\n{}",
            server.log.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // A little later, at a moment that differs from run to run.
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        % 200;
    tokio::time::sleep(Duration::from_millis(u64::from(jitter))).await;
    assert!(
        !clients.iter().any(|c| c.is_finished()),
        "a client stopped before the kill"
    );
    load.killed.store(true, Ordering::SeqCst);
    server.kill();
    tokio::task::spawn_blocking(move || clients.into_iter().map(|c| c.join().unwrap()).collect())
        .await
        .unwrap()
}

#[tokio::test]
async fn acknowledged_mqtt_telemetry_survives_sigkill() {
    let iterations: usize = std::env::var("IRONLOOM_MQTT_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let api = Api::new_tenant(&server).await;
    // Schemaless (no properties in the thing model): any key is accepted.
    let product = api
        .product("crashLoad", serde_json::json!({"properties": []}))
        .await;
    let mut devices = Vec::new();
    for i in 0..DEVICES {
        devices.push(api.device(&product, &format!("loader-{i}")).await);
    }
    drop(api);
    let base = now_ms() - 3_600_000;
    // Per device: every sequence number sent, and those acknowledged, over all rounds.
    let mut sent: Vec<BTreeSet<i64>> = vec![BTreeSet::new(); DEVICES];
    let mut acked: Vec<BTreeSet<i64>> = vec![BTreeSet::new(); DEVICES];
    let mut server = server;
    for round in 0..iterations {
        let next: Vec<i64> = sent.iter().map(|s| s.last().map_or(0, |l| l + 1)).collect();
        let outcomes = load_and_kill(server, &devices, base, &next).await;
        let (mut round_sent, mut round_acked) = (0, 0);
        for (i, o) in outcomes.into_iter().enumerate() {
            assert!(!o.ended.is_empty());
            round_sent += o.sent.len();
            round_acked += o.acked.len();
            sent[i].extend(o.sent);
            acked[i].extend(o.acked);
        }
        // The kill came while messages were on their way, not after the load stopped.
        assert!(
            round_sent > round_acked,
            "round {round}: {round_sent} sent, {round_acked} acknowledged"
        );

        server = Server::start(dir.path());
        let api = Api::existing_tenant(&server).await;
        let mut unacked_stored = 0;
        for (i, d) in devices.iter().enumerate() {
            let last = *sent[i].last().unwrap();
            let stored: BTreeMap<i64, serde_json::Value> = api
                .history(&d.id, "seq", base, base + last + 1)
                .await
                .into_iter()
                .map(|(_, ts, v)| (ts - base, v))
                .collect();
            for (seq, v) in &stored {
                assert!(
                    sent[i].contains(seq),
                    "device {i}: seq {seq} stored but never sent"
                );
                assert_eq!(
                    v.as_i64(),
                    Some(*seq),
                    "device {i}: seq {seq} stored as {v}"
                );
                if !acked[i].contains(seq) {
                    unacked_stored += 1;
                }
            }
            let missing: Vec<i64> = acked[i]
                .iter()
                .filter(|s| !stored.contains_key(s))
                .copied()
                .collect();
            assert!(
                missing.is_empty(),
                "round {round}, device {i}: {} acknowledged points lost after SIGKILL, e.g. {:?}",
                missing.len(),
                &missing[..missing.len().min(10)]
            );
        }
        let total_acked: usize = acked.iter().map(BTreeSet::len).sum();
        let total_sent: usize = sent.iter().map(BTreeSet::len).sum();
        println!(
            "round {round}: killed after {round_acked} of {round_sent} acknowledged; after the \
             restart all {total_acked} acknowledged points of {total_sent} sent are there, \
             and {unacked_stored} unacknowledged ones"
        );
    }
}
