//! Per-client state that outlives a network connection: what waits to be sent, what was
//! sent and not yet acknowledged, what arrived at QoS 2 and waits for PUBREL, and the
//! subscriptions. A connection "owns" its session while it runs; a newer connection with
//! the same client id takes it over.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::QoS;
use crate::hooks::DisconnectCause;
use crate::router::Routed;

/// One message queued for (or in flight to) one session.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    pub msg: Arc<Routed>,
    pub qos: QoS,
    pub retain: bool,
    pub sub_ids: Vec<u32>,
}

#[derive(Debug)]
pub(crate) struct Inflight {
    pub pkid: u16,
    pub delivery: Delivery,
    /// QoS 2: PUBREC received, PUBREL sent, waiting for PUBCOMP.
    pub released: bool,
}

/// Options of one subscription, as the session remembers them.
#[derive(Debug, Clone)]
pub(crate) struct SubOpts {
    pub qos: QoS,
    pub no_local: bool,
    pub retain_as_published: bool,
    pub id: Option<u32>,
}

#[derive(Debug, Default)]
pub(crate) struct SessionState {
    /// The connection that owns the session; 0 while none does.
    pub owner: u64,
    /// Set with `owner` changing away from a running connection: why it must stop.
    pub kick: Option<DisconnectCause>,
    pub queue: VecDeque<Delivery>,
    pub inflight: VecDeque<Inflight>,
    next_pkid: u16,
    /// Packet ids of QoS 2 publishes received and acknowledged with PUBREC.
    pub incoming_qos2: Vec<u16>,
    pub subscriptions: Vec<(Arc<str>, SubOpts)>,
    /// How long the session lives after its connection ended.
    pub expiry: Duration,
    pub disconnected_at: Option<Instant>,
    /// When its connection took it (wall clock: compared with other nodes' takeovers).
    pub attached_at: Option<std::time::SystemTime>,
    /// Set when the session was discarded (clean start elsewhere, expiry, shutdown).
    pub ended: bool,
}

impl SessionState {
    /// A packet id not in flight.
    pub fn next_pkid(&mut self) -> u16 {
        loop {
            self.next_pkid = self.next_pkid.wrapping_add(1).max(1);
            let id = self.next_pkid;
            if !self.inflight.iter().any(|i| i.pkid == id) {
                return id;
            }
        }
    }
}

#[derive(Debug)]
pub(crate) struct Session {
    /// Unique for the server's lifetime (no-local compares it).
    pub id: u64,
    pub namespace: Arc<str>,
    pub client_id: Box<str>,
    state: Mutex<SessionState>,
    /// Wakes the owning connection: something was queued, or it was kicked.
    pub notify: Notify,
}

/// What `enqueue` did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Enqueued {
    /// Queued for a connected client.
    Online,
    /// Queued for a client that is away (persistent session).
    Offline,
    Dropped,
}

