//! Namespaces: each holds its subscriptions, its retained messages and its rate limiter.
//! A publish is matched only against its own namespace's subscriptions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use bytes::Bytes;

use crate::QoS;
use crate::config::RateLimit;
use crate::session::{Delivery, Enqueued, Session, SubOpts};
use crate::topic;

/// MQTT 5 message properties that travel with a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageProps {
    /// Payload format indicator 1: the payload is UTF-8.
    pub payload_utf8: bool,
    pub content_type: Option<String>,
    pub response_topic: Option<String>,
    pub correlation_data: Option<Bytes>,
    pub user_properties: Vec<(String, String)>,
    /// Message expiry interval in seconds.
    pub expiry_secs: Option<u32>,
}

impl MessageProps {
    pub fn is_empty(&self) -> bool {
        *self == MessageProps::default()
    }
}

/// A message the platform publishes into a namespace.
#[derive(Debug, Clone)]
pub struct Message {
    pub topic: Arc<str>,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
    pub props: Option<Box<MessageProps>>,
}

/// A message on its way: when it was published and by which session.
#[derive(Debug)]
pub(crate) struct Routed {
    pub msg: Message,
    pub at: Instant,
    /// The publishing session (no-local subscriptions skip it); 0 for the platform.
    pub origin: u64,
}

impl Routed {
    /// Seconds left before the message expires (`Some(0)`: expired), `None` if it never does.
    pub fn expiry_left(&self, now: Instant) -> Option<u32> {
        let total = self.msg.props.as_ref()?.expiry_secs?;
        let gone =
            u32::try_from(now.saturating_duration_since(self.at).as_secs()).unwrap_or(u32::MAX);
        Some(total.saturating_sub(gone))
    }
}

/// Where a published message went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PublishReport {
    /// Sessions with a matching subscription.
    pub matched: usize,
    /// Of those, queued for a connected client.
    pub online: usize,
    /// Of those, kept for a client that is away.
    pub offline: usize,
    /// Of those, dropped (queue full, or QoS 0 for an absent client).
    pub dropped: usize,
}

#[derive(Debug)]
struct Sub {
    filter: Arc<str>,
    session: Arc<Session>,
    opts: SubOpts,
}

#[derive(Debug)]
struct Namespace {
    subs: Vec<Sub>,
    retained: HashMap<Arc<str>, Arc<Routed>>,
    /// Sessions attached (keeps the namespace and its rate limiter alive).
    clients: usize,
    tokens: f64,
    refilled: Instant,
}

impl Namespace {
    fn new(limit: RateLimit) -> Namespace {
        Namespace {
            subs: Vec::new(),
            retained: HashMap::new(),
            clients: 0,
            tokens: f64::from(limit.burst),
            refilled: Instant::now(),
        }
    }

    fn idle(&self) -> bool {
        self.subs.is_empty() && self.retained.is_empty() && self.clients == 0
    }
}

/// What happened to a retained message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetainOutcome {
    Stored,
    Cleared,
    /// The namespace holds its maximum already.
    Full,
    NotRetained,
}

#[derive(Debug)]
pub(crate) struct Router {
    shards: Box<[Mutex<Shard>]>,
    limit: RateLimit,
    max_retained: usize,
}

pub(crate) const SHARDS: usize = 64;

/// Keyed by namespaces the platform names (not client input): a fast hash, as this map is
/// read for every publish (the rate limit).
type Shard = HashMap<Arc<str>, Namespace, foldhash::fast::RandomState>;

/// FNV-1a: cheap, and namespaces are not attacker-chosen (the platform names them).
pub(crate) fn shard_of(ns: &str) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in ns.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (h % SHARDS as u64) as usize
}

impl Router {
    pub fn new(limit: RateLimit, max_retained: usize) -> Router {
        Router {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            limit,
            max_retained,
        }
    }

    fn shard(&self, ns: &str) -> MutexGuard<'_, Shard> {
        self.shards[shard_of(ns)]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    pub fn client_attached(&self, ns: &Arc<str>) {
        let limit = self.limit;
        self.shard(ns)
            .entry(ns.clone())
            .or_insert_with(|| Namespace::new(limit))
            .clients += 1;
    }

    pub fn client_detached(&self, ns: &str) {
        let mut shard = self.shard(ns);
        if let Some(n) = shard.get_mut(ns) {
            n.clients = n.clients.saturating_sub(1);
            if n.idle() {
                shard.remove(ns);
            }
        }
    }

    /// Takes `n` messages' worth of tokens from the namespace's bucket; false when there
    /// are not enough (the bucket is left as it was).
    pub fn take_tokens(&self, ns: &Arc<str>, n: usize) -> bool {
        let limit = self.limit;
        let mut shard = self.shard(ns);
        // Looked up by reference first: this runs for every batch of publishes.
        let space = match shard.get_mut(&**ns) {
            Some(space) => space,
            None => shard
                .entry(ns.clone())
                .or_insert_with(|| Namespace::new(limit)),
        };
        let now = Instant::now();
        let dt = now.saturating_duration_since(space.refilled).as_secs_f64();
        space.refilled = now;
        space.tokens =
            (space.tokens + dt * f64::from(limit.per_second)).min(f64::from(limit.burst));
        if space.tokens >= n as f64 {
            space.tokens -= n as f64;
            true
        } else {
            false
        }
    }

