//! The recursive resolver's side towards an upstream Handle service: a resolution
//! request over the native protocol, UDP first (the answer reassembled from its
//! datagrams), TCP when UDP gets no whole answer in time, as Handle clients do.
//! Referrals are not followed: the upstream is expected to resolve (a resolver, or the
//! server holding the prefixes asked for).

use ironloom_identifiers::HandleValue;
use ironloom_identifiers::proto::{
    self, ENVELOPE_LEN, Envelope, MAX_MESSAGE_LENGTH, ResponseBody, UdpReassembly, flag, rc,
};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

/// What the upstream service answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamAnswer {
    /// The handle's values (those the upstream lets anybody read).
    Values(Vec<HandleValue>),
    /// The handle does not exist there.
    NotFound,
}

/// An upstream Handle service.
#[derive(Debug)]
pub struct Upstream {
    pub addr: SocketAddr,
    timeout: Duration,
    next_id: AtomicU32,
}

impl Upstream {
    pub fn new(addr: SocketAddr, timeout: Duration) -> Self {
        Upstream {
            addr,
            timeout,
            next_id: AtomicU32::new(rand_id()),
        }
    }

    /// Resolves `handle` upstream; `hops` is the recursion count the request carried
    /// here (the upstream gets one more). An `Err` says why no answer came.
    pub async fn resolve(&self, handle: &str, hops: u8) -> Result<UpstreamAnswer, String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut req = proto::resolution_request(id, handle, &[], &[], flag::RECU);
        req.header.recursion_count = hops.saturating_add(1);
        req.header.expiration = u32::try_from(chrono::Utc::now().timestamp() + 60).unwrap_or(0);
        let raw = proto::encode_request(&req);
        let answer = match tokio::time::timeout(self.timeout, self.over_udp(&raw, id)).await {
            Ok(Ok(a)) => a,
            Ok(Err(e)) => {
                tracing::debug!(upstream = %self.addr, error = %e, "handle: UDP to the upstream failed; trying TCP");
                self.over_tcp_in_time(&raw).await?
            }
            Err(_) => self.over_tcp_in_time(&raw).await?,
        };
        let resp =
            proto::decode_response(&answer).map_err(|e| format!("the upstream's answer: {e}"))?;
        if resp.envelope.request_id != id {
            return Err("the upstream answered another request".into());
        }
        match (resp.header.response_code, resp.body) {
            (rc::SUCCESS, ResponseBody::Resolution(r)) => Ok(UpstreamAnswer::Values(r.values)),
            (rc::VALUES_NOT_FOUND, _) => Ok(UpstreamAnswer::Values(Vec::new())),
            (rc::HANDLE_NOT_FOUND, _) => Ok(UpstreamAnswer::NotFound),
            (code, ResponseBody::Error { message }) => {
                Err(format!("the upstream answered {code}: {message}"))
            }
            (code, _) => Err(format!(
                "the upstream answered {code} (referrals are not followed)"
            )),
        }
    }

    async fn over_tcp_in_time(&self, raw: &[u8]) -> Result<Vec<u8>, String> {
        tokio::time::timeout(self.timeout, self.over_tcp(raw))
            .await
            .map_err(|_| format!("the upstream {} did not answer in time", self.addr))?
            .map_err(|e| format!("the upstream {}: {e}", self.addr))
    }

    async fn over_udp(&self, raw: &[u8], id: u32) -> std::io::Result<Vec<u8>> {
        let local: SocketAddr = if self.addr.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(local).await?;
        socket.connect(self.addr).await?;
        socket.send(raw).await?;
        let mut buf = vec![0u8; 65_536];
        let mut whole: Option<UdpReassembly> = None;
        loop {
            let n = socket.recv(&mut buf).await?;
            let d = &buf[..n];
            // Datagrams of other requests (late answers) are passed over.
            match Envelope::decode(d) {
                Ok(e) if e.request_id == id => {}
                _ => continue,
            }
            let r = match &mut whole {
                Some(r) => r,
                None => whole.insert(UdpReassembly::new(d).map_err(invalid)?),
            };
            if let Some(message) = r.push(d).map_err(invalid)? {
                return Ok(message);
            }
        }
    }

    async fn over_tcp(&self, raw: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut s = TcpStream::connect(self.addr).await?;
        let _ = s.set_nodelay(true);
        s.write_all(raw).await?;
        let mut env = [0u8; ENVELOPE_LEN];
        s.read_exact(&mut env).await?;
        let e = Envelope::decode(&env).map_err(invalid)?;
        if e.message_length > MAX_MESSAGE_LENGTH {
            return Err(invalid("the answer is too long"));
        }
        let mut whole = env.to_vec();
        whole.resize(ENVELOPE_LEN + e.message_length as usize, 0);
        s.read_exact(&mut whole[ENVELOPE_LEN..]).await?;
        Ok(whole)
    }
}

fn invalid(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())
}

/// A request id to start from that differs between processes.
fn rand_id() -> u32 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::process::id()) as u32
}
