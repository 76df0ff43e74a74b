//! The protocol state machine: datagrams, handler results, observer updates and the clock
//! go in; datagrams to send, handler calls to start and observer events come out as
//! [`Action`]s. It does no I/O and reads no clock (every entry point takes `now`), so it is
//! tested without sockets or sleeps; `server` runs it on one task.
//!
//! State, all bounded:
//! - per peer (address and port): remembered message ids (`max_exchanges_per_peer`, each for
//!   `exchange_lifetime`), handler calls in flight, Block1 uploads and cached Block2 bodies
//!   (`max_transfers_per_peer` each, and `transfer_memory` bytes across all peers), and
//!   its number of observations. At most `max_peers` peers; a new peer evicts the oldest
//!   one that has nothing in flight and no observation, or is refused with 5.03.
//! - observations (`max_observers`, `max_observers_per_peer`), each with at most one
//!   confirmable notification awaiting its ACK.

use crate::config::CoapConfig;
use crate::handler::{
    CoapReply, CoapRequest, CoapResponse, Method, Observation, ObserveEnd, ResponseCode,
};
use crate::message::{self, Block, Reject, RequestOptions, decode_message, opt, read_header};
use coap_lite::{CoapOption, MessageClass, MessageType, Packet};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::hash::{BuildHasher, Hash, Hasher};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tracing::debug;

pub(crate) type CallId = u64;
pub(crate) type ObsId = u64;

/// What the server task must do.
#[derive(Debug)]
pub(crate) enum Action {
    Send {
        to: SocketAddr,
        bytes: Vec<u8>,
    },
    /// Run the handler; report with [`Engine::on_call_done`].
    Call {
        id: CallId,
        request: CoapRequest,
    },
    /// Forward `updates` with [`Engine::on_update`], one at a time, each after the `ready`
    /// of the previous one fired; [`Engine::on_updates_closed`] when the sender is gone.
    Watch {
        id: ObsId,
        updates: mpsc::Receiver<CoapResponse>,
    },
    /// Stop forwarding.
    Unwatch {
        id: ObsId,
    },
    ObserverGone {
        observation: Observation,
        reason: ObserveEnd,
    },
}

/// How a handler call ended.
#[derive(Debug)]
pub(crate) enum CallOutcome {
    Reply(CoapReply),
    Panicked,
    TimedOut,
}

/// How an answer travels: piggybacked on the ACK of a confirmable request, or in a new
/// message of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Carrier {
    Ack(u16),
    Non,
    Con,
}

#[derive(Debug, Clone)]
struct ReplyTo {
    peer: SocketAddr,
    carrier: Carrier,
    token: Vec<u8>,
}

/// What identifies a body across the requests of one block-wise transfer (RFC 7959 §2.4:
/// the same request options apart from the block options).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ResourceKey {
    method: Method,
    path: Vec<String>,
    query: Vec<String>,
    accept: Option<u16>,
}

impl ResourceKey {
    fn of(r: &RequestOptions) -> ResourceKey {
        ResourceKey {
            method: r.method,
            path: r.path.clone(),
            query: r.query.clone(),
            accept: r.accept,
        }
    }
}

#[derive(Debug)]
enum Exchange {
    /// The handler is running: retransmissions are ignored.
    InProgress,
    /// Answered: a retransmission gets these bytes again (`None` for non-confirmable
    /// requests, whose duplicates are dropped).
    Done(Option<Vec<u8>>),
}

#[derive(Debug)]
struct Upload {
    key: ResourceKey,
    body: Vec<u8>,
    expires: Instant,
}

#[derive(Debug)]
struct Download {
    key: ResourceKey,
    code: ResponseCode,
    content_format: Option<u16>,
    body: Vec<u8>,
    etag: [u8; 8],
    expires: Instant,
}

#[derive(Debug, Default)]
struct Peer {
    exchanges: HashMap<u16, Exchange>,
    /// Answered exchanges, oldest first, with their expiry; one entry per `Done` exchange.
    done: VecDeque<(Instant, u16)>,
    in_flight: usize,
    uploads: Vec<Upload>,
    downloads: Vec<Download>,
    observers: usize,
}

impl Peer {
    fn is_idle(&self) -> bool {
        self.exchanges.is_empty()
            && self.in_flight == 0
            && self.uploads.is_empty()
            && self.downloads.is_empty()
            && self.observers == 0
    }

    /// Dropping this peer's state loses only duplicate detection and transfers in progress.
    fn is_evictable(&self) -> bool {
        self.in_flight == 0 && self.observers == 0
    }
}

#[derive(Debug)]
struct Pending {
    to: ReplyTo,
    /// The request's message id (the reply to a non-confirmable request has its own).
    mid: u16,
    key: ResourceKey,
    block1: Option<Block>,
    block2: Option<Block>,
    register: bool,
}

#[derive(Debug)]
struct AwaitingAck {
    mid: u16,
    bytes: Vec<u8>,
    retransmits: u32,
    timeout: Duration,
    deadline: Instant,
}

#[derive(Debug)]
struct Obs {
    observation: Observation,
    key: ResourceKey,
    awaiting: Option<AwaitingAck>,
    /// Fires to let the forwarder read the next update.
    ready: Option<oneshot::Sender<()>>,
    /// Set when the notification in flight is the last one.
    closing: Option<ObserveEnd>,
}

/// A response as it goes on the wire.
#[derive(Debug)]
struct Out<'a> {
    code: ResponseCode,
    content_format: Option<u16>,
    payload: &'a [u8],
    observe: Option<u32>,
    block1: Option<Block>,
    block2: Option<Block>,
    size1: Option<u32>,
    size2: Option<u32>,
    etag: Option<[u8; 8]>,
    max_age: Option<u32>,
}

impl<'a> Out<'a> {
    fn new(code: ResponseCode) -> Out<'a> {
        Out {
            code,
            content_format: None,
            payload: &[],
            observe: None,
            block1: None,
            block2: None,
            size1: None,
            size2: None,
            etag: None,
            max_age: None,
        }
    }

    fn diagnostic(code: ResponseCode, text: &'a str) -> Out<'a> {
        Out {
            payload: text.as_bytes(),
            ..Out::new(code)
        }
    }
}

pub(crate) struct Engine {
    config: CoapConfig,
    szx: u8,
    peers: HashMap<SocketAddr, Peer>,
    /// Peers in the order they appeared, for eviction.
    peer_order: VecDeque<SocketAddr>,
    calls: HashMap<CallId, Pending>,
    next_call: CallId,
    in_flight: usize,
    observations: HashMap<ObsId, Obs>,
    by_token: HashMap<(SocketAddr, Vec<u8>), ObsId>,
    awaiting_ack: HashMap<(SocketAddr, u16), ObsId>,
    timers: BinaryHeap<Reverse<(Instant, ObsId, u16)>>,
    next_obs: ObsId,
    observe_seq: u32,
    next_mid: u16,
    rng: u64,
    transfer_bytes: usize,
    next_sweep: Instant,
    actions: Vec<Action>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("peers", &self.peers.len())
            .field("calls", &self.calls.len())
            .field("observations", &self.observations.len())
            .field("transfer_bytes", &self.transfer_bytes)
            .finish_non_exhaustive()
    }
}

/// How many of the oldest peers a newcomer may look at for one to evict.
const EVICTION_CANDIDATES: usize = 16;

const METRIC_REQUESTS: &str = "ironloom_coap_requests_total";
const METRIC_DUPLICATES: &str = "ironloom_coap_duplicates_total";
const METRIC_MALFORMED: &str = "ironloom_coap_malformed_total";
const METRIC_REFUSED: &str = "ironloom_coap_refused_total";
const METRIC_OBSERVERS: &str = "ironloom_coap_observers";
const METRIC_NOTIFICATIONS: &str = "ironloom_coap_notifications_total";
const METRIC_RETRANSMISSIONS: &str = "ironloom_coap_retransmissions_total";

fn malformed(reason: &'static str) {
    metrics::counter!(METRIC_MALFORMED, "reason" => reason).increment(1);
}

fn refused(reason: &'static str) {
    metrics::counter!(METRIC_REFUSED, "reason" => reason).increment(1);
}

