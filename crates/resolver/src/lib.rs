//! The resolution service of identifier resolution (标识解析) over the native Handle
//! protocol (RFC 3652): resolution requests over UDP and TCP (port 2641 by default),
//! answered from the platform's identifiers with their public values, as Handle.Net
//! clients and secondary-node resolvers expect. Other operations are answered
//! `OPERATION_NOT_SUPPORTED`; registration goes through the HTTP API.
//!
//! UDP answers larger than one datagram are split into CNRI's 492-byte pieces; TCP
//! connections carry one request after another until the client closes or stays idle.

use ironloom_core::identifier::ResolutionCount;
use ironloom_core::ids::TenantId;
use ironloom_core::repo::IdentifierRepo;
use ironloom_core::units::ListenAddr;
use ironloom_identifiers::proto::{
    self, ENVELOPE_LEN, Envelope, MAX_MESSAGE_LENGTH, RequestBody, RequestDigest, Response, flag,
    rc,
};
use ironloom_identifiers::{Handle, HandleValue};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio_util::sync::CancellationToken;

/// Where the Handle protocol is served.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HandleConfig {
    /// TCP and UDP address (the same port for both; 2641, the protocol's own, by
    /// default); empty: not served. Port 0 picks a free port (tests).
    pub addr: ListenAddr,
    /// How long an idle TCP connection stays open.
    pub idle_timeout: ironloom_core::units::Duration,
    /// Most TCP connections at once.
    pub max_connections: usize,
    /// Most UDP requests being answered at once; more are dropped (clients retry).
    pub max_udp_in_flight: usize,
}

impl Default for HandleConfig {
    fn default() -> Self {
        HandleConfig {
            addr: ListenAddr::on(SocketAddr::from(([0, 0, 0, 0], 2641))),
            idle_timeout: ironloom_core::units::Duration(Duration::from_secs(30)),
            max_connections: 1024,
            max_udp_in_flight: 4096,
        }
    }
}

/// Resolutions answered, per identifier and month, not stored yet (by the REST API and
/// the Handle protocol alike).
#[derive(Debug, Default)]
pub struct ResolutionMeter {
    /// (month, handle) → (owner, prefix, count).
    pending: Mutex<HashMap<MonthHandle, Counted>>,
}

type MonthHandle = (String, String);
type Counted = (TenantId, String, u64);

impl ResolutionMeter {
    /// Counts one resolution of an identifier of `tenant`.
    pub fn record(&self, tenant: TenantId, prefix: &str, handle: &str) {
        let month = ironloom_core::developer_stats::month_of(chrono::Utc::now());
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        p.entry((month, handle.to_string()))
            .or_insert_with(|| (tenant, prefix.to_string(), 0))
            .2 += 1;
    }

    /// Stores the counts (put back when the write fails, for the next time).
    pub async fn flush(&self, store: &dyn IdentifierRepo) -> ironloom_core::error::Result<()> {
        let rows: Vec<ResolutionCount> = {
            let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            p.drain()
                .map(
                    |((month, handle), (tenant_id, prefix, count))| ResolutionCount {
                        month,
                        handle,
                        tenant_id,
                        prefix,
                        count,
                    },
                )
                .collect()
        };
        if let Err(e) = store.add_resolutions(&rows).await {
            let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            for r in rows {
                p.entry((r.month, r.handle))
                    .or_insert_with(|| (r.tenant_id, r.prefix, 0))
                    .2 += r.count;
            }
            return Err(e);
        }
        Ok(())
    }
}

/// Answers resolution requests from the identifiers store.
pub struct HandleService {
    store: Arc<dyn IdentifierRepo>,
    meter: Arc<ResolutionMeter>,
}

impl std::fmt::Debug for HandleService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandleService").finish_non_exhaustive()
    }
}

impl HandleService {
    pub fn new(store: Arc<dyn IdentifierRepo>, meter: Arc<ResolutionMeter>) -> Self {
        HandleService { store, meter }
    }

    /// The answer to one request message (envelope included); `None` when it is not a
    /// Handle message at all (nothing to answer to).
    pub async fn answer(&self, raw: &[u8]) -> Option<Vec<u8>> {
        let req = match proto::decode_request(raw) {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(error = %e, "handle: undecodable request");
                return None;
            }
        };
        let digest = if req.header.op_flags & flag::RRDG != 0 {
            RequestDigest::of_request(raw, proto::VERSION).ok()
        } else {
            None
        };
        let resp = match &req.body {
            RequestBody::Other(_) => Response::error(
                &req,
                rc::OPERATION_NOT_SUPPORTED,
                "only resolution is served here; register over the HTTP API",
                digest,
            ),
            RequestBody::Resolution(r) => match Handle::parse(&r.handle) {
                Err(_) => Response::error(&req, rc::INVALID_HANDLE, "invalid handle", digest),
                Ok(h) => match self.store.get_identifier(&h.canonical()).await {
                    Err(e) => {
                        tracing::warn!(error = %e, "handle: the store did not answer");
                        Response::error(&req, rc::ERROR, "the store did not answer", digest)
                    }
                    Ok(None) => {
                        Response::error(&req, rc::HANDLE_NOT_FOUND, "handle not found", digest)
                    }
                    Ok(Some(record)) => {
                        self.meter
                            .record(record.tenant_id, &record.prefix, &record.handle);
                        let public: Vec<HandleValue> = record
                            .values
                            .into_iter()
                            .filter(|v| v.permissions.public_read)
                            .collect();
                        let picked: Vec<HandleValue> =
                            proto::select_values(r, &public).cloned().collect();
                        if picked.is_empty() {
                            Response::error(&req, rc::VALUES_NOT_FOUND, "values not found", digest)
                        } else {
                            Response::resolution(&req, digest, &r.handle, picked)
                        }
                    }
                },
            },
        };
        Some(proto::encode_response(&resp))
    }
}

