//! One task per network connection: CONNECT and authentication, then a loop that reads
//! packets, hands publishes to the platform in batches, and writes what the session has
//! queued.
//!
//! Publishes that arrive together are handled together: one hook call, then their
//! acknowledgements in the order the publishes came (MQTT §4.6). While the hook runs the
//! connection reads nothing more, which is the back-pressure on a fast client.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tracing::debug;

use crate::QoS;
use crate::codec::{
    self, ConnackCode, ConnackProps, ConnectPkt, DecodeError, Encoder, Incoming, ProtocolVersion,
    PublishPkt, ServerDisconnect, SubCode, WillPkt,
};
use crate::hooks::{
    AckReason, ConnectInfo, ConnectRefusal, DisconnectCause, Grant, InboundPublish, ListenerKind,
    MqttHooks, SubscribeRefusal,
};
use crate::router::{Message, Routed, min_qos};
use crate::server::Shared;
use crate::session::{Attached, Inflight, Session, SubOpts};
use crate::topic::{self, TopicError};

/// Most bytes one read takes while a connection is idle: read into the stack and copied
/// out, so that an idle connection keeps no read buffer (a read that fills it makes the
/// connection busy).
const IDLE_READ: usize = 1024;
/// Read buffer for a connection that is sending a lot.
const BUSY_READ: usize = 16 * 1024;
/// Bytes of outgoing packets gathered before they are written.
const WRITE_CHUNK: usize = 64 * 1024;
/// Longest client id accepted.
const MAX_CLIENT_ID: usize = 256;

/// The stream and its buffers. While the connection is idle both buffers are empty and
/// hold no memory: most connections are idle most of the time, and a kept buffer (even a
/// small one) was a large share of what an idle connection cost.
struct Io<S> {
    stream: S,
    rbuf: BytesMut,
    wbuf: BytesMut,
    busy: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Io<S> {
    async fn read(&mut self) -> std::io::Result<usize> {
        if self.busy {
            if self.rbuf.capacity() - self.rbuf.len() < BUSY_READ / 2 {
                self.rbuf.reserve(BUSY_READ);
            }
            let n = self.stream.read_buf(&mut self.rbuf).await?;
            self.busy = n >= IDLE_READ;
            return Ok(n);
        }
        // The buffer lives only during a poll: a stream that has nothing to read leaves it
        // untouched (AsyncRead), so waiting holds no memory, and what arrived is copied
        // into the read buffer (allocated then).
        let n = std::future::poll_fn(|cx| {
            let mut space = [std::mem::MaybeUninit::<u8>::uninit(); IDLE_READ];
            let mut buf = tokio::io::ReadBuf::uninit(&mut space);
            std::task::ready!(std::pin::Pin::new(&mut self.stream).poll_read(cx, &mut buf))?;
            self.rbuf.extend_from_slice(buf.filled());
            std::task::Poll::Ready(Ok::<_, std::io::Error>(buf.filled().len()))
        })
        .await?;
        self.busy = n >= IDLE_READ;
        Ok(n)
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        if !self.wbuf.is_empty() {
            self.stream.write_all(&self.wbuf).await?;
            self.stream.flush().await?;
            self.wbuf.clear();
        }
        if self.wbuf.capacity() > WRITE_CHUNK * 2 {
            self.wbuf = BytesMut::new();
        }
        Ok(())
    }

    /// Before waiting, after the buffered packets were handled and written: an idle
    /// connection gives its buffers back (a busy one keeps them for its next packets).
    fn settle(&mut self) {
        if self.busy {
            return;
        }
        if self.rbuf.is_empty() && self.rbuf.capacity() > 0 {
            self.rbuf = BytesMut::new();
        }
        if self.wbuf.is_empty() && self.wbuf.capacity() > 0 {
            self.wbuf = BytesMut::new();
        }
    }
}

/// How the connection ended, and what to tell the client.
struct End {
    cause: DisconnectCause,
    notice: Option<(ServerDisconnect, String)>,
    /// Publish the will (every end but a normal DISCONNECT).
    will: bool,
}

impl End {
    fn quiet(cause: DisconnectCause) -> End {
        End {
            cause,
            notice: None,
            will: cause != DisconnectCause::Normal,
        }
    }

    fn with(cause: DisconnectCause, reason: ServerDisconnect, text: impl Into<String>) -> End {
        End {
            cause,
            notice: Some((reason, text.into())),
            will: true,
        }
    }
}

/// A connection's task. Built as a future that captures its state once: an `async fn`
/// would hold its arguments twice (as given and as moved), and what only logging in needs
/// (the peer, the listener) is boxed, so it takes no room in the task for the connection's
/// life.
pub(crate) fn serve<H, S>(
    shared: Arc<Shared<H>>,
    stream: S,
    peer: SocketAddr,
    kind: ListenerKind,
) -> impl Future<Output = ()> + Send
where
    H: MqttHooks,
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut io = Io {
        stream,
        rbuf: BytesMut::new(),
        wbuf: BytesMut::new(),
        busy: false,
    };
    let hello = Box::new((peer, kind));
    async move {
        let counters = &shared.counters;
        counters.connections.fetch_add(1, Ordering::Relaxed);
        metrics::gauge!("ironloom_mqtt_connections").increment(1.0);
        let connect = tokio::time::timeout(
            shared.config.connect_timeout,
            read_connect(&shared, &mut io),
        )
        .await;
        match connect {
            Ok(Some(connect)) => {
                // Logging in and winding up run once per connection, and their futures are
                // the largest: boxed, they are not part of every idle connection's task (the
                // task is as large as its largest await). The connection's state is boxed
                // too: a value an await returns stays in the task beside what is awaited
                // next.
                let conn = Box::pin(establish(&shared, &mut io, hello, connect)).await;
                if let Some(conn) = conn {
                    conn.serve(&mut io).await;
                }
            }
            _ => debug!(peer = %hello.0, "MQTT connection closed before a valid CONNECT"),
        }
        let _ = io.stream.shutdown().await;
        counters.connections.fetch_sub(1, Ordering::Relaxed);
        metrics::gauge!("ironloom_mqtt_connections").decrement(1.0);
    }
}