impl Engine {
    /// `config` must have passed `validate()`.
    pub(crate) fn new(config: CoapConfig, now: Instant) -> Engine {
        let seed = std::collections::hash_map::RandomState::new().hash_one(now);
        let szx = config.block_szx();
        let sweep = sweep_interval(&config);
        let mut e = Engine {
            config,
            szx,
            peers: HashMap::new(),
            peer_order: VecDeque::new(),
            calls: HashMap::new(),
            next_call: 0,
            in_flight: 0,
            observations: HashMap::new(),
            by_token: HashMap::new(),
            awaiting_ack: HashMap::new(),
            timers: BinaryHeap::new(),
            next_obs: 0,
            observe_seq: 0,
            next_mid: 0,
            rng: seed,
            transfer_bytes: 0,
            next_sweep: now + sweep,
            actions: Vec::new(),
        };
        // RFC 7252 §4.4: message ids should start at a random value.
        e.next_mid = e.random() as u16;
        e.observe_seq = (e.random() as u32) & 0x7f_ffff;
        e
    }

    pub(crate) fn take_actions(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.actions)
    }

    /// When [`Engine::on_timer`] must run next.
    pub(crate) fn next_deadline(&self) -> Instant {
        match self.timers.peek() {
            Some(Reverse((t, _, _))) => (*t).min(self.next_sweep),
            None => self.next_sweep,
        }
    }

    pub(crate) fn calls_in_flight(&self) -> usize {
        self.calls.len()
    }

    fn random(&mut self) -> u64 {
        // splitmix64: enough for message ids and retransmission jitter.
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn fresh_mid(&mut self) -> u16 {
        self.next_mid = self.next_mid.wrapping_add(1);
        self.next_mid
    }

    fn send(&mut self, to: SocketAddr, bytes: Vec<u8>) {
        self.actions.push(Action::Send { to, bytes });
    }

    fn send_reset(&mut self, to: SocketAddr, mid: u16) {
        let mut p = Packet::new();
        p.header.set_type(MessageType::Reset);
        p.header.code = MessageClass::Empty;
        p.header.message_id = mid;
        if let Some(bytes) = message::encode(&p) {
            self.send(to, bytes);
        }
    }

    // ----- datagrams -------------------------------------------------------------------

    /// One received datagram. `bytes` may be longer than `max_message_size` (the caller
    /// reads one byte more to notice), never longer than that plus one.
    pub(crate) fn on_datagram(&mut self, now: Instant, peer: SocketAddr, bytes: &[u8]) {
        if bytes.len() > self.config.max_message_size.0 {
            malformed("too_large");
            debug!(%peer, len = bytes.len(), "coap datagram too large");
            self.refuse_oversized(peer, bytes);
            return;
        }
        let packet = match decode_message(bytes) {
            Ok(p) => p,
            Err(e) => {
                malformed(e.kind.label());
                debug!(%peer, error = %e, "malformed coap message");
                // Acknowledgements and resets are never rejected (RFC 7252 §4.2, §4.3), and
                // without a readable header there is nothing to reject.
                if let Some(h) = e.header
                    && matches!(
                        h.message_type,
                        MessageType::Confirmable | MessageType::NonConfirmable
                    )
                {
                    self.send_reset(peer, h.message_id);
                }
                return;
            }
        };
        let mid = packet.header.message_id;
        let code = u8::from(packet.header.code);
        let mtype = packet.header.get_type();
        match (code >> 5, code, mtype) {
            // A CoAP ping.
            (0, 0, MessageType::Confirmable) => self.send_reset(peer, mid),
            (0, 0, MessageType::Acknowledgement) => self.on_ack(peer, mid),
            (0, 0, MessageType::Reset) => self.on_reset(peer, mid),
            (0, 0, MessageType::NonConfirmable) => {
                malformed("empty_message");
                self.send_reset(peer, mid);
            }
            (0, _, MessageType::Confirmable | MessageType::NonConfirmable) => {
                self.on_request(now, peer, packet)
            }
            // A request in an ACK or RST is a format error; those are ignored.
            (0, _, _) => malformed("message_type"),
            // Responses: a client has no reason to send us any. A piggybacked one on an ACK
            // still acknowledges our notification.
            (_, _, MessageType::Acknowledgement) => self.on_ack(peer, mid),
            (_, _, MessageType::Confirmable) => self.send_reset(peer, mid),
            (_, _, _) => {}
        }
    }

    /// RFC 7959 §2.9.3: a request too large for us gets 4.13 with a Block1 option naming the
    /// block size to use; what cannot be read as a request is reset or dropped.
    fn refuse_oversized(&mut self, peer: SocketAddr, bytes: &[u8]) {
        let Some(h) = read_header(bytes) else { return };
        let code = bytes[1];
        let carrier = match h.message_type {
            MessageType::Confirmable => Carrier::Ack(h.message_id),
            MessageType::NonConfirmable => Carrier::Non,
            _ => return,
        };
        match message::read_token(bytes) {
            Some(token) if code >> 5 == 0 && code != 0 => {
                let to = ReplyTo {
                    peer,
                    carrier,
                    token: token.to_vec(),
                };
                let out = Out {
                    block1: Some(Block {
                        num: 0,
                        more: false,
                        szx: self.szx,
                    }),
                    size1: Some(self.config.max_body_size.0 as u32),
                    ..Out::diagnostic(
                        ResponseCode::REQUEST_ENTITY_TOO_LARGE,
                        "message too large; use block-wise transfer",
                    )
                };
                let packet = self.packet(&to, &out);
                if let Some(bytes) = message::encode(&packet) {
                    self.send(peer, bytes);
                }
            }
            _ => self.send_reset(peer, h.message_id),
        }
    }

    fn on_request(&mut self, now: Instant, peer: SocketAddr, packet: Packet) {
        let mid = packet.header.message_id;
        let to = ReplyTo {
            peer,
            carrier: if packet.header.get_type() == MessageType::Confirmable {
                Carrier::Ack(mid)
            } else {
                Carrier::Non
            },
            token: packet.get_token().to_vec(),
        };
        if let Some(p) = self.peers.get(&peer)
            && let Some(ex) = p.exchanges.get(&mid)
        {
            metrics::counter!(METRIC_DUPLICATES).increment(1);
            debug!(%peer, mid, "duplicate coap request");
            if let Exchange::Done(Some(bytes)) = ex {
                let bytes = bytes.clone();
                self.send(peer, bytes);
            }
            return;
        }
        if !self.admit_peer(peer) {
            refused("peers");
            let out = Out {
                max_age: Some(1),
                ..Out::diagnostic(ResponseCode::SERVICE_UNAVAILABLE, "too many clients")
            };
            // No state for this peer, so the answer is not remembered.
            let packet = self.packet(&to, &out);
            if let Some(bytes) = message::encode(&packet) {
                self.send(peer, bytes);
            }
            return;
        }
        metrics::counter!(METRIC_REQUESTS).increment(1);

        let opts = match message::read_request(&packet) {
            Ok(o) => o,
            Err(reject) => {
                let (code, text) = match reject {
                    Reject::BadOption(_) if to.carrier == Carrier::Non => {
                        // RFC 7252 §5.4.1: a non-confirmable request with an unrecognised
                        // critical option is rejected.
                        self.send_reset(peer, mid);
                        self.record_done(now, peer, mid, None);
                        return;
                    }
                    Reject::BadOption(t) => (ResponseCode::BAD_OPTION, t),
                    Reject::BadRequest(t) => (ResponseCode::BAD_REQUEST, t),
                    Reject::MethodNotAllowed => (
                        ResponseCode::METHOD_NOT_ALLOWED,
                        "only GET, POST, PUT and DELETE are supported".into(),
                    ),
                    Reject::ProxyingNotSupported => (
                        ResponseCode::PROXYING_NOT_SUPPORTED,
                        "this server is not a proxy".into(),
                    ),
                };
                self.answer(now, &to, mid, &Out::diagnostic(code, &text));
                return;
            }
        };
        let key = ResourceKey::of(&opts);
        let observe = match opts.method {
            Method::Get => opts.observe,
            _ => None,
        };

        // A registration or deregistration with the token of an observation ends it
        // (RFC 7641 §3.6, §4.1).
        if let Some(v @ (0 | 1)) = observe
            && let Some(&id) = self.by_token.get(&(peer, to.token.clone()))
        {
            let reason = if v == 0 {
                ObserveEnd::Replaced
            } else {
                ObserveEnd::Deregistered
            };
            self.end_observation(id, reason);
        }

        // A later block of a response: from the cache, else a GET is asked again.
        if let Some(b2) = opts.block2
            && b2.num > 0
            && opts.block1.is_none()
        {
            if self.serve_cached_block(now, &to, mid, &key, b2) {
                return;
            }
            if opts.method != Method::Get {
                let out = Out::diagnostic(
                    ResponseCode::REQUEST_ENTITY_INCOMPLETE,
                    "the response is no longer available; repeat the request",
                );
                self.answer(now, &to, mid, &out);
                return;
            }
        }

        let calls_handler = opts.block1.is_none_or(|b| !b.more);
        if calls_handler && !self.has_capacity(peer) {
            refused("in_flight");
            let out = Out {
                max_age: Some(1),
                ..Out::diagnostic(ResponseCode::SERVICE_UNAVAILABLE, "too many requests")
            };
            self.answer(now, &to, mid, &out);
            return;
        }

        let mut payload = packet.payload;
        let mut block1 = None;
        if let Some(b1) = opts.block1 {
            match self.upload(now, &to, mid, &opts, &key, b1, payload) {
                Some(body) => {
                    payload = body;
                    block1 = Some(Block { more: false, ..b1 });
                }
                None => return,
            }
        }

        let register = observe == Some(0) && opts.block2.is_none_or(|b| b.num == 0);
        let request = CoapRequest {
            peer,
            method: opts.method,
            path: opts.path,
            query: opts.query,
            content_format: opts.content_format,
            accept: opts.accept,
            payload,
            observe,
            token: to.token.clone(),
        };
        let id = self.next_call;
        self.next_call += 1;
        self.calls.insert(
            id,
            Pending {
                to,
                mid,
                key,
                block1,
                block2: opts.block2,
                register,
            },
        );
        if let Some(p) = self.peers.get_mut(&peer) {
            p.exchanges.insert(mid, Exchange::InProgress);
            p.in_flight += 1;
        }
        self.in_flight += 1;
        self.actions.push(Action::Call { id, request });
    }

    /// Makes room for `peer` if it is new; false if the table is full of busy peers.
    fn admit_peer(&mut self, peer: SocketAddr) -> bool {
        if self.peers.contains_key(&peer) {
            return true;
        }
        if self.peers.len() >= self.config.max_peers {
            let mut evicted = false;
            // A bounded look at the oldest peers: busy ones go to the back, so the next
            // newcomer looks at others, and a flood of newcomers costs O(1) each.
            for _ in 0..self.peer_order.len().min(EVICTION_CANDIDATES) {
                let Some(addr) = self.peer_order.pop_front() else {
                    break;
                };
                match self.peers.get(&addr) {
                    Some(p) if p.is_evictable() => {
                        self.remove_peer(addr);
                        evicted = true;
                        break;
                    }
                    Some(_) => self.peer_order.push_back(addr),
                    None => {}
                }
            }
            if !evicted {
                return false;
            }
            debug!(%peer, "coap peer table full; evicted the oldest idle peer");
        }
        self.peers.insert(peer, Peer::default());
        self.peer_order.push_back(peer);
        true
    }

    fn remove_peer(&mut self, addr: SocketAddr) {
        if let Some(p) = self.peers.remove(&addr) {
            let held: usize = p.uploads.iter().map(|u| u.body.len()).sum::<usize>()
                + p.downloads.iter().map(|d| d.body.len()).sum::<usize>();
            self.transfer_bytes -= held;
        }
    }

    fn has_capacity(&self, peer: SocketAddr) -> bool {
        let per_peer = self.peers.get(&peer).map_or(0, |p| p.in_flight);
        self.in_flight < self.config.max_in_flight && per_peer < self.config.max_in_flight_per_peer
    }

    /// Answers a request with something the server made itself, and remembers it.
    fn answer(&mut self, now: Instant, to: &ReplyTo, mid: u16, out: &Out<'_>) {
        let packet = self.packet(to, out);
        self.finish(now, to, mid, &packet);
    }

    /// Sends the answer to request `mid` and remembers it for retransmissions.
    fn finish(&mut self, now: Instant, to: &ReplyTo, mid: u16, packet: &Packet) {
        let Some(bytes) = message::encode(packet) else {
            return;
        };
        let cached = match to.carrier {
            Carrier::Ack(_) => Some(bytes.clone()),
            _ => None,
        };
        self.send(to.peer, bytes);
        self.record_done(now, to.peer, mid, cached);
    }

    fn record_done(&mut self, now: Instant, peer: SocketAddr, mid: u16, bytes: Option<Vec<u8>>) {
        let lifetime = self.config.exchange_lifetime.0;
        let cap = self.config.max_exchanges_per_peer;
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        if let Some(Exchange::Done(_)) = p.exchanges.insert(mid, Exchange::Done(bytes)) {
            // Already remembered (cannot happen: a remembered id is answered from the
            // cache); keep one queue entry per exchange.
            return;
        }
        p.done.push_back((now + lifetime, mid));
        while p.done.len() > cap {
            if let Some((_, old)) = p.done.pop_front() {
                p.exchanges.remove(&old);
            }
        }
    }

    fn packet(&mut self, to: &ReplyTo, out: &Out<'_>) -> Packet {
        let mut p = Packet::new();
        match to.carrier {
            Carrier::Ack(mid) => {
                p.header.set_type(MessageType::Acknowledgement);
                p.header.message_id = mid;
            }
            Carrier::Non => {
                p.header.set_type(MessageType::NonConfirmable);
                p.header.message_id = self.fresh_mid();
            }
            Carrier::Con => {
                p.header.set_type(MessageType::Confirmable);
                p.header.message_id = self.fresh_mid();
            }
        }
        p.header.code = MessageClass::from(out.code.as_byte());
        p.set_token(to.token.clone());
        let mut add = |o: u16, v: Vec<u8>| p.add_option(CoapOption::from(o), v);
        if let Some(e) = out.etag {
            add(opt::ETAG, e.to_vec());
        }
        if let Some(v) = out.observe {
            add(opt::OBSERVE, message::write_uint(v));
        }
        if let Some(cf) = out.content_format {
            add(opt::CONTENT_FORMAT, message::write_uint(cf as u32));
        }
        if let Some(a) = out.max_age {
            add(opt::MAX_AGE, message::write_uint(a));
        }
        if let Some(b) = out.block2 {
            add(opt::BLOCK2, b.encode());
        }
        if let Some(b) = out.block1 {
            add(opt::BLOCK1, b.encode());
        }
        if let Some(s) = out.size2 {
            add(opt::SIZE2, message::write_uint(s));
        }
        if let Some(s) = out.size1 {
            add(opt::SIZE1, message::write_uint(s));
        }
        p.payload = out.payload.to_vec();
        p
    }

    // ----- block-wise ------------------------------------------------------------------

    /// One Block1 block. Returns the whole body when this was the last block; otherwise the
    /// request has been answered (2.31, 4.08, 4.13, 4.00 or 5.03).
    #[allow(clippy::too_many_arguments)] // One call site; a struct would only rename them.
    fn upload(
        &mut self,
        now: Instant,
        to: &ReplyTo,
        mid: u16,
        opts: &RequestOptions,
        key: &ResourceKey,
        b1: Block,
        payload: Vec<u8>,
    ) -> Option<Vec<u8>> {
        let max_body = self.config.max_body_size.0;
        let too_large = |engine: &mut Engine| {
            let out = Out {
                size1: Some(max_body as u32),
                ..Out::diagnostic(
                    ResponseCode::REQUEST_ENTITY_TOO_LARGE,
                    "request body too large",
                )
            };
            engine.answer(now, to, mid, &out);
        };
        let previous = self.take_upload(to.peer, key);
        if opts.size1.is_some_and(|s| s as usize > max_body) {
            too_large(self);
            return None;
        }
        let mut body = if b1.num == 0 {
            Vec::new()
        } else {
            match previous {
                Some(body) if body.len() == b1.offset() => body,
                _ => {
                    let out = Out::diagnostic(
                        ResponseCode::REQUEST_ENTITY_INCOMPLETE,
                        "block out of order or transfer expired; start again from block 0",
                    );
                    self.answer(now, to, mid, &out);
                    return None;
                }
            }
        };
        if body.len() + payload.len() > max_body {
            too_large(self);
            return None;
        }
        if b1.more && payload.len() != b1.size() {
            let out = Out::diagnostic(
                ResponseCode::BAD_REQUEST,
                "a block other than the last must be exactly the block size",
            );
            self.answer(now, to, mid, &out);
            return None;
        }
        body.extend_from_slice(&payload);
        if !b1.more {
            return Some(body);
        }
        let cap = self.config.max_transfers_per_peer;
        // The peer's own oldest upload makes room first.
        if let Some(p) = self.peers.get_mut(&to.peer)
            && p.uploads.len() >= cap
        {
            let old = p.uploads.remove(0);
            self.transfer_bytes -= old.body.len();
        }
        if self.transfer_bytes + body.len() > self.config.transfer_memory.0 {
            refused("transfer_memory");
            let out = Out {
                max_age: Some(1),
                ..Out::diagnostic(ResponseCode::SERVICE_UNAVAILABLE, "server busy")
            };
            self.answer(now, to, mid, &out);
            return None;
        }
        let expires = now + self.config.exchange_lifetime.0;
        if let Some(p) = self.peers.get_mut(&to.peer) {
            self.transfer_bytes += body.len();
            p.uploads.push(Upload {
                key: key.clone(),
                body,
                expires,
            });
        }
        let out = Out {
            block1: Some(b1),
            ..Out::new(ResponseCode::CONTINUE)
        };
        self.answer(now, to, mid, &out);
        None
    }

    fn take_upload(&mut self, peer: SocketAddr, key: &ResourceKey) -> Option<Vec<u8>> {
        let p = self.peers.get_mut(&peer)?;
        let i = p.uploads.iter().position(|u| &u.key == key)?;
        let u = p.uploads.remove(i);
        self.transfer_bytes -= u.body.len();
        Some(u.body)
    }

    /// Serves a later block from the cache; false if the body is not cached.
    fn serve_cached_block(
        &mut self,
        now: Instant,
        to: &ReplyTo,
        mid: u16,
        key: &ResourceKey,
        b2: Block,
    ) -> bool {
        let lifetime = self.config.exchange_lifetime.0;
        let szx = b2.szx.min(self.szx);
        let Some(d) = self
            .peers
            .get_mut(&to.peer)
            .and_then(|p| p.downloads.iter_mut().find(|d| &d.key == key))
        else {
            return false;
        };
        d.expires = now + lifetime;
        let (code, cf, etag) = (d.code, d.content_format, d.etag);
        let body = std::mem::take(&mut d.body);
        let out = match slice_block(&body, b2.offset(), szx) {
            Some((block, payload)) => Out {
                content_format: cf,
                payload,
                block2: Some(block),
                etag: Some(etag),
                size2: (block.num == 0).then_some(body.len() as u32),
                ..Out::new(code)
            },
            None => Out::diagnostic(ResponseCode::BAD_OPTION, "block number beyond the end"),
        };
        let packet = self.packet(to, &out);
        // Put the body back before `finish` borrows self again.
        if let Some(d) = self
            .peers
            .get_mut(&to.peer)
            .and_then(|p| p.downloads.iter_mut().find(|d| &d.key == key))
        {
            d.body = body;
        }
        self.finish(now, to, mid, &packet);
        true
    }

    /// The packet for a handler's response: whole, or the requested Block2 block with the
    /// body cached for the blocks that follow.
    #[allow(clippy::too_many_arguments)] // Internal; the arguments are the response's parts.
    fn render(
        &mut self,
        now: Instant,
        to: &ReplyTo,
        key: &ResourceKey,
        r: CoapResponse,
        observe: Option<u32>,
        block1: Option<Block>,
        block2: Option<Block>,
    ) -> Packet {
        let szx = block2.map_or(self.szx, |b| b.szx.min(self.szx));
        let offset = block2.map_or(0, |b| b.offset());
        let size = 1usize << (szx + 4);
        if offset == 0 && r.payload.len() <= size {
            let out = Out {
                content_format: r.content_format,
                payload: &r.payload,
                observe,
                block1,
                ..Out::new(r.code)
            };
            return self.packet(to, &out);
        }
        let etag = etag_of(&r);
        let Some((block, payload)) = slice_block(&r.payload, offset, szx) else {
            let out = Out {
                block1,
                ..Out::diagnostic(ResponseCode::BAD_OPTION, "block number beyond the end")
            };
            return self.packet(to, &out);
        };
        let out = Out {
            content_format: r.content_format,
            payload,
            observe,
            block1,
            block2: Some(block),
            etag: Some(etag),
            size2: (block.num == 0).then_some(r.payload.len() as u32),
            ..Out::new(r.code)
        };
        let packet = self.packet(to, &out);
        if block.more {
            self.cache_download(now, to.peer, key, r, etag);
        }
        packet
    }

    fn cache_download(
        &mut self,
        now: Instant,
        peer: SocketAddr,
        key: &ResourceKey,
        r: CoapResponse,
        etag: [u8; 8],
    ) {
        let cap = self.config.max_transfers_per_peer;
        let limit = self.config.transfer_memory.0;
        let expires = now + self.config.exchange_lifetime.0;
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        if let Some(i) = p.downloads.iter().position(|d| &d.key == key) {
            let old = p.downloads.remove(i);
            self.transfer_bytes -= old.body.len();
        }
        if p.downloads.len() >= cap {
            let old = p.downloads.remove(0);
            self.transfer_bytes -= old.body.len();
        }
        if self.transfer_bytes + r.payload.len() > limit {
            // Not cached: a GET for the next block asks the handler again.
            refused("transfer_memory");
            return;
        }
        self.transfer_bytes += r.payload.len();
        p.downloads.push(Download {
            key: key.clone(),
            code: r.code,
            content_format: r.content_format,
            body: r.payload,
            etag,
            expires,
        });
    }

    // ----- handler results -------------------------------------------------------------

    pub(crate) fn on_call_done(&mut self, now: Instant, id: CallId, outcome: CallOutcome) {
        let Some(call) = self.calls.remove(&id) else {
            return;
        };
        self.in_flight -= 1;
        if let Some(p) = self.peers.get_mut(&call.to.peer) {
            p.in_flight -= 1;
        }
        let (response, updates) = match outcome {
            CallOutcome::Reply(CoapReply::Response(r)) => (checked(r), None),
            CallOutcome::Reply(CoapReply::Observe { first, updates }) => {
                (checked(first), Some(updates))
            }
            CallOutcome::Panicked => (
                CoapResponse::error(ResponseCode::INTERNAL_SERVER_ERROR, "internal error"),
                None,
            ),
            CallOutcome::TimedOut => (
                CoapResponse::error(ResponseCode::SERVICE_UNAVAILABLE, "timed out"),
                None,
            ),
        };
        let mut observe = None;
        if let Some(updates) = updates {
            let observation = Observation {
                peer: call.to.peer,
                token: call.to.token.clone(),
                path: call.key.path.clone(),
                query: call.key.query.clone(),
            };
            let peer_count = self.peers.get(&call.to.peer).map_or(0, |p| p.observers);
            if call.register
                && response.code.is_success()
                && self.observations.len() < self.config.max_observers
                && peer_count < self.config.max_observers_per_peer
            {
                let obs_id = self.next_obs;
                self.next_obs += 1;
                self.by_token
                    .insert((call.to.peer, call.to.token.clone()), obs_id);
                self.observations.insert(
                    obs_id,
                    Obs {
                        observation,
                        key: call.key.clone(),
                        awaiting: None,
                        ready: None,
                        closing: None,
                    },
                );
                if let Some(p) = self.peers.get_mut(&call.to.peer) {
                    p.observers += 1;
                }
                metrics::gauge!(METRIC_OBSERVERS).set(self.observations.len() as f64);
                observe = Some(self.next_seq());
                self.actions.push(Action::Watch {
                    id: obs_id,
                    updates,
                });
            } else {
                if call.register {
                    refused("observers");
                }
                self.actions.push(Action::ObserverGone {
                    observation,
                    reason: ObserveEnd::Refused,
                });
            }
        }
        let packet = self.render(
            now,
            &call.to,
            &call.key,
            response,
            observe,
            call.block1,
            call.block2,
        );
        // For a non-confirmable request this marks its id answered without keeping bytes.
        self.finish(now, &call.to, call.mid, &packet);
    }

    fn next_seq(&mut self) -> u32 {
        self.observe_seq = (self.observe_seq + 1) & 0xff_ffff;
        self.observe_seq
    }

    // ----- observations ----------------------------------------------------------------

    /// The next update of observation `id`; `ready` fires once it has been acknowledged.
    pub(crate) fn on_update(
        &mut self,
        now: Instant,
        id: ObsId,
        response: CoapResponse,
        ready: oneshot::Sender<()>,
    ) {
        let Some(obs) = self.observations.get(&id) else {
            return;
        };
        if obs.awaiting.is_some() {
            // The forwarder waits for `ready`, so this does not happen; drop the update
            // rather than send two notifications at once.
            return;
        }
        let to = ReplyTo {
            peer: obs.observation.peer,
            carrier: Carrier::Con,
            token: obs.observation.token.clone(),
        };
        let key = obs.key.clone();
        let response = checked(response);
        let success = response.code.is_success();
        let seq = success.then(|| self.next_seq());
        let packet = self.render(now, &to, &key, response, seq, None, None);
        let Some(bytes) = message::encode(&packet) else {
            return;
        };
        let mid = packet.header.message_id;
        let timeout = self.initial_timeout();
        let deadline = now + timeout;
        if let Some(obs) = self.observations.get_mut(&id) {
            obs.awaiting = Some(AwaitingAck {
                mid,
                bytes: bytes.clone(),
                retransmits: 0,
                timeout,
                deadline,
            });
            obs.ready = Some(ready);
            if !success {
                obs.closing = Some(ObserveEnd::ErrorSent);
            }
        }
        self.awaiting_ack.insert((to.peer, mid), id);
        self.timers.push(Reverse((deadline, id, mid)));
        metrics::counter!(METRIC_NOTIFICATIONS).increment(1);
        self.send(to.peer, bytes);
    }

    pub(crate) fn on_updates_closed(&mut self, id: ObsId) {
        self.end_observation(id, ObserveEnd::UpdatesClosed);
    }

    fn initial_timeout(&mut self) -> Duration {
        let base = self.config.ack_timeout.0;
        let spread = self.config.ack_random_factor - 1.0;
        let r = (self.random() >> 11) as f64 / (1u64 << 53) as f64;
        base.mul_f64(1.0 + spread * r)
    }

    fn on_ack(&mut self, peer: SocketAddr, mid: u16) {
        let Some(id) = self.awaiting_ack.remove(&(peer, mid)) else {
            return;
        };
        let Some(obs) = self.observations.get_mut(&id) else {
            return;
        };
        obs.awaiting = None;
        if let Some(reason) = obs.closing {
            self.end_observation(id, reason);
        } else if let Some(ready) = obs.ready.take() {
            let _ = ready.send(());
        }
    }

    fn on_reset(&mut self, peer: SocketAddr, mid: u16) {
        if let Some(id) = self.awaiting_ack.remove(&(peer, mid)) {
            self.end_observation(id, ObserveEnd::Reset);
        }
    }

    fn end_observation(&mut self, id: ObsId, reason: ObserveEnd) {
        let Some(obs) = self.observations.remove(&id) else {
            return;
        };
        let peer = obs.observation.peer;
        self.by_token.remove(&(peer, obs.observation.token.clone()));
        if let Some(a) = &obs.awaiting {
            self.awaiting_ack.remove(&(peer, a.mid));
        }
        if let Some(p) = self.peers.get_mut(&peer) {
            p.observers -= 1;
        }
        metrics::gauge!(METRIC_OBSERVERS).set(self.observations.len() as f64);
        debug!(%peer, ?reason, "coap observation ended");
        self.actions.push(Action::Unwatch { id });
        self.actions.push(Action::ObserverGone {
            observation: obs.observation,
            reason,
        });
    }

    /// Ends every observation (reason [`ObserveEnd::Shutdown`]).
    pub(crate) fn shutdown(&mut self) {
        let ids: Vec<ObsId> = self.observations.keys().copied().collect();
        for id in ids {
            self.end_observation(id, ObserveEnd::Shutdown);
        }
    }

    // ----- time ------------------------------------------------------------------------

    /// Retransmits or gives up on notifications whose time has come, and forgets expired
    /// state.
    pub(crate) fn on_timer(&mut self, now: Instant) {
        while let Some(Reverse((deadline, id, mid))) = self.timers.peek().copied() {
            if deadline > now {
                break;
            }
            self.timers.pop();
            let max = self.config.max_retransmit;
            let Some(obs) = self.observations.get_mut(&id) else {
                continue;
            };
            let peer = obs.observation.peer;
            let Some(a) = obs.awaiting.as_mut().filter(|a| a.mid == mid) else {
                continue;
            };
            if a.retransmits >= max {
                self.end_observation(id, ObserveEnd::NotAcknowledged);
                continue;
            }
            a.retransmits += 1;
            a.timeout *= 2;
            a.deadline = now + a.timeout;
            let (deadline, bytes) = (a.deadline, a.bytes.clone());
            self.timers.push(Reverse((deadline, id, mid)));
            metrics::counter!(METRIC_RETRANSMISSIONS).increment(1);
            self.send(peer, bytes);
        }
        if now >= self.next_sweep {
            self.sweep(now);
            self.next_sweep = now + sweep_interval(&self.config);
        }
    }

    fn sweep(&mut self, now: Instant) {
        let mut freed = 0;
        for p in self.peers.values_mut() {
            while let Some(&(expires, mid)) = p.done.front() {
                if expires > now {
                    break;
                }
                p.done.pop_front();
                p.exchanges.remove(&mid);
            }
            p.uploads.retain(|u| {
                let keep = u.expires > now;
                if !keep {
                    freed += u.body.len();
                }
                keep
            });
            p.downloads.retain(|d| {
                let keep = d.expires > now;
                if !keep {
                    freed += d.body.len();
                }
                keep
            });
        }
        self.transfer_bytes -= freed;
        self.peers.retain(|_, p| !p.is_idle());
        let peers = &self.peers;
        self.peer_order.retain(|a| peers.contains_key(a));
    }
}

