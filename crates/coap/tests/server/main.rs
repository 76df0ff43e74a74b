//! The server on real UDP sockets at 127.0.0.1:0, driven by a client written with
//! coap-lite (`support`) and by third-party clients (`peers`: aiocoap, libcoap). Tests wait
//! on replies and on signals from the handler, never on sleeps; "nothing was sent" is
//! shown with a CoAP ping sent behind the message in question: the server handles a
//! peer's datagrams in order, so the Reset to the ping arrives only after any answer to
//! what came before it.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod bad_input;
mod blockwise;
mod counters;
mod exchange;
mod observe;
mod peers;
