//! The platform's side of the server: who may connect and into which namespace, what a
//! client may subscribe to, and what its publishes mean.

use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use ironloom_tls::CertFingerprint;

use crate::QoS;
use crate::codec::ProtocolVersion;
use crate::router::MessageProps;

/// Which listener a connection came in on, and the client certificate it presented (only
/// ever one that the listener's client CA verified).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerKind {
    Tcp,
    Tls {
        client_cert: Option<CertFingerprint>,
    },
    /// A WebSocket the platform's HTTP server handed in, over HTTPS when `tls`.
    WebSocket {
        tls: bool,
        client_cert: Option<CertFingerprint>,
    },
}

impl ListenerKind {
    /// The verified certificate the client presented in the TLS handshake, if any.
    pub fn client_cert(&self) -> Option<CertFingerprint> {
        match *self {
            ListenerKind::Tcp => None,
            ListenerKind::Tls { client_cert } | ListenerKind::WebSocket { client_cert, .. } => {
                client_cert
            }
        }
    }
}

/// What a client said in CONNECT, for authentication.
#[derive(Debug)]
pub struct ConnectInfo<'a> {
    pub peer: SocketAddr,
    pub listener: ListenerKind,
    pub version: ProtocolVersion,
    pub client_id: &'a str,
    pub username: Option<&'a str>,
    pub password: Option<&'a str>,
    pub clean_start: bool,
}

/// A successful authentication.
#[derive(Debug)]
pub struct Grant<C> {
    /// The routing domain the client lives in. Clients see only topics of their own
    /// namespace; the platform publishes into a namespace by name.
    pub namespace: Arc<str>,
    /// Label for metrics (the tenant).
    pub metrics_label: Arc<str>,
    /// The platform's per-connection context, handed back on every hook call.
    pub client: C,
    /// Filters the connection subscribes to at once, at QoS 1 and without retained
    /// messages, as if the client had (then [`MqttHooks::subscribed`] is called with
    /// them, or with all of a resumed session's): for clients that rely on the server to
    /// subscribe them, such as Alibaba's Link SDK (`_ss=1`). Not checked with
    /// [`MqttHooks::check_subscribe`].
    pub subscriptions: Vec<Arc<str>>,
}

/// Why a CONNECT was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectRefusal {
    BadCredentials,
    NotAuthorized,
    /// Too many failed attempts from this address or for this device.
    Banned,
    ClientIdInvalid,
    ServerBusy,
}

/// Why a subscription was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeRefusal {
    NotAuthorized,
    TopicFilterInvalid,
}

/// One PUBLISH as the client sent it (topic alias resolved, topic checked for wildcards,
/// length and levels).
#[derive(Debug, Clone)]
pub struct InboundPublish {
    pub topic: Arc<str>,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
    pub props: Option<Box<MessageProps>>,
}

/// Reason codes a publish may be answered with (MQTT 5 PUBACK/PUBREC; MQTT 3.1.1 clients
/// get a plain acknowledgement for accepted messages and none for refused ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckReason {
    Success,
    NoMatchingSubscribers,
    UnspecifiedError,
    ImplementationSpecificError,
    NotAuthorized,
    TopicNameInvalid,
    QuotaExceeded,
    PayloadFormatInvalid,
}

impl AckReason {
    pub fn is_success(self) -> bool {
        matches!(self, AckReason::Success | AckReason::NoMatchingSubscribers)
    }
}

/// The platform's answer to one publish.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub ack: AckReason,
    /// Human-readable explanation, sent to MQTT 5 clients as the reason string.
    pub reason: Option<String>,
    /// Also deliver the message to subscribers in the client's namespace (and keep it if
    /// it is retained).
    pub route: bool,
}

impl Verdict {
    pub fn accepted() -> Verdict {
        Verdict {
            ack: AckReason::Success,
            reason: None,
            route: false,
        }
    }

    pub fn routed() -> Verdict {
        Verdict {
            ack: AckReason::Success,
            reason: None,
            route: true,
        }
    }

    pub fn refused(ack: AckReason, reason: impl Into<String>) -> Verdict {
        Verdict {
            ack,
            reason: Some(reason.into()),
            route: false,
        }
    }
}

/// Why a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisconnectCause {
    /// The client sent DISCONNECT.
    Normal,
    /// The network connection closed or failed without DISCONNECT.
    ConnectionLost,
    KeepAliveTimeout,
    /// A malformed packet or a protocol violation.
    ProtocolError,
    PacketTooLarge,
    RateLimited,
    /// Another connection took the session over.
    TakenOver,
    /// The platform closed it (e.g. the device was deleted).
    Kicked,
    ServerShutdown,
    /// The server is being drained (a rolling upgrade): the client should connect to
    /// another node.
    Drained,
}

impl DisconnectCause {
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectCause::Normal => "normal",
            DisconnectCause::ConnectionLost => "connection_lost",
            DisconnectCause::KeepAliveTimeout => "keep_alive_timeout",
            DisconnectCause::ProtocolError => "protocol_error",
            DisconnectCause::PacketTooLarge => "packet_too_large",
            DisconnectCause::RateLimited => "rate_limited",
            DisconnectCause::TakenOver => "taken_over",
            DisconnectCause::Kicked => "kicked",
            DisconnectCause::ServerShutdown => "server_shutdown",
            DisconnectCause::Drained => "drained",
        }
    }
}

/// What the platform decides. Hook calls run on the connection's task: a slow hook slows
/// only that client (which is the back-pressure: its packets stay unread).
#[async_trait]
pub trait MqttHooks: Send + Sync + 'static {
    /// The platform's per-connection context.
    type Client: Send + Sync + 'static;

    async fn authenticate(
        &self,
        info: ConnectInfo<'_>,
    ) -> Result<Grant<Self::Client>, ConnectRefusal>;

    /// May the client subscribe to this (syntactically valid) filter, and at what QoS at
    /// most?
    fn check_subscribe(&self, client: &Self::Client, filter: &str)
    -> Result<QoS, SubscribeRefusal>;

    /// Handles publishes the client sent together, in order; returns one verdict each.
    /// Must return only once accepted data is durable: the acknowledgements follow.
    async fn publish(&self, client: &Self::Client, batch: &[InboundPublish]) -> Vec<Verdict>;

    /// The client is connected (CONNACK sent).
    fn connected(&self, _client: &Self::Client) {}

    /// The client subscribed to these filters (SUBACK sent), or resumed a session that
    /// holds them (CONNACK with session present sent, after [`MqttHooks::connected`]):
    /// either way the moment to deliver what was waiting for it.
    fn subscribed(&self, _client: &Self::Client, _filters: &[Arc<str>]) {}

    /// The connection ended.
    fn disconnected(&self, _client: &Self::Client, _cause: DisconnectCause) {}
}