/// A handler's response, or 5.00 if its code is no response code (class 2 to 5).
fn checked(r: CoapResponse) -> CoapResponse {
    if ResponseCode::from_byte(r.code.as_byte()).is_some() {
        r
    } else {
        debug!(code = %r.code, "coap handler returned a code that is not a response code");
        CoapResponse::error(ResponseCode::INTERNAL_SERVER_ERROR, "internal error")
    }
}

fn sweep_interval(config: &CoapConfig) -> Duration {
    (config.exchange_lifetime.0 / 8).clamp(Duration::from_millis(10), Duration::from_secs(1))
}

/// The block at `offset` in blocks of 2^(szx+4) bytes (rounded down to a block boundary),
/// or `None` past the end.
fn slice_block(body: &[u8], offset: usize, szx: u8) -> Option<(Block, &[u8])> {
    let size = 1usize << (szx + 4);
    let num = offset / size;
    let start = num * size;
    if start >= body.len() && !(start == 0 && body.is_empty()) {
        return None;
    }
    let end = (start + size).min(body.len());
    let num = u32::try_from(num).ok().filter(|n| *n <= Block::MAX_NUM)?;
    Some((
        Block {
            num,
            more: end < body.len(),
            szx,
        },
        &body[start..end],
    ))
}

/// An entity tag for a block-wise body, so a client notices if it changed between blocks.
fn etag_of(r: &CoapResponse) -> [u8; 8] {
    let mut h = std::hash::DefaultHasher::new();
    r.code.as_byte().hash(&mut h);
    r.content_format.hash(&mut h);
    r.payload.hash(&mut h);
    h.finish().to_be_bytes()
}

