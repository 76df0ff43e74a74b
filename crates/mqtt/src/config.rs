//! The server's settings: the `[mqtt]` section itself, with humane units (`"256KiB"`,
//! `"1h"`), checked by [`MqttConfig::validate`]. The TLS listener takes the same settings
//! as every Ironloom listener (`tls_addr`, `tls_cert` … from `ironloom-tls`).
//!
//! Sizes and times are written the humane way but kept in the plain types the connection
//! code works with (`u32` bytes, `u16` seconds of keep-alive, `std::time::Duration`), so
//! the hot path reads them without conversions.

use std::net::SocketAddr;
use std::time::Duration;

use ironloom_core::units::{ByteSize, InvalidConfig, ListenAddr};
use ironloom_tls::TlsListenerConfig;
use serde::{Deserialize, Deserializer};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MqttConfig {
    /// Plain TCP listener; empty: none. Port 0 picks a free port.
    pub addr: ListenAddr,
    /// TLS listener (certificate and key from PEM files, reloaded when they change;
    /// optional client certificates); off unless `tls_addr` is set.
    #[serde(flatten)]
    pub tls: TlsListenerConfig,
    /// MQTT over WebSocket at `/mqtt` on the platform's HTTP (and HTTPS) listener, which
    /// hands the streams in through [`MqttServer::serve_stream`](crate::MqttServer::serve_stream).
    pub websocket: bool,
    /// Largest packet a client may send (fixed header included), checked before the
    /// packet body is buffered. Advertised to MQTT 5 clients.
    #[serde(deserialize_with = "bytes_u32")]
    pub max_packet_size: u32,
    /// Largest CONNECT packet: smaller, since it arrives before authentication.
    #[serde(deserialize_with = "bytes_u32")]
    pub max_connect_size: u32,
    /// Time a new connection has to complete its TLS handshake and send CONNECT.
    #[serde(deserialize_with = "duration")]
    pub connect_timeout: Duration,
    /// Longest keep-alive a client may ask for, in seconds; MQTT 5 clients asking for more
    /// (or for none) are told this value, MQTT 3.1.1 clients are held to it.
    #[serde(deserialize_with = "seconds_u16")]
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
    #[serde(deserialize_with = "duration")]
    pub session_expiry: Duration,
    /// Most subscriptions one session may hold.
    pub max_subscriptions: usize,
    /// Longest topic name or filter, in bytes.
    pub max_topic_len: usize,
    /// Most levels in a topic name or filter.
    pub max_topic_levels: usize,
    /// Most retained messages per namespace.
    pub max_retained: usize,
    /// Messages per second per namespace (per device for device namespaces): keys
    /// `rate_limit` and `rate_burst`.
    #[serde(flatten)]
    pub rate_limit: RateLimit,
}

/// A token bucket: `per_second` sustained, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RateLimit {
    #[serde(rename = "rate_limit")]
    pub per_second: u32,
    #[serde(rename = "rate_burst")]
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            per_second: 1000,
            burst: 2000,
        }
    }
}

impl Default for MqttConfig {
    fn default() -> Self {
        MqttConfig {
            addr: ListenAddr::on(SocketAddr::from(([0, 0, 0, 0], 1883))),
            tls: TlsListenerConfig::default(),
            websocket: true,
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
            rate_limit: RateLimit::default(),
        }
    }
}

/// A duration written as `30s`, `15m` … into a `std::time::Duration`.
fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    ironloom_core::units::Duration::deserialize(d).map(|d| d.0)
}

/// A duration in whole seconds that fits MQTT's 16-bit keep-alive (at most `65535s`).
fn seconds_u16<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    let v = duration(d)?;
    if v.subsec_nanos() != 0 {
        return Err(serde::de::Error::custom("must be whole seconds"));
    }
    u16::try_from(v.as_secs())
        .map_err(|_| serde::de::Error::custom("must be at most 65535s (18h12m15s)"))
}

/// A size written as `512`, `64KiB` … that fits 32 bits (MQTT's limits do).
fn bytes_u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = ByteSize::deserialize(d)?.0;
    u32::try_from(v).map_err(|_| serde::de::Error::custom("must be below 4GiB"))
}

