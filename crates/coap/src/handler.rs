//! What the platform sees: a request with its body whole, a response it writes whole, and
//! the [`CoapHandler`] trait. Message types, ids, retransmission, blocks and Observe
//! sequence numbers stay inside the server.

use async_trait::async_trait;
use std::fmt;
use std::net::SocketAddr;
use tokio::sync::mpsc;

/// The methods a handler sees; others are answered 4.05 by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

/// A response code `c.dd` (RFC 7252 §5.9, §12.1.2), kept as its byte.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResponseCode(u8);

impl ResponseCode {
    pub const CREATED: ResponseCode = ResponseCode::new(2, 1);
    pub const DELETED: ResponseCode = ResponseCode::new(2, 2);
    pub const VALID: ResponseCode = ResponseCode::new(2, 3);
    pub const CHANGED: ResponseCode = ResponseCode::new(2, 4);
    pub const CONTENT: ResponseCode = ResponseCode::new(2, 5);
    pub const CONTINUE: ResponseCode = ResponseCode::new(2, 31);
    pub const BAD_REQUEST: ResponseCode = ResponseCode::new(4, 0);
    pub const UNAUTHORIZED: ResponseCode = ResponseCode::new(4, 1);
    pub const BAD_OPTION: ResponseCode = ResponseCode::new(4, 2);
    pub const FORBIDDEN: ResponseCode = ResponseCode::new(4, 3);
    pub const NOT_FOUND: ResponseCode = ResponseCode::new(4, 4);
    pub const METHOD_NOT_ALLOWED: ResponseCode = ResponseCode::new(4, 5);
    pub const NOT_ACCEPTABLE: ResponseCode = ResponseCode::new(4, 6);
    pub const REQUEST_ENTITY_INCOMPLETE: ResponseCode = ResponseCode::new(4, 8);
    pub const PRECONDITION_FAILED: ResponseCode = ResponseCode::new(4, 12);
    pub const REQUEST_ENTITY_TOO_LARGE: ResponseCode = ResponseCode::new(4, 13);
    pub const UNSUPPORTED_CONTENT_FORMAT: ResponseCode = ResponseCode::new(4, 15);
    pub const TOO_MANY_REQUESTS: ResponseCode = ResponseCode::new(4, 29);
    pub const INTERNAL_SERVER_ERROR: ResponseCode = ResponseCode::new(5, 0);
    pub const NOT_IMPLEMENTED: ResponseCode = ResponseCode::new(5, 1);
    pub const SERVICE_UNAVAILABLE: ResponseCode = ResponseCode::new(5, 3);
    pub const PROXYING_NOT_SUPPORTED: ResponseCode = ResponseCode::new(5, 5);

    /// `class.detail`; a class above 7 or a detail above 31 is masked to its bits.
    pub const fn new(class: u8, detail: u8) -> ResponseCode {
        ResponseCode(((class & 0x07) << 5) | (detail & 0x1f))
    }

    /// The code byte of a response (class 2 to 5), or `None` for request, empty and
    /// reserved codes.
    pub const fn from_byte(byte: u8) -> Option<ResponseCode> {
        match byte >> 5 {
            2..=5 => Some(ResponseCode(byte)),
            _ => None,
        }
    }

    pub const fn as_byte(self) -> u8 {
        self.0
    }

    pub const fn class(self) -> u8 {
        self.0 >> 5
    }

    pub const fn detail(self) -> u8 {
        self.0 & 0x1f
    }

    pub const fn is_success(self) -> bool {
        self.class() == 2
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.class(), self.detail())
    }
}

impl fmt::Debug for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A request as the handler sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoapRequest {
    pub peer: SocketAddr,
    pub method: Method,
    /// Uri-Path segments, in order.
    pub path: Vec<String>,
    /// Uri-Query items, in order (`key=value` by convention, not checked).
    pub query: Vec<String>,
    pub content_format: Option<u16>,
    pub accept: Option<u16>,
    /// The whole body, reassembled when it came in Block1 blocks.
    pub payload: Vec<u8>,
    /// The Observe option of a GET: 0 registers, 1 deregisters (RFC 7641). `None` for other
    /// methods.
    pub observe: Option<u32>,
    /// The request's token, which also names an observation (see [`Observation`]).
    pub token: Vec<u8>,
}

impl CoapRequest {
    /// The path as `a/b/c`.
    pub fn path_string(&self) -> String {
        self.path.join("/")
    }
}

