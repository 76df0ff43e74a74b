//! The load: which identifiers are asked for (Zipf or uniform over all registered), and
//! the clients that ask — the Handle protocol over UDP (a window of requests in flight
//! on one socket) and TCP (connections each asking one request after another), the
//! Handle.Net REST API, and the peers' point lookups — each for a fixed time, every
//! answer checked, latencies into a histogram.

use anyhow::{Context, Result, bail};
use ironloom_bench_common::stats::{Histogram, Summary};
use ironloom_identifiers::proto::{self, ENVELOPE_LEN, rc};
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The handle of identifier `i`.
pub fn handle(prefix: &str, i: u64) -> String {
    format!("{prefix}/P{i:09}")
}

/// Which identifiers are asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Keys {
    /// Zipf's law (s = 1) over the ranks: rank r is asked in proportion to 1/r, the
    /// ranks scattered over the identifiers (the most asked are not neighbours).
    Zipf,
    /// Every identifier alike.
    Uniform,
}

impl Keys {
    /// `count` identifier numbers below `n` (deterministic for a seed).
    pub fn sample(self, n: u64, count: usize, seed: u64) -> Vec<u64> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let ln_n = (n as f64).ln();
        (0..count)
            .map(|_| match self {
                Keys::Uniform => rng.random_range(0..n),
                Keys::Zipf => {
                    // P(rank ≤ k) = ln k / ln n: rank = ⌊n^u⌋ for u uniform in [0, 1).
                    let u: f64 = rng.random();
                    let rank = ((u * ln_n).exp() as u64).clamp(1, n) - 1;
                    // A bijection of 0..n (the multiplier is a prime not dividing n).
                    ((u128::from(rank) * 2_654_435_761u128) % u128::from(n)) as u64
                }
            })
            .collect()
    }
}

/// What one client measured.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub target: String,
    pub keys: Keys,
    /// Requests in flight (UDP window, connections, concurrent requests).
    pub concurrency: usize,
    pub answered: u64,
    pub per_second: f64,
    pub latency: Summary,
    /// UDP requests without an answer within 200 ms (sent again as new requests).
    pub lost: u64,
    /// Answers that were not the identifier's values.
    pub wrong: u64,
}

fn figure(target: &str, keys: Keys, concurrency: usize, h: &Histogram, took: Duration) -> Figure {
    Figure {
        target: target.into(),
        keys,
        concurrency,
        answered: h.count(),
        per_second: h.count() as f64 / took.as_secs_f64(),
        latency: h.summary(),
        lost: 0,
        wrong: 0,
    }
}

fn elapsed_us(t: Instant) -> u64 {
    t.elapsed().as_micros() as u64
}

/// A resolution request of `handle` with request id 0 (set per send).
fn request(handle: &str) -> Vec<u8> {
    proto::encode_request(&proto::resolution_request(0, handle, &[], &[], 0))
}

/// The response code of an answer (whole message).
fn response_code(m: &[u8]) -> Option<u32> {
    let at = ENVELOPE_LEN + 4;
    Some(u32::from_be_bytes(m.get(at..at + 4)?.try_into().ok()?))
}

/// UDP from `clients` sockets (a thread each) with `window` requests in flight in all,
/// for `secs`: each answer sends the next request; 200 ms without any answer counts what
/// is in flight on that socket as lost.
pub fn udp(
    addr: SocketAddr,
    prefix: &str,
    ids: &[u64],
    keys: Keys,
    window: usize,
    clients: usize,
    secs: f64,
) -> Result<Figure> {
    let reqs: Vec<Vec<u8>> = ids.iter().map(|&i| request(&handle(prefix, i))).collect();
    let clients = clients.clamp(1, window.max(1));
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(secs);
    let results: Vec<Result<(Histogram, u64, u64)>> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..clients)
            .map(|c| {
                let reqs = &reqs;
                // The window split between the clients; each starts elsewhere in the keys.
                let w = window / clients + usize::from(c < window % clients);
                let first = (c * reqs.len() / clients) as u32;
                scope.spawn(move || udp_client(addr, reqs, first, w, end))
            })
            .collect();
        threads
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a UDP client panicked")))
            })
            .collect()
    });
    let (mut h, mut lost, mut wrong) = (Histogram::new(), 0u64, 0u64);
    for r in results {
        let (ch, cl, cw) = r?;
        h.merge(&ch);
        lost += cl;
        wrong += cw;
    }
    let target = if clients == 1 {
        "ironloom UDP".to_string()
    } else {
        format!("ironloom UDP, {clients} client sockets")
    };
    let mut f = figure(&target, keys, window, &h, start.elapsed());
    f.lost = lost;
    f.wrong = wrong;
    Ok(f)
}