    /// Adds (or replaces) a subscription; returns true if it is new.
    pub fn subscribe(&self, session: &Arc<Session>, filter: Arc<str>, opts: SubOpts) -> bool {
        let limit = self.limit;
        let mut shard = self.shard(&session.namespace);
        let space = shard
            .entry(session.namespace.clone())
            .or_insert_with(|| Namespace::new(limit));
        if let Some(s) = space
            .subs
            .iter_mut()
            .find(|s| s.session.id == session.id && s.filter == filter)
        {
            s.opts = opts;
            return false;
        }
        space.subs.push(Sub {
            filter,
            session: session.clone(),
            opts,
        });
        true
    }

    pub fn unsubscribe(&self, session: &Session, filter: &str) -> bool {
        let mut shard = self.shard(&session.namespace);
        let Some(space) = shard.get_mut(&session.namespace) else {
            return false;
        };
        let before = space.subs.len();
        space
            .subs
            .retain(|s| !(s.session.id == session.id && &*s.filter == filter));
        let found = space.subs.len() != before;
        if space.idle() {
            shard.remove(&session.namespace);
        }
        found
    }

    /// Drops every subscription of a session that ended.
    pub fn remove_session(&self, session: &Session) {
        let mut shard = self.shard(&session.namespace);
        if let Some(space) = shard.get_mut(&session.namespace) {
            space.subs.retain(|s| s.session.id != session.id);
            if space.idle() {
                shard.remove(&session.namespace);
            }
        }
    }

    /// Keeps, replaces or clears (empty payload) the retained message of a topic.
    pub fn retain(&self, ns: &Arc<str>, routed: &Arc<Routed>) -> RetainOutcome {
        if !routed.msg.retain {
            return RetainOutcome::NotRetained;
        }
        let limit = self.limit;
        let mut shard = self.shard(ns);
        let space = shard
            .entry(ns.clone())
            .or_insert_with(|| Namespace::new(limit));
        if routed.msg.payload.is_empty() {
            space.retained.remove(&routed.msg.topic);
            if space.idle() {
                shard.remove(ns);
            }
            return RetainOutcome::Cleared;
        }
        if space.retained.len() >= self.max_retained
            && !space.retained.contains_key(&routed.msg.topic)
        {
            return RetainOutcome::Full;
        }
        space
            .retained
            .insert(routed.msg.topic.clone(), routed.clone());
        RetainOutcome::Stored
    }

    /// Retained messages matching a filter.
    pub fn retained_for(&self, ns: &str, filter: &str) -> Vec<Arc<Routed>> {
        let shard = self.shard(ns);
        let Some(space) = shard.get(ns) else {
            return Vec::new();
        };
        space
            .retained
            .iter()
            .filter(|(t, _)| topic::matches(filter, t))
            .map(|(_, m)| m.clone())
            .collect()
    }

    /// Delivers a message to the matching subscriptions of its namespace: once per
    /// session, at the highest matching QoS, with every matching subscription identifier.
    pub fn route(&self, ns: &str, routed: &Arc<Routed>, max_queued: usize) -> PublishReport {
        let mut targets: Vec<(Arc<Session>, QoS, bool, Vec<u32>)> = Vec::new();
        {
            let shard = self.shard(ns);
            let Some(space) = shard.get(ns) else {
                return PublishReport::default();
            };
            for s in &space.subs {
                if !topic::matches(&s.filter, &routed.msg.topic) {
                    continue;
                }
                if s.opts.no_local && s.session.id == routed.origin {
                    continue;
                }
                let qos = min_qos(routed.msg.qos, s.opts.qos);
                let retain = s.opts.retain_as_published && routed.msg.retain;
                match targets.iter_mut().find(|t| t.0.id == s.session.id) {
                    Some(t) => {
                        t.1 = max_qos(t.1, qos);
                        t.2 |= retain;
                        t.3.extend(s.opts.id);
                    }
                    None => targets.push((
                        s.session.clone(),
                        qos,
                        retain,
                        s.opts.id.into_iter().collect(),
                    )),
                }
            }
        }
        let mut report = PublishReport {
            matched: targets.len(),
            ..Default::default()
        };
        for (session, qos, retain, sub_ids) in targets {
            let d = Delivery {
                msg: routed.clone(),
                qos,
                retain,
                sub_ids,
            };
            match session.enqueue(d, max_queued) {
                Enqueued::Online => report.online += 1,
                Enqueued::Offline => report.offline += 1,
                Enqueued::Dropped => report.dropped += 1,
            }
        }
        report
    }

    /// Namespaces in memory (for statistics).
    pub fn namespaces(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }
}

pub(crate) fn min_qos(a: QoS, b: QoS) -> QoS {
    if (a as u8) <= (b as u8) { a } else { b }
}

fn max_qos(a: QoS, b: QoS) -> QoS {
    if (a as u8) >= (b as u8) { a } else { b }
}
