//! Ironloom's rule engine. `engine` is the deterministic core: device messages and clock
//! ticks in, effects out (raise or clear an alarm, command a device, call a webhook,
//! republish, write derived telemetry, call another rule), with the state per rule and
//! device that windows, durations and no-data timers need. The caller (the platform)
//! feeds it the devices' messages in order and carries the effects out.
//!
//! Invariants: evaluation is bounded (expressions are; windows hold at most their
//! limits); an expression that fails counts as an error of its rule and as false, never
//! as a crash; one rule never sees another tenant's messages.

pub mod config;
pub mod engine;
pub mod fuzzing;
pub mod runtime;

pub use engine::{Checkpoint, Effect, Engine, MAX_CALL_DEPTH, Message, MessageKind, Step};

pub use ironloom_core::rule::RuleCounters;