/// Reads the CONNECT packet; answers (when the version is known) and returns `None` for
/// anything else.
async fn read_connect<H: MqttHooks, S: AsyncRead + AsyncWrite + Unpin>(
    shared: &Shared<H>,
    io: &mut Io<S>,
) -> Option<Box<ConnectPkt>> {
    let max = shared.config.max_connect_size as usize;
    loop {
        match codec::decode(&mut io.rbuf, None, max) {
            Ok(Some(Incoming::Connect(c))) => return Some(c),
            Ok(Some(_)) => return None,
            Ok(None) => match io.read().await {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            },
            Err(DecodeError::UnsupportedProtocol { level, .. }) => {
                shared.counters.refused.fetch_add(1, Ordering::Relaxed);
                // A client of another version reads a 3.1.1 CONNACK with code 1 (MQTT 5
                // §3.1.2.2 allows this answer for an unknown level).
                let version = if level == 5 {
                    ProtocolVersion::V5
                } else {
                    ProtocolVersion::V311
                };
                Encoder { version }.connack(
                    &mut io.wbuf,
                    false,
                    ConnackCode::UnsupportedProtocol,
                    None,
                );
                let _ = io.flush().await;
                return None;
            }
            Err(e) => {
                shared.counters.malformed.fetch_add(1, Ordering::Relaxed);
                debug!(error = %e, "refused a connection's first packet");
                return None;
            }
        }
    }
}

/// A running, authenticated connection.
struct Conn<H: MqttHooks> {
    shared: Arc<Shared<H>>,
    id: u64,
    enc: Encoder,
    grant: Grant<H::Client>,
    session: Arc<Session>,
    /// Boxed: most clients leave none.
    will: Option<Box<WillPkt>>,
    keep_alive: Duration,
    /// The client's receive maximum: QoS 1/2 messages we may have in flight to it.
    send_window: usize,
    /// The client's maximum packet size.
    client_max_packet: usize,
    problem_info: bool,
    /// The topic of the last publish, checked: devices publish to the same topic again and
    /// again, and it is then neither checked nor copied again.
    last_topic: Option<Arc<str>>,
}

fn refusal_code(r: ConnectRefusal) -> ConnackCode {
    match r {
        ConnectRefusal::BadCredentials => ConnackCode::BadCredentials,
        ConnectRefusal::NotAuthorized => ConnackCode::NotAuthorized,
        ConnectRefusal::Banned => ConnackCode::Banned,
        ConnectRefusal::ClientIdInvalid => ConnackCode::ClientIdInvalid,
        ConnectRefusal::ServerBusy => ConnackCode::ServerBusy,
    }
}