/// A response as the handler writes it; the server splits a large payload into Block2
/// blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoapResponse {
    pub code: ResponseCode,
    pub content_format: Option<u16>,
    pub payload: Vec<u8>,
}

impl CoapResponse {
    /// A response without payload.
    pub fn new(code: ResponseCode) -> CoapResponse {
        CoapResponse {
            code,
            content_format: None,
            payload: Vec::new(),
        }
    }

    /// A response with a payload of the given Content-Format.
    pub fn with_payload(
        code: ResponseCode,
        content_format: Option<u16>,
        payload: impl Into<Vec<u8>>,
    ) -> CoapResponse {
        CoapResponse {
            code,
            content_format,
            payload: payload.into(),
        }
    }

    /// An error with a diagnostic payload (RFC 7252 §5.5.2: UTF-8 text, no Content-Format).
    pub fn error(code: ResponseCode, diagnostic: impl Into<String>) -> CoapResponse {
        CoapResponse {
            code,
            content_format: None,
            payload: diagnostic.into().into_bytes(),
        }
    }
}

/// What a handler answers.
#[derive(Debug)]
pub enum CoapReply {
    /// One response.
    Response(CoapResponse),
    /// For a GET with Observe 0: the current state, then one notification per response the
    /// handler sends on `updates`. The observation lasts until the client ends it, a
    /// confirmable notification goes unacknowledged, an update with a code other than 2.xx
    /// is sent, or the handler drops its sender; [`CoapHandler::observer_gone`] says which.
    /// For any other request, or beyond the observer limits, `first` is sent as a plain
    /// response and the observation ends at once (reason [`ObserveEnd::Refused`]).
    ///
    /// Notifications are read from `updates` one at a time: the next is read only after the
    /// previous one was acknowledged, so a slow client slows its sender (the channel's
    /// capacity is the buffer) instead of growing a queue in the server.
    Observe {
        first: CoapResponse,
        updates: mpsc::Receiver<CoapResponse>,
    },
}

impl From<CoapResponse> for CoapReply {
    fn from(r: CoapResponse) -> Self {
        CoapReply::Response(r)
    }
}

/// The identity of an observation: the client and the token of its registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub peer: SocketAddr,
    pub token: Vec<u8>,
    pub path: Vec<String>,
    pub query: Vec<String>,
}

/// Why an observation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObserveEnd {
    /// It never started: the request was no GET with Observe 0, the first response was not
    /// 2.xx, or an observer limit was reached.
    Refused,
    /// The client sent a GET with Observe 1 and the same token.
    Deregistered,
    /// The client registered again with the same token; the new registration replaces it.
    Replaced,
    /// The client answered a notification with a Reset.
    Reset,
    /// A confirmable notification was not acknowledged after `max_retransmit`
    /// retransmissions.
    NotAcknowledged,
    /// The handler sent an update with a code other than 2.xx; it was delivered as the last
    /// notification.
    ErrorSent,
    /// The handler dropped the sender of `updates`.
    UpdatesClosed,
    /// The server shut down.
    Shutdown,
}

/// The platform's side of the server.
#[async_trait]
pub trait CoapHandler: Send + Sync + 'static {
    /// Answers one request. For a confirmable request the server sends nothing until this
    /// returns: the answer is piggybacked on the acknowledgement, so a client that gets an
    /// ACK knows its request was handled. Retransmissions of the request are not passed on.
    async fn handle(&self, request: CoapRequest) -> CoapReply;

    /// Called exactly once for every [`CoapReply::Observe`] this handler returned, when that
    /// observation ends. Runs on the server's task: keep it short and non-blocking.
    fn observer_gone(&self, observation: &Observation, reason: ObserveEnd) {
        let _ = (observation, reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_codes_print_as_class_dot_detail() {
        assert_eq!(ResponseCode::CONTENT.to_string(), "2.05");
        assert_eq!(ResponseCode::CONTINUE.as_byte(), 0x5f);
        assert_eq!(ResponseCode::REQUEST_ENTITY_TOO_LARGE.as_byte(), 0x8d);
        assert_eq!(ResponseCode::REQUEST_ENTITY_INCOMPLETE.to_string(), "4.08");
        assert_eq!(ResponseCode::from_byte(0x45), Some(ResponseCode::CONTENT));
        assert_eq!(ResponseCode::from_byte(0x01), None);
        assert!(ResponseCode::CHANGED.is_success());
        assert!(!ResponseCode::NOT_FOUND.is_success());
    }
}
