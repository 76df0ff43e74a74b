//! The crate's errors: setting up the server ([`CoapError`]) and decoding a datagram
//! ([`DecodeError`]). Once running, the server has no error to return: a bad datagram is
//! answered or dropped, and a failed handler call is answered 5.00.

use coap_lite::MessageType;
use std::net::SocketAddr;

#[derive(Debug, thiserror::Error)]
pub enum CoapError {
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    #[error("cannot bind the CoAP server to {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

impl CoapError {
    /// A stable code for programs to match on.
    pub fn code(&self) -> &'static str {
        match self {
            CoapError::InvalidConfig(_) => "coap_invalid_config",
            CoapError::Bind { .. } => "coap_bind",
        }
    }
}

/// Why a datagram is not a well-formed CoAP message (RFC 7252 §3). `header` is set when the
/// version is 1 and the message id could be read, so the message can be rejected with a
/// Reset; otherwise it is dropped silently.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind}")]
pub struct DecodeError {
    pub kind: DecodeErrorKind,
    pub header: Option<RawHeader>,
}

/// The part of a malformed message's header that could be read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawHeader {
    pub message_type: MessageType,
    pub message_id: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeErrorKind {
    #[error("datagram of {0} bytes is larger than any CoAP message")]
    TooLarge(usize),
    #[error("datagram of {0} bytes is shorter than the 4-byte header")]
    Truncated(usize),
    #[error("unknown CoAP version {0}")]
    Version(u8),
    #[error("token length {0} is above 8")]
    TokenLength(u8),
    #[error("token runs past the end of the datagram")]
    TruncatedToken,
    #[error("code {0:#04x} is in a reserved class")]
    ReservedCode(u8),
    #[error("an empty message (code 0.00) has bytes after its header")]
    NonEmptyEmptyMessage,
    #[error("option delta or length uses the reserved value 15")]
    ReservedOptionNibble,
    #[error("option runs past the end of the datagram")]
    TruncatedOption,
    #[error("option number is above 65535")]
    OptionNumberOverflow,
    #[error("payload marker without a payload")]
    EmptyPayload,
}

impl DecodeErrorKind {
    /// A short, bounded label for the malformed-message metric.
    pub fn label(&self) -> &'static str {
        match self {
            DecodeErrorKind::TooLarge(_) => "too_large",
            DecodeErrorKind::Truncated(_) => "truncated",
            DecodeErrorKind::Version(_) => "version",
            DecodeErrorKind::TokenLength(_) | DecodeErrorKind::TruncatedToken => "token",
            DecodeErrorKind::ReservedCode(_) => "code",
            DecodeErrorKind::NonEmptyEmptyMessage => "empty_message",
            DecodeErrorKind::ReservedOptionNibble
            | DecodeErrorKind::TruncatedOption
            | DecodeErrorKind::OptionNumberOverflow => "options",
            DecodeErrorKind::EmptyPayload => "payload",
        }
    }
}