/// The addresses the service listens on.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    pub tcp: SocketAddr,
    pub udp: SocketAddr,
}

/// Binds TCP and UDP on the configured address (UDP on the port TCP got when it was 0)
/// and serves until `shutdown`. `Ok(None)` when no address is configured.
pub async fn start(
    config: &HandleConfig,
    service: Arc<HandleService>,
    shutdown: CancellationToken,
) -> std::io::Result<Option<(Bound, tokio::task::JoinHandle<()>)>> {
    let Some(addr) = config.addr.0 else {
        return Ok(None);
    };
    let tcp = TcpListener::bind(addr).await?;
    let tcp_addr = tcp.local_addr()?;
    let udp = UdpSocket::bind(SocketAddr::new(addr.ip(), tcp_addr.port())).await?;
    let udp_addr = udp.local_addr()?;
    let bound = Bound {
        tcp: tcp_addr,
        udp: udp_addr,
    };
    let idle = config.idle_timeout.0;
    let limit = Arc::new(tokio::sync::Semaphore::new(config.max_connections.max(1)));
    let in_flight = config.max_udp_in_flight.max(1);
    let task = tokio::spawn(async move {
        let udp = Arc::new(udp);
        let udp_task = tokio::spawn(serve_udp(
            udp,
            service.clone(),
            Arc::new(tokio::sync::Semaphore::new(in_flight)),
            shutdown.clone(),
        ));
        loop {
            let (stream, peer) = tokio::select! {
                r = tcp.accept() => match r {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!(error = %e, "handle: accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = shutdown.cancelled() => break,
            };
            let Ok(permit) = limit.clone().try_acquire_owned() else {
                tracing::warn!(%peer, "handle: too many connections, refused");
                continue;
            };
            let (service, shutdown) = (service.clone(), shutdown.clone());
            tokio::spawn(async move {
                let _permit = permit;
                if let Err(e) = serve_tcp(stream, &service, idle, shutdown).await {
                    tracing::debug!(%peer, error = %e, "handle: connection closed");
                }
            });
        }
        let _ = udp_task.await;
    });
    Ok(Some((bound, task)))
}

async fn serve_udp(
    socket: Arc<UdpSocket>,
    service: Arc<HandleService>,
    limit: Arc<tokio::sync::Semaphore>,
    shutdown: CancellationToken,
) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let (n, peer) = tokio::select! {
            r = socket.recv_from(&mut buf) => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::debug!(error = %e, "handle: UDP receive failed");
                    continue;
                }
            },
            () = shutdown.cancelled() => return,
        };
        // More requests in flight than allowed: this one is dropped (UDP clients retry).
        let Ok(permit) = limit.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "handle: too many UDP requests in flight, dropped");
            continue;
        };
        // A request in several datagrams is not expected for resolution; it is dropped.
        let raw = buf[..n].to_vec();
        let (socket, service) = (socket.clone(), service.clone());
        tokio::spawn(async move {
            let _permit = permit;
            if let Some(answer) = service.answer(&raw).await {
                for d in proto::udp_datagrams(&answer) {
                    if let Err(e) = socket.send_to(&d, peer).await {
                        tracing::debug!(%peer, error = %e, "handle: UDP send failed");
                        return;
                    }
                }
            }
        });
    }
}

async fn serve_tcp(
    mut stream: TcpStream,
    service: &HandleService,
    idle: Duration,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let _ = stream.set_nodelay(true);
    loop {
        let mut env = [0u8; ENVELOPE_LEN];
        let read = tokio::select! {
            r = tokio::time::timeout(idle, stream.read_exact(&mut env)) => r,
            () = shutdown.cancelled() => return Ok(()),
        };
        match read {
            Err(_) => return Ok(()),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Ok(r) => {
                r?;
            }
        }
        let Ok(e) = Envelope::decode(&env) else {
            return Ok(());
        };
        if e.message_length > MAX_MESSAGE_LENGTH {
            return Ok(());
        }
        let mut whole = Vec::with_capacity(ENVELOPE_LEN + e.message_length as usize);
        whole.extend_from_slice(&env);
        whole.resize(ENVELOPE_LEN + e.message_length as usize, 0);
        tokio::time::timeout(idle, stream.read_exact(&mut whole[ENVELOPE_LEN..]))
            .await
            .map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::TimedOut, "request cut short")
            })??;
        match service.answer(&whole).await {
            Some(answer) => stream.write_all(&answer).await?,
            None => return Ok(()),
        }
    }
}
