//! The Handle protocol's listeners: resolution requests over UDP and TCP, answered
//! through the [`Resolver`]. UDP answers larger than one datagram are split into CNRI's
//! 492-byte pieces; TCP connections carry one request after another until the client
//! closes or stays idle. UDP requests are received by a thread per core, each answering
//! from the cache or through a reader of the store of its own; what needs the upstream
//! service gets a task of its own (bounded in number).

use crate::resolve::{ResolveError, Resolved, Resolver};
use ironloom_core::repo::IdentifierReader;
use ironloom_identifiers::proto::{
    self, ENVELOPE_LEN, Envelope, MAX_MESSAGE_LENGTH, Request, RequestBody, RequestDigest,
    ResolutionRequest, Response, flag, rc,
};
use ironloom_identifiers::{Handle, HandleValue};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::HandleConfig;
use crate::udp::Datagrams;

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
        let answer = self
            .resolver
            .resolve(handle, req.header.recursion_count)
            .await;
        answer_of(req, r, answer, digest)
    }

    /// [`HandleService::finish`] on this thread through `reader`; `None` when the
    /// upstream service is to be asked.
    fn finish_here(
        &self,
        req: &Request,
        handle: &Handle,
        digest: Option<RequestDigest>,
        reader: &mut dyn IdentifierReader,
    ) -> Option<Vec<u8>> {
        let RequestBody::Resolution(r) = &req.body else {
            return Some(Vec::new());
        };
        let answer = self.resolver.resolve_here(handle, reader).transpose()?;
        Some(answer_of(req, r, answer, digest))
    }
}

/// The encoded answer to a resolution, or the error it came to.
fn answer_of(
    req: &Request,
    r: &ResolutionRequest,
    answer: Result<Arc<Resolved>, ResolveError>,
    digest: Option<RequestDigest>,
) -> Vec<u8> {
    let resp = match answer {
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
    let udp = std::net::UdpSocket::bind(SocketAddr::new(addr.ip(), tcp_addr.port()))?;
    // Woken this often to see whether the service stops.
    udp.set_read_timeout(Some(Duration::from_millis(200)))?;
    let udp_addr = udp.local_addr()?;
    let bound = Bound {
        tcp: tcp_addr,
        udp: udp_addr,
    };
    let idle = config.idle_timeout.0;
    let limit = Arc::new(tokio::sync::Semaphore::new(config.max_connections.max(1)));
    let in_flight = config.max_udp_in_flight.max(1);
    // One receiving thread per core on the one socket, each with its own reader of the
    // store: a request is answered on the thread that received it, from the cache or
    // the store; only what goes upstream (or a store without such readers) becomes a
    // task on the runtime.
    let udp = Arc::new(udp);
    let udp_limit = Arc::new(tokio::sync::Semaphore::new(in_flight));
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
    let runtime = tokio::runtime::Handle::current();
    let mut udp_threads = Vec::with_capacity(threads);
    for i in 0..threads {
        let udp = UdpLoop {
            socket: udp.clone(),
            service: service.clone(),
            runtime: runtime.clone(),
            limit: udp_limit.clone(),
            shutdown: shutdown.clone(),
        };
        udp_threads.push(
            std::thread::Builder::new()
                .name(format!("handle-udp-{i}"))
                .spawn(move || udp.run())?,
        );
    }
    let task = tokio::spawn(async move {
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
        let _ = tokio::task::spawn_blocking(move || {
            for t in udp_threads {
                let _ = t.join();
            }
        })
        .await;
    });
    Ok(Some((bound, task)))
}

/// One thread receiving Handle requests over UDP.
struct UdpLoop {
    socket: Arc<std::net::UdpSocket>,
    service: Arc<HandleService>,
    runtime: tokio::runtime::Handle,
    limit: Arc<tokio::sync::Semaphore>,
    shutdown: CancellationToken,
}

impl UdpLoop {
    fn run(self) {
        let mut reader = match self.service.resolver.reader() {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "handle: no reader of its own; resolving through the store's queries");
                None
            }
        };
        let mut io = Datagrams::new();
        while !self.shutdown.is_cancelled() {
            let n = match io.receive(&self.socket) {
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    continue;
                }
                Err(e) => {
                    tracing::debug!(error = %e, "handle: UDP receive failed");
                    continue;
                }
            };
            for k in 0..n {
                let (step, peer) = {
                    let (d, peer) = io.datagram(k);
                    (self.service.start(d), peer)
                };
                let (req, handle, digest) = match step {
                    None => continue,
                    Some(Step::Done(answer)) => {
                        io.answer(&self.socket, &answer, peer);
                        continue;
                    }
                    Some(Step::Resolve {
                        req,
                        handle,
                        digest,
                    }) => (req, handle, digest),
                };
                if let Some(reader) = reader.as_deref_mut()
                    && let Some(answer) =
                        self.service
                            .finish_here(&req, &handle, digest.clone(), reader)
                {
                    io.answer(&self.socket, &answer, peer);
                    continue;
                }
                self.spawn(req, handle, digest, peer);
            }
            io.flush(&self.socket);
        }
    }

    /// Resolves on the runtime (upstream, or a store without per-thread readers).
    fn spawn(&self, req: Request, handle: Handle, digest: Option<RequestDigest>, peer: SocketAddr) {
        // More requests in flight than allowed: this one is dropped (UDP clients retry).
        let Ok(permit) = self.limit.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "handle: too many UDP requests in flight, dropped");
            return;
        };
        let (socket, service) = (self.socket.clone(), self.service.clone());
        self.runtime.spawn(async move {
            let _permit = permit;
            let answer = service.finish(&req, &handle, digest).await;
            send_udp(&socket, &answer, peer);
        });
    }
}

/// Sends an answer in as many datagrams as it takes (a UDP send does not wait for the
/// peer, so this is fine on the runtime too).
fn send_udp(socket: &std::net::UdpSocket, answer: &[u8], peer: SocketAddr) {
    for d in proto::udp_datagrams(answer) {
        if let Err(e) = socket.send_to(&d, peer) {
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
