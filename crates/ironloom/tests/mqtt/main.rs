//! `ironloom serve` as a process with devices on MQTT: Eclipse Paho over TCP and WebSocket
//! (`paho`), and a SIGKILL under MQTT load (`crash`). Values are checked through the REST
//! API, as a user would read them.

// Test code: a failed unwrap is a failed test, with the reason in the panic message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod crash;
mod paho;
