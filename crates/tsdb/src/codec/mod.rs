//! Column encodings for one chunk of one series: delta-of-delta timestamps, Gorilla XOR or
//! exact-decimal floats, zigzag varint or bit-packed integers, bit-packed booleans,
//! dictionary strings and a quality column that costs one byte when every point is good.
//! Every decoder treats its input as hostile: truncated or inconsistent bytes give a
//! [`CodecError`], never a panic or an unbounded allocation.

pub mod bits;
pub mod boolean;
pub mod float;
pub mod int;
pub mod quality;
pub mod rice;
pub mod string;
pub mod ts;
pub mod varint;

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("data ends early")]
    Truncated,
    #[error("unknown encoding {0}")]
    UnknownEncoding(u8),
    #[error("invalid data: {0}")]
    Invalid(&'static str),
}

/// Largest number of points one chunk may hold; decoders refuse larger counts so a corrupt
/// count cannot make them allocate without bound.
pub const MAX_CHUNK_POINTS: usize = 1 << 20;
