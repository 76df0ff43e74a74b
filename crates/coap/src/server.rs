//! The server task: one UDP socket, one [`Engine`], handler calls in a `JoinSet`, one small
//! forwarding task per observation. All protocol state lives in the engine and is touched
//! only by this task, so there are no locks.

use crate::config::CoapConfig;
use crate::engine::{Action, CallId, CallOutcome, Engine, ObsId};
use crate::error::CoapError;
use crate::handler::{CoapHandler, CoapResponse};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::{Id, JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// A bound CoAP server; [`CoapServer::run`] serves until the shutdown token is cancelled.
pub struct CoapServer {
    socket: UdpSocket,
    local_addr: SocketAddr,
    config: CoapConfig,
    handler: Arc<dyn CoapHandler>,
}

impl std::fmt::Debug for CoapServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoapServer")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

/// What an observation's forwarding task reports.
enum ObsEvent {
    Update {
        id: ObsId,
        response: CoapResponse,
        ready: oneshot::Sender<()>,
    },
    Closed(ObsId),
}

impl CoapServer {
    /// Checks the configuration and binds the socket.
    pub async fn bind(
        config: CoapConfig,
        handler: Arc<dyn CoapHandler>,
    ) -> Result<CoapServer, CoapError> {
        config.validate()?;
        let addr = config.addr.0.ok_or_else(|| {
            CoapError::InvalidConfig("coap.addr is empty: there is nothing to listen on".into())
        })?;
        let socket = UdpSocket::bind(addr)
            .await
            .map_err(|source| CoapError::Bind { addr, source })?;
        let local_addr = socket
            .local_addr()
            .map_err(|source| CoapError::Bind { addr, source })?;
        Ok(CoapServer {
            socket,
            local_addr,
            config,
            handler,
        })
    }

    /// The address the socket is bound to (with the port chosen when the config said 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` is cancelled; then stops reading, waits up to
    /// `shutdown_grace` for handler calls in flight and sends their answers, and ends every
    /// observation.
    pub async fn run(self, shutdown: CancellationToken) {
        let CoapServer {
            socket,
            local_addr,
            config,
            handler,
        } = self;
        info!(addr = %local_addr, "coap server listening");
        let mut task = ServerTask {
            engine: Engine::new(config.clone(), Instant::now()),
            socket,
            handler,
            handler_timeout: config.handler_timeout.0,
            calls: JoinSet::new(),
            call_ids: HashMap::new(),
            watchers: JoinSet::new(),
            watch_tokens: HashMap::new(),
            events: mpsc::channel(256),
            shutdown: shutdown.clone(),
        };
        // One byte more than the limit, to tell a too-large datagram from one that fits.
        let mut buf = vec![0u8; config.max_message_size.0 + 1];
        loop {
            let deadline = tokio::time::Instant::from_std(task.engine.next_deadline());
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                Some(done) = task.calls.join_next_with_id(), if !task.calls.is_empty() => {
                    task.call_done(done);
                }
                Some(event) = task.events.1.recv() => task.observer_event(event),
                Some(_) = task.watchers.join_next(), if !task.watchers.is_empty() => {}
                _ = tokio::time::sleep_until(deadline) => task.engine.on_timer(Instant::now()),
                received = task.socket.recv_from(&mut buf) => match received {
                    Ok((n, peer)) => task.engine.on_datagram(Instant::now(), peer, &buf[..n]),
                    // Nothing a peer can cause (Linux reports no ICMP errors on an
                    // unconnected socket); keep serving.
                    Err(e) => warn!(error = %e, "coap socket receive failed"),
                },
            }
            task.act().await;
        }

        debug!(
            calls = task.engine.calls_in_flight(),
            "coap server shutting down"
        );
        let grace = tokio::time::sleep(config.shutdown_grace.0);
        tokio::pin!(grace);
        while !task.calls.is_empty() {
            tokio::select! {
                _ = &mut grace => break,
                Some(done) = task.calls.join_next_with_id() => task.call_done(done),
            }
            task.act().await;
        }
        task.calls.abort_all();
        task.engine.shutdown();
        task.act().await;
        task.watchers.abort_all();
        info!(addr = %local_addr, "coap server stopped");
    }
}

