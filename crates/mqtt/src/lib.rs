//! Ironloom's embedded MQTT server: MQTT 3.1.1 and 5.0 over TCP, TLS and any byte stream
//! (the WebSocket endpoint hands its streams in), with clean and persistent sessions, QoS 0,
//! 1 and 2, retained messages, will messages, keep-alive and MQTT 5 properties.
//!
//! It is a protocol layer: who may connect, what a publish means and where its data goes
//! are decided by the platform through [`MqttHooks`]. Packets are framed and decoded with
//! the codec modules of `rumqttc` (`mqttbytes` v4 and v5); everything around them (framing
//! limits, sessions, routing, flow control) is ours.
//!
//! Layout: `config` (the `[mqtt]` section: listeners, limits and defaults, `validate()`), `hooks` (the platform's side: authentication,
//! subscribe ACL, publish handling, connection events), `codec` (one packet model over the
//! two protocol versions, with the size limit applied before a frame is buffered), `topic`
//! (name and filter checks, matching), `session` (per-client state that outlives
//! connections), `router` (namespaces: subscriptions, retained messages, rate limits),
//! `connection` (one task per network connection), `server` (listeners, TLS through
//! `ironloom-tls`, the public handle), `fuzzing` (entry points for the fuzz targets).
//!
//! Invariants:
//! - Every client lives in the namespace its authentication gave it; subscriptions,
//!   retained messages and deliveries never cross namespaces, so one tenant (or device)
//!   cannot see another's topics whatever filter it subscribes to.
//! - A QoS 1/2 publish is acknowledged only after [`MqttHooks::publish`] returned its
//!   verdict; the platform returns only once accepted data is durable.
//! - A frame larger than the configured maximum is refused from its fixed header, before
//!   its body is buffered.
//! - An idle connection holds no more than a small read buffer, its session and its
//!   subscriptions: no per-connection channels or large buffers.

mod codec;
mod config;
mod connection;
pub mod fuzzing;
mod hooks;
mod router;
mod server;
mod session;
pub mod topic;

pub use codec::ProtocolVersion;
pub use config::{MqttConfig, RateLimit};
pub use hooks::{
    AckReason, ConnectInfo, ConnectRefusal, DisconnectCause, Grant, InboundPublish, ListenerKind,
    MqttHooks, SubscribeRefusal, Verdict,
};
pub use ironloom_tls::{CertFingerprint, ClientAuth, TlsListenerConfig};
pub use router::{Message, MessageProps, PublishReport};
pub use rumqttc::v5::mqttbytes::QoS;
pub use server::{MqttServer, ServerError, ServerStats};