/// One UDP client socket with `window` requests in flight until `end`, asking
/// `reqs` in turn from `first`: its latencies, lost and wrong answers.
fn udp_client(
    addr: SocketAddr,
    reqs: &[Vec<u8>],
    first: u32,
    window: usize,
    end: Instant,
) -> Result<(Histogram, u64, u64)> {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0")?;
    sock.connect(addr)?;
    sock.set_read_timeout(Some(Duration::from_millis(200)))?;
    let mut sent_at = vec![Instant::now(); 1 << 16];
    let mut live = vec![false; 1 << 16];
    let mut next: u32 = first;
    let mut in_flight = 0usize;
    let (mut h, mut lost, mut wrong) = (Histogram::new(), 0u64, 0u64);
    let mut buf = [0u8; 4096];
    let send = |next: &mut u32, sent_at: &mut [Instant], live: &mut [bool]| -> Result<()> {
        let mut m = reqs[*next as usize % reqs.len()].clone();
        m[8..12].copy_from_slice(&next.to_be_bytes());
        let slot = (*next & 0xFFFF) as usize;
        sent_at[slot] = Instant::now();
        live[slot] = true;
        sock.send(&m)?;
        *next = next.wrapping_add(1);
        Ok(())
    };
    while Instant::now() < end {
        while in_flight < window {
            send(&mut next, &mut sent_at, &mut live)?;
            in_flight += 1;
        }
        match sock.recv(&mut buf) {
            Ok(n) => {
                let m = &buf[..n];
                if m.len() < ENVELOPE_LEN + 8 {
                    wrong += 1;
                    continue;
                }
                let id = u32::from_be_bytes(m[8..12].try_into()?);
                let slot = (id & 0xFFFF) as usize;
                if !live[slot] {
                    continue; // an answer to a request already counted lost
                }
                live[slot] = false;
                in_flight -= 1;
                h.record(elapsed_us(sent_at[slot]));
                if response_code(m) != Some(rc::SUCCESS) {
                    wrong += 1;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                lost += in_flight as u64;
                in_flight = 0;
                live.iter_mut().for_each(|l| *l = false);
            }
            Err(e) => return Err(e).context("UDP receive"),
        }
    }
    Ok((h, lost, wrong))
}

/// TCP: `conns` connections, each asking one request after another for `secs`.
pub async fn tcp(
    addr: SocketAddr,
    prefix: &str,
    ids: &[u64],
    keys: Keys,
    conns: usize,
    secs: f64,
) -> Result<Figure> {
    let reqs: Arc<Vec<Vec<u8>>> =
        Arc::new(ids.iter().map(|&i| request(&handle(prefix, i))).collect());
    let end = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..conns {
        let reqs = reqs.clone();
        tasks.push(tokio::spawn(async move {
            let mut s = tokio::net::TcpStream::connect(addr).await?;
            s.set_nodelay(true)?;
            let (mut h, mut wrong) = (Histogram::new(), 0u64);
            let mut k = c * (reqs.len() / conns.max(1));
            let mut env = [0u8; ENVELOPE_LEN];
            let mut rest = Vec::new();
            while Instant::now() < end {
                let t = Instant::now();
                s.write_all(&reqs[k % reqs.len()]).await?;
                s.read_exact(&mut env).await?;
                let len = u32::from_be_bytes(env[16..20].try_into()?) as usize;
                rest.resize(len, 0);
                s.read_exact(&mut rest).await?;
                h.record(elapsed_us(t));
                if rest.get(4..8) != Some(&rc::SUCCESS.to_be_bytes()[..]) {
                    wrong += 1;
                }
                k += 1;
            }
            anyhow::Ok((h, wrong))
        }));
    }
    let (mut h, mut wrong) = (Histogram::new(), 0);
    for t in tasks {
        let (one, w) = t.await??;
        h.merge(&one);
        wrong += w;
    }
    let mut f = figure("ironloom TCP", keys, conns, &h, start.elapsed());
    f.wrong = wrong;
    Ok(f)
}

/// Any request/answer client: `conns` tasks each calling `ask(i)` one after another for
/// `secs`; `ask` says whether the answer was right.
pub async fn closed_loop<F, Fut>(
    target: &str,
    ids: &[u64],
    keys: Keys,
    conns: usize,
    secs: f64,
    ask: F,
) -> Result<Figure>
where
    F: Fn(u64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<bool>> + Send,
{
    let ids: Arc<Vec<u64>> = Arc::new(ids.to_vec());
    let end = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..conns {
        let (ids, ask) = (ids.clone(), ask.clone());
        tasks.push(tokio::spawn(async move {
            let (mut h, mut wrong) = (Histogram::new(), 0u64);
            let mut k = c * (ids.len() / conns.max(1));
            while Instant::now() < end {
                let t = Instant::now();
                let right = ask(ids[k % ids.len()]).await?;
                h.record(elapsed_us(t));
                wrong += u64::from(!right);
                k += 1;
            }
            anyhow::Ok((h, wrong))
        }));
    }
    let (mut h, mut wrong) = (Histogram::new(), 0);
    for t in tasks {
        let (one, w) = t.await??;
        h.merge(&one);
        wrong += w;
    }
    let mut f = figure(target, keys, conns, &h, start.elapsed());
    f.wrong = wrong;
    if h.count() == 0 {
        bail!("{target}: nothing answered");
    }
    Ok(f)
}
