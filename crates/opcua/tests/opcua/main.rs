//! The OPC UA driver, browser and simulator on real sockets at 127.0.0.1:0: our driver
//! against our simulator and against an asyncua (Python) server, the asyncua client
//! against our simulator, browse and import, and servers that misbehave. Tests wait on
//! samples and answers, never on fixed sleeps (except where the point is that nothing
//! arrives for a while).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod peers;
mod support;

mod asyncua_client;
mod asyncua_server;
mod bad_input;
mod browse_import;
mod driver_sim;