async fn establish<H: MqttHooks, S: AsyncRead + AsyncWrite + Unpin>(
    shared: &Arc<Shared<H>>,
    io: &mut Io<S>,
    hello: Box<(SocketAddr, ListenerKind)>,
    c: Box<ConnectPkt>,
) -> Option<Box<Conn<H>>> {
    let (peer, kind) = *hello;
    let cfg = &shared.config;
    let enc = Encoder { version: c.version };
    let refuse = |io: &mut Io<S>, code: ConnackCode, text: &str| {
        shared.counters.refused.fetch_add(1, Ordering::Relaxed);
        let props = (c.version == ProtocolVersion::V5).then(|| ConnackProps {
            receive_maximum: cfg.receive_maximum,
            max_packet_size: cfg.max_packet_size,
            reason: Some(text.to_owned()),
            ..Default::default()
        });
        enc.connack(&mut io.wbuf, false, code, props);
    };
    if c.auth_method.is_some() {
        refuse(
            io,
            ConnackCode::BadAuthMethod,
            "enhanced authentication is not supported",
        );
        let _ = io.flush().await;
        return None;
    }
    if c.client_id.len() > MAX_CLIENT_ID
        || (c.client_id.is_empty() && !c.clean_start && c.version == ProtocolVersion::V311)
    {
        refuse(
            io,
            ConnackCode::ClientIdInvalid,
            "the client identifier is not accepted",
        );
        let _ = io.flush().await;
        return None;
    }
    if let Some(w) = &c.will
        && topic::check_name(&w.topic, cfg.max_topic_len, cfg.max_topic_levels).is_err()
    {
        refuse(
            io,
            ConnackCode::Malformed,
            "the will topic is not a valid topic name",
        );
        let _ = io.flush().await;
        return None;
    }
    if shared.draining.load(Ordering::Relaxed) {
        refuse(
            io,
            ConnackCode::UseAnotherServer,
            "this server is being drained: connect to another",
        );
        let _ = io.flush().await;
        return None;
    }
    // This connection is already counted.
    if shared.counters.connections.load(Ordering::Relaxed) > cfg.max_connections {
        refuse(
            io,
            ConnackCode::ServerBusy,
            "the server has too many connections",
        );
        let _ = io.flush().await;
        return None;
    }
    let info = ConnectInfo {
        peer,
        listener: kind,
        version: c.version,
        client_id: &c.client_id,
        username: c.username.as_deref(),
        password: c.password.as_deref(),
        clean_start: c.clean_start,
    };
    let grant = match shared.hooks.authenticate(info).await {
        Ok(g) => g,
        Err(r) => {
            refuse(io, refusal_code(r), "authentication failed");
            let _ = io.flush().await;
            return None;
        }
    };
    let id = shared.sessions.next_id();
    let assigned = c.client_id.is_empty().then(|| format!("ironloom-{id}"));
    let client_id = assigned.clone().unwrap_or_else(|| c.client_id.clone());
    let max_expiry = u32::try_from(cfg.session_expiry.as_secs()).unwrap_or(u32::MAX);
    let (expiry, told_expiry) = match c.version {
        ProtocolVersion::V311 if c.clean_start => (0, None),
        ProtocolVersion::V311 => (max_expiry, None),
        ProtocolVersion::V5 => {
            let asked = c.session_expiry.unwrap_or(0);
            let granted = asked.min(max_expiry);
            (granted, (granted != asked).then_some(granted))
        }
    };
    let (keep_alive, told_keep_alive) = match (c.version, c.keep_alive) {
        (ProtocolVersion::V311, 0) => (cfg.max_keep_alive, None),
        (ProtocolVersion::V311, k) => (k, None),
        (ProtocolVersion::V5, k) if k == 0 || k > cfg.max_keep_alive => {
            (cfg.max_keep_alive, Some(cfg.max_keep_alive))
        }
        (ProtocolVersion::V5, k) => (k, None),
    };
    let Attached {
        session,
        present,
        discarded,
    } = shared.sessions.attach(
        &grant.namespace,
        &client_id,
        c.clean_start,
        id,
        Duration::from_secs(u64::from(expiry)),
    );
    if let Some(old) = discarded {
        shared.router.remove_session(&old);
    }
    shared.router.client_attached(&grant.namespace);
    let props = (c.version == ProtocolVersion::V5).then_some(ConnackProps {
        session_expiry: told_expiry,
        receive_maximum: cfg.receive_maximum,
        max_packet_size: cfg.max_packet_size,
        assigned_client_id: assigned,
        server_keep_alive: told_keep_alive,
        reason: None,
    });
    enc.connack(&mut io.wbuf, present, ConnackCode::Success, props);
    metrics::counter!("ironloom_mqtt_connects_total", "tenant" => grant.metrics_label.to_string())
        .increment(1);
    let conn = Box::new(Conn {
        shared: shared.clone(),
        id,
        enc,
        session,
        will: c.will.map(Box::new),
        keep_alive: Duration::from_millis(u64::from(keep_alive) * 1500),
        send_window: usize::from(c.receive_maximum.unwrap_or(u16::MAX))
            .min(usize::from(cfg.max_inflight)),
        client_max_packet: c.max_packet_size.map_or(usize::MAX, |m| m as usize),
        problem_info: c.request_problem_info,
        grant,
        last_topic: None,
    });
    shared.hooks.connected(&conn.grant.client);
    let granted = conn.subscribe_granted();
    if !present && !granted.is_empty() {
        shared.hooks.subscribed(&conn.grant.client, &granted);
    }
    if present {
        conn.resend_inflight(io);
        // A resumed session listens again without a SUBSCRIBE: what waited for it goes
        // out now, after its own unacknowledged messages.
        let filters: Vec<Arc<str>> = conn
            .session
            .lock()
            .subscriptions
            .iter()
            .map(|(f, _)| f.clone())
            .collect();
        if !filters.is_empty() {
            shared.hooks.subscribed(&conn.grant.client, &filters);
        }
    }
    Some(conn)
}

/// One publish of a batch, with what the connection decided before the hook ran.
struct Pending {
    pkid: u16,
    qos: QoS,
    /// A QoS 2 retransmission already acknowledged: answer PUBREC, hand nothing on.
    duplicate: bool,
}

impl<H: MqttHooks> Conn<H> {
    fn max_packet(&self) -> usize {
        self.shared.config.max_packet_size as usize
    }