struct ServerTask {
    engine: Engine,
    socket: UdpSocket,
    handler: Arc<dyn CoapHandler>,
    handler_timeout: std::time::Duration,
    calls: JoinSet<Result<crate::handler::CoapReply, tokio::time::error::Elapsed>>,
    call_ids: HashMap<Id, CallId>,
    watchers: JoinSet<()>,
    watch_tokens: HashMap<ObsId, CancellationToken>,
    events: (mpsc::Sender<ObsEvent>, mpsc::Receiver<ObsEvent>),
    shutdown: CancellationToken,
}

type CallResult = Result<
    (
        Id,
        Result<crate::handler::CoapReply, tokio::time::error::Elapsed>,
    ),
    tokio::task::JoinError,
>;

impl ServerTask {
    fn call_done(&mut self, done: CallResult) {
        let (task, outcome) = match done {
            Ok((task, Ok(reply))) => (task, CallOutcome::Reply(reply)),
            Ok((task, Err(_))) => (task, CallOutcome::TimedOut),
            Err(e) => {
                if e.is_panic() {
                    warn!("coap handler panicked");
                }
                (e.id(), CallOutcome::Panicked)
            }
        };
        if let Some(id) = self.call_ids.remove(&task) {
            self.engine.on_call_done(Instant::now(), id, outcome);
        }
    }

    fn observer_event(&mut self, event: ObsEvent) {
        match event {
            ObsEvent::Update {
                id,
                response,
                ready,
            } => self.engine.on_update(Instant::now(), id, response, ready),
            ObsEvent::Closed(id) => self.engine.on_updates_closed(id),
        }
    }

    /// Carries out what the engine asked for.
    async fn act(&mut self) {
        for action in self.engine.take_actions() {
            match action {
                Action::Send { to, bytes } => {
                    if let Err(e) = self.socket.send_to(&bytes, to).await {
                        debug!(peer = %to, error = %e, "coap send failed");
                    }
                }
                Action::Call { id, request } => {
                    let handler = self.handler.clone();
                    let timeout = self.handler_timeout;
                    let abort = self.calls.spawn(async move {
                        tokio::time::timeout(timeout, handler.handle(request)).await
                    });
                    self.call_ids.insert(abort.id(), id);
                }
                Action::Watch { id, updates } => {
                    let cancel = self.shutdown.child_token();
                    self.watch_tokens.insert(id, cancel.clone());
                    self.watchers
                        .spawn(forward(id, updates, self.events.0.clone(), cancel));
                }
                Action::Unwatch { id } => {
                    if let Some(t) = self.watch_tokens.remove(&id) {
                        t.cancel();
                    }
                }
                Action::ObserverGone {
                    observation,
                    reason,
                } => self.handler.observer_gone(&observation, reason),
            }
        }
    }
}

/// Reads an observation's updates one at a time: the next only after the engine fired the
/// previous one's `ready` (its notification was acknowledged).
async fn forward(
    id: ObsId,
    mut updates: mpsc::Receiver<CoapResponse>,
    events: mpsc::Sender<ObsEvent>,
    cancel: CancellationToken,
) {
    loop {
        let next = tokio::select! {
            _ = cancel.cancelled() => return,
            next = updates.recv() => next,
        };
        let Some(response) = next else {
            let _ = events.send(ObsEvent::Closed(id)).await;
            return;
        };
        let (ready, acked) = oneshot::channel();
        let update = ObsEvent::Update {
            id,
            response,
            ready,
        };
        if events.send(update).await.is_err() {
            return;
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            r = acked => if r.is_err() { return },
        }
    }
}
