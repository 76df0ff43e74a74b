//! The server's settings: a `[coap]` section with humane units (`"2s"`, `"64KiB"`), every
//! memory-holding table bounded, checked by [`CoapConfig::validate`].

use crate::error::CoapError;
use serde::Deserialize;

pub use ironloom_core::units::{ByteSize, Duration, ListenAddr};
use std::net::SocketAddr;

/// Largest UDP payload over IPv4; no CoAP message can be larger.
pub const MAX_DATAGRAM_SIZE: usize = 65_507;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CoapConfig {
    /// UDP address to listen on; empty: no CoAP server. Port 0 picks a free port (tests).
    pub addr: ListenAddr,
    /// Largest datagram accepted; larger ones are refused (RFC 7252 §4.6 suggests 1152).
    pub max_message_size: ByteSize,
    /// Largest request body reassembled from Block1 blocks (RFC 7959); larger bodies get
    /// 4.13 Request Entity Too Large with Size1.
    pub max_body_size: ByteSize,
    /// Preferred Block2 size for large responses: a power of two from 16 to 1024. A client
    /// may ask for smaller blocks.
    pub block_size: ByteSize,
    /// How long a request's message id is remembered to detect retransmissions, and how long
    /// an idle block-wise transfer is kept (RFC 7252 EXCHANGE_LIFETIME).
    pub exchange_lifetime: Duration,
    /// Longest a handler call may take; then the request is answered 5.03.
    pub handler_timeout: Duration,
    /// How long shutdown waits for handler calls in flight to answer.
    pub shutdown_grace: Duration,
    /// Most peers (address and port) with state at once; requests from further peers are
    /// refused with 5.03 until older state expires.
    pub max_peers: usize,
    /// Most remembered message ids per peer; the oldest is forgotten first.
    pub max_exchanges_per_peer: usize,
    /// Most handler calls running at once, in total and per peer; more requests are
    /// refused with 5.03.
    pub max_in_flight: usize,
    pub max_in_flight_per_peer: usize,
    /// Most Block1 uploads and, separately, most cached Block2 bodies per peer; a new one
    /// replaces the peer's oldest.
    pub max_transfers_per_peer: usize,
    /// Bytes held by all Block1 uploads and cached Block2 bodies together.
    pub transfer_memory: ByteSize,
    /// Most observations (RFC 7641), in total and per peer; further registrations are
    /// answered without the Observe option.
    pub max_observers: usize,
    pub max_observers_per_peer: usize,
    /// Notification retransmission (RFC 7252 §4.8): the first wait is random between
    /// `ack_timeout` and `ack_timeout * ack_random_factor`, then doubles; after
    /// `max_retransmit` retransmissions the observation ends.
    pub ack_timeout: Duration,
    pub ack_random_factor: f64,
    pub max_retransmit: u32,
}

impl Default for CoapConfig {
    fn default() -> Self {
        CoapConfig {
            addr: ListenAddr::on(SocketAddr::from(([0, 0, 0, 0], 5683))),
            max_message_size: ByteSize(1152),
            max_body_size: ByteSize(64 << 10),
            block_size: ByteSize(512),
            exchange_lifetime: Duration(std::time::Duration::from_secs(247)),
            handler_timeout: Duration(std::time::Duration::from_secs(60)),
            shutdown_grace: Duration(std::time::Duration::from_secs(5)),
            max_peers: 10_000,
            max_exchanges_per_peer: 64,
            max_in_flight: 1024,
            max_in_flight_per_peer: 8,
            max_transfers_per_peer: 4,
            transfer_memory: ByteSize(32 << 20),
            max_observers: 10_000,
            max_observers_per_peer: 16,
            ack_timeout: Duration(std::time::Duration::from_secs(2)),
            ack_random_factor: 1.5,
            max_retransmit: 4,
        }
    }
}

