//! Ironloom's industrial protocol drivers, as the edge gateway (`ironloom gateway`) uses
//! them: the model every driver shares (`model`: samples with source timestamps and
//! quality, write requests with the old and new value, per-connection statistics), and
//! the Modbus driver with its point tables.
//!
//! Invariants: a driver never panics on what a peer sends; every failed read becomes a
//! sample of bad quality with a reason (exception replies, timeouts and transport errors
//! kept apart), never a missing value without a word. Writes reach only points marked
//! writable and within their range (checked by the caller before the driver is asked).

pub mod fuzzing;
pub mod modbus;
pub mod model;
pub mod preprocess;
pub mod sim;

pub use model::{
    DriverError, DriverIo, DriverStats, Sample, StatsSnapshot, WriteDone, WriteRequest,
};
