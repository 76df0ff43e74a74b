//! Resolution, one path for the Handle protocol and the REST API: an identifier held
//! here is answered with the values anybody may read; in recursive mode a handle under
//! a prefix not held here is asked of the upstream Handle service. Answers are cached:
//! those held here for at most `cache_max_age` (a change through this node is seen at
//! once, one through another node of a cluster after at most that), those from upstream
//! by their values' TTL (at most `upstream_max_ttl`), "not found" upstream for
//! `upstream_negative_ttl`.

use crate::HandleConfig;
use crate::cache::Cache;
use crate::lookup::Lookups;
use crate::meter::ResolutionMeter;
use crate::upstream::{Upstream, UpstreamAnswer};
use ironloom_core::identifier::IdentifierRecord;
use ironloom_core::ids::TenantId;
use ironloom_core::repo::{IdentifierReader, IdentifierRepo};
use ironloom_identifiers::{Handle, HandleValue, TtlType};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a single node keeps an answer for an identifier held here: every change
/// goes through it and forgets the answer at once, so this bounds only changes made to
/// the store by other means.
pub const SINGLE_NODE_MAX_AGE: Duration = Duration::from_secs(3600);

/// Most resolvers a request may pass through before it is refused (loops between
/// resolvers that forward to each other end here).
pub const MAX_HOPS: u8 = 8;

/// What a handle resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// An identifier held here: its owner and prefix, and its values anybody may read.
    Held {
        tenant: TenantId,
        prefix: String,
        handle: String,
        public: Values,
    },
    /// An identifier the upstream service answered for.
    Forwarded { values: Values },
    /// No such identifier (here, or upstream).
    NotFound,
}

/// Values anybody may read, and the same in the protocol's encoding as a request for
/// every value gets them (made once, when the answer is cached).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Values {
    pub values: Vec<HandleValue>,
    pub encoded: Vec<u8>,
}

impl Values {
    pub fn new(values: Vec<HandleValue>) -> Self {
        let all = ironloom_identifiers::proto::ResolutionRequest::default();
        let picked: Vec<HandleValue> = ironloom_identifiers::proto::select_values(&all, &values)
            .cloned()
            .collect();
        let encoded = if picked.is_empty() {
            Vec::new()
        } else {
            ironloom_identifiers::proto::encode_values(&picked)
        };
        Values { values, encoded }
    }
}

impl Resolved {
    /// The values anybody may read (none when not found).
    pub fn values(&self) -> &[HandleValue] {
        match self {
            Resolved::Held { public, .. } => &public.values,
            Resolved::Forwarded { values } => &values.values,
            Resolved::NotFound => &[],
        }
    }

    /// What a request for every value gets, encoded (empty: no values).
    pub fn encoded(&self) -> &[u8] {
        match self {
            Resolved::Held { public, .. } => &public.encoded,
            Resolved::Forwarded { values } => &values.encoded,
            Resolved::NotFound => &[],
        }
    }
}

/// The resolver's counters, registered once (looking one up by name costs more than a
/// cached resolution).
struct Counters {
    hits: metrics::Counter,
    misses: metrics::Counter,
    upstream: metrics::Counter,
    upstream_failures: metrics::Counter,
}

impl Counters {
    fn new() -> Self {
        Counters {
            hits: metrics::counter!("ironloom_identifier_cache_hits_total"),
            misses: metrics::counter!("ironloom_identifier_cache_misses_total"),
            upstream: metrics::counter!("ironloom_identifier_upstream_requests_total"),
            upstream_failures: metrics::counter!("ironloom_identifier_upstream_failures_total"),
        }
    }
}

/// Why a handle could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    /// The store did not answer.
    Store(String),
    /// The upstream service did not answer, or not usefully.
    Upstream(String),
    /// The request passed through too many resolvers.
    TooManyHops,
}