impl MqttConfig {
    /// Checks the limits make sense together; the message names the setting.
    pub fn validate(&self) -> Result<(), InvalidConfig> {
        let invalid = |m: &str| Err(InvalidConfig(m.into()));
        if self.max_packet_size < 64 {
            return invalid("mqtt.max_packet_size must be at least 64 bytes");
        }
        if self.max_packet_size > 256 * 1024 * 1024 {
            return invalid("mqtt.max_packet_size is at most 256MiB (the protocol's limit)");
        }
        if self.max_connect_size < 64 || self.max_connect_size > self.max_packet_size {
            return invalid("mqtt.max_connect_size must be 64 bytes to max_packet_size");
        }
        if self.connect_timeout.is_zero() {
            return invalid("mqtt.connect_timeout must not be zero");
        }
        if self.receive_maximum == 0 || self.max_inflight == 0 {
            return invalid("mqtt.receive_maximum and mqtt.max_inflight must be at least 1");
        }
        if self.max_keep_alive == 0 {
            return invalid("mqtt.max_keep_alive must be at least 1s");
        }
        if self.max_connections == 0 || self.max_queued == 0 || self.max_subscriptions == 0 {
            return invalid(
                "mqtt.max_connections, mqtt.max_queued and mqtt.max_subscriptions must be at least 1",
            );
        }
        if self.rate_limit.per_second == 0 || self.rate_limit.burst == 0 {
            return invalid("mqtt.rate_limit and mqtt.rate_burst must be at least 1");
        }
        if self.max_topic_len == 0 || self.max_topic_len > 65535 {
            return invalid("mqtt.max_topic_len must be 1 to 65535 bytes");
        }
        if self.max_topic_levels == 0 {
            return invalid("mqtt.max_topic_levels must be at least 1");
        }
        self.tls.validate("mqtt")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(text: &str) -> Result<MqttConfig, String> {
        toml::from_str::<MqttConfig>(text).map_err(|e| e.to_string())
    }

    #[test]
    fn an_empty_section_is_the_defaults_and_they_validate() {
        let d = MqttConfig::default();
        d.validate().unwrap();
        assert_eq!(parse("").unwrap(), d);
        assert_eq!(d.addr.0.map(|a| a.port()), Some(1883));
        assert!(!d.tls.enabled());
    }

    #[test]
    fn humane_units_and_the_keys_users_have_parse() {
        let c = parse(
            "addr = \"127.0.0.1:0\"\ntls_addr = \"127.0.0.1:0\"\ntls_cert = \"c.pem\"\n\
             tls_key = \"k.pem\"\nwebsocket = false\nmax_packet_size = \"1MiB\"\n\
             max_connect_size = 4096\nconnect_timeout = \"3s\"\nmax_keep_alive = \"15m\"\n\
             session_expiry = \"7d\"\nmax_queued = 10\nrate_limit = 5\nrate_burst = 20",
        )
        .unwrap();
        assert_eq!(c.addr.0.unwrap().port(), 0);
        assert!(c.tls.enabled());
        assert!(!c.websocket);
        assert_eq!(c.max_packet_size, 1 << 20);
        assert_eq!(c.max_connect_size, 4096);
        assert_eq!(c.connect_timeout, Duration::from_secs(3));
        assert_eq!(c.max_keep_alive, 900);
        assert_eq!(c.session_expiry, Duration::from_secs(7 * 86400));
        assert_eq!(c.max_queued, 10);
        assert_eq!(
            c.rate_limit,
            RateLimit {
                per_second: 5,
                burst: 20
            }
        );
        c.validate().unwrap();
        assert_eq!(parse("addr = \"\"").unwrap().addr.0, None);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        for (text, word) in [
            ("max_packt_size = 10", "max_packt_size"),
            ("tls_cerf = \"c.pem\"", "tls_cerf"),
            ("addr = \"localhost\"", "localhost"),
            ("max_keep_alive = \"1d\"", "65535"),
            ("max_keep_alive = \"1500ms\"", "whole seconds"),
            ("max_packet_size = \"5GiB\"", "4GiB"),
            ("session_expiry = \"forever\"", "forever"),
            ("tls_client_auth = \"maybe\"", "maybe"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(word), "{text}: {word} in {e}");
        }
    }

    #[test]
    fn validate_rejects_inconsistent_limits_naming_the_key() {
        let d = MqttConfig::default;
        for (c, key) in [
            (
                MqttConfig {
                    max_packet_size: 10,
                    ..d()
                },
                "mqtt.max_packet_size",
            ),
            (
                MqttConfig {
                    max_connect_size: 512 * 1024,
                    ..d()
                },
                "mqtt.max_connect_size",
            ),
            (
                MqttConfig {
                    connect_timeout: Duration::ZERO,
                    ..d()
                },
                "mqtt.connect_timeout",
            ),
            (
                MqttConfig {
                    max_keep_alive: 0,
                    ..d()
                },
                "mqtt.max_keep_alive",
            ),
            (
                MqttConfig {
                    max_subscriptions: 0,
                    ..d()
                },
                "mqtt.max_subscriptions",
            ),
            (
                MqttConfig {
                    rate_limit: RateLimit {
                        per_second: 0,
                        burst: 1,
                    },
                    ..d()
                },
                "mqtt.rate_limit",
            ),
            (
                MqttConfig {
                    max_topic_len: 70_000,
                    ..d()
                },
                "mqtt.max_topic_len",
            ),
            (
                parse("tls_addr = \"127.0.0.1:0\"").unwrap(),
                "mqtt.tls_cert",
            ),
        ] {
            let e = c.validate().unwrap_err().to_string();
            assert!(e.contains(key), "{key} in {e}");
        }
    }
}