impl Session {
    pub fn new(id: u64, namespace: Arc<str>, client_id: &str) -> Session {
        Session {
            id,
            namespace,
            client_id: client_id.into(),
            state: Mutex::new(SessionState::default()),
            notify: Notify::new(),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, SessionState> {
        // A panic while holding the lock leaves consistent-enough state (queues only);
        // keep serving rather than poisoning every later connection.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a message; QoS 0 messages are not kept for an absent client.
    pub fn enqueue(&self, d: Delivery, max_queued: usize) -> Enqueued {
        let mut st = self.lock();
        if st.ended || (st.owner == 0 && d.qos == QoS::AtMostOnce) {
            return Enqueued::Dropped;
        }
        if st.queue.len() >= max_queued {
            return Enqueued::Dropped;
        }
        st.queue.push_back(d);
        let online = st.owner != 0;
        drop(st);
        if online {
            self.notify.notify_one();
            Enqueued::Online
        } else {
            Enqueued::Offline
        }
    }
}

/// All sessions, by namespace and client id.
#[derive(Debug)]
pub(crate) struct Sessions {
    shards: Box<[Mutex<Shard>]>,
    next_id: AtomicU64,
}

use crate::router::{SHARDS, shard_of};

/// Sessions by namespace, then client id.
type Shard = HashMap<Arc<str>, Clients>;

/// A namespace's sessions by client id (each session knows its own). A device's namespace
/// has one client: it is kept inline, without a map of its own (which took as much
/// memory as the session, for every connected device).
#[derive(Debug)]
enum Clients {
    One(Arc<Session>),
    /// Possibly empty, only until the namespace is removed. Boxed: the map inline would
    /// make every namespace's table entry 48 bytes instead of 16.
    #[allow(clippy::box_collection)]
    Many(Box<HashMap<Box<str>, Arc<Session>>>),
}

impl Clients {
    fn get(&self, client_id: &str) -> Option<&Arc<Session>> {
        match self {
            Clients::One(s) => (*s.client_id == *client_id).then_some(s),
            Clients::Many(m) => m.get(client_id),
        }
    }

    /// Adds a session, replacing the one of the same client id.
    fn insert(&mut self, session: Arc<Session>) {
        match self {
            Clients::One(s) if s.client_id == session.client_id => *s = session,
            Clients::One(s) => {
                let mut m = HashMap::with_capacity(2);
                m.insert(s.client_id.clone(), s.clone());
                m.insert(session.client_id.clone(), session);
                *self = Clients::Many(Box::new(m));
            }
            Clients::Many(m) => {
                m.insert(session.client_id.clone(), session);
            }
        }
    }

    fn remove(&mut self, client_id: &str) {
        match self {
            Clients::One(s) if *s.client_id == *client_id => {
                *self = Clients::Many(Box::default());
            }
            Clients::One(_) => {}
            Clients::Many(m) => {
                m.remove(client_id);
            }
        }
    }

    fn retain(&mut self, mut keep: impl FnMut(&Arc<Session>) -> bool) {
        match self {
            Clients::One(s) => {
                if !keep(s) {
                    *self = Clients::Many(Box::default());
                }
            }
            Clients::Many(m) => m.retain(|_, s| keep(s)),
        }
    }

    fn values(&self) -> impl Iterator<Item = &Arc<Session>> {
        let (one, many) = match self {
            Clients::One(s) => (Some(s), None),
            Clients::Many(m) => (None, Some(m.values())),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }

    fn len(&self) -> usize {
        match self {
            Clients::One(_) => 1,
            Clients::Many(m) => m.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The outcome of attaching a connection to a session.
#[derive(Debug)]
pub(crate) struct Attached {
    pub session: Arc<Session>,
    /// An existing session was resumed.
    pub present: bool,
    /// A session that was thrown away (clean start over a persistent one): its
    /// subscriptions must leave the router.
    pub discarded: Option<Arc<Session>>,
}

impl Sessions {
    pub fn new() -> Sessions {
        Sessions {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            next_id: AtomicU64::new(1),
        }
    }

    fn shard(&self, ns: &str) -> MutexGuard<'_, Shard> {
        self.shards[shard_of(ns)]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Attaches connection `conn` to the session of `client_id`, creating it or (unless
    /// `clean`) resuming it. A connection that owned it is told to leave.
    pub fn attach(
        &self,
        ns: &Arc<str>,
        client_id: &str,
        clean: bool,
        conn: u64,
        expiry: Duration,
    ) -> Attached {
        let mut shard = self.shard(ns);
        let mut discarded = None;
        if let Some(existing) = shard.get(&**ns).and_then(|c| c.get(client_id)).cloned() {
            let mut st = existing.lock();
            if st.owner != 0 {
                st.kick = Some(DisconnectCause::TakenOver);
                existing.notify.notify_one();
            }
            if !clean && !st.ended {
                st.owner = conn;
                st.expiry = expiry;
                st.disconnected_at = None;
                st.attached_at = Some(std::time::SystemTime::now());
                drop(st);
                return Attached {
                    session: existing,
                    present: true,
                    discarded: None,
                };
            }
            st.ended = true;
            st.owner = 0;
            st.queue.clear();
            st.inflight.clear();
            drop(st);
            discarded = Some(existing);
        }
        let session = Arc::new(Session::new(self.next_id(), ns.clone(), client_id));
        {
            let mut st = session.lock();
            st.owner = conn;
            st.expiry = expiry;
            st.attached_at = Some(std::time::SystemTime::now());
        }
        match shard.get_mut(&**ns) {
            Some(clients) => clients.insert(session.clone()),
            None => {
                shard.insert(ns.clone(), Clients::One(session.clone()));
            }
        }
        Attached {
            session,
            present: false,
            discarded,
        }
    }

    /// Detaches connection `conn`; returns true when the session ended with it (expiry 0),
    /// so its subscriptions must leave the router.
    pub fn detach(&self, session: &Arc<Session>, conn: u64) -> bool {
        let mut shard = self.shard(&session.namespace);
        let mut st = session.lock();
        if st.owner != conn {
            return false; // taken over: the new owner has it
        }
        st.owner = 0;
        st.kick = None;
        if st.expiry.is_zero() || st.ended {
            st.ended = true;
            st.queue.clear();
            st.inflight.clear();
            drop(st);
            remove(&mut shard, session);
            return true;
        }
        st.disconnected_at = Some(Instant::now());
        false
    }

    /// Removes sessions whose clients have been away longer than their expiry.
    pub fn expire(&self, now: Instant) -> Vec<Arc<Session>> {
        let mut gone = Vec::new();
        for shard in self.shards.iter() {
            let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            shard.retain(|_, clients| {
                clients.retain(|s| {
                    let mut st = s.lock();
                    let expired = st.owner == 0
                        && st
                            .disconnected_at
                            .is_some_and(|t| now.saturating_duration_since(t) >= st.expiry);
                    if expired {
                        st.ended = true;
                        st.queue.clear();
                        st.inflight.clear();
                        gone.push(s.clone());
                    }
                    !expired
                });
                !clients.is_empty()
            });
        }
        gone
    }

    /// Tells every connection in a namespace to leave, and ends their sessions.
    pub fn kick_namespace(&self, ns: &str, cause: DisconnectCause) -> Vec<Arc<Session>> {
        let mut shard = self.shard(ns);
        let Some(clients) = shard.remove(ns) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for s in clients.values() {
            end(s, cause);
            out.push(s.clone());
        }
        out
    }

    /// Tells up to `n` online connections (any namespace) to leave with `cause`, and
    /// ends their sessions.
    pub fn kick_some(&self, n: usize, cause: DisconnectCause) -> Vec<Arc<Session>> {
        let mut out = Vec::new();
        for shard in &self.shards {
            if out.len() >= n {
                break;
            }
            let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            let online: Vec<Arc<Session>> = shard
                .values()
                .flat_map(|clients| clients.values())
                .filter(|s| s.lock().owner != 0)
                .take(n - out.len())
                .cloned()
                .collect();
            for s in online {
                end(&s, cause);
                remove(&mut shard, &s);
                out.push(s);
            }
        }
        out
    }

    /// Tells the connection of one client of a namespace to leave, and ends its session,
    /// if it was taken before `before` (the client connected to another node of a cluster
    /// then; a session taken since is newer and stays).
    pub fn kick_client(
        &self,
        ns: &str,
        client_id: &str,
        before: std::time::SystemTime,
        cause: DisconnectCause,
    ) -> Option<Arc<Session>> {
        let mut shard = self.shard(ns);
        let s = shard.get(ns)?.get(client_id)?.clone();
        if s.lock().attached_at.is_some_and(|t| t >= before) {
            return None;
        }
        end(&s, cause);
        remove(&mut shard, &s);
        Some(s)
    }

    /// Wakes every session's connection: the server is shutting down, which each sees
    /// when woken.
    pub fn wake_all(&self) {
        for shard in self.shards.iter() {
            let shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            for s in shard.values().flat_map(Clients::values) {
                s.notify.notify_one();
            }
        }
    }

    /// Whether any connection of the namespace is online.
    pub fn online(&self, ns: &str) -> bool {
        let shard = self.shard(ns);
        shard
            .get(ns)
            .is_some_and(|c| c.values().any(|s| s.lock().owner != 0))
    }

    pub fn count(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .values()
                    .map(Clients::len)
                    .sum::<usize>()
            })
            .sum()
    }
}

/// Ends a session, telling its connection (if any) to leave for `cause`.
fn end(s: &Arc<Session>, cause: DisconnectCause) {
    let mut st = s.lock();
    st.ended = true;
    st.queue.clear();
    st.inflight.clear();
    if st.owner != 0 {
        st.kick = Some(cause);
        st.owner = 0;
        s.notify.notify_one();
    }
}

fn remove(shard: &mut Shard, s: &Arc<Session>) {
    if let Some(clients) = shard.get_mut(&s.namespace) {
        if clients
            .get(&s.client_id)
            .is_some_and(|cur| Arc::ptr_eq(cur, s))
        {
            clients.remove(&s.client_id);
        }
        if clients.is_empty() {
            shard.remove(&s.namespace);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_namespace_holds_one_client_inline_and_more_in_a_map() {
        let sessions = Sessions::new();
        let ns: Arc<str> = "t/d".into();
        let expiry = Duration::ZERO;
        let a = sessions.attach(&ns, "a", true, 1, expiry).session;
        assert!(matches!(
            sessions.shard(&ns).get(&*ns),
            Some(Clients::One(_))
        ));
        let b = sessions.attach(&ns, "b", true, 2, expiry).session;
        let c = sessions.attach(&ns, "c", true, 3, expiry).session;
        assert_eq!(sessions.count(), 3);
        // The same client again replaces its session.
        let b2 = sessions.attach(&ns, "b", true, 4, expiry);
        assert!(b2.discarded.is_some_and(|d| Arc::ptr_eq(&d, &b)));
        assert_eq!(sessions.count(), 3);
        assert!(sessions.detach(&a, 1));
        assert!(sessions.online(&ns));
        let kicked = sessions.kick_namespace(&ns, DisconnectCause::Kicked);
        assert_eq!(kicked.len(), 2);
        assert!(kicked.iter().any(|s| Arc::ptr_eq(s, &c)));
        assert_eq!(sessions.count(), 0);
        // The last client leaving removes the namespace.
        let d = sessions.attach(&ns, "d", true, 5, expiry).session;
        assert!(sessions.detach(&d, 5));
        assert!(sessions.shard(&ns).get(&*ns).is_none());
    }
}