impl std::fmt::Display for ResolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResolveError::Store(e) => write!(f, "the store did not answer: {e}"),
            ResolveError::Upstream(e) => f.write_str(e),
            ResolveError::TooManyHops => {
                write!(
                    f,
                    "the request passed through more than {MAX_HOPS} resolvers"
                )
            }
        }
    }
}

/// Resolves handles (see the module's description).
pub struct Resolver {
    store: Arc<dyn IdentifierRepo>,
    /// The store read for what the cache misses, several misses a query.
    lookups: Lookups,
    meter: Arc<ResolutionMeter>,
    answers: Cache<Resolved>,
    /// Whether a prefix is held here (asked only in recursive mode).
    held: Cache<bool>,
    max_age: Duration,
    upstream: Option<Upstream>,
    upstream_max_ttl: Duration,
    upstream_negative_ttl: Duration,
    counters: Counters,
    /// Changes forgotten so far: an answer read while one was made is kept only for
    /// `recheck_age` (its read may have come before the change's commit).
    changes: AtomicU64,
    recheck_age: Duration,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver")
            .field("cached", &self.answers.len())
            .field("upstream", &self.upstream)
            .finish_non_exhaustive()
    }
}

impl Resolver {
    /// A resolver over `store` as `config` says (no upstream: `config.upstream` is
    /// resolved by [`Resolver::connect`]).
    pub fn new(store: Arc<dyn IdentifierRepo>, config: &HandleConfig) -> Self {
        Resolver {
            lookups: Lookups::new(store.clone()),
            store,
            meter: Arc::default(),
            answers: Cache::new(config.cache_entries),
            held: Cache::new(config.cache_entries.min(10_000)),
            max_age: config.cache_max_age.0,
            recheck_age: config.cache_max_age.0,
            changes: AtomicU64::new(0),
            upstream: None,
            upstream_max_ttl: config.upstream_max_ttl.0,
            upstream_negative_ttl: config.upstream_negative_ttl.0,
            counters: Counters::new(),
        }
    }

    /// [`Resolver::new`], with the upstream service of `config.upstream` looked up
    /// (a host name is resolved once, here).
    pub async fn connect(
        store: Arc<dyn IdentifierRepo>,
        config: &HandleConfig,
    ) -> Result<Self, String> {
        let mut r = Self::new(store, config);
        let up = config.upstream.trim();
        if !up.is_empty() {
            let addr = tokio::net::lookup_host(up)
                .await
                .map_err(|e| format!("handle.upstream {up:?}: {e}"))?
                .next()
                .ok_or_else(|| format!("handle.upstream {up:?} has no address"))?;
            r.upstream = Some(Upstream::new(addr, config.upstream_timeout.0));
        }
        Ok(r)
    }

    /// On a single node (not a cluster): answers for identifiers held here are kept for
    /// up to [`SINGLE_NODE_MAX_AGE`], as no other node changes them.
    #[must_use]
    pub fn single_node(mut self) -> Self {
        self.max_age = self.max_age.max(SINGLE_NODE_MAX_AGE);
        self
    }

    /// Counts a change (see `changes`).
    fn changed(&self) {
        self.changes.fetch_add(1, Ordering::AcqRel);
    }

    /// Forgets every cached answer (a tenant and its identifiers were deleted).
    pub fn forget_all(&self) {
        self.changed();
        self.answers.clear();
        self.held.clear();
    }

    /// The resolutions counted and not stored yet.
    pub fn meter(&self) -> &Arc<ResolutionMeter> {
        &self.meter
    }

    /// The upstream service, in recursive mode.
    pub fn upstream(&self) -> Option<std::net::SocketAddr> {
        self.upstream.as_ref().map(|u| u.addr)
    }

    /// Answers kept in the cache.
    pub fn cached(&self) -> usize {
        self.answers.len()
    }

    /// Forgets what was cached of `handle` (it was registered, changed or deleted here).
    pub fn forget(&self, handle: &str) {
        self.changed();
        self.answers.remove(&key(handle));
    }

