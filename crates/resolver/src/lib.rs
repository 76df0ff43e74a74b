//! Identifier resolution (标识解析) as a service: one resolution path (`resolve`) for
//! the native Handle protocol (RFC 3652, resolution requests over UDP and TCP on port
//! 2641 by default, `server`) and the Handle.Net REST API (in the API crate), answering
//! the platform's identifiers with their public values, from a cache in front of the
//! store; in recursive mode handles under prefixes not held here are asked of an
//! upstream Handle service (`upstream`) and cached by their TTL. Other operations of the
//! protocol are answered `OPERATION_NOT_SUPPORTED`; registration goes through the HTTP
//! API. Resolutions are counted per identifier and month (`meter`).

mod cache;
mod lookup;
pub mod meter;
pub mod resolve;
mod server;
mod udp;
pub mod upstream;

pub use meter::ResolutionMeter;
pub use resolve::{ResolveError, Resolved, Resolver};
pub use server::{Bound, HandleService, start};

use ironloom_core::units::{Duration, ListenAddr};
use serde::Deserialize;
use std::net::SocketAddr;

/// The Handle service: where the protocol is served, the resolution cache, and the
/// upstream service of recursive mode.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HandleConfig {
    /// TCP and UDP address (the same port for both; 2641, the protocol's own, by
    /// default); empty: not served. Port 0 picks a free port (tests).
    pub addr: ListenAddr,
    /// How long an idle TCP connection stays open.
    pub idle_timeout: Duration,
    /// Most TCP connections at once.
    pub max_connections: usize,
    /// Most UDP requests being answered at once; more are dropped (clients retry).
    pub max_udp_in_flight: usize,
    /// Answers kept in the resolution cache (0: none).
    pub cache_entries: usize,
    /// In a cluster, how long an answer for an identifier held here is kept: a change
    /// made through another node is seen after at most this (one through this node at
    /// once). A single node sees every change as it is made and keeps answers for up to
    /// an hour ([`resolve::SINGLE_NODE_MAX_AGE`]).
    pub cache_max_age: Duration,
    /// Recursive mode: the Handle service (`host:port`) asked for handles under
    /// prefixes not held here; empty: none (they are not found).
    pub upstream: String,
    /// How long the upstream may take to answer.
    pub upstream_timeout: Duration,
    /// Upstream answers are kept for their values' TTL, at most this.
    pub upstream_max_ttl: Duration,
    /// How long "not found" from upstream is kept.
    pub upstream_negative_ttl: Duration,
}

impl Default for HandleConfig {
    fn default() -> Self {
        let secs = |s| Duration(std::time::Duration::from_secs(s));
        HandleConfig {
            addr: ListenAddr::on(SocketAddr::from(([0, 0, 0, 0], 2641))),
            idle_timeout: secs(30),
            max_connections: 1024,
            max_udp_in_flight: 4096,
            cache_entries: 100_000,
            cache_max_age: secs(5),
            upstream: String::new(),
            upstream_timeout: secs(2),
            upstream_max_ttl: secs(3600),
            upstream_negative_ttl: secs(30),
        }
    }
}
