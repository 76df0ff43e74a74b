//! Throughput and latency: `connections` devices, each one task that keeps `window` QoS 1
//! publishes in flight and times each from the moment it is written to its PUBACK.
//!
//! Phases: connect everyone (timed) → warm-up (counted apart) → measurement → stop
//! sending and wait for the acknowledgements still owed (drain) → DISCONNECT. Only
//! acknowledgements that arrive during the measurement count for messages/s and the
//! latency figures; every acknowledgement counts for the stored-points check.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, watch};

use crate::conn::{self, ErrorCounts, Target};
use crate::packet::{self, Incoming};
use ironloom_bench_common::procfs;
use ironloom_bench_common::stats::{Histogram, Summary};

pub const TOPIC: &str = "v1/devices/me/telemetry";
/// Values per message.
pub const VALUES: usize = 10;

/// What each message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PayloadKind {
    /// `{"v0":…,…,"v9":…}`: the server stamps the values with its clock.
    Plain,
    /// `{"ts":…,"values":{"v0":…}}` with a device clock in ms that never repeats within
    /// a connection, so every message is a distinct point per key.
    Ts,
}

#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub target: Target,
    /// More servers of one platform (cluster nodes): connection `i` goes to the
    /// `i mod (1 + spread.len())`-th of `target.addr`, `spread…`.
    pub spread: Vec<std::net::SocketAddr>,
    pub connections: usize,
    pub window: usize,
    pub warmup: Duration,
    pub duration: Duration,
    /// How long to wait for acknowledgements still owed after sending stops.
    pub drain: Duration,
    pub payload: PayloadKind,
    /// Connections being opened at once.
    pub connect_concurrency: usize,
    /// The broker's process, for its CPU time during the measurement.
    pub broker_pid: Option<u32>,
    /// Open loop: messages per second over all connections, sent on a fixed schedule
    /// (still at most `window` in flight per connection). Latency is then measured from
    /// each message's scheduled time, so a stalled broker cannot hide its queue.
    /// `None`: closed loop, `window` in flight per connection at all times.
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub connections: usize,
    pub connected: usize,
    pub connect_errors: ErrorCounts,
    pub connect_seconds: f64,
    pub window: usize,
    pub payload: PayloadKind,
    pub payload_bytes: usize,
    pub measured_seconds: f64,
    /// Acknowledged during the measurement.
    pub acked_measured: u64,
    pub msgs_per_second: f64,
    pub points_per_second: f64,
    pub latency: Summary,
    /// Every publish written, and every one acknowledged, over the whole run.
    pub sent_total: u64,
    pub acked_total: u64,
    /// Publishes never acknowledged (connection lost, or still owed after the drain).
    pub unacked: u64,
    /// Connections that ended before the run did, and other failures.
    pub errors: ErrorCounts,
    /// The latest device timestamp sent (ms since the epoch; `ts` payloads only).
    pub last_ts_ms: u64,
    /// CPU used during the measurement, in cores (CPU seconds / seconds): the broker, this
    /// generator, and the whole machine (everything else is the difference).
    pub cpu: CpuShare,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct CpuShare {
    pub broker: f64,
    pub generator: f64,
    pub machine: f64,
    /// Of `machine`, what the hypervisor took for something else (a virtual machine on a
    /// shared host): CPU the brokers wanted and did not get.
    pub steal: f64,
}

/// CPU readings of this generator and the broker at one instant.
#[derive(Debug, Clone)]
struct CpuMark {
    mark: Option<procfs::CpuMark>,
    broker: bool,
}

impl CpuMark {
    /// This process, and the broker when its process is known.
    fn now(broker: Option<u32>) -> CpuMark {
        let pids: Vec<u32> = std::iter::once(std::process::id()).chain(broker).collect();
        CpuMark {
            mark: procfs::CpuMark::take(&pids).ok(),
            broker: broker.is_some(),
        }
    }

    fn since(&self, before: &CpuMark) -> CpuShare {
        let (Some(a), Some(b)) = (&before.mark, &self.mark) else {
            return CpuShare::default();
        };
        let tck = procfs::clock_ticks();
        let (cores, machine) = a.cores_until(b, tck);
        CpuShare {
            broker: if self.broker { cores[1] } else { 0.0 },
            generator: cores[0],
            machine,
            steal: a.steal_until(b, tck),
        }
    }
}

const WARMUP: u8 = 0;
const MEASURE: u8 = 1;
const STOP: u8 = 2;

