//! Cluster mode (issue 21): several Ironloom nodes share one platform through NATS
//! JetStream (the durable ingest log, leases, node registry), PostgreSQL (metadata and
//! fencing) and an S3-compatible object store (sealed segments): the configuration, the
//! partition function, the JetStream layout, leases, the ingest log and bus, the
//! materialiser, the node (ownership, fencing), one engine per owned partition
//! (`engines`), sealing into object storage (`seal`, `segments`) and queries from any
//! node (`query`).
//!
//! The only crate that depends on async-nats and object_store, so that a build without
//! cluster support carries no NATS or S3 code.

pub mod bus;
pub mod config;
pub mod engines;
pub mod error;
pub mod lease;
pub mod live;
pub mod log;
pub mod nats;
pub mod node;
mod owned;
pub mod owner;
pub mod partition;
pub mod peers;
pub mod query;
pub mod record;
pub mod seal;
pub mod segments;
pub mod store;

pub use config::{ClusterConfig, ObjectStoreConfig};
pub use error::ClusterError;
pub use lease::{Acquire, Holder, Lease, Leases};
pub use nats::{ClusterRecord, Layout};
pub use partition::partition_of;
pub use query::ClusterTelemetry;
