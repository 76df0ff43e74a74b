//! Ironloom's device-facing CoAP server (RFC 7252 over UDP, with block-wise transfer from
//! RFC 7959 and Observe from RFC 7641). It is a protocol layer only: the platform passes a
//! [`CoapHandler`] that sees whole requests ([`CoapRequest`]) and returns whole responses
//! ([`CoapReply`]); this crate knows nothing of devices, credentials or telemetry.
//!
//! Layout: `config` ([`CoapConfig`], humane units, `validate`), `handler` (the types the
//! platform sees and the [`CoapHandler`] trait), `message` (the codec: [`decode_message`] on
//! top of coap-lite, option checks, block values), `engine` (the protocol state machine:
//! pure, clock passed in, emits actions), `server` ([`CoapServer`]: socket, handler calls,
//! observation forwarders) and [`fuzzing`] (entry points for the fuzz targets).
//!
//! Invariants:
//! - A confirmable request is answered only after the handler returned, piggybacked on the
//!   ACK: never an early empty ACK, so an acknowledged request is a handled one.
//! - A request is passed to the handler at most once per peer and message id while the id
//!   is remembered (`exchange_lifetime`); a retransmission gets the same answer again.
//! - Every table is bounded (peers, remembered ids, calls in flight, transfers and their
//!   bytes, observers), a datagram above `max_message_size` is refused before it is
//!   decoded, and nothing a peer sends makes the server panic or touches another peer's
//!   state beyond the shared limits.
//! - `CoapHandler::observer_gone` is called exactly once for every observation the handler
//!   offered, however it ends.
//!
//! Metrics (through the `metrics` facade): `ironloom_coap_requests_total`,
//! `ironloom_coap_duplicates_total`, `ironloom_coap_malformed_total{reason}`,
//! `ironloom_coap_refused_total{reason}`, `ironloom_coap_notifications_total`,
//! `ironloom_coap_retransmissions_total` and the gauge `ironloom_coap_observers`.

mod config;
mod engine;
mod error;
pub mod fuzzing;
mod handler;
mod message;
mod server;

pub use coap_lite;
pub use config::{ByteSize, CoapConfig, Duration, ListenAddr, MAX_DATAGRAM_SIZE};
pub use error::{CoapError, DecodeError, DecodeErrorKind, RawHeader};
pub use handler::{
    CoapHandler, CoapReply, CoapRequest, CoapResponse, Method, Observation, ObserveEnd,
    ResponseCode,
};
pub use message::decode_message;
pub use server::CoapServer;