    /// Forgets whether `prefix` is held here (it was created or deleted).
    pub fn forget_prefix(&self, prefix: &str) {
        self.changed();
        self.held.remove(&prefix.to_ascii_uppercase());
    }

    /// The answer for `handle` from the cache alone (counted when held here).
    pub fn resolve_cached(&self, handle: &Handle) -> Option<Arc<Resolved>> {
        let hit = self.answers.get(&handle.canonical())?;
        self.count(&hit);
        self.counters.hits.increment(1);
        Some(hit)
    }

    /// Resolves `handle`; `hops` is how many resolvers the request passed through.
    pub async fn resolve(&self, handle: &Handle, hops: u8) -> Result<Arc<Resolved>, ResolveError> {
        if let Some(hit) = self.resolve_cached(handle) {
            return Ok(hit);
        }
        self.counters.misses.increment(1);
        let key = handle.canonical();
        let seen = self.changes.load(Ordering::Acquire);
        let record = self
            .lookups
            .get(key.clone())
            .await
            .map_err(ResolveError::Store)?;
        match record {
            Some(r) => Ok(self.keep_held(&key, r, seen)),
            None => self.not_held(handle, key, hops, seen).await,
        }
    }

    /// A blocking reader for one resolving thread, where the store has one.
    pub fn reader(&self) -> Result<Option<Box<dyn IdentifierReader>>, ResolveError> {
        self.store
            .identifier_reader()
            .map_err(|e| ResolveError::Store(e.to_string()))
    }

    /// Resolves `handle` on this thread, from the cache or through `reader`; `None` when
    /// it is not held here and the upstream service is to be asked ([`Resolver::resolve`]).
    pub fn resolve_here(
        &self,
        handle: &Handle,
        reader: &mut dyn IdentifierReader,
    ) -> Result<Option<Arc<Resolved>>, ResolveError> {
        if let Some(hit) = self.resolve_cached(handle) {
            return Ok(Some(hit));
        }
        let key = handle.canonical();
        let seen = self.changes.load(Ordering::Acquire);
        let record = reader
            .identifier(&key)
            .map_err(|e| ResolveError::Store(e.to_string()))?;
        Ok(match record {
            Some(r) => {
                self.counters.misses.increment(1);
                Some(self.keep_held(&key, r, seen))
            }
            None if self.upstream.is_none() => {
                self.counters.misses.increment(1);
                let until = Instant::now() + self.max_age;
                Some(self.keep(&key, Resolved::NotFound, until, seen))
            }
            // Counted as a miss when `resolve` reads it.
            None => None,
        })
    }

    /// Caches and counts an identifier held here, with the values anybody may read.
    fn keep_held(&self, key: &str, r: IdentifierRecord, seen: u64) -> Arc<Resolved> {
        let template = template_value(&r);
        let mut public: Vec<HandleValue> = r
            .values
            .into_iter()
            .filter(|v| v.permissions.public_read)
            .chain(template)
            .collect();
        public.sort_by_key(|v| v.index);
        let answer = Resolved::Held {
            tenant: r.tenant_id,
            prefix: r.prefix,
            handle: r.handle,
            public: Values::new(public),
        };
        self.keep(key, answer, Instant::now() + self.max_age, seen)
    }

    /// Caches `answer` until `until` (read when the change count was `seen`), and
    /// counts it.
    fn keep(&self, key: &str, answer: Resolved, until: Instant, seen: u64) -> Arc<Resolved> {
        let until = if self.changes.load(Ordering::Acquire) == seen {
            until
        } else {
            until.min(Instant::now() + self.recheck_age)
        };
        let answer = Arc::new(answer);
        self.answers.put(key, answer.clone(), until);
        self.count(&answer);
        answer
    }