#[cfg(test)]
mod tests {
    //! The state machine alone, on a clock the tests move: expiry, caps and retransmission
    //! timing are checked without sockets or sleeps.

    use super::*;
    use crate::config::{ByteSize, Duration as CfgDuration};
    use coap_lite::RequestType;

    const A: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 1);
    const B: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 2);

    fn engine(tune: impl FnOnce(&mut CoapConfig)) -> (Engine, Instant) {
        let mut c = CoapConfig::default();
        tune(&mut c);
        c.validate().unwrap();
        let now = Instant::now();
        (Engine::new(c, now), now)
    }

    fn request(
        mtype: MessageType,
        code: RequestType,
        mid: u16,
        options: &[(u16, Vec<u8>)],
        payload: &[u8],
    ) -> Vec<u8> {
        let mut p = Packet::new();
        p.header.set_type(mtype);
        p.header.code = MessageClass::Request(code);
        p.header.message_id = mid;
        p.set_token(vec![0x70, mid as u8]);
        for (n, v) in options {
            p.add_option(CoapOption::from(*n), v.clone());
        }
        p.payload = payload.to_vec();
        p.to_bytes_unlimited().unwrap()
    }

    fn path(p: &str) -> (u16, Vec<u8>) {
        (opt::URI_PATH, p.as_bytes().to_vec())
    }

    fn block(o: u16, num: u32, more: bool, szx: u8) -> (u16, Vec<u8>) {
        (o, Block { num, more, szx }.encode())
    }

    fn sent(actions: &[Action]) -> Vec<Packet> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Send { bytes, .. } => Some(decode_message(bytes).unwrap()),
                _ => None,
            })
            .collect()
    }

    fn calls(actions: Vec<Action>) -> Vec<(CallId, CoapRequest)> {
        actions
            .into_iter()
            .filter_map(|a| match a {
                Action::Call { id, request } => Some((id, request)),
                _ => None,
            })
            .collect()
    }

    fn code(p: &Packet) -> ResponseCode {
        ResponseCode::from_byte(u8::from(p.header.code)).unwrap()
    }

    fn block_of(p: &Packet, o: u16) -> Option<Block> {
        p.get_first_option(CoapOption::from(o))
            .and_then(|v| Block::decode(v))
    }

    fn uint_of(p: &Packet, o: u16) -> Option<u32> {
        p.get_first_option(CoapOption::from(o))
            .and_then(|v| message::read_uint(v, 4))
    }

    fn reply(e: &mut Engine, now: Instant, id: CallId, r: CoapResponse) -> Vec<Packet> {
        e.on_call_done(now, id, CallOutcome::Reply(CoapReply::Response(r)));
        sent(&e.take_actions())
    }

    fn get(mid: u16) -> Vec<u8> {
        request(
            MessageType::Confirmable,
            RequestType::Get,
            mid,
            &[path("x")],
            b"",
        )
    }

    #[test]
    fn con_request_is_answered_once_and_remembered_until_its_lifetime_ends() {
        let (mut e, t0) = engine(|_| {});
        e.on_datagram(t0, A, &get(10));
        let c = calls(e.take_actions());
        assert_eq!(c.len(), 1);
        // In progress: a retransmission gets nothing, not even an empty ACK.
        e.on_datagram(t0, A, &get(10));
        assert!(e.take_actions().is_empty());
        let out = reply(
            &mut e,
            t0,
            c[0].0,
            CoapResponse::with_payload(ResponseCode::CONTENT, Some(0), "21.5"),
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].header.get_type(), MessageType::Acknowledgement);
        assert_eq!(out[0].header.message_id, 10);
        assert_eq!(out[0].get_token(), &[0x70, 10]);
        assert_eq!(out[0].payload, b"21.5");
        // Answered: a retransmission gets the same bytes; the handler is not called.
        e.on_datagram(t0, A, &get(10));
        let again = sent(&e.take_actions());
        assert_eq!(again, out);
        // The same id from another peer is another request.
        e.on_datagram(t0, B, &get(10));
        assert_eq!(calls(e.take_actions()).len(), 1);
        // After EXCHANGE_LIFETIME the id is forgotten.
        let later = t0 + std::time::Duration::from_secs(248);
        e.on_timer(later);
        e.on_datagram(later, A, &get(10));
        assert_eq!(calls(e.take_actions()).len(), 1);
    }

    #[test]
    fn remembered_ids_per_peer_are_capped_oldest_first() {
        let (mut e, t0) = engine(|c| c.max_exchanges_per_peer = 3);
        for mid in 0..4 {
            e.on_datagram(t0, A, &get(mid));
            let c = calls(e.take_actions());
            reply(&mut e, t0, c[0].0, CoapResponse::new(ResponseCode::CONTENT));
        }
        assert_eq!(e.peers[&A].exchanges.len(), 3);
        assert_eq!(e.peers[&A].done.len(), 3);
        e.on_datagram(t0, A, &get(3));
        assert!(calls(e.take_actions()).is_empty(), "mid 3 is remembered");
        e.on_datagram(t0, A, &get(0));
        assert_eq!(calls(e.take_actions()).len(), 1, "mid 0 was forgotten");
    }

    #[test]
    fn non_request_gets_a_non_response_and_duplicates_are_dropped() {
        let (mut e, t0) = engine(|_| {});
        let r = request(
            MessageType::NonConfirmable,
            RequestType::Post,
            5,
            &[path("t")],
            b"1",
        );
        e.on_datagram(t0, A, &r);
        let c = calls(e.take_actions());
        let out = reply(&mut e, t0, c[0].0, CoapResponse::new(ResponseCode::CHANGED));
        assert_eq!(out[0].header.get_type(), MessageType::NonConfirmable);
        assert_eq!(out[0].get_token(), &[0x70, 5]);
        e.on_datagram(t0, A, &r);
        assert!(e.take_actions().is_empty());
    }

    #[test]
    fn block1_upload_is_reassembled_and_handed_over_once() {
        let (mut e, t0) = engine(|_| {});
        let body: Vec<u8> = (0..40u8).collect();
        let post = |mid, num, more, chunk: &[u8]| {
            request(
                MessageType::Confirmable,
                RequestType::Post,
                mid,
                &[
                    path("t"),
                    (opt::CONTENT_FORMAT, vec![42]),
                    block(opt::BLOCK1, num, more, 0),
                ],
                chunk,
            )
        };
        for (i, chunk) in body.chunks(16).enumerate() {
            let more = (i + 1) * 16 < body.len();
            e.on_datagram(t0, A, &post(i as u16, i as u32, more, chunk));
            let actions = e.take_actions();
            if more {
                let out = sent(&actions);
                assert_eq!(code(&out[0]), ResponseCode::CONTINUE);
                assert_eq!(
                    block_of(&out[0], opt::BLOCK1),
                    Some(Block {
                        num: i as u32,
                        more: true,
                        szx: 0
                    })
                );
            } else {
                let c = calls(actions);
                assert_eq!(c[0].1.payload, body);
                assert_eq!(c[0].1.content_format, Some(42));
                let out = reply(&mut e, t0, c[0].0, CoapResponse::new(ResponseCode::CHANGED));
                assert_eq!(
                    block_of(&out[0], opt::BLOCK1),
                    Some(Block {
                        num: 2,
                        more: false,
                        szx: 0
                    })
                );
            }
        }
        assert_eq!(e.transfer_bytes, 0);
        // Out of order: block 2 without blocks 0 and 1.
        e.on_datagram(t0, A, &post(10, 2, false, b"x"));
        assert_eq!(
            code(&sent(&e.take_actions())[0]),
            ResponseCode::REQUEST_ENTITY_INCOMPLETE
        );
        // A block that arrives after the transfer expired.
        e.on_datagram(t0, A, &post(11, 0, true, &[0; 16]));
        assert_eq!(code(&sent(&e.take_actions())[0]), ResponseCode::CONTINUE);
        assert_eq!(e.transfer_bytes, 16);
        let later = t0 + std::time::Duration::from_secs(300);
        e.on_timer(later);
        assert_eq!(e.transfer_bytes, 0);
        e.on_datagram(later, A, &post(12, 1, false, b"end"));
        assert_eq!(
            code(&sent(&e.take_actions())[0]),
            ResponseCode::REQUEST_ENTITY_INCOMPLETE
        );
        // A non-final block of the wrong size.
        e.on_datagram(later, A, &post(13, 0, true, &[0; 15]));
        assert_eq!(code(&sent(&e.take_actions())[0]), ResponseCode::BAD_REQUEST);
    }

    #[test]
    fn block1_beyond_max_body_size_is_refused_with_size1() {
        let (mut e, t0) = engine(|c| c.max_body_size = ByteSize(40));
        let post = |mid, num, more, extra: Vec<(u16, Vec<u8>)>| {
            let mut o = vec![path("t"), block(opt::BLOCK1, num, more, 0)];
            o.extend(extra);
            request(
                MessageType::Confirmable,
                RequestType::Post,
                mid,
                &o,
                &[1; 16],
            )
        };
        // Announced up front.
        e.on_datagram(t0, A, &post(1, 0, true, vec![(opt::SIZE1, vec![100])]));
        let out = sent(&e.take_actions());
        assert_eq!(code(&out[0]), ResponseCode::REQUEST_ENTITY_TOO_LARGE);
        assert_eq!(uint_of(&out[0], opt::SIZE1), Some(40));
        // Discovered on the third block.
        for num in 0..2 {
            e.on_datagram(t0, A, &post(2 + num as u16, num, true, vec![]));
            assert_eq!(code(&sent(&e.take_actions())[0]), ResponseCode::CONTINUE);
        }
        e.on_datagram(t0, A, &post(4, 2, true, vec![]));
        let out = sent(&e.take_actions());
        assert_eq!(code(&out[0]), ResponseCode::REQUEST_ENTITY_TOO_LARGE);
        assert_eq!(uint_of(&out[0], opt::SIZE1), Some(40));
        assert_eq!(e.transfer_bytes, 0, "the refused upload is dropped");
    }

    #[test]
    fn uploads_share_a_memory_budget_and_a_per_peer_cap() {
        let (mut e, t0) = engine(|c| {
            c.transfer_memory = ByteSize(64);
            c.max_body_size = ByteSize(64);
            c.max_transfers_per_peer = 2;
        });
        let start = |peer, mid: u16, p: &str| {
            let r = request(
                MessageType::Confirmable,
                RequestType::Post,
                mid,
                &[path(p), block(opt::BLOCK1, 0, true, 1)],
                &[0; 32],
            );
            (peer, r)
        };
        for (i, p) in ["a", "b", "c"].iter().enumerate() {
            let (peer, r) = start(A, i as u16, p);
            e.on_datagram(t0, peer, &r);
            assert_eq!(code(&sent(&e.take_actions())[0]), ResponseCode::CONTINUE);
        }
        assert_eq!(
            e.peers[&A].uploads.len(),
            2,
            "the oldest upload was replaced"
        );
        assert_eq!(e.transfer_bytes, 64);
        let (peer, r) = start(B, 9, "a");
        e.on_datagram(t0, peer, &r);
        let out = sent(&e.take_actions());
        assert_eq!(code(&out[0]), ResponseCode::SERVICE_UNAVAILABLE);
        assert_eq!(uint_of(&out[0], opt::MAX_AGE), Some(1));
    }

    #[test]
    fn large_response_goes_out_in_blocks_from_a_cache() {
        let (mut e, t0) = engine(|c| c.block_size = ByteSize(64));
        let body: Vec<u8> = (0..150u8).collect();
        let get_block = |mid, num, szx| {
            request(
                MessageType::Confirmable,
                RequestType::Get,
                mid,
                &[path("fw"), block(opt::BLOCK2, num, false, szx)],
                b"",
            )
        };
        e.on_datagram(t0, A, &get(1));
        let c = calls(e.take_actions());
        let big = CoapResponse::with_payload(ResponseCode::CONTENT, Some(42), body.clone());
        let out = reply(&mut e, t0, c[0].0, big.clone());
        assert_eq!(
            block_of(&out[0], opt::BLOCK2),
            Some(Block {
                num: 0,
                more: true,
                szx: 2
            })
        );
        assert_eq!(uint_of(&out[0], opt::SIZE2), Some(150));
        assert_eq!(out[0].payload, &body[..64]);
        let etag = out[0].get_first_option(CoapOption::ETag).cloned().unwrap();
        // A client that asks for 32-byte blocks from the start (early negotiation) gets
        // them, and the later blocks come from the cache without calling the handler.
        e.on_datagram(t0, A, &get_block(2, 0, 1));
        let c = calls(e.take_actions());
        assert_eq!(c.len(), 1);
        let out = reply(&mut e, t0, c[0].0, big.clone());
        assert_eq!(
            block_of(&out[0], opt::BLOCK2),
            Some(Block {
                num: 0,
                more: true,
                szx: 1
            })
        );
        assert_eq!(out[0].payload, &body[..32]);
        let mut got = out[0].payload.clone();
        for num in 1..5 {
            e.on_datagram(t0, A, &get_block(2 + num as u16, num, 1));
            let actions = e.take_actions();
            let out = sent(&actions);
            assert!(calls(actions).is_empty(), "served from the cache");
            let b = block_of(&out[0], opt::BLOCK2).unwrap();
            assert_eq!(b.num, num);
            assert_eq!(b.more, num < 4);
            assert_eq!(out[0].get_first_option(CoapOption::ETag), Some(&etag));
            got.extend_from_slice(&out[0].payload);
        }
        assert_eq!(got, body);
        // Past the end.
        e.on_datagram(t0, A, &get_block(20, 9, 1));
        assert_eq!(code(&sent(&e.take_actions())[0]), ResponseCode::BAD_OPTION);
        // Once expired, a GET for a later block asks the handler again and slices.
        let later = t0 + std::time::Duration::from_secs(300);
        e.on_timer(later);
        assert_eq!(e.transfer_bytes, 0);
        e.on_datagram(later, A, &get_block(30, 2, 2));
        let c = calls(e.take_actions());
        assert_eq!(c.len(), 1);
        let out = reply(&mut e, later, c[0].0, big);
        assert_eq!(
            block_of(&out[0], opt::BLOCK2),
            Some(Block {
                num: 2,
                more: false,
                szx: 2
            })
        );
        assert_eq!(out[0].payload, &body[128..]);
        // A POST's later block cannot be recomputed.
        let r = request(
            MessageType::Confirmable,
            RequestType::Post,
            40,
            &[path("q"), block(opt::BLOCK2, 1, false, 2)],
            b"",
        );
        e.on_datagram(later, A, &r);
        assert_eq!(
            code(&sent(&e.take_actions())[0]),
            ResponseCode::REQUEST_ENTITY_INCOMPLETE
        );
    }

    fn register(
        e: &mut Engine,
        now: Instant,
        peer: SocketAddr,
        mid: u16,
    ) -> (ObsId, Packet, mpsc::Sender<CoapResponse>) {
        let r = request(
            MessageType::Confirmable,
            RequestType::Get,
            mid,
            &[path("cmd"), (opt::OBSERVE, vec![])],
            b"",
        );
        e.on_datagram(now, peer, &r);
        let c = calls(e.take_actions());
        assert_eq!(c[0].1.observe, Some(0));
        let (tx, rx) = mpsc::channel(4);
        let first = CoapResponse::with_payload(ResponseCode::CONTENT, None, "idle");
        e.on_call_done(
            now,
            c[0].0,
            CallOutcome::Reply(CoapReply::Observe { first, updates: rx }),
        );
        let actions = e.take_actions();
        let id = actions
            .iter()
            .find_map(|a| match a {
                Action::Watch { id, .. } => Some(*id),
                _ => None,
            })
            .expect("registered");
        let out = sent(&actions);
        (id, out[0].clone(), tx)
    }

    fn gone(actions: &[Action]) -> Vec<ObserveEnd> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::ObserverGone { reason, .. } => Some(*reason),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn notifications_are_confirmable_and_retransmitted_with_back_off_until_given_up() {
        let (mut e, t0) = engine(|c| {
            c.ack_timeout = CfgDuration(std::time::Duration::from_secs(2));
            c.ack_random_factor = 1.5;
            c.max_retransmit = 4;
        });
        let (id, first, _tx) = register(&mut e, t0, A, 1);
        let seq0 = uint_of(&first, opt::OBSERVE).unwrap();
        let (ready, mut acked) = oneshot::channel();
        e.on_update(
            t0,
            id,
            CoapResponse::with_payload(ResponseCode::CONTENT, None, "go"),
            ready,
        );
        let n = sent(&e.take_actions());
        assert_eq!(n[0].header.get_type(), MessageType::Confirmable);
        assert_eq!(n[0].get_token(), first.get_token());
        assert!(uint_of(&n[0], opt::OBSERVE).unwrap() > seq0);
        let mid = n[0].header.message_id;
        // First timeout within [ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR].
        let next_retransmission =
            |e: &Engine| e.timers.peek().map(|Reverse((t, _, _))| *t).unwrap();
        let first_wait = next_retransmission(&e) - t0;
        assert!(
            first_wait >= std::time::Duration::from_secs(2),
            "{first_wait:?}"
        );
        assert!(
            first_wait <= std::time::Duration::from_secs(3),
            "{first_wait:?}"
        );
        let mut waits = vec![first_wait];
        for _ in 0..4 {
            let now = next_retransmission(&e);
            e.on_timer(now);
            let r = sent(&e.take_actions());
            assert_eq!(r.len(), 1);
            assert_eq!(r[0].header.message_id, mid, "a retransmission keeps its id");
            waits.push(next_retransmission(&e) - now);
        }
        for w in waits.windows(2) {
            assert_eq!(w[1], w[0] * 2, "the wait doubles");
        }
        assert!(acked.try_recv().is_err());
        e.on_timer(next_retransmission(&e));
        let actions = e.take_actions();
        assert!(sent(&actions).is_empty());
        assert_eq!(gone(&actions), [ObserveEnd::NotAcknowledged]);
        assert!(e.observations.is_empty());
        assert_eq!(e.peers[&A].observers, 0);
    }

    #[test]
    fn ack_releases_the_next_update_and_reset_ends_the_observation() {
        let (mut e, t0) = engine(|_| {});
        let (id, _, _tx) = register(&mut e, t0, A, 1);
        let (ready, mut acked) = oneshot::channel();
        e.on_update(t0, id, CoapResponse::new(ResponseCode::CONTENT), ready);
        let mid = sent(&e.take_actions())[0].header.message_id;
        // An ACK from another peer with the same id does nothing.
        e.on_datagram(t0, B, &[0x60, 0, (mid >> 8) as u8, mid as u8]);
        assert!(acked.try_recv().is_err());
        e.on_datagram(t0, A, &[0x60, 0, (mid >> 8) as u8, mid as u8]);
        assert_eq!(acked.try_recv(), Ok(()));
        let (ready, _acked) = oneshot::channel();
        e.on_update(t0, id, CoapResponse::new(ResponseCode::CONTENT), ready);
        let mid = sent(&e.take_actions())[0].header.message_id;
        e.on_datagram(t0, A, &[0x70, 0, (mid >> 8) as u8, mid as u8]);
        assert_eq!(gone(&e.take_actions()), [ObserveEnd::Reset]);
        assert!(e.by_token.is_empty() && e.awaiting_ack.is_empty());
    }

    #[test]
    fn an_error_update_is_the_last_notification() {
        let (mut e, t0) = engine(|_| {});
        let (id, _, _tx) = register(&mut e, t0, A, 1);
        let (ready, _acked) = oneshot::channel();
        e.on_update(t0, id, CoapResponse::new(ResponseCode::NOT_FOUND), ready);
        let n = sent(&e.take_actions());
        assert_eq!(uint_of(&n[0], opt::OBSERVE), None, "no Observe on a 4.04");
        let mid = n[0].header.message_id;
        e.on_datagram(t0, A, &[0x60, 0, (mid >> 8) as u8, mid as u8]);
        assert_eq!(gone(&e.take_actions()), [ObserveEnd::ErrorSent]);
    }

    #[test]
    fn observer_limits_refuse_registration_but_answer_the_get() {
        let (mut e, t0) = engine(|c| {
            c.max_observers = 3;
            c.max_observers_per_peer = 2;
        });
        register(&mut e, t0, A, 1);
        register(&mut e, t0, A, 2);
        let r = request(
            MessageType::Confirmable,
            RequestType::Get,
            3,
            &[path("cmd"), (opt::OBSERVE, vec![])],
            b"",
        );
        e.on_datagram(t0, A, &r);
        let c = calls(e.take_actions());
        let (_tx, rx) = mpsc::channel(1);
        let first = CoapResponse::new(ResponseCode::CONTENT);
        e.on_call_done(
            t0,
            c[0].0,
            CallOutcome::Reply(CoapReply::Observe { first, updates: rx }),
        );
        let actions = e.take_actions();
        assert_eq!(gone(&actions), [ObserveEnd::Refused]);
        let out = sent(&actions);
        assert_eq!(code(&out[0]), ResponseCode::CONTENT);
        assert_eq!(uint_of(&out[0], opt::OBSERVE), None);
        // Another peer still gets one (total 3).
        register(&mut e, t0, B, 4);
        assert_eq!(e.observations.len(), 3);
    }

    #[test]
    fn deregistration_and_re_registration_end_the_old_observation() {
        let (mut e, t0) = engine(|_| {});
        register(&mut e, t0, A, 1);
        // Same token (the helper derives it from the mid): a re-registration.
        let again = request(
            MessageType::Confirmable,
            RequestType::Get,
            1 + 256,
            &[path("cmd"), (opt::OBSERVE, vec![])],
            b"",
        );
        e.on_datagram(t0, A, &again);
        let actions = e.take_actions();
        assert_eq!(gone(&actions), [ObserveEnd::Replaced]);
        let c = calls(actions);
        e.on_call_done(
            t0,
            c[0].0,
            CallOutcome::Reply(CoapResponse::new(ResponseCode::CONTENT).into()),
        );
        e.take_actions();
        let (_, _, _tx) = register(&mut e, t0, A, 2);
        let dereg = request(
            MessageType::Confirmable,
            RequestType::Get,
            2 + 256,
            &[path("cmd"), (opt::OBSERVE, vec![1])],
            b"",
        );
        e.on_datagram(t0, A, &dereg);
        let actions = e.take_actions();
        assert_eq!(gone(&actions), [ObserveEnd::Deregistered]);
        assert_eq!(
            calls(actions)[0].1.observe,
            Some(1),
            "the GET itself is still answered"
        );
    }

    #[test]
    fn a_full_peer_table_evicts_the_oldest_idle_peer_or_refuses() {
        let (mut e, t0) = engine(|c| c.max_peers = 2);
        let c1 = calls({
            e.on_datagram(t0, A, &get(1));
            e.take_actions()
        });
        e.on_datagram(t0, B, &get(1));
        let c2 = calls(e.take_actions());
        // Both busy: a third peer is refused.
        let c3: SocketAddr = "127.0.0.1:3".parse().unwrap();
        e.on_datagram(t0, c3, &get(1));
        let out = sent(&e.take_actions());
        assert_eq!(code(&out[0]), ResponseCode::SERVICE_UNAVAILABLE);
        reply(
            &mut e,
            t0,
            c1[0].0,
            CoapResponse::new(ResponseCode::CONTENT),
        );
        reply(
            &mut e,
            t0,
            c2[0].0,
            CoapResponse::new(ResponseCode::CONTENT),
        );
        // Now A, the oldest, is idle and makes room.
        e.on_datagram(t0, c3, &get(1));
        assert_eq!(calls(e.take_actions()).len(), 1);
        assert!(!e.peers.contains_key(&A));
        assert!(e.peers.contains_key(&B));
    }

    #[test]
    fn in_flight_limits_answer_5_03_and_handler_failures_answer_5_xx() {
        let (mut e, t0) = engine(|c| c.max_in_flight_per_peer = 1);
        e.on_datagram(t0, A, &get(1));
        let c = calls(e.take_actions());
        e.on_datagram(t0, A, &get(2));
        let out = sent(&e.take_actions());
        assert_eq!(code(&out[0]), ResponseCode::SERVICE_UNAVAILABLE);
        e.on_datagram(t0, B, &get(2));
        let c2 = calls(e.take_actions());
        assert_eq!(c2.len(), 1, "another peer is not affected");
        e.on_call_done(t0, c[0].0, CallOutcome::Panicked);
        assert_eq!(
            code(&sent(&e.take_actions())[0]),
            ResponseCode::INTERNAL_SERVER_ERROR
        );
        e.on_call_done(t0, c2[0].0, CallOutcome::TimedOut);
        assert_eq!(
            code(&sent(&e.take_actions())[0]),
            ResponseCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(e.in_flight, 0);
    }

    #[test]
    fn a_handler_code_outside_the_response_classes_becomes_5_00() {
        let (mut e, t0) = engine(|_| {});
        e.on_datagram(t0, A, &get(1));
        let c = calls(e.take_actions());
        let out = reply(
            &mut e,
            t0,
            c[0].0,
            CoapResponse::new(ResponseCode::new(0, 1)),
        );
        assert_eq!(code(&out[0]), ResponseCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn shutdown_ends_every_observation() {
        let (mut e, t0) = engine(|_| {});
        register(&mut e, t0, A, 1);
        register(&mut e, t0, B, 1);
        e.shutdown();
        assert_eq!(
            gone(&e.take_actions()),
            [ObserveEnd::Shutdown, ObserveEnd::Shutdown]
        );
    }

    #[test]
    fn slice_block_rounds_to_block_boundaries() {
        let body = [7u8; 100];
        let (b, p) = slice_block(&body, 0, 1).unwrap();
        assert_eq!((b.num, b.more, p.len()), (0, true, 32));
        let (b, p) = slice_block(&body, 96, 1).unwrap();
        assert_eq!((b.num, b.more, p.len()), (3, false, 4));
        // A client asking at 64-byte granularity when we serve 32: same offset.
        let (b, _) = slice_block(&body, 64, 1).unwrap();
        assert_eq!(b.num, 2);
        assert!(slice_block(&body, 128, 1).is_none());
        assert_eq!(
            slice_block(&[], 0, 0).map(|(b, p)| (b.more, p.len())),
            Some((false, 0))
        );
    }
}