    /// Serves the connection until it ends, then winds it up.
    async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut self: Box<Self>, io: &mut Io<S>) {
        let end = self.run(io).await;
        Box::pin(self.finish(io, end)).await;
    }

    async fn run<S: AsyncRead + AsyncWrite + Unpin>(&mut self, io: &mut Io<S>) -> End {
        // The waits below live across messages: a wait made afresh for every message
        // registered with, and left, the session's notifier, and moved the keep-alive
        // timer, each under a lock.
        let session = self.session.clone();
        let woken = session.notify.notified();
        tokio::pin!(woken);
        // The keep-alive deadline moves with every packet; the timer is only moved when it
        // fires before the deadline.
        let mut deadline = tokio::time::Instant::now() + self.keep_alive;
        let idle = tokio::time::sleep_until(deadline);
        tokio::pin!(idle);
        // Packets that came in the same read as CONNECT. Handling them is boxed, here and
        // below: its future (the batch, the hook's verdicts) is needed only while packets
        // are handled, and an idle connection's task is then a third of the size.
        if !io.rbuf.is_empty()
            && let Err(end) = Box::pin(self.handle_input(io)).await
        {
            return end;
        }
        loop {
            // Write what is queued (possibly in several chunks) before waiting.
            loop {
                if let Some(end) = self.kicked() {
                    return end;
                }
                let more = self.pump(io);
                if io.flush().await.is_err() {
                    return End::quiet(DisconnectCause::ConnectionLost);
                }
                if !more {
                    break;
                }
            }
            io.settle();
            tokio::select! {
                _ = &mut woken => {
                    woken.set(session.notify.notified());
                }
                r = io.read() => match r {
                    Ok(0) | Err(_) => return End::quiet(DisconnectCause::ConnectionLost),
                    Ok(_) => {
                        deadline = tokio::time::Instant::now() + self.keep_alive;
                        if let Err(end) = Box::pin(self.handle_input(io)).await {
                            return end;
                        }
                    }
                },
                _ = &mut idle => {
                    if tokio::time::Instant::now() < deadline {
                        idle.as_mut().reset(deadline);
                        continue;
                    }
                    return End::with(
                        DisconnectCause::KeepAliveTimeout,
                        ServerDisconnect::KeepAliveTimeout,
                        "no packet within 1.5 times the keep-alive",
                    );
                }
            }
        }
    }

    /// Whether the server is shutting down, or another connection took the session (or
    /// the platform kicked it). Shutting down wakes every connection through its session
    /// (`Sessions::wake_all`), so that a connection does not wait on the shutdown token
    /// as well: that wait would be part of every idle connection's task.
    fn kicked(&self) -> Option<End> {
        if self.shared.shutdown.is_cancelled() {
            return Some(End::with(
                DisconnectCause::ServerShutdown,
                ServerDisconnect::ServerShuttingDown,
                "the server is shutting down",
            ));
        }
        let st = self.session.lock();
        if st.owner == self.id {
            return None;
        }
        Some(match st.kick.unwrap_or(DisconnectCause::TakenOver) {
            DisconnectCause::Kicked => End::with(
                DisconnectCause::Kicked,
                ServerDisconnect::AdministrativeAction,
                "disconnected by the platform",
            ),
            DisconnectCause::Drained => End::with(
                DisconnectCause::Drained,
                ServerDisconnect::UseAnotherServer,
                "this server is being drained: connect to another",
            ),
            cause => End::with(
                cause,
                ServerDisconnect::SessionTakenOver,
                "another connection took over the session",
            ),
        })
    }

    /// Handles every complete packet in the read buffer.
    async fn handle_input<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        io: &mut Io<S>,
    ) -> Result<(), End> {
        let max = self.max_packet();
        let batch_max = usize::from(self.shared.config.receive_maximum);
        let mut batch: Vec<InboundPublish> = Vec::new();
        let mut pending: Vec<Pending> = Vec::new();
        loop {
            let packet = match codec::decode(&mut io.rbuf, Some(self.enc.version), max) {
                Ok(Some(p)) => p,
                Ok(None) => break,
                Err(DecodeError::TooLarge { size, max }) => {
                    return Err(End::with(
                        DisconnectCause::PacketTooLarge,
                        ServerDisconnect::PacketTooLarge,
                        format!("packet of {size} bytes over the limit of {max}"),
                    ));
                }
                Err(e) => {
                    self.shared
                        .counters
                        .malformed
                        .fetch_add(1, Ordering::Relaxed);
                    return Err(End::with(
                        DisconnectCause::ProtocolError,
                        ServerDisconnect::Malformed,
                        e.to_string(),
                    ));
                }
            };
            match packet {
                Incoming::Publish(p) => {
                    self.prepare_publish(io, p, &mut batch, &mut pending)?;
                    if pending.len() >= batch_max {
                        self.flush_batch(io, &mut batch, &mut pending).await?;
                    }
                }
                other => {
                    self.flush_batch(io, &mut batch, &mut pending).await?;
                    self.handle_other(io, other)?;
                }
            }
        }
        self.flush_batch(io, &mut batch, &mut pending).await
    }

    fn prepare_publish<S>(
        &mut self,
        io: &mut Io<S>,
        p: PublishPkt,
        batch: &mut Vec<InboundPublish>,
        pending: &mut Vec<Pending>,
    ) -> Result<(), End> {
        let cfg = &self.shared.config;
        if p.topic_alias.is_some() {
            return Err(End::with(
                DisconnectCause::ProtocolError,
                ServerDisconnect::TopicAliasInvalid,
                "topic aliases are not accepted (topic alias maximum is 0)",
            ));
        }
        let topic = match &self.last_topic {
            Some(last) if last.as_bytes() == &p.topic[..] => last.clone(),
            _ => {
                let Ok(topic) = std::str::from_utf8(&p.topic) else {
                    return Err(End::with(
                        DisconnectCause::ProtocolError,
                        ServerDisconnect::Malformed,
                        "the topic is not UTF-8",
                    ));
                };
                if let Err(e) = topic::check_name(topic, cfg.max_topic_len, cfg.max_topic_levels) {
                    return self.refuse_topic(io, &p, e);
                }
                let topic: Arc<str> = topic.into();
                self.last_topic = Some(topic.clone());
                topic
            }
        };
        if p.qos != QoS::AtMostOnce && p.pkid == 0 {
            return Err(End::with(
                DisconnectCause::ProtocolError,
                ServerDisconnect::ProtocolError,
                "packet identifier 0",
            ));
        }
        if p.qos == QoS::ExactlyOnce {
            let st = self.session.lock();
            if st.incoming_qos2.contains(&p.pkid) {
                pending.push(Pending {
                    pkid: p.pkid,
                    qos: p.qos,
                    duplicate: true,
                });
                return Ok(());
            }
            // QoS 2 publishes never released would pile up: the receive maximum bounds them.
            if st.incoming_qos2.len() >= usize::from(cfg.receive_maximum) {
                return Err(End::with(
                    DisconnectCause::ProtocolError,
                    ServerDisconnect::ReceiveMaximumExceeded,
                    "too many QoS 2 messages awaiting PUBREL",
                ));
            }
        }
        pending.push(Pending {
            pkid: p.pkid,
            qos: p.qos,
            duplicate: false,
        });
        batch.push(InboundPublish {
            topic,
            payload: p.payload,
            qos: p.qos,
            retain: p.retain,
            props: p.props,
        });
        Ok(())
    }

    /// An invalid topic name: MQTT 5 QoS 1/2 publishes get a refusing acknowledgement,
    /// everything else ends the connection (3.1.1 has no way to refuse).
    fn refuse_topic<S>(&self, io: &mut Io<S>, p: &PublishPkt, e: TopicError) -> Result<(), End> {
        if self.enc.version == ProtocolVersion::V5 && p.qos != QoS::AtMostOnce {
            let text = self.problem_info.then(|| e.to_string());
            match p.qos {
                QoS::AtLeastOnce => {
                    self.enc
                        .puback(&mut io.wbuf, p.pkid, AckReason::TopicNameInvalid, text)
                }
                _ => self
                    .enc
                    .pubrec(&mut io.wbuf, p.pkid, AckReason::TopicNameInvalid, text),
            }
            return Ok(());
        }
        Err(End::with(
            DisconnectCause::ProtocolError,
            ServerDisconnect::TopicNameInvalid,
            e.to_string(),
        ))
    }

    async fn flush_batch<S>(
        &mut self,
        io: &mut Io<S>,
        batch: &mut Vec<InboundPublish>,
        pending: &mut Vec<Pending>,
    ) -> Result<(), End> {
        if pending.is_empty() {
            return Ok(());
        }
        let shared = self.shared.clone();
        let received = pending.len();
        shared
            .counters
            .received
            .fetch_add(received as u64, Ordering::Relaxed);
        if !batch.is_empty()
            && !shared
                .router
                .take_tokens(&self.grant.namespace, batch.len())
        {
            return Err(End::with(
                DisconnectCause::RateLimited,
                ServerDisconnect::MessageRateTooHigh,
                format!(
                    "more than {} messages per second",
                    shared.config.rate_limit.per_second
                ),
            ));
        }
        let verdicts = if batch.is_empty() {
            Vec::new()
        } else {
            shared.hooks.publish(&self.grant.client, batch).await
        };
        let mut verdicts = verdicts.into_iter();
        let mut messages = std::mem::take(batch).into_iter();
        let mut fatal = None;
        for p in pending.drain(..) {
            if p.duplicate {
                self.enc
                    .pubrec(&mut io.wbuf, p.pkid, AckReason::Success, None);
                continue;
            }
            let msg = messages.next();
            // A hook that returns too few verdicts refuses the rest.
            let v = verdicts.next().unwrap_or_else(|| {
                crate::Verdict::refused(AckReason::ImplementationSpecificError, "no verdict")
            });
            if v.ack.is_success() {
                if v.route
                    && let Some(m) = msg
                {
                    self.route(m);
                }
            } else if v.ack == AckReason::NotAuthorized
                && (self.enc.version == ProtocolVersion::V311 || p.qos == QoS::AtMostOnce)
            {
                // 3.1.1 §3.3.5: acknowledge positively or close; an unauthorized client
                // is closed, without acknowledgement. QoS 0 has none to refuse with.
                fatal.get_or_insert_with(|| {
                    End::with(
                        DisconnectCause::ProtocolError,
                        ServerDisconnect::NotAuthorized,
                        v.reason.clone().unwrap_or_else(|| "not authorized".into()),
                    )
                });
                continue;
            } else if self.enc.version == ProtocolVersion::V311
                && p.qos != QoS::AtMostOnce
                && matches!(
                    v.ack,
                    AckReason::ImplementationSpecificError
                        | AckReason::UnspecifiedError
                        | AckReason::QuotaExceeded
                )
            {
                // The platform could not take the message (storage failed or is full): a
                // 3.1.1 acknowledgement can only say "accepted", so close without one and
                // let the client send it again.
                fatal.get_or_insert_with(|| {
                    End::with(
                        DisconnectCause::ProtocolError,
                        ServerDisconnect::ServerBusy,
                        v.reason.clone().unwrap_or_else(|| "not stored".into()),
                    )
                });
                continue;
            }
            let text = if self.problem_info { v.reason } else { None };
            match p.qos {
                QoS::AtMostOnce => {}
                QoS::AtLeastOnce => self.enc.puback(&mut io.wbuf, p.pkid, v.ack, text),
                QoS::ExactlyOnce => {
                    if v.ack.is_success() {
                        let mut st = self.session.lock();
                        if !st.incoming_qos2.contains(&p.pkid) {
                            st.incoming_qos2.push(p.pkid);
                        }
                    }
                    self.enc.pubrec(&mut io.wbuf, p.pkid, v.ack, text);
                }
            }
        }
        match fatal {
            Some(end) => Err(end),
            None => Ok(()),
        }
    }

    fn route(&self, m: InboundPublish) {
        let shared = &self.shared;
        let routed = Arc::new(Routed {
            msg: Message {
                topic: m.topic,
                payload: m.payload,
                qos: m.qos,
                retain: m.retain,
                props: m.props,
            },
            at: Instant::now(),
            origin: self.session.id,
        });
        shared.router.retain(&self.grant.namespace, &routed);
        let report = shared
            .router
            .route(&self.grant.namespace, &routed, shared.config.max_queued);
        shared
            .counters
            .dropped
            .fetch_add(report.dropped as u64, Ordering::Relaxed);
    }

    fn handle_other<S>(&mut self, io: &mut Io<S>, packet: Incoming) -> Result<(), End> {
        match packet {
            Incoming::PingReq => self.enc.pingresp(&mut io.wbuf),
            Incoming::PubAck(pkid) => {
                let mut st = self.session.lock();
                if let Some(i) = st
                    .inflight
                    .iter()
                    .position(|f| f.pkid == pkid && f.delivery.qos == QoS::AtLeastOnce)
                {
                    st.inflight.remove(i);
                }
            }
            Incoming::PubRec(pkid) => {
                let mut st = self.session.lock();
                if let Some(f) = st
                    .inflight
                    .iter_mut()
                    .find(|f| f.pkid == pkid && f.delivery.qos == QoS::ExactlyOnce)
                {
                    f.released = true;
                }
                drop(st);
                self.enc.pubrel(&mut io.wbuf, pkid);
            }
            Incoming::PubComp(pkid) => {
                let mut st = self.session.lock();
                if let Some(i) = st
                    .inflight
                    .iter()
                    .position(|f| f.pkid == pkid && f.released)
                {
                    st.inflight.remove(i);
                }
            }
            Incoming::PubRel(pkid) => {
                let mut st = self.session.lock();
                let known = match st.incoming_qos2.iter().position(|&p| p == pkid) {
                    Some(i) => {
                        st.incoming_qos2.swap_remove(i);
                        true
                    }
                    None => false,
                };
                drop(st);
                self.enc.pubcomp(&mut io.wbuf, pkid, known);
            }
            Incoming::Subscribe { pkid, filters, id } => self.subscribe(io, pkid, filters, id),
            Incoming::Unsubscribe { pkid, filters } => {
                let mut found = Vec::with_capacity(filters.len());
                for f in &filters {
                    let mut st = self.session.lock();
                    st.subscriptions.retain(|(s, _)| &**s != f.as_str());
                    drop(st);
                    found.push(self.shared.router.unsubscribe(&self.session, f));
                }
                self.enc.unsuback(&mut io.wbuf, pkid, &found);
            }
            Incoming::Disconnect {
                reason,
                session_expiry,
            } => {
                if let Some(e) = session_expiry {
                    let mut st = self.session.lock();
                    if st.expiry.is_zero() && e != 0 {
                        drop(st);
                        return Err(End::with(
                            DisconnectCause::ProtocolError,
                            ServerDisconnect::ProtocolError,
                            "session expiry set on DISCONNECT after CONNECT asked for none",
                        ));
                    }
                    let max = self.shared.config.session_expiry;
                    st.expiry = Duration::from_secs(u64::from(e)).min(max);
                }
                return Err(End {
                    cause: DisconnectCause::Normal,
                    notice: None,
                    will: reason == 0x04,
                });
            }
            Incoming::Auth => {
                return Err(End::with(
                    DisconnectCause::ProtocolError,
                    ServerDisconnect::ProtocolError,
                    "AUTH without enhanced authentication",
                ));
            }
            Incoming::ServerOnly(t) => {
                self.shared
                    .counters
                    .malformed
                    .fetch_add(1, Ordering::Relaxed);
                return Err(End::with(
                    DisconnectCause::ProtocolError,
                    ServerDisconnect::ProtocolError,
                    format!("packet type {t} is sent by servers only"),
                ));
            }
            Incoming::Connect(_) | Incoming::Publish(_) => {
                return Err(End::with(
                    DisconnectCause::ProtocolError,
                    ServerDisconnect::ProtocolError,
                    "unexpected packet",
                ));
            }
        }
        Ok(())
    }

    fn subscribe<S>(
        &mut self,
        io: &mut Io<S>,
        pkid: u16,
        filters: Vec<codec::SubFilter>,
        id: Option<u32>,
    ) {
        let shared = self.shared.clone();
        let cfg = &shared.config;
        let mut codes = Vec::with_capacity(filters.len());
        let mut granted_filters: Vec<Arc<str>> = Vec::new();
        let mut retained = Vec::new();
        for f in filters {
            let code = match topic::check_filter(&f.filter, cfg.max_topic_len, cfg.max_topic_levels)
            {
                Err(TopicError::Shared) => SubCode::SharedNotSupported,
                Err(_) => SubCode::FilterInvalid,
                Ok(()) => match shared.hooks.check_subscribe(&self.grant.client, &f.filter) {
                    Err(SubscribeRefusal::NotAuthorized) => SubCode::NotAuthorized,
                    Err(SubscribeRefusal::TopicFilterInvalid) => SubCode::FilterInvalid,
                    Ok(max_qos) => {
                        let filter: Arc<str> = f.filter.as_str().into();
                        let qos = min_qos(f.qos, max_qos);
                        let opts = SubOpts {
                            qos,
                            no_local: f.no_local,
                            retain_as_published: f.retain_as_published,
                            id,
                        };
                        let mut st = self.session.lock();
                        let exists = st.subscriptions.iter().any(|(s, _)| *s == filter);
                        if !exists && st.subscriptions.len() >= cfg.max_subscriptions {
                            SubCode::QuotaExceeded
                        } else {
                            st.subscriptions.retain(|(s, _)| *s != filter);
                            st.subscriptions.push((filter.clone(), opts.clone()));
                            drop(st);
                            let new = shared.router.subscribe(&self.session, filter.clone(), opts);
                            if f.retain_handling == 0 || (f.retain_handling == 1 && new) {
                                for r in shared.router.retained_for(&self.grant.namespace, &filter)
                                {
                                    retained.push((r, qos));
                                }
                            }
                            granted_filters.push(filter);
                            SubCode::Granted(qos)
                        }
                    }
                },
            };
            codes.push(code);
        }
        self.enc.suback(&mut io.wbuf, pkid, &codes);
        for (r, qos) in retained {
            let d = crate::session::Delivery {
                qos: min_qos(r.msg.qos, qos),
                msg: r,
                retain: true,
                sub_ids: id.into_iter().collect(),
            };
            self.session.enqueue(d, cfg.max_queued);
        }
        if !granted_filters.is_empty() {
            shared
                .hooks
                .subscribed(&self.grant.client, &granted_filters);
        }
    }

    /// Makes the subscriptions the platform granted at CONNECT as if the client had asked
    /// for them (no SUBACK: it did not); returns those made.
    fn subscribe_granted(&self) -> Vec<Arc<str>> {
        let shared = &self.shared;
        let cfg = &shared.config;
        let mut granted: Vec<Arc<str>> = Vec::new();
        for filter in &self.grant.subscriptions {
            if topic::check_filter(filter, cfg.max_topic_len, cfg.max_topic_levels).is_err() {
                debug!(%filter, "the platform granted an invalid filter; ignored");
                continue;
            }
            let opts = SubOpts {
                qos: QoS::AtLeastOnce,
                no_local: false,
                retain_as_published: false,
                id: None,
            };
            let mut st = self.session.lock();
            let exists = st.subscriptions.iter().any(|(s, _)| s == filter);
            if !exists {
                if st.subscriptions.len() >= cfg.max_subscriptions {
                    continue;
                }
                st.subscriptions.push((filter.clone(), opts.clone()));
            }
            drop(st);
            shared.router.subscribe(&self.session, filter.clone(), opts);
            granted.push(filter.clone());
        }
        granted
    }

    /// After a resumed session: unacknowledged messages again (DUP), PUBREL for those
    /// already received (MQTT §4.4).
    fn resend_inflight<S>(&self, io: &mut Io<S>) {
        let st = self.session.lock();
        let now = Instant::now();
        for f in &st.inflight {
            if f.released {
                self.enc.pubrel(&mut io.wbuf, f.pkid);
            } else {
                let d = &f.delivery;
                self.enc.publish(
                    &mut io.wbuf,
                    &d.msg.msg.topic,
                    &d.msg.msg.payload,
                    d.qos,
                    d.retain,
                    true,
                    f.pkid,
                    d.msg.msg.props.as_deref(),
                    &d.sub_ids,
                    d.msg.expiry_left(now),
                );
            }
        }
    }

    /// Moves queued messages into the write buffer, up to the send window for QoS 1/2 and
    /// about one write chunk; returns true when more could be sent right away.
    fn pump<S>(&self, io: &mut Io<S>) -> bool {
        let shared = &self.shared;
        let mut st = self.session.lock();
        // The clock is read only when there is something to send (not for every publish
        // the device makes).
        let mut clock = None;
        let mut sent = 0u64;
        let mut dropped = 0u64;
        let mut more = false;
        while let Some(d) = st.queue.front() {
            if io.wbuf.len() >= WRITE_CHUNK {
                more = true;
                break;
            }
            let now = *clock.get_or_insert_with(Instant::now);
            let expiry_left = d.msg.expiry_left(now);
            if expiry_left == Some(0) {
                st.queue.pop_front();
                dropped += 1;
                continue;
            }
            if d.qos != QoS::AtMostOnce && st.inflight.len() >= self.send_window {
                break;
            }
            let Some(d) = st.queue.pop_front() else { break };
            let pkid = if d.qos == QoS::AtMostOnce {
                0
            } else {
                st.next_pkid()
            };
            let before = io.wbuf.len();
            self.enc.publish(
                &mut io.wbuf,
                &d.msg.msg.topic,
                &d.msg.msg.payload,
                d.qos,
                d.retain,
                false,
                pkid,
                d.msg.msg.props.as_deref(),
                &d.sub_ids,
                expiry_left,
            );
            if io.wbuf.len() - before > self.client_max_packet {
                // MQTT 5 §3.1.2.25: a message over the client's limit is discarded.
                io.wbuf.truncate(before);
                dropped += 1;
                continue;
            }
            sent += 1;
            if d.qos != QoS::AtMostOnce {
                st.inflight.push_back(Inflight {
                    pkid,
                    delivery: d,
                    released: false,
                });
            }
        }
        drop(st);
        if sent > 0 {
            shared.counters.sent.fetch_add(sent, Ordering::Relaxed);
        }
        if dropped > 0 {
            shared
                .counters
                .dropped
                .fetch_add(dropped, Ordering::Relaxed);
        }
        more
    }

    /// Ends the connection: a last DISCONNECT (MQTT 5), the will, the session's fate.
    async fn finish<S: AsyncRead + AsyncWrite + Unpin>(mut self, io: &mut Io<S>, end: End) {
        let shared = self.shared.clone();
        if let Some((reason, text)) = end.notice {
            self.enc.disconnect(&mut io.wbuf, reason, Some(text));
            let _ = tokio::time::timeout(Duration::from_secs(1), io.flush()).await;
        }
        debug!(
            namespace = %self.grant.namespace,
            client = %self.session.client_id,
            cause = end.cause.as_str(),
            "MQTT connection ended"
        );
        metrics::counter!(
            "ironloom_mqtt_disconnects_total",
            "tenant" => self.grant.metrics_label.to_string(),
            "cause" => end.cause.as_str()
        )
        .increment(1);
        let ended = shared.sessions.detach(&self.session, self.id);
        if ended {
            shared.router.remove_session(&self.session);
        }
        shared.router.client_detached(&self.grant.namespace);
        shared.hooks.disconnected(&self.grant.client, end.cause);
        if let (true, Some(will)) = (end.will, self.will.take().map(|w| *w)) {
            if will.delay_secs > 0 {
                // Delayed wills wait on their own task, not holding the connection.
                shared.tasks.spawn(self.publish_will(will));
            } else {
                self.publish_will(will).await;
            }
        }
    }

    async fn publish_will(self, will: WillPkt) {
        if will.delay_secs > 0 {
            let delay = Duration::from_secs(u64::from(will.delay_secs));
            let shutdown = self.shared.shutdown.clone();
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.cancelled() => {}
            }
            // A client that came back within the delay keeps its will unsent (§3.1.3.2.2).
            if self.session.lock().owner != 0 {
                return;
            }
        }
        let msg = InboundPublish {
            topic: will.topic.into(),
            payload: will.payload,
            qos: will.qos,
            retain: will.retain,
            props: will.props,
        };
        let verdicts = self
            .shared
            .hooks
            .publish(&self.grant.client, std::slice::from_ref(&msg))
            .await;
        if verdicts
            .first()
            .is_some_and(|v| v.ack.is_success() && v.route)
        {
            self.route(msg);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::Verdict;
    use crate::config::MqttConfig;
    use crate::router::Router;
    use crate::server::Counters;
    use crate::session::Sessions;
    use async_trait::async_trait;
    use tokio::io::AsyncWriteExt;
    use tokio::net::{TcpListener, TcpStream};

    struct Hooks;

    #[async_trait]
    impl MqttHooks for Hooks {
        type Client = ();
        async fn authenticate(&self, _: ConnectInfo<'_>) -> Result<Grant<()>, ConnectRefusal> {
            Err(ConnectRefusal::NotAuthorized)
        }
        fn check_subscribe(&self, _: &(), _: &str) -> Result<QoS, SubscribeRefusal> {
            Err(SubscribeRefusal::NotAuthorized)
        }
        async fn publish(&self, _: &(), _: &[InboundPublish]) -> Vec<Verdict> {
            Vec::new()
        }
    }

    fn io<S>(stream: S) -> Io<S> {
        Io {
            stream,
            rbuf: BytesMut::new(),
            wbuf: BytesMut::new(),
            busy: false,
        }
    }

    /// Every idle connection's task is as large as this future (docs/performance.md,
    /// "Idle connections"): what is needed only while packets are handled, at log-in or
    /// at the end is boxed. Checked in optimised builds, whose futures are the ones that
    /// run (an unoptimised build's are larger).
    #[tokio::test]
    async fn an_idle_connection_task_stays_small() {
        let config = MqttConfig::default();
        let shared = Arc::new(Shared {
            router: Router::new(config.rate_limit, config.max_retained),
            config,
            hooks: Arc::new(Hooks),
            sessions: Sessions::new(),
            counters: Counters::default(),
            shutdown: tokio_util::sync::CancellationToken::new(),
            tasks: tokio_util::task::TaskTracker::new(),
            draining: std::sync::atomic::AtomicBool::new(false),
            tcp_addr: None,
            tls_addr: None,
            tls: None,
            listeners: std::sync::Mutex::new(None),
        });
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let stream = TcpStream::connect(addr).await.unwrap();
        let task = serve(shared, stream, addr, ListenerKind::Tcp);
        let size = std::mem::size_of_val(&task);
        eprintln!("connection future: {size} bytes");
        if !cfg!(debug_assertions) {
            assert!(size <= 640, "{size} bytes");
        }
    }

    #[tokio::test]
    async fn an_idle_connection_keeps_no_buffers() {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let mut io = io(server);
        client.write_all(&[0xc0, 0x00]).await.unwrap();
        assert_eq!(io.read().await.unwrap(), 2);
        assert_eq!(&io.rbuf[..], &[0xc0, 0x00]);
        assert!(!io.busy);
        io.rbuf.clear();
        io.wbuf.extend_from_slice(&[0xd0, 0x00]);
        io.flush().await.unwrap();
        io.settle();
        assert_eq!((io.rbuf.capacity(), io.wbuf.capacity()), (0, 0));

        // A read that fills the stack buffer makes the connection busy: it then reads into
        // a buffer it keeps, and what came in order stays in order.
        let data: Vec<u8> = (0..3 * IDLE_READ).map(|i| i as u8).collect();
        client.write_all(&data).await.unwrap();
        let mut got = 0;
        while got < data.len() {
            got += io.read().await.unwrap();
        }
        assert_eq!(&io.rbuf[..], &data[..]);
        assert!(io.busy);
        io.rbuf.clear();
        io.settle();
        assert!(io.rbuf.capacity() > 0);
        client.write_all(&[0xc0, 0x00]).await.unwrap();
        assert_eq!(io.read().await.unwrap(), 2);
        assert!(!io.busy);
        io.rbuf.clear();
        io.settle();
        assert_eq!(io.rbuf.capacity(), 0);
    }
}
