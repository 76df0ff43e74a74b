//! Listener addresses and protocol limits. The binary's `[mqtt]` section fills this in.

use std::net::SocketAddr;
use std::time::Duration;

use ironloom_tls::TlsListenerConfig;

#[derive(Debug, Clone)]
pub struct MqttConfig {
    /// Plain TCP listener; `None` disables it.
    pub tcp: Option<SocketAddr>,
    /// TLS listener (certificate and key from PEM files, reloaded when they change;
    /// optional client certificates); off unless its address is set.
    pub tls: TlsListenerConfig,
    /// Largest packet a client may send (fixed header included), checked before the
    /// packet body is buffered. Advertised to MQTT 5 clients.
    pub max_packet_size: u32,
    /// Largest CONNECT packet: smaller, since it arrives before authentication.
    pub max_connect_size: u32,
    /// Time a new connection has to send CONNECT.
    pub connect_timeout: Duration,
    /// Longest keep-alive a client may ask for; MQTT 5 clients asking for more (or for
    /// none) are told this value, MQTT 3.1.1 clients are held to it.
    pub max_keep_alive: u16,
    /// Most connections at once; further ones are refused with "server busy".
    pub max_connections: usize,
    /// QoS 1/2 messages a client may have unacknowledged towards us (MQTT 5 receive
    /// maximum); also how many publishes one hook call carries at most.
    pub receive_maximum: u16,
    /// QoS 1/2 messages we send a client before waiting for its acknowledgements (lowered
    /// by the client's own receive maximum).
    pub max_inflight: u16,
    /// Messages a session keeps for a client that is offline or slow; more are dropped
    /// and counted.
    pub max_queued: usize,
    /// How long a persistent session lives after its client went away (MQTT 3.1.1
    /// `clean_session = 0`), and the most an MQTT 5 client may ask for.
    pub session_expiry: Duration,
    /// Most subscriptions one session may hold.
    pub max_subscriptions: usize,
    /// Longest topic name or filter, in bytes.
    pub max_topic_len: usize,
    /// Most levels in a topic name or filter.
    pub max_topic_levels: usize,
    /// Most retained messages per namespace.
    pub max_retained: usize,
    /// Messages per second per namespace (per device for device namespaces).
    pub rate_limit: RateLimit,
}

/// A token bucket: `per_second` sustained, `burst` at once.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    pub per_second: u32,
    pub burst: u32,
}

impl Default for MqttConfig {
    fn default() -> Self {
        MqttConfig {
            tcp: Some(SocketAddr::from(([0, 0, 0, 0], 1883))),
            tls: TlsListenerConfig::default(),
            max_packet_size: 256 * 1024,
            max_connect_size: 16 * 1024,
            connect_timeout: Duration::from_secs(10),
            max_keep_alive: 3600,
            max_connections: 200_000,
            receive_maximum: 256,
            max_inflight: 32,
            max_queued: 1000,
            session_expiry: Duration::from_secs(24 * 3600),
            max_subscriptions: 64,
            max_topic_len: 1024,
            max_topic_levels: 16,
            max_retained: 1000,
            rate_limit: RateLimit {
                per_second: 1000,
                burst: 2000,
            },
        }
    }
}

impl MqttConfig {
    /// Checks the limits make sense together; the message names the setting.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_packet_size < 64 {
            return Err("mqtt.max_packet_size must be at least 64 bytes".into());
        }
        if self.max_packet_size > 256 * 1024 * 1024 {
            return Err("mqtt.max_packet_size is at most 256 MiB (the protocol's limit)".into());
        }
        if self.max_connect_size < 64 || self.max_connect_size > self.max_packet_size {
            return Err("mqtt.max_connect_size must be 64 bytes to max_packet_size".into());
        }
        if self.receive_maximum == 0 || self.max_inflight == 0 {
            return Err("mqtt.receive_maximum and mqtt.max_inflight must be at least 1".into());
        }
        if self.max_keep_alive == 0 {
            return Err("mqtt.max_keep_alive must be at least 1 second".into());
        }
        if self.rate_limit.per_second == 0 || self.rate_limit.burst == 0 {
            return Err("mqtt.rate_limit needs a rate and a burst of at least 1".into());
        }
        if self.max_topic_len == 0 || self.max_topic_len > 65535 {
            return Err("mqtt.max_topic_len must be 1 to 65535 bytes".into());
        }
        if self.max_topic_levels == 0 {
            return Err("mqtt.max_topic_levels must be at least 1".into());
        }
        self.tls.validate("mqtt").map_err(|e| e.0)
    }
}
