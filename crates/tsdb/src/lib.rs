//! Ironloom's time-series engine.
//!
//! Layout: `codec` (column encodings), `column` (points of one series in memory), `chunk`
//! (one compressed block of a series with its statistics; `stats_codec`: the statistics as
//! the segment index stores them), `record` and `wal` (the
//! write-ahead log), `segment` (immutable files per tenant, product and time partition),
//! `catalog` (series keys ↔ ids), `latest` (the latest-value table's file), `engine`
//! (write path, flush, recovery), `query` (range, aggregate, latest, statistics), `scan` (a
//! series in bounded slices, for exports) and `maintain` (compaction, retention).
//!
//! Invariants: a point is acknowledged only after its log record is written (and synced,
//! under the default policy); files appear under their final names only when complete;
//! every byte read from disk is checked (CRC-32) before it is decoded, and decoders return
//! errors on bad input instead of panicking.

pub mod catalog;
pub mod check;
pub mod chunk;
pub mod codec;
pub mod column;
pub mod config;
pub mod engine;
pub mod error;
pub mod fuzzing;
pub mod idmap;
pub mod latest;
pub mod limits;
mod maintain;
pub mod query;
pub mod record;
pub mod rollup;
pub mod scan;
pub mod segment;
pub mod space;
pub mod stats_codec;
mod store;
pub mod wal;

pub use engine::{Engine, Options};

/// Hash map with a fast, non-cryptographic hasher for the engine's in-memory indexes
/// (keys are ids and property names; SipHash showed up in write profiles).
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub use error::{Result, TsdbError};
pub use wal::FsyncPolicy;
