//! Listeners, TLS, the background sweeper, and the handle the platform holds.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ironloom_tls::ServerTls;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use crate::config::MqttConfig;
use crate::connection;
use crate::hooks::{DisconnectCause, ListenerKind, MqttHooks};
use crate::router::{Message, PublishReport, Routed, Router};
use crate::session::Sessions;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("invalid MQTT configuration: {0}")]
    Config(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("MQTT over TLS: {0}")]
    Tls(#[from] ironloom_tls::TlsError),
}

/// Counters for the API and `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerStats {
    pub connections: usize,
    pub sessions: usize,
    pub namespaces: usize,
    pub received: u64,
    pub sent: u64,
    pub dropped: u64,
    pub malformed: u64,
    pub refused: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub connections: AtomicUsize,
    pub received: AtomicU64,
    pub sent: AtomicU64,
    pub dropped: AtomicU64,
    pub malformed: AtomicU64,
    pub refused: AtomicU64,
}

pub(crate) struct Shared<H: MqttHooks> {
    pub config: MqttConfig,
    pub hooks: Arc<H>,
    pub router: Router,
    pub sessions: Sessions,
    pub counters: Counters,
    pub shutdown: CancellationToken,
    pub tasks: TaskTracker,
    /// Being drained: new connections are sent elsewhere.
    pub draining: std::sync::atomic::AtomicBool,
    pub tcp_addr: Option<SocketAddr>,
    pub tls_addr: Option<SocketAddr>,
    pub tls: Option<Arc<ServerTls>>,
    /// Taken by [`MqttServer::run`].
    pub listeners: Mutex<Option<Listeners>>,
}

impl<H: MqttHooks> std::fmt::Debug for Shared<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

type Listeners = (Option<TcpListener>, Option<TcpListener>);

/// The MQTT server. Cheap to clone (one pointer: every device's downlink holds one);
/// every clone is the same server.
pub struct MqttServer<H: MqttHooks> {
    shared: Arc<Shared<H>>,
}

impl<H: MqttHooks> Clone for MqttServer<H> {
    fn clone(&self) -> Self {
        MqttServer {
            shared: self.shared.clone(),
        }
    }
}

impl<H: MqttHooks> std::fmt::Debug for MqttServer<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttServer")
            .field("tcp", &self.shared.tcp_addr)
            .field("tls", &self.shared.tls_addr)
            .finish_non_exhaustive()
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, ServerError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })
}

impl<H: MqttHooks> MqttServer<H> {
    /// Binds the configured listeners (port 0 picks a free port); call [`MqttServer::run`]
    /// to serve them.
    pub async fn bind(config: MqttConfig, hooks: Arc<H>) -> Result<MqttServer<H>, ServerError> {
        config.validate().map_err(|e| ServerError::Config(e.0))?;
        let tcp = match config.addr.0 {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        let (tls, tls_listener) = match config.tls.addr.0 {
            Some(addr) => {
                let tls = ServerTls::load("mqtt", &config.tls)?;
                (Some(tls), Some(bind(addr).await?))
            }
            None => (None, None),
        };
        let tcp_addr = tcp.as_ref().and_then(|l| l.local_addr().ok());
        let tls_addr = tls_listener.as_ref().and_then(|l| l.local_addr().ok());
        let shared = Arc::new(Shared {
            router: Router::new(config.rate_limit, config.max_retained),
            config,
            hooks,
            sessions: Sessions::new(),
            counters: Counters::default(),
            shutdown: CancellationToken::new(),
            tasks: TaskTracker::new(),
            draining: std::sync::atomic::AtomicBool::new(false),
            tcp_addr,
            tls_addr,
            tls,
            listeners: Mutex::new(Some((tcp, tls_listener))),
        });
        Ok(MqttServer { shared })
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.shared.tcp_addr
    }

    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.shared.tls_addr
    }

    /// The TLS listener's certificate and its reloads (the platform reloads on SIGHUP).
    pub fn tls(&self) -> Option<&Arc<ServerTls>> {
        self.shared.tls.as_ref()
    }

    /// Serves until `shutdown` is cancelled, then tells every client the server is going
    /// away and waits (at most `grace`) for the connections to finish.
    pub async fn run(&self, shutdown: CancellationToken, grace: Duration) {
        let listeners = self
            .shared
            .listeners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let Some((tcp, tls)) = listeners else {
            warn!("MQTT server run twice; ignoring the second call");
            return;
        };
        let shared = &self.shared;
        if let Some(l) = tcp {
            info!(addr = ?l.local_addr().ok(), "MQTT listening (TCP)");
            let s = self.clone();
            shared
                .tasks
                .spawn(async move { s.accept_loop(l, None).await });
        }
        if let (Some(l), Some(tls)) = (tls, self.shared.tls.clone()) {
            info!(addr = ?l.local_addr().ok(), certificate = %tls.fingerprint(), "MQTT listening (TLS)");
            let s = self.clone();
            let t = tls.clone();
            shared
                .tasks
                .spawn(async move { s.accept_loop(l, Some(t)).await });
            shared.tasks.spawn(tls.watch(shared.shutdown.clone()));
        }
        let s = self.clone();
        shared.tasks.spawn(async move { s.sweep_loop().await });
        shutdown.cancelled().await;
        shared.shutdown.cancel();
        // Connections do not wait on the token (each would hold a wait in its task): they
        // look at it when woken.
        shared.sessions.wake_all();
        shared.tasks.close();
        if tokio::time::timeout(grace, shared.tasks.wait())
            .await
            .is_err()
        {
            warn!(
                connections = shared.counters.connections.load(Ordering::Relaxed),
                "MQTT connections still open after the shutdown grace period"
            );
        }
    }