impl CoapConfig {
    /// What is wrong with the section, named by key.
    pub fn validate(&self) -> Result<(), CoapError> {
        let invalid = |m: &str| Err(CoapError::InvalidConfig(m.into()));
        let block = self.block_size.0;
        if !block.is_power_of_two() || !(16..=1024).contains(&block) {
            return invalid("coap.block_size must be a power of two from 16 to 1024 bytes");
        }
        // Room for the header, a token and the options of a block-wise response.
        if self.max_message_size.0 < block + 64 || self.max_message_size.0 > MAX_DATAGRAM_SIZE {
            return invalid(
                "coap.max_message_size must be at least block_size + 64 bytes and at most 65507",
            );
        }
        if self.max_body_size.0 == 0 || self.max_body_size.0 > self.transfer_memory.0 {
            return invalid(
                "coap.max_body_size must be at least 1 byte and at most transfer_memory",
            );
        }
        // Size1 carries the limit in a 4-byte option.
        if self.max_body_size.0 > u32::MAX as usize {
            return invalid("coap.max_body_size must be below 4GiB");
        }
        if self.exchange_lifetime.0.is_zero()
            || self.handler_timeout.0.is_zero()
            || self.ack_timeout.0.is_zero()
        {
            return invalid(
                "coap.exchange_lifetime, coap.handler_timeout and coap.ack_timeout must not be zero",
            );
        }
        if self.max_peers == 0
            || self.max_exchanges_per_peer == 0
            || self.max_in_flight == 0
            || self.max_in_flight_per_peer == 0
            || self.max_transfers_per_peer == 0
        {
            return invalid(
                "coap.max_peers, max_exchanges_per_peer, max_in_flight, max_in_flight_per_peer \
                 and max_transfers_per_peer must be at least 1",
            );
        }
        if !(1.0..=10.0).contains(&self.ack_random_factor) {
            return invalid("coap.ack_random_factor must be between 1.0 and 10.0");
        }
        // The back-off doubles per retransmission; past 20 the waits are days long.
        if self.max_retransmit > 20 {
            return invalid("coap.max_retransmit must be at most 20");
        }
        Ok(())
    }

    /// The block size exponent (RFC 7959 SZX) for `block_size`.
    pub(crate) fn block_szx(&self) -> u8 {
        // block_size is a validated power of two in 16..=1024, so this is 0..=6.
        (self.block_size.0.max(16).trailing_zeros().saturating_sub(4)).min(6) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<CoapConfig, String> {
        toml::from_str::<CoapConfig>(text).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_follow_rfc_7252_and_validate() {
        let c = CoapConfig::default();
        c.validate().unwrap();
        assert_eq!(c.addr.0.map(|a| a.port()), Some(5683));
        assert_eq!(c.max_message_size.0, 1152);
        assert_eq!(c.exchange_lifetime.0.as_secs(), 247);
        assert_eq!(c.ack_timeout.0.as_secs(), 2);
        assert_eq!(c.max_retransmit, 4);
        assert_eq!(c.block_szx(), 5);
        let empty = parse("").unwrap();
        assert_eq!(empty.max_body_size, c.max_body_size);
    }

    #[test]
    fn humane_units_parse() {
        let c = parse(
            "addr = \"127.0.0.1:0\"\nmax_body_size = \"1MiB\"\nblock_size = 1024\n\
             exchange_lifetime = \"90s\"\nack_timeout = \"250ms\"\nack_random_factor = 1.2",
        )
        .unwrap();
        assert_eq!(c.max_body_size.0, 1 << 20);
        assert_eq!(c.block_size.0, 1024);
        assert_eq!(c.block_szx(), 6);
        assert_eq!(c.exchange_lifetime.0.as_secs(), 90);
        assert_eq!(c.ack_timeout.0.as_millis(), 250);
        c.validate().unwrap();
        assert_eq!(parse("addr = \"\"").unwrap().addr.0, None);
    }

    #[test]
    fn unknown_keys_and_bad_units_are_named() {
        let e = parse("max_boddy_size = 10").unwrap_err();
        assert!(e.contains("max_boddy_size"), "{e}");
        let e = parse("ack_timeout = \"soon\"").unwrap_err();
        assert!(e.contains("soon"), "{e}");
        let e = parse("max_body_size = \"1 parsec\"").unwrap_err();
        assert!(e.contains("parsec"), "{e}");
    }

    #[test]
    fn validate_rejects_inconsistent_limits() {
        let bad = [
            CoapConfig {
                block_size: ByteSize(500),
                ..CoapConfig::default()
            },
            CoapConfig {
                block_size: ByteSize(2048),
                ..CoapConfig::default()
            },
            CoapConfig {
                max_message_size: ByteSize(300),
                ..CoapConfig::default()
            },
            CoapConfig {
                max_body_size: ByteSize(64 << 20),
                ..CoapConfig::default()
            },
            CoapConfig {
                ack_random_factor: 0.5,
                ..CoapConfig::default()
            },
            CoapConfig {
                ack_random_factor: f64::NAN,
                ..CoapConfig::default()
            },
            CoapConfig {
                max_in_flight_per_peer: 0,
                ..CoapConfig::default()
            },
            CoapConfig {
                exchange_lifetime: Duration(std::time::Duration::ZERO),
                ..CoapConfig::default()
            },
            CoapConfig {
                max_retransmit: 40,
                ..CoapConfig::default()
            },
        ];
        for c in bad {
            let e = c.validate().unwrap_err();
            assert!(e.to_string().contains("coap."), "{e}");
        }
    }
}
