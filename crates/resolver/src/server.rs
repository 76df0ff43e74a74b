//! The Handle protocol's listeners: resolution requests over UDP and TCP, answered
//! through the [`Resolver`]. UDP answers larger than one datagram are split into CNRI's
//! 492-byte pieces; TCP connections carry one request after another until the client
//! closes or stays idle. A UDP request whose answer is in the cache is answered on the
//! receiving task; the others each get a task of their own (bounded in number).

use crate::resolve::{ResolveError, Resolved, Resolver};
use ironloom_identifiers::proto::{
    self, ENVELOPE_LEN, Envelope, MAX_MESSAGE_LENGTH, Request, RequestBody, RequestDigest,
    ResolutionRequest, Response, flag, rc,
};
use ironloom_identifiers::{Handle, HandleValue};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio_util::sync::CancellationToken;

use crate::HandleConfig;

/// Answers Handle protocol messages.
#[derive(Debug)]
pub struct HandleService {
    resolver: Arc<Resolver>,
}

/// A request understood, and what it needs next.
enum Step {
    /// The answer is ready.
    Done(Vec<u8>),
    /// A resolution that needs the store or the upstream service.
    Resolve {
        req: Request,
        handle: Handle,
        digest: Option<RequestDigest>,
    },
}

impl HandleService {
    pub fn new(resolver: Arc<Resolver>) -> Self {
        HandleService { resolver }
    }

    /// The answer to one request message (envelope included); `None` when it is not a
    /// Handle message at all (nothing to answer to).
    pub async fn answer(&self, raw: &[u8]) -> Option<Vec<u8>> {
        match self.start(raw)? {
            Step::Done(a) => Some(a),
            Step::Resolve {
                req,
                handle,
                digest,
            } => Some(self.finish(&req, &handle, digest).await),
        }
    }

    /// Decodes a request and answers it when that needs neither the store nor the
    /// upstream service (errors, cache hits).
    fn start(&self, raw: &[u8]) -> Option<Step> {
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
        let r = match &req.body {
            RequestBody::Other(_) => {
                return Some(Step::Done(proto::encode_response(&Response::error(
                    &req,
                    rc::OPERATION_NOT_SUPPORTED,
                    "only resolution is served here; register over the HTTP API",
                    digest,
                ))));
            }
            RequestBody::Resolution(r) => r,
        };
        let handle = match Handle::parse(&r.handle) {
            Ok(h) => h,
            Err(_) => {
                return Some(Step::Done(proto::encode_response(&Response::error(
                    &req,
                    rc::INVALID_HANDLE,
                    "invalid handle",
                    digest,
                ))));
            }
        };
        match self.resolver.resolve_cached(&handle) {
            Some(hit) => Some(Step::Done(respond(&req, r, &hit, digest))),
            None => Some(Step::Resolve {
                req,
                handle,
                digest,
            }),
        }
    }

    async fn finish(
        &self,
        req: &Request,
        handle: &Handle,
        digest: Option<RequestDigest>,
    ) -> Vec<u8> {
        let RequestBody::Resolution(r) = &req.body else {
            return Vec::new();
        };
        let resp = match self
            .resolver
            .resolve(handle, req.header.recursion_count)
            .await
        {
            Ok(answer) => return respond(req, r, &answer, digest),
            Err(ResolveError::TooManyHops) => Response::error(
                req,
                rc::RECURSION_COUNT_TOO_HIGH,
                "recursion count too high",
                digest,
            ),
            Err(e) => {
                tracing::warn!(error = %e, "handle: resolution failed");
                Response::error(req, rc::ERROR, &e.to_string(), digest)
            }
        };
        proto::encode_response(&resp)
    }
}

/// The encoded answer to a resolution request.
fn respond(
    req: &Request,
    r: &ResolutionRequest,
    answer: &Resolved,
    digest: Option<RequestDigest>,
) -> Vec<u8> {
    let resp = match answer {
        Resolved::NotFound => {
            Response::error(req, rc::HANDLE_NOT_FOUND, "handle not found", digest)
        }
        // Every value asked for: the cached encoding as it is.
        found if r.indexes.is_empty() && r.types.is_empty() && !found.encoded().is_empty() => {
            return proto::encode_resolution(req, digest, &r.handle, found.encoded());
        }
        found => {
            let picked: Vec<HandleValue> =
                proto::select_values(r, found.values()).cloned().collect();
            if picked.is_empty() {
                Response::error(req, rc::VALUES_NOT_FOUND, "values not found", digest)
            } else {
                Response::resolution(req, digest, &r.handle, picked)
            }
        }
    };
    proto::encode_response(&resp)
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
        // One receiving loop per core on the one socket: a cached answer is made on the
        // loop that received the request.
        let udp_limit = Arc::new(tokio::sync::Semaphore::new(in_flight));
        let loops = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 8));
        let udp_tasks: Vec<_> = (0..loops)
            .map(|_| {
                tokio::spawn(serve_udp(
                    udp.clone(),
                    service.clone(),
                    udp_limit.clone(),
                    shutdown.clone(),
                ))
            })
            .collect();
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
        for t in udp_tasks {
            let _ = t.await;
        }
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
        // Answered from the cache (or refused) here, without a task of its own.
        let (req, handle, digest) = match service.start(&buf[..n]) {
            None => continue,
            Some(Step::Done(answer)) => {
                send_udp(&socket, &answer, peer).await;
                continue;
            }
            Some(Step::Resolve {
                req,
                handle,
                digest,
            }) => (req, handle, digest),
        };
        // More requests in flight than allowed: this one is dropped (UDP clients retry).
        let Ok(permit) = limit.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "handle: too many UDP requests in flight, dropped");
            continue;
        };
        let (socket, service) = (socket.clone(), service.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let answer = service.finish(&req, &handle, digest).await;
            send_udp(&socket, &answer, peer).await;
        });
    }
}

/// Sends an answer in as many datagrams as it takes.
async fn send_udp(socket: &UdpSocket, answer: &[u8], peer: SocketAddr) {
    for d in proto::udp_datagrams(answer) {
        if let Err(e) = socket.send_to(&d, peer).await {
            tracing::debug!(%peer, error = %e, "handle: UDP send failed");
            return;
        }
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
