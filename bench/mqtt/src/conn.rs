//! Opening one device connection: TCP from a chosen loopback source address, CONNECT,
//! CONNACK. Shared by the throughput and the idle-connection modes.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::packet::{self, Incoming};

/// Where to connect and how the device logs in.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    /// Source addresses 127.0.0.1 … 127.0.0.`sources`, used in turn, so more connections
    /// fit than one address has ephemeral ports.
    pub sources: u8,
    pub keep_alive: u16,
    pub timeout: Duration,
}

impl Target {
    /// The source address of connection `i`.
    pub fn source(&self, i: usize) -> IpAddr {
        let k = usize::from(self.sources.max(1));
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1 + (i % k) as u8))
    }
}

/// Why a connection could not be opened; counted by kind in the reports.
#[derive(Debug)]
pub enum ConnectError {
    /// bind or connect failed (ports, file descriptors, refused).
    Tcp(std::io::Error),
    /// The broker answered CONNACK with this non-zero return code.
    Refused(u8),
    /// The broker closed the connection before CONNACK.
    Closed,
    /// No CONNACK within the timeout.
    Timeout,
    /// Something other than CONNACK arrived first.
    Protocol(String),
}

impl ConnectError {
    /// A short label to count errors by.
    pub fn kind(&self) -> String {
        match self {
            ConnectError::Tcp(e) => format!("tcp: {}", e.kind()),
            ConnectError::Refused(c) => format!("connack code {c}"),
            ConnectError::Closed => "closed before connack".into(),
            ConnectError::Timeout => "no connack in time".into(),
            ConnectError::Protocol(_) => "protocol error".into(),
        }
    }
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectError::Tcp(e) => write!(f, "tcp: {e}"),
            ConnectError::Protocol(m) => write!(f, "protocol: {m}"),
            other => f.write_str(&other.kind()),
        }
    }
}

/// Opens connection `i` and logs in as `username`; returns the stream after a successful
/// CONNACK.
pub async fn open(
    target: &Target,
    i: usize,
    client_id: &str,
    username: Option<&str>,
) -> Result<TcpStream, ConnectError> {
    match tokio::time::timeout(target.timeout, open_inner(target, i, client_id, username)).await {
        Ok(r) => r,
        Err(_) => Err(ConnectError::Timeout),
    }
}

async fn open_inner(
    target: &Target,
    i: usize,
    client_id: &str,
    username: Option<&str>,
) -> Result<TcpStream, ConnectError> {
    let socket = TcpSocket::new_v4().map_err(ConnectError::Tcp)?;
    socket
        .bind(SocketAddr::new(target.source(i), 0))
        .map_err(ConnectError::Tcp)?;
    let mut stream = socket
        .connect(target.addr)
        .await
        .map_err(ConnectError::Tcp)?;
    stream.set_nodelay(true).map_err(ConnectError::Tcp)?;
    let mut out = Vec::with_capacity(96);
    packet::connect(&mut out, client_id, username, target.keep_alive);
    stream.write_all(&out).await.map_err(ConnectError::Tcp)?;
    let mut buf = [0u8; 16];
    let mut len = 0;
    loop {
        let n = stream
            .read(&mut buf[len..])
            .await
            .map_err(ConnectError::Tcp)?;
        if n == 0 {
            return Err(ConnectError::Closed);
        }
        len += n;
        match packet::decode(&buf[..len]) {
            Ok(Some((Incoming::ConnAck { code: 0 }, used))) if used == len => return Ok(stream),
            Ok(Some((Incoming::ConnAck { code: 0 }, _))) => {
                return Err(ConnectError::Protocol(
                    "bytes after CONNACK before anything was sent".into(),
                ));
            }
            Ok(Some((Incoming::ConnAck { code }, _))) => return Err(ConnectError::Refused(code)),
            Ok(Some((other, _))) => {
                return Err(ConnectError::Protocol(format!(
                    "{other:?} instead of CONNACK"
                )));
            }
            Ok(None) if len < buf.len() => {}
            Ok(None) => return Err(ConnectError::Protocol("CONNACK too long".into())),
            Err(e) => return Err(ConnectError::Protocol(e.to_string())),
        }
    }
}

/// Counts of failures by kind, with the first message of each kind.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct ErrorCounts {
    pub by_kind: std::collections::BTreeMap<String, (u64, String)>,
}

impl ErrorCounts {
    pub fn add(&mut self, kind: String, message: String) {
        self.by_kind.entry(kind).or_insert((0, message)).0 += 1;
    }

    pub fn total(&self) -> u64 {
        self.by_kind.values().map(|(n, _)| n).sum()
    }

    pub fn merge(&mut self, other: &ErrorCounts) {
        for (k, (n, m)) in &other.by_kind {
            self.by_kind.entry(k.clone()).or_insert((0, m.clone())).0 += n;
        }
    }

    /// `3 × connack code 5 (first: …); 1 × …`, or `none`.
    pub fn describe(&self) -> String {
        if self.by_kind.is_empty() {
            return "none".into();
        }
        self.by_kind
            .iter()
            .map(|(k, (n, m))| {
                if m == k {
                    format!("{n} × {k}")
                } else {
                    format!("{n} × {k} (first: {m})")
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sources_cycle_over_loopback_addresses() {
        let t = Target {
            addr: "127.0.0.1:1883".parse().unwrap(),
            sources: 3,
            keep_alive: 60,
            timeout: Duration::from_secs(1),
        };
        let got: Vec<String> = (0..4).map(|i| t.source(i).to_string()).collect();
        assert_eq!(got, ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.1"]);
    }

    #[test]
    fn error_counts_describe_themselves() {
        let mut e = ErrorCounts::default();
        assert_eq!(e.describe(), "none");
        e.add("connack code 5".into(), "connack code 5".into());
        e.add("connack code 5".into(), "other".into());
        let mut f = ErrorCounts::default();
        f.add("tcp: timed out".into(), "tcp: connect timed out".into());
        e.merge(&f);
        assert_eq!(e.total(), 3);
        assert_eq!(
            e.describe(),
            "2 × connack code 5; 1 × tcp: timed out (first: tcp: connect timed out)"
        );
    }

    #[tokio::test]
    async fn logs_in_against_a_fake_broker() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            for code in [0u8, 5] {
                let (mut s, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 256];
                let n = s.read(&mut buf).await.unwrap();
                assert_eq!(buf[0], 0x10, "CONNECT first");
                assert!(n > 10);
                s.write_all(&[0x20, 0x02, 0x00, code]).await.unwrap();
                // Keep the socket open until the client is done with it.
                let _ = s.read(&mut buf).await;
            }
        });
        let t = Target {
            addr,
            sources: 2,
            keep_alive: 60,
            timeout: Duration::from_secs(5),
        };
        let ok = open(&t, 1, "c1", Some("tok")).await.unwrap();
        assert_eq!(ok.local_addr().unwrap().ip().to_string(), "127.0.0.2");
        drop(ok);
        match open(&t, 0, "c2", Some("bad")).await {
            Err(ConnectError::Refused(5)) => {}
            other => panic!("{other:?}"),
        }
        server.await.unwrap();
    }
}
