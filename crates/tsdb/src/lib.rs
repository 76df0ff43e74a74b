//! Ironloom's time-series engine.

pub mod chunk;
pub mod codec;
pub mod column;
pub mod error;
pub mod record;
pub mod segment;
pub mod wal;