    async fn accept_loop(&self, listener: TcpListener, tls: Option<Arc<ServerTls>>) {
        let shared = &self.shared;
        loop {
            let accepted = tokio::select! {
                _ = shared.shutdown.cancelled() => return,
                r = listener.accept() => r,
            };
            match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    match &tls {
                        None => {
                            // The connection's own future, without a wrapper: what a
                            // wrapper captures (the server, the stream) stays in the task
                            // beside the copies moved into the future.
                            let task =
                                connection::serve(shared.clone(), stream, peer, ListenerKind::Tcp);
                            shared.tasks.spawn(task);
                        }
                        Some(tls) => {
                            let s = self.clone();
                            let tls = tls.clone();
                            shared
                                .tasks
                                .spawn(async move { s.serve_tls(&tls, stream, peer).await });
                        }
                    }
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    warn!(error = %e, "MQTT accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    async fn serve_tls(&self, tls: &ServerTls, stream: TcpStream, peer: SocketAddr) {
        match tls
            .handshake(stream, self.shared.config.connect_timeout)
            .await
        {
            Ok((stream, client_cert)) => {
                self.serve_stream(stream, peer, ListenerKind::Tls { client_cert })
                    .await
            }
            Err(e) => debug!(%peer, error = %e, "MQTT TLS handshake did not complete"),
        }
    }

    /// Serves one client over any byte stream (the WebSocket endpoint uses this).
    pub async fn serve_stream<S>(&self, stream: S, peer: SocketAddr, kind: ListenerKind)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let shared = &self.shared;
        shared
            .tasks
            .track_future(connection::serve(shared.clone(), stream, peer, kind))
            .await;
    }

    async fn sweep_loop(&self) {
        let shared = &self.shared;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = shared.shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            for s in shared.sessions.expire(Instant::now()) {
                shared.router.remove_session(&s);
            }
        }
    }

    /// Publishes a message into a namespace (commands, attribute updates, replies).
    pub fn publish(&self, namespace: &str, msg: Message) -> PublishReport {
        let shared = &self.shared;
        let routed = Arc::new(Routed {
            msg,
            at: Instant::now(),
            origin: 0,
        });
        let ns: Arc<str> = namespace.into();
        shared.router.retain(&ns, &routed);
        let report = shared
            .router
            .route(namespace, &routed, shared.config.max_queued);
        shared
            .counters
            .dropped
            .fetch_add(report.dropped as u64, Ordering::Relaxed);
        report
    }

    /// Disconnects every client of a namespace and ends their sessions (a device was
    /// deleted or its credentials changed).
    pub fn kick(&self, namespace: &str) -> usize {
        let gone = self
            .shared
            .sessions
            .kick_namespace(namespace, DisconnectCause::Kicked);
        for s in &gone {
            self.shared.router.remove_session(s);
        }
        gone.len()
    }

    /// Drains the server for a rolling upgrade: new connections are refused ("use another
    /// server"), and the connected clients are told to connect elsewhere, `per_second`
    /// of them a second, so the other servers take them over gradually. Returns at once;
    /// [`draining`](MqttServer::draining) says it was asked.
    pub fn drain(&self, per_second: u32) {
        if self.shared.draining.swap(true, Ordering::Relaxed) {
            return;
        }
        info!(per_second, "MQTT server draining");
        let s = self.clone();
        let step = (per_second / 10).max(1) as usize;
        self.shared.tasks.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            // Done after a second with no client left (one may have been connecting when
            // the drain began).
            let mut quiet = 0;
            while quiet < 10 {
                tokio::select! {
                    _ = s.shared.shutdown.cancelled() => return,
                    _ = tick.tick() => {}
                }
                let gone = s.shared.sessions.kick_some(step, DisconnectCause::Drained);
                for session in &gone {
                    s.shared.router.remove_session(session);
                }
                quiet = if gone.is_empty() { quiet + 1 } else { 0 };
            }
            info!("MQTT server drained");
        });
    }

    /// Whether the server is being drained.
    pub fn draining(&self) -> bool {
        self.shared.draining.load(Ordering::Relaxed)
    }

    /// Disconnects one client of a namespace as a takeover does (MQTT 5: reason "session
    /// taken over") and ends its session: the same client connected to another node at
    /// `at` (a session taken here since then is newer and stays).
    pub fn take_over(&self, namespace: &str, client_id: &str, at: std::time::SystemTime) -> bool {
        let gone =
            self.shared
                .sessions
                .kick_client(namespace, client_id, at, DisconnectCause::TakenOver);
        if let Some(s) = &gone {
            self.shared.router.remove_session(s);
        }
        gone.is_some()
    }

    /// Whether a client of the namespace is connected.
    pub fn online(&self, namespace: &str) -> bool {
        self.shared.sessions.online(namespace)
    }

    pub fn stats(&self) -> ServerStats {
        let c = &self.shared.counters;
        ServerStats {
            connections: c.connections.load(Ordering::Relaxed),
            sessions: self.shared.sessions.count(),
            namespaces: self.shared.router.namespaces(),
            received: c.received.load(Ordering::Relaxed),
            sent: c.sent.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            malformed: c.malformed.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
        }
    }
}
