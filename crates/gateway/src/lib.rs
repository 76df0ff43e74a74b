//! Ironloom's edge gateway agent (`ironloom gateway`): it runs near the machines, reads
//! them through industrial drivers, preprocesses at the edge, and forwards to the platform
//! as a gateway device with sub-devices (ThingsBoard's gateway API over MQTT).
//!
//! Layout: `config` (the TOML file, checked with the offending line named; its driver
//! tables, which the platform may push, are `ironloom_core::driver_table`), `computed`
//! (points calculated from other points), `buffer` (the store-and-forward queue on disk),
//! `agent` (drivers, preprocessing, batching, the uplink, health), `writes` (commands down
//! to the PLCs), `apps` (apps the platform deploys to the gateway: the sandbox of
//! `ironloom-apps`, fed by the drivers' samples, with a host API served here).
//!
//! Invariants: every reading that leaves a driver is appended to the buffer before it is
//! sent, and leaves the buffer only when the platform acknowledged it (QoS 1), so an
//! uplink outage or a crash loses nothing the buffer could hold; when it is full the
//! configured policy drops data and counts it. What apps at the edge write, and the
//! alarms they raise, take the same way through the buffer. Writes reach only points
//! marked writable and within their range, and each is answered with the old and the new
//! value.

pub mod agent;
pub mod apps;
pub mod buffer;
pub mod computed;
pub mod config;
pub mod fuzzing;
mod writes;

pub use agent::{Gateway, GatewayStats, start};
