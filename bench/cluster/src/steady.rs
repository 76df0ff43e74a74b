//! Devices that keep sending through fail-overs: each sends one QoS 1 message at a time
//! (a distinct timestamp each, value `v0` = its sequence number), waits for the PUBACK,
//! and remembers the timestamps acknowledged. When its node goes away (no PUBACK within
//! the timeout, connection closed or refused) it connects to the next node and sends the
//! same message again. Afterwards every acknowledged timestamp must be stored.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use ironloom_bench_common::ironloom::Session;
use ironloom_bench_mqtt::conn::{self, Target};
use ironloom_bench_mqtt::load::TOPIC;
use ironloom_bench_mqtt::packet::{self, Incoming};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

const ACK_WAIT: Duration = Duration::from_secs(5);

/// What one device had acknowledged.
#[derive(Debug, Clone)]
pub struct DeviceLog {
    pub id: String,
    pub acked: Vec<i64>,
    /// Times it moved to another node.
    pub moves: u64,
}

pub struct Steady {
    stop: watch::Sender<bool>,
    tasks: tokio::task::JoinSet<DeviceLog>,
}

impl Steady {
    /// Starts one task per device (`(access token, device id)`), device `i` first on node
    /// `i mod nodes`, sending every `interval`.
    pub fn start(
        nodes: Vec<SocketAddr>,
        devices: Vec<(String, String)>,
        base_ms: i64,
        interval: Duration,
    ) -> Steady {
        let (stop, rx) = watch::channel(false);
        let nodes = Arc::new(nodes);
        let mut tasks = tokio::task::JoinSet::new();
        for (i, (token, id)) in devices.into_iter().enumerate() {
            let (nodes, rx) = (nodes.clone(), rx.clone());
            tasks.spawn(device(i, nodes, token, id, base_ms, interval, rx));
        }
        Steady { stop, tasks }
    }

    /// Stops sending and returns every device's log.
    pub async fn finish(mut self) -> Result<Vec<DeviceLog>> {
        let _ = self.stop.send(true);
        let mut out = Vec::new();
        while let Some(r) = self.tasks.join_next().await {
            out.push(r?);
        }
        Ok(out)
    }
}

async fn device(
    i: usize,
    nodes: Arc<Vec<SocketAddr>>,
    token: String,
    id: String,
    base_ms: i64,
    interval: Duration,
    stop: watch::Receiver<bool>,
) -> DeviceLog {
    let mut log = DeviceLog {
        id,
        acked: Vec::new(),
        moves: 0,
    };
    let mut node = i % nodes.len();
    let mut seq: i64 = 0;
    let mut pkid: u16 = 0;
    while !*stop.borrow() {
        let target = Target {
            addr: nodes[node],
            sources: 1,
            keep_alive: 30,
            timeout: Duration::from_secs(3),
        };
        if let Ok(mut stream) = conn::open(&target, i, &format!("steady-{i}"), Some(&token)).await {
            while !*stop.borrow() {
                pkid = pkid.wrapping_add(1).max(1);
                let ts = base_ms + seq;
                let body = format!(r#"{{"ts":{ts},"values":{{"v0":{seq}}}}}"#);
                match send(&mut stream, pkid, body.as_bytes()).await {
                    Ok(()) => {
                        log.acked.push(ts);
                        seq += 1;
                        tokio::time::sleep(interval).await;
                    }
                    Err(_) => break,
                }
            }
        }
        if *stop.borrow() {
            break;
        }
        node = (node + 1) % nodes.len();
        log.moves += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    log
}

/// Publishes at QoS 1 and waits for the PUBACK.
async fn send(stream: &mut TcpStream, pkid: u16, payload: &[u8]) -> Result<()> {
    let mut out = Vec::with_capacity(payload.len() + 40);
    packet::publish_qos1(&mut out, TOPIC, pkid, payload);
    stream.write_all(&out).await?;
    let mut buf = Vec::with_capacity(64);
    let mut chunk = [0u8; 64];
    let deadline = tokio::time::Instant::now() + ACK_WAIT;
    loop {
        while let Some((p, used)) = packet::decode(&buf)? {
            buf.drain(..used);
            if p == (Incoming::PubAck { pkid }) {
                return Ok(());
            }
        }
        let n = tokio::time::timeout_at(deadline, stream.read(&mut chunk))
            .await
            .context("no PUBACK in time")??;
        if n == 0 {
            bail!("closed");
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The acknowledged timestamps of `log` missing from the store (read page by page
/// through `api`'s history of `v0`).
pub async fn missing(api: &Session, log: &DeviceLog) -> Result<Vec<i64>> {
    let (Some(&first), Some(&last)) = (log.acked.first(), log.acked.last()) else {
        return Ok(Vec::new());
    };
    let mut stored = Vec::with_capacity(log.acked.len());
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!(
            "/api/v1/devices/{}/telemetry?properties=v0&from={first}&to={}&limit=10000&layout=columns",
            log.id,
            last + 1
        );
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let r = api.get(&path).send().await?;
        let status = r.status();
        let v: Value = r.json().await?;
        if !status.is_success() {
            bail!("history of {}: {status} {v}", log.id);
        }
        if let Some(series) = v["series"].as_array() {
            for s in series {
                stored.extend(
                    s["ts"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_i64),
                );
            }
        }
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    stored.sort_unstable();
    Ok(log
        .acked
        .iter()
        .copied()
        .filter(|ts| stored.binary_search(ts).is_err())
        .collect())
}
