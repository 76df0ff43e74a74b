//! Idle connections: open many, keep them alive, check on demand that the broker still
//! holds each one (a PINGREQ answered by PINGRESP), close them.
//!
//! One small task per connection, with a 32-byte read buffer: the generator's own cost
//! per connection is reported next to the broker's so that it is plain the generator is
//! not what runs out first.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, watch};

use crate::conn::{self, ErrorCounts, Target};
use crate::packet::{self, Incoming};

#[derive(Debug, Clone)]
pub struct IdleConfig {
    pub target: Target,
    pub connections: usize,
    pub connect_concurrency: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct OpenReport {
    pub attempted: usize,
    pub connected: usize,
    pub errors: ErrorCounts,
    pub seconds: f64,
    pub per_second: f64,
}

#[derive(Default)]
struct Counters {
    pongs: AtomicU64,
    lost: AtomicU64,
}

/// Open idle connections.
pub struct IdleSet {
    ping: watch::Sender<u64>,
    stop: watch::Sender<bool>,
    counters: Arc<Counters>,
    tasks: tokio::task::JoinSet<()>,
    connected: usize,
}

impl std::fmt::Debug for IdleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdleSet")
            .field("connected", &self.connected)
            .finish_non_exhaustive()
    }
}

impl IdleSet {
    /// Opens the connections (at most `connect_concurrency` handshakes at once) with one
    /// user name each, and starts their tasks.
    pub async fn open(
        cfg: &IdleConfig,
        usernames: &[Option<String>],
    ) -> anyhow::Result<(IdleSet, OpenReport)> {
        anyhow::ensure!(
            usernames.len() >= cfg.connections,
            "{} connections but {} user names",
            cfg.connections,
            usernames.len()
        );
        let (ping, ping_rx) = watch::channel(0u64);
        let (stop, stop_rx) = watch::channel(false);
        let counters = Arc::new(Counters::default());
        let mut set = IdleSet {
            ping,
            stop,
            counters: counters.clone(),
            tasks: tokio::task::JoinSet::new(),
            connected: 0,
        };
        let started = Instant::now();
        let sem = Arc::new(Semaphore::new(cfg.connect_concurrency.max(1)));
        let mut opening = tokio::task::JoinSet::new();
        for (i, user) in usernames.iter().take(cfg.connections).enumerate() {
            let (sem, target, user) = (sem.clone(), cfg.target.clone(), user.clone());
            opening.spawn(async move {
                let _permit = sem.acquire_owned().await;
                conn::open(&target, i, &format!("idle-{i}"), user.as_deref()).await
            });
        }
        let mut errors = ErrorCounts::default();
        let keep_alive = Duration::from_secs(u64::from(cfg.target.keep_alive.max(2)));
        let mut last_note = Instant::now();
        while let Some(r) = opening.join_next().await {
            match r? {
                Ok(stream) => {
                    set.connected += 1;
                    let (ping_rx, stop_rx, counters) =
                        (ping_rx.clone(), stop_rx.clone(), counters.clone());
                    set.tasks
                        .spawn(idle(stream, keep_alive, ping_rx, stop_rx, counters));
                }
                Err(e) => errors.add(e.kind(), e.to_string()),
            }
            if last_note.elapsed() > Duration::from_secs(5) {
                last_note = Instant::now();
                eprintln!(
                    "  … {} connected, {} failed, {:.0} s",
                    set.connected,
                    errors.total(),
                    started.elapsed().as_secs_f64()
                );
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        let report = OpenReport {
            attempted: cfg.connections,
            connected: set.connected,
            errors,
            seconds,
            per_second: set.connected as f64 / seconds,
        };
        Ok((set, report))
    }

    /// Pings every connection and returns how many answered within `timeout`.
    pub async fn ping_all(&self, timeout: Duration) -> u64 {
        let before = self.counters.pongs.load(Ordering::SeqCst);
        self.ping.send_modify(|n| *n += 1);
        let alive = self.connected as u64 - self.counters.lost.load(Ordering::SeqCst);
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.counters.pongs.load(Ordering::SeqCst) - before;
            if got >= alive || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Connections the broker closed so far.
    pub fn lost(&self) -> u64 {
        self.counters.lost.load(Ordering::SeqCst)
    }

    /// Sends DISCONNECT on every connection and waits for the tasks.
    pub async fn close(mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}

async fn idle(
    mut stream: TcpStream,
    keep_alive: Duration,
    mut ping: watch::Receiver<u64>,
    mut stop: watch::Receiver<bool>,
    counters: Arc<Counters>,
) {
    let mut buf = [0u8; 32];
    let mut len = 0;
    let mut out = Vec::with_capacity(2);
    // PINGRESPs owed to `ping_all`; those of keep-alive pings are not counted.
    let mut checks_owed = 0u32;
    loop {
        tokio::select! {
            r = stream.read(&mut buf[len..]) => {
                let n = match r {
                    Ok(0) | Err(_) => {
                        counters.lost.fetch_add(1, Ordering::SeqCst);
                        return;
                    }
                    Ok(n) => n,
                };
                len += n;
                let mut pos = 0;
                while let Ok(Some((p, used))) = packet::decode(&buf[pos..len]) {
                    pos += used;
                    if p == Incoming::PingResp && checks_owed > 0 {
                        checks_owed -= 1;
                        counters.pongs.fetch_add(1, Ordering::SeqCst);
                    }
                }
                buf.copy_within(pos..len, 0);
                len -= pos;
                if len == buf.len() {
                    // Nothing a broker sends an idle client is this long.
                    counters.lost.fetch_add(1, Ordering::SeqCst);
                    return;
                }
            }
            r = ping.changed() => {
                if r.is_err() {
                    return;
                }
                out.clear();
                packet::pingreq(&mut out);
                if stream.write_all(&out).await.is_err() {
                    counters.lost.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                checks_owed += 1;
            }
            // The broker would drop us after 1.5 × the keep-alive without a packet.
            _ = tokio::time::sleep(keep_alive / 2) => {
                out.clear();
                packet::pingreq(&mut out);
                if stream.write_all(&out).await.is_err() {
                    counters.lost.fetch_add(1, Ordering::SeqCst);
                    return;
                }
            }
            _ = stop.changed() => {
                out.clear();
                packet::disconnect(&mut out);
                let _ = stream.write_all(&out).await;
                let _ = stream.shutdown().await;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn opens_pings_and_closes() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let disconnects = Arc::new(AtomicU64::new(0));
        let d = disconnects.clone();
        tokio::spawn(async move {
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                let d = d.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 256];
                    loop {
                        let n = match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        match buf[0] {
                            0x10 => s.write_all(&[0x20, 2, 0, 0]).await.unwrap(),
                            0xC0 => s.write_all(&[0xD0, 0]).await.unwrap(),
                            0xE0 => {
                                d.fetch_add(1, Ordering::SeqCst);
                                return;
                            }
                            _ => panic!("unexpected {:?}", &buf[..n]),
                        }
                    }
                });
            }
        });
        let cfg = IdleConfig {
            target: Target {
                addr,
                sources: 3,
                keep_alive: 600,
                timeout: Duration::from_secs(5),
            },
            connections: 20,
            connect_concurrency: 4,
        };
        let users: Vec<Option<String>> = (0..20).map(|i| Some(format!("u{i}"))).collect();
        let (set, report) = IdleSet::open(&cfg, &users).await.unwrap();
        assert_eq!(report.connected, 20, "{}", report.errors.describe());
        assert_eq!(set.ping_all(Duration::from_secs(5)).await, 20);
        assert_eq!(set.ping_all(Duration::from_secs(5)).await, 20);
        assert_eq!(set.lost(), 0);
        set.close().await;
        for _ in 0..100 {
            if disconnects.load(Ordering::SeqCst) == 20 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("{} DISCONNECTs", disconnects.load(Ordering::SeqCst));
    }
}