struct Shared {
    phase: AtomicU8,
    payloads: Vec<Vec<u8>>,
    kind: PayloadKind,
    window: usize,
    /// Open loop: the time between two messages of one connection.
    interval: Option<Duration>,
}

#[derive(Default)]
struct ConnResult {
    sent: u64,
    acked: u64,
    acked_measured: u64,
    unacked: u64,
    hist: Histogram,
    errors: ErrorCounts,
    last_ts_ms: u64,
}

/// A deterministic pool of value objects, `{"v0":21.4,…}`: values at sensor resolution,
/// different from message to message, encoded before the clock starts.
pub fn value_pool(n: usize) -> Vec<Vec<u8>> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            let mut s = String::from("{");
            for k in 0..VALUES {
                // splitmix64
                x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = x;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                let tenths = (z % 10_000) as i64 - 2_000;
                if k > 0 {
                    s.push(',');
                }
                s.push_str(&format!(
                    "\"v{k}\":{}{}.{}",
                    if tenths < 0 { "-" } else { "" },
                    tenths.abs() / 10,
                    tenths.abs() % 10
                ));
            }
            s.push('}');
            s.into_bytes()
        })
        .collect()
}

/// Runs the load with one user name per connection (`usernames[i]`; `None` for an
/// anonymous broker) and returns the figures.
pub async fn run(cfg: &LoadConfig, usernames: &[Option<String>]) -> anyhow::Result<LoadReport> {
    anyhow::ensure!(
        usernames.len() >= cfg.connections,
        "{} connections but {} user names",
        cfg.connections,
        usernames.len()
    );
    anyhow::ensure!(
        (1..=32_768).contains(&cfg.window),
        "window must be 1 to 32768"
    );
    let interval = match cfg.rate {
        None => None,
        Some(r) if r.is_finite() && r > 0.0 => {
            Some(Duration::from_secs_f64(cfg.connections as f64 / r))
        }
        Some(r) => anyhow::bail!("rate must be a positive number of messages per second, not {r}"),
    };
    let shared = Arc::new(Shared {
        phase: AtomicU8::new(WARMUP),
        payloads: value_pool(4096),
        kind: cfg.payload,
        window: cfg.window,
        interval,
    });
    let payload_bytes = match cfg.payload {
        PayloadKind::Plain => shared.payloads[0].len(),
        PayloadKind::Ts => shared.payloads[0].len() + r#"{"ts":1800000000000,"values":}"#.len(),
    };

    // Connect everyone first, so the run measures publishing only.
    let started = Instant::now();
    let sem = Arc::new(Semaphore::new(cfg.connect_concurrency.max(1)));
    let mut opening = tokio::task::JoinSet::new();
    for (i, user) in usernames.iter().take(cfg.connections).enumerate() {
        let (sem, mut target, user) = (sem.clone(), cfg.target.clone(), user.clone());
        if let Some(addr) = (i % (1 + cfg.spread.len()))
            .checked_sub(1)
            .map(|k| cfg.spread[k])
        {
            target.addr = addr;
        }
        opening.spawn(async move {
            let _permit = sem.acquire_owned().await;
            let r = conn::open(&target, i, &format!("mqtt-bench-{i}"), user.as_deref()).await;
            (i, r)
        });
    }
    let mut streams = Vec::with_capacity(cfg.connections);
    let mut connect_errors = ErrorCounts::default();
    while let Some(r) = opening.join_next().await {
        match r? {
            (i, Ok(s)) => streams.push((i, s)),
            (_, Err(e)) => connect_errors.add(e.kind(), e.to_string()),
        }
    }
    let connect_seconds = started.elapsed().as_secs_f64();
    let connected = streams.len();
    eprintln!(
        "  {connected}/{} connected in {connect_seconds:.1} s; errors: {}",
        cfg.connections,
        connect_errors.describe()
    );
    anyhow::ensure!(connected > 0, "no connection could be opened");

    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    for (i, s) in streams {
        let shared = shared.clone();
        let stop = stop_rx.clone();
        let drain = cfg.drain;
        tasks.spawn(async move { publisher(s, i, shared, stop, drain).await });
    }
    tokio::time::sleep(cfg.warmup).await;
    shared.phase.store(MEASURE, Ordering::SeqCst);
    let t0 = Instant::now();
    let cpu0 = CpuMark::now(cfg.broker_pid);
    tokio::time::sleep(cfg.duration).await;
    shared.phase.store(STOP, Ordering::SeqCst);
    let measured_seconds = t0.elapsed().as_secs_f64();
    let cpu = CpuMark::now(cfg.broker_pid).since(&cpu0);
    let _ = stop_tx.send(true);

    let mut total = ConnResult::default();
    while let Some(r) = tasks.join_next().await {
        let r = r?;
        total.sent += r.sent;
        total.acked += r.acked;
        total.acked_measured += r.acked_measured;
        total.unacked += r.unacked;
        total.hist.merge(&r.hist);
        total.errors.merge(&r.errors);
        total.last_ts_ms = total.last_ts_ms.max(r.last_ts_ms);
    }
    let msgs = total.acked_measured as f64 / measured_seconds;
    Ok(LoadReport {
        connections: cfg.connections,
        connected,
        connect_errors,
        connect_seconds,
        window: cfg.window,
        payload: cfg.payload,
        payload_bytes,
        measured_seconds,
        acked_measured: total.acked_measured,
        msgs_per_second: msgs,
        points_per_second: msgs * VALUES as f64,
        latency: total.hist.summary(),
        sent_total: total.sent,
        acked_total: total.acked,
        unacked: total.unacked,
        errors: total.errors,
        last_ts_ms: total.last_ts_ms,
        cpu,
    })
}