    /// A handle no tenant here holds: asked of the upstream service in recursive mode.
    async fn not_held(
        &self,
        handle: &Handle,
        key: String,
        hops: u8,
        seen: u64,
    ) -> Result<Arc<Resolved>, ResolveError> {
        let now = Instant::now();
        let Some(up) = &self.upstream else {
            return Ok(self.keep(&key, Resolved::NotFound, now + self.max_age, seen));
        };
        if self.holds(handle.prefix()).await? {
            return Ok(self.keep(&key, Resolved::NotFound, now + self.max_age, seen));
        }
        if hops >= MAX_HOPS {
            return Err(ResolveError::TooManyHops);
        }
        self.counters.upstream.increment(1);
        let (answer, until) = match up.resolve(&key, hops).await {
            Ok(UpstreamAnswer::Values(values)) => {
                let ttl = ttl_of(&values).min(self.upstream_max_ttl);
                let values = Values::new(values);
                (Resolved::Forwarded { values }, now + ttl)
            }
            Ok(UpstreamAnswer::NotFound) => (Resolved::NotFound, now + self.upstream_negative_ttl),
            Err(e) => {
                self.counters.upstream_failures.increment(1);
                return Err(ResolveError::Upstream(e));
            }
        };
        Ok(self.keep(&key, answer, until, seen))
    }

    fn count(&self, r: &Resolved) {
        if let Resolved::Held {
            tenant,
            prefix,
            handle,
            ..
        } = r
        {
            self.meter.record(*tenant, prefix, handle);
        }
    }

    /// Whether `prefix` is held here (by any tenant).
    async fn holds(&self, prefix: &str) -> Result<bool, ResolveError> {
        let prefix = prefix.to_ascii_uppercase();
        if let Some(h) = self.held.get(&prefix) {
            return Ok(*h);
        }
        let held = self
            .store
            .prefix_owner(&prefix)
            .await
            .map_err(|e| ResolveError::Store(e.to_string()))?
            .is_some();
        self.held
            .put(&prefix, Arc::new(held), Instant::now() + self.max_age);
        Ok(held)
    }
}

/// The template an identifier follows, as the public value at index 1001 (as SNMS
/// secondary nodes answer it): `TEMPLATE` with `{id}/{version}`, which is also where
/// anybody reads its public fields (`/api/v1/shared/identifier-templates/{id}/{version}`).
fn template_value(r: &IdentifierRecord) -> Option<HandleValue> {
    let t = r.template.as_ref()?;
    let data = format!("{}/{}", t.id, t.version).into_bytes();
    let mut v =
        HandleValue::new(ironloom_core::identifier::TEMPLATE_INDEX, "TEMPLATE", data).ok()?;
    v.timestamp = u32::try_from(r.updated_at.timestamp()).unwrap_or(0);
    v.permissions.public_read = true;
    Some(v)
}

/// The canonical form of a handle as written (itself when it does not parse).
fn key(handle: &str) -> String {
    Handle::parse(handle).map_or_else(|_| handle.to_string(), |h| h.canonical())
}

/// How long values may be cached: the shortest of their TTLs (an absolute one counted
/// from now; none: a day).
fn ttl_of(values: &[HandleValue]) -> Duration {
    let now = chrono::Utc::now().timestamp();
    values
        .iter()
        .map(|v| match v.ttl_type {
            TtlType::Relative => Duration::from_secs(u64::from(v.ttl)),
            TtlType::Absolute => {
                Duration::from_secs(u64::try_from(i64::from(v.ttl) - now).unwrap_or(0))
            }
        })
        .min()
        .unwrap_or(Duration::from_secs(86_400))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_cached_for_their_shortest_ttl() {
        let mut a = HandleValue::new(1, "URL", b"x".to_vec()).unwrap();
        a.ttl = 300;
        let mut b = HandleValue::new(2, "EMAIL", b"y".to_vec()).unwrap();
        b.ttl = 60;
        assert_eq!(ttl_of(&[a.clone(), b]), Duration::from_secs(60));
        let mut past = a.clone();
        past.ttl_type = TtlType::Absolute;
        past.ttl = 1;
        assert_eq!(ttl_of(&[a, past]), Duration::ZERO);
        assert_eq!(ttl_of(&[]), Duration::from_secs(86_400));
    }
}
