//! OPC UA for Ironloom's edge gateway: a client driver that turns a server's nodes into
//! samples of the shared driver model (`ironloom_drivers::model`) and carries out writes,
//! browsing and import of a server's variables as thing-model properties, and a process
//! simulator server for demos and tests (`ironloom sim opcua`). Built on async-opcua
//! (pure Rust, RustCrypto).
//!
//! Layout: `config` holds the connection and node settings and their validation;
//! `session` opens one session as configured (security, identity, certificate store) with
//! the library's own reconnection off; `driver` runs a connection (subscriptions, polls,
//! writes, reconnection with back-off); `convert` maps DataValues to samples and our values
//! to Variants; `browse` walks an address space and imports it; `sim` is the simulator;
//! `error` the crate's error type.
//!
//! Invariants: the driver never ends on what a server does: every failure becomes a bad
//! sample with a reason (the status code's name, `not connected: …`, `no answer within
//! …`), a [`DriverError`](ironloom_drivers::DriverError) for a write, and a count in the
//! statistics; only an invalid configuration or an unusable certificate store stops it
//! before it starts. While disconnected each point is reported bad once, not on every
//! retry. A write reaches the server only for a node configured writable and only as a
//! value of the node's own data type; values that do not fit are refused before sending.
//! Unknown server certificates are not trusted unless the configuration says so.

pub mod browse;
pub mod config;
pub mod convert;
pub mod driver;
pub mod error;
mod session;
pub mod sim;

pub use browse::{BrowsedVariable, browse, to_properties};
pub use config::{Auth, Deadband, Mode, NodeConfig, OpcUaConfig, Reconnect, Security};
pub use driver::run;
pub use error::OpcUaError;
pub use session::CLIENT_APPLICATION_URI;
pub use sim::{SimOptions, SimServer, SimUser, run_sim, serve_sim};