/// Appends the payload of message `seq` of a connection; `clock_ms` is the connection's
/// last device timestamp (for [`PayloadKind::Ts`]).
fn payload(shared: &Shared, conn: usize, seq: u64, clock_ms: &mut u64, out: &mut Vec<u8>) {
    let pool = &shared.payloads;
    let values = &pool[(conn.wrapping_mul(7919) + seq as usize) % pool.len()];
    match shared.kind {
        PayloadKind::Plain => out.extend_from_slice(values),
        PayloadKind::Ts => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            *clock_ms = now.max(*clock_ms + 1);
            out.extend_from_slice(b"{\"ts\":");
            out.extend_from_slice(clock_ms.to_string().as_bytes());
            out.extend_from_slice(b",\"values\":");
            out.extend_from_slice(values);
            out.push(b'}');
        }
    }
}

async fn publisher(
    mut stream: TcpStream,
    conn: usize,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    drain: Duration,
) -> ConnResult {
    let mut r = ConnResult::default();
    let mut wbuf: Vec<u8> = Vec::with_capacity(shared.window * 256);
    let mut body: Vec<u8> = Vec::with_capacity(256);
    let mut rbuf = vec![0u8; 8192];
    let mut rlen = 0usize;
    let mut inflight: VecDeque<(u16, Instant)> = VecDeque::with_capacity(shared.window);
    let mut next_pkid: u16 = 1;
    let mut seq = 0u64;
    let mut clock_ms = 0u64;
    let mut drain_until: Option<tokio::time::Instant> = None;
    // Open loop: when this connection's next message is due. Connections start spread
    // over one interval so that they do not send in step.
    let mut due: Option<Instant> = shared
        .interval
        .map(|i| Instant::now() + i.mul_f64((conn.wrapping_mul(7919) % 1000) as f64 / 1000.0));
    loop {
        let sending = shared.phase.load(Ordering::Relaxed) != STOP;
        if sending {
            let now = Instant::now();
            while inflight.len() < shared.window {
                // Closed loop: sent now. Open loop: timed from when it was due.
                let at = match (due, shared.interval) {
                    (Some(d), Some(i)) => {
                        if d > now {
                            break;
                        }
                        due = Some(d + i);
                        d
                    }
                    _ => now,
                };
                body.clear();
                payload(&shared, conn, seq, &mut clock_ms, &mut body);
                packet::publish_qos1(&mut wbuf, TOPIC, next_pkid, &body);
                inflight.push_back((next_pkid, at));
                next_pkid = next_pkid.checked_add(1).unwrap_or(1);
                seq += 1;
                r.sent += 1;
            }
            if !wbuf.is_empty() {
                if let Err(e) = stream.write_all(&wbuf).await {
                    r.errors.add("write failed".into(), e.to_string());
                    break;
                }
                wbuf.clear();
            }
        } else if inflight.is_empty() {
            break;
        } else if drain_until.is_none() {
            drain_until = Some(tokio::time::Instant::now() + drain);
        }
        let next_due = due
            .filter(|_| sending && inflight.len() < shared.window)
            .map(tokio::time::Instant::from_std);
        let read = tokio::select! {
            res = stream.read(&mut rbuf[rlen..]) => Some(res),
            _ = tokio::time::sleep_until(next_due.unwrap_or_else(tokio::time::Instant::now)),
                if next_due.is_some() => None,
            // Sending stops while this connection waits for an acknowledgement.
            _ = stop.changed(), if sending && !*stop.borrow() => None,
            _ = tokio::time::sleep_until(drain_until.unwrap_or_else(tokio::time::Instant::now)),
                if drain_until.is_some() => {
                r.errors.add("acknowledgements still owed after the drain".into(),
                    format!("{} publishes", inflight.len()));
                break;
            }
        };
        let n = match read {
            None => continue,
            Some(Ok(0)) => {
                r.errors.add(
                    "closed by the broker".into(),
                    format!("connection {conn} after {} acknowledgements", r.acked),
                );
                break;
            }
            Some(Ok(n)) => n,
            Some(Err(e)) => {
                r.errors.add("read failed".into(), e.to_string());
                break;
            }
        };
        rlen += n;
        let now = Instant::now();
        let measuring = shared.phase.load(Ordering::Relaxed) == MEASURE;
        let mut pos = 0;
        loop {
            match packet::decode(&rbuf[pos..rlen]) {
                Ok(Some((Incoming::PubAck { pkid }, used))) => {
                    pos += used;
                    // Brokers acknowledge in order; look further only if one did not.
                    let sent_at = match inflight.front() {
                        Some(&(p, t)) if p == pkid => {
                            inflight.pop_front();
                            Some(t)
                        }
                        _ => inflight
                            .iter()
                            .position(|&(p, _)| p == pkid)
                            .and_then(|at| inflight.remove(at))
                            .map(|(_, t)| t),
                    };
                    let Some(sent_at) = sent_at else {
                        r.errors
                            .add("unexpected PUBACK".into(), format!("packet id {pkid}"));
                        continue;
                    };
                    r.acked += 1;
                    if measuring {
                        r.acked_measured += 1;
                        r.hist
                            .record(now.saturating_duration_since(sent_at).as_micros() as u64);
                    }
                }
                Ok(Some((Incoming::PingResp, used))) => pos += used,
                Ok(Some((other, used))) => {
                    pos += used;
                    r.errors
                        .add("unexpected packet".into(), format!("{other:?}"));
                }
                Ok(None) => break,
                Err(e) => {
                    r.errors.add("malformed packet".into(), e.to_string());
                    r.unacked += inflight.len() as u64;
                    r.last_ts_ms = clock_ms;
                    return r;
                }
            }
        }
        rbuf.copy_within(pos..rlen, 0);
        rlen -= pos;
        if rlen == rbuf.len() {
            rbuf.resize(rbuf.len() * 2, 0);
        }
    }
    r.unacked += inflight.len() as u64;
    r.last_ts_ms = clock_ms;
    let mut bye = Vec::with_capacity(2);
    packet::disconnect(&mut bye);
    let _ = stream.write_all(&bye).await;
    let _ = stream.shutdown().await;
    r
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn payloads_are_json_with_ten_numbers() {
        let pool = value_pool(50);
        assert_ne!(pool[0], pool[1]);
        for p in &pool {
            let v: serde_json::Value = serde_json::from_slice(p).unwrap();
            let o = v.as_object().unwrap();
            assert_eq!(o.len(), VALUES);
            for k in 0..VALUES {
                assert!(o[&format!("v{k}")].is_f64() || o[&format!("v{k}")].is_i64());
            }
        }
        let shared = Shared {
            phase: AtomicU8::new(WARMUP),
            payloads: pool,
            kind: PayloadKind::Ts,
            window: 1,
            interval: None,
        };
        let (mut clock, mut a, mut b) = (0, Vec::new(), Vec::new());
        payload(&shared, 3, 0, &mut clock, &mut a);
        payload(&shared, 3, 1, &mut clock, &mut b);
        let a: serde_json::Value = serde_json::from_slice(&a).unwrap();
        let b: serde_json::Value = serde_json::from_slice(&b).unwrap();
        assert!(b["ts"].as_u64().unwrap() > a["ts"].as_u64().unwrap());
        assert_eq!(b["values"].as_object().unwrap().len(), VALUES);
    }

    /// A broker that acknowledges every publish, to exercise the whole loop.
    async fn fake_broker(listener: tokio::net::TcpListener) {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let mut len = 0;
                let mut connected = false;
                loop {
                    let n = match s.read(&mut buf[len..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    len += n;
                    let mut pos = 0;
                    let mut out = Vec::new();
                    while len - pos >= 2 {
                        let mut b = bytes::BytesMut::from(&buf[pos..len]);
                        let before = b.len();
                        match rumqttc::mqttbytes::v4::Packet::read(&mut b, 1 << 20) {
                            Ok(p) => {
                                pos += before - b.len();
                                match p {
                                    rumqttc::mqttbytes::v4::Packet::Connect(_) => {
                                        connected = true;
                                        out.extend_from_slice(&[0x20, 2, 0, 0]);
                                    }
                                    rumqttc::mqttbytes::v4::Packet::Publish(p) => {
                                        assert!(connected);
                                        assert_eq!(p.topic, TOPIC);
                                        out.push(0x40);
                                        out.push(2);
                                        out.extend_from_slice(&p.pkid.to_be_bytes());
                                    }
                                    rumqttc::mqttbytes::v4::Packet::Disconnect => return,
                                    _ => {}
                                }
                            }
                            Err(_) => break,
                        }
                    }
                    buf.copy_within(pos..len, 0);
                    len -= pos;
                    if s.write_all(&out).await.is_err() {
                        return;
                    }
                }
            });
        }
    }

    #[tokio::test]
    async fn measures_a_broker_that_acknowledges_everything() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(fake_broker(listener));
        let cfg = LoadConfig {
            target: Target {
                addr,
                sources: 2,
                keep_alive: 60,
                timeout: Duration::from_secs(5),
            },
            connections: 3,
            window: 4,
            warmup: Duration::from_millis(50),
            duration: Duration::from_millis(200),
            drain: Duration::from_secs(5),
            payload: PayloadKind::Ts,
            connect_concurrency: 2,
            broker_pid: None,
            spread: Vec::new(),
            rate: None,
        };
        let users = vec![Some("a".to_string()), Some("b".into()), Some("c".into())];
        let r = run(&cfg, &users).await.unwrap();
        assert_eq!(r.connected, 3);
        assert_eq!(r.errors.total(), 0, "{}", r.errors.describe());
        assert!(r.acked_measured > 0);
        assert_eq!(r.acked_total, r.sent_total);
        assert_eq!(r.unacked, 0);
        assert_eq!(r.latency.count, r.acked_measured);
        assert!(r.points_per_second > r.msgs_per_second);
        assert!(r.cpu.generator > 0.0 || r.cpu.machine >= 0.0);
    }

    #[tokio::test]
    async fn open_loop_sends_at_the_rate_asked() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(fake_broker(listener));
        let cfg = LoadConfig {
            target: Target {
                addr,
                sources: 1,
                keep_alive: 60,
                timeout: Duration::from_secs(5),
            },
            connections: 2,
            window: 64,
            warmup: Duration::from_millis(100),
            duration: Duration::from_millis(1000),
            drain: Duration::from_secs(5),
            payload: PayloadKind::Plain,
            connect_concurrency: 2,
            broker_pid: None,
            spread: Vec::new(),
            rate: Some(400.0),
        };
        let users = vec![Some("a".to_string()), Some("b".into())];
        let r = run(&cfg, &users).await.unwrap();
        assert_eq!(r.errors.total(), 0, "{}", r.errors.describe());
        // 1.1 s at 400 msgs/s: 440 in all. A closed loop with 64 in flight against this
        // broker would send tens of thousands.
        assert!((380..=480).contains(&r.sent_total), "{} sent", r.sent_total);
        assert!(
            (300.0..=500.0).contains(&r.msgs_per_second),
            "{}",
            r.msgs_per_second
        );
        let bad = LoadConfig {
            rate: Some(0.0),
            ..cfg
        };
        assert!(run(&bad, &users).await.is_err());
    }

    #[test]
    fn measures_the_generator_and_the_broker() {
        let me = Some(std::process::id());
        let a = CpuMark::now(me);
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        let share = CpuMark::now(me).since(&a);
        // Here the generator is its own broker: both read the same process, a moment
        // apart (other tests of this binary run meanwhile), so nearly the same figure.
        assert!(share.generator > 0.0, "{share:?}");
        assert!(
            (share.broker - share.generator).abs() <= 0.1 * share.generator,
            "{share:?}"
        );
        assert_eq!(CpuMark::now(None).since(&CpuMark::now(None)).broker, 0.0);
    }
}
