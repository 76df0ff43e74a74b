//! The codec: bytes to a [`Packet`] and back (coap-lite does the encoding), plus the checks
//! coap-lite leaves out (version, reserved codes, empty messages, a payload marker without a
//! payload) and the reading of request options (RFC 7252 §5.4, RFC 7959, RFC 7641).
//!
//! Everything here is pure; the option structure is walked once before coap-lite allocates
//! anything, so an invalid datagram costs no allocation.

use crate::config::MAX_DATAGRAM_SIZE;
use crate::error::{DecodeError, DecodeErrorKind, RawHeader};
use crate::handler::Method;
use coap_lite::{MessageClass, MessageType, Packet, RequestType};

/// Option numbers (RFC 7252 §12.2, RFC 7641, RFC 7959).
pub(crate) mod opt {
    pub const IF_MATCH: u16 = 1;
    pub const URI_HOST: u16 = 3;
    pub const ETAG: u16 = 4;
    pub const IF_NONE_MATCH: u16 = 5;
    pub const OBSERVE: u16 = 6;
    pub const URI_PORT: u16 = 7;
    pub const URI_PATH: u16 = 11;
    pub const CONTENT_FORMAT: u16 = 12;
    pub const MAX_AGE: u16 = 14;
    pub const URI_QUERY: u16 = 15;
    pub const ACCEPT: u16 = 17;
    pub const BLOCK2: u16 = 23;
    pub const BLOCK1: u16 = 27;
    pub const SIZE2: u16 = 28;
    pub const PROXY_URI: u16 = 35;
    pub const PROXY_SCHEME: u16 = 39;
    pub const SIZE1: u16 = 60;
}

/// Decodes one datagram into a CoAP message, or says why it is malformed.
///
/// Stricter than `coap_lite::Packet::from_bytes`: the version must be 1, codes of the
/// reserved classes 1, 6 and 7 are refused, an empty message (0.00) must be exactly the
/// 4-byte header, and a payload marker must be followed by a payload (RFC 7252 §3, §4.1).
/// Every message this accepts encodes back to the same bytes.
pub fn decode_message(bytes: &[u8]) -> Result<Packet, DecodeError> {
    let header = read_header(bytes);
    let fail = |kind| DecodeError { kind, header };
    if bytes.len() > MAX_DATAGRAM_SIZE {
        return Err(fail(DecodeErrorKind::TooLarge(bytes.len())));
    }
    if bytes.len() < 4 {
        return Err(fail(DecodeErrorKind::Truncated(bytes.len())));
    }
    let version = bytes[0] >> 6;
    if version != 1 {
        return Err(fail(DecodeErrorKind::Version(version)));
    }
    let tkl = bytes[0] & 0x0f;
    if tkl > 8 {
        return Err(fail(DecodeErrorKind::TokenLength(tkl)));
    }
    let code = bytes[1];
    if matches!(code >> 5, 1 | 6 | 7) {
        return Err(fail(DecodeErrorKind::ReservedCode(code)));
    }
    if code == 0 && bytes.len() != 4 {
        return Err(fail(DecodeErrorKind::NonEmptyEmptyMessage));
    }
    let options_start = 4 + tkl as usize;
    if options_start > bytes.len() {
        return Err(fail(DecodeErrorKind::TruncatedToken));
    }
    scan_options(&bytes[options_start..]).map_err(fail)?;
    // The scan accepted exactly what coap-lite accepts, so this does not fail; map it anyway
    // rather than trust that.
    Packet::from_bytes(bytes).map_err(|_| fail(DecodeErrorKind::TruncatedOption))
}

/// The header of a version-1 datagram of at least 4 bytes.
pub(crate) fn read_header(bytes: &[u8]) -> Option<RawHeader> {
    if bytes.len() < 4 || bytes[0] >> 6 != 1 {
        return None;
    }
    let message_type = match (bytes[0] >> 4) & 0x03 {
        0 => MessageType::Confirmable,
        1 => MessageType::NonConfirmable,
        2 => MessageType::Acknowledgement,
        _ => MessageType::Reset,
    };
    Some(RawHeader {
        message_type,
        message_id: u16::from_be_bytes([bytes[2], bytes[3]]),
    })
}

/// The token of a datagram whose header could be read, if it is complete and valid.
pub(crate) fn read_token(bytes: &[u8]) -> Option<&[u8]> {
    let tkl = (*bytes.first()? & 0x0f) as usize;
    if tkl > 8 {
        return None;
    }
    bytes.get(4..4 + tkl)
}

/// Walks the options and the payload marker without allocating.
fn scan_options(rest: &[u8]) -> Result<(), DecodeErrorKind> {
    fn extended(nibble: u8, rest: &[u8], i: usize) -> Result<(u32, usize), DecodeErrorKind> {
        match nibble {
            0..=12 => Ok((nibble as u32, i)),
            13 => {
                let b = rest.get(i).ok_or(DecodeErrorKind::TruncatedOption)?;
                Ok((*b as u32 + 13, i + 1))
            }
            14 => {
                let b = rest.get(i..i + 2).ok_or(DecodeErrorKind::TruncatedOption)?;
                Ok((u16::from_be_bytes([b[0], b[1]]) as u32 + 269, i + 2))
            }
            _ => Err(DecodeErrorKind::ReservedOptionNibble),
        }
    }
    let mut i = 0;
    let mut number = 0u32;
    while i < rest.len() {
        let b = rest[i];
        i += 1;
        if b == 0xff {
            return if i == rest.len() {
                Err(DecodeErrorKind::EmptyPayload)
            } else {
                Ok(())
            };
        }
        let (delta, next) = extended(b >> 4, rest, i)?;
        let (len, next) = extended(b & 0x0f, rest, next)?;
        number += delta;
        if number > u16::MAX as u32 {
            return Err(DecodeErrorKind::OptionNumberOverflow);
        }
        // coap-lite keeps lengths in a u16 after adding 269.
        if len > u16::MAX as u32 {
            return Err(DecodeErrorKind::TruncatedOption);
        }
        i = next + len as usize;
        if i > rest.len() {
            return Err(DecodeErrorKind::TruncatedOption);
        }
    }
    Ok(())
}

/// Encodes a message the server built. Only fails if coap-lite cannot write a header into a
/// buffer it sized itself; the caller then sends nothing.
pub(crate) fn encode(packet: &Packet) -> Option<Vec<u8>> {
    packet.to_bytes_unlimited().ok()
}

/// An unsigned option value (RFC 7252 §3.2) of at most `max_len` bytes.
pub(crate) fn read_uint(value: &[u8], max_len: usize) -> Option<u32> {
    if value.len() > max_len || value.len() > 4 {
        return None;
    }
    Some(value.iter().fold(0u32, |acc, b| (acc << 8) | *b as u32))
}

/// The shortest encoding of an unsigned option value (0 is empty).
pub(crate) fn write_uint(value: u32) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    bytes[skip..].to_vec()
}

/// A Block1 or Block2 option value (RFC 7959 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Block {
    pub num: u32,
    pub more: bool,
    /// Block size exponent: the size is 2^(szx + 4), 16 to 1024 bytes.
    pub szx: u8,
}

impl Block {
    /// Largest block number a 3-byte option carries.
    pub const MAX_NUM: u32 = (1 << 20) - 1;

    /// The value, or `None` if it is longer than 3 bytes or uses SZX 7 (reserved for BERT
    /// over TCP).
    pub fn decode(value: &[u8]) -> Option<Block> {
        let v = read_uint(value, 3)?;
        let szx = (v & 0x07) as u8;
        if szx == 7 {
            return None;
        }
        Some(Block {
            num: v >> 4,
            more: v & 0x08 != 0,
            szx,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        write_uint((self.num << 4) | ((self.more as u32) << 3) | self.szx as u32)
    }

    pub fn size(&self) -> usize {
        1 << (self.szx + 4)
    }

    /// Where this block starts in the body, if that fits in `usize`.
    pub fn offset(&self) -> usize {
        (self.num as usize) << (self.szx + 4)
    }
}

/// A request's options, checked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RequestOptions {
    pub method: Method,
    pub path: Vec<String>,
    pub query: Vec<String>,
    pub content_format: Option<u16>,
    pub accept: Option<u16>,
    pub observe: Option<u32>,
    pub block1: Option<Block>,
    pub block2: Option<Block>,
    pub size1: Option<u32>,
}

/// Why a request is refused before it reaches the handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reject {
    /// An unrecognised or malformed critical option (RFC 7252 §5.4.1): 4.02 for a
    /// confirmable request, a Reset for a non-confirmable one.
    BadOption(String),
    /// 4.00 with the reason as diagnostic payload.
    BadRequest(String),
    /// FETCH, PATCH, iPATCH and unassigned method codes: 4.05.
    MethodNotAllowed,
    /// Proxy-Uri or Proxy-Scheme on a server that is no proxy: 5.05.
    ProxyingNotSupported,
}

/// Reads and checks the options of a request (code class 0, not 0.00).
pub(crate) fn read_request(packet: &Packet) -> Result<RequestOptions, Reject> {
    let method = match packet.header.code {
        MessageClass::Request(RequestType::Get) => Method::Get,
        MessageClass::Request(RequestType::Post) => Method::Post,
        MessageClass::Request(RequestType::Put) => Method::Put,
        MessageClass::Request(RequestType::Delete) => Method::Delete,
        _ => return Err(Reject::MethodNotAllowed),
    };
    let mut r = RequestOptions {
        method,
        path: Vec::new(),
        query: Vec::new(),
        content_format: None,
        accept: None,
        observe: None,
        block1: None,
        block2: None,
        size1: None,
    };
    for (&number, values) in packet.options() {
        let Some(first) = values.front() else {
            continue;
        };
        // A repeated non-repeatable critical option is treated as unrecognised (§5.4.5).
        let once = |name: &str| {
            if values.len() > 1 {
                Err(Reject::BadOption(format!("{name} must not be repeated")))
            } else {
                Ok(())
            }
        };
        match number {
            opt::IF_MATCH | opt::IF_NONE_MATCH => {
                return Err(Reject::BadOption(
                    "conditional requests (If-Match, If-None-Match) are not supported".into(),
                ));
            }
            opt::URI_HOST => {
                once("Uri-Host")?;
                if first.is_empty() || first.len() > 255 {
                    return Err(Reject::BadOption("Uri-Host must be 1 to 255 bytes".into()));
                }
            }
            opt::URI_PORT => {
                once("Uri-Port")?;
                read_uint(first, 2)
                    .ok_or_else(|| Reject::BadOption("Uri-Port is longer than 2 bytes".into()))?;
            }
            opt::URI_PATH | opt::URI_QUERY => {
                let name = if number == opt::URI_PATH {
                    "Uri-Path"
                } else {
                    "Uri-Query"
                };
                let mut out = Vec::with_capacity(values.len());
                for v in values {
                    if v.len() > 255 {
                        return Err(Reject::BadOption(format!(
                            "{name} is longer than 255 bytes"
                        )));
                    }
                    let s = std::str::from_utf8(v)
                        .map_err(|_| Reject::BadRequest(format!("{name} is not UTF-8")))?;
                    out.push(s.to_owned());
                }
                if number == opt::URI_PATH {
                    r.path = out;
                } else {
                    r.query = out;
                }
            }
            // Elective: a value of the wrong length is ignored like an unknown option.
            opt::CONTENT_FORMAT => r.content_format = read_uint(first, 2).map(|v| v as u16),
            opt::OBSERVE => r.observe = read_uint(first, 3),
            opt::SIZE1 => r.size1 = read_uint(first, 4),
            opt::ACCEPT => {
                once("Accept")?;
                let v = read_uint(first, 2)
                    .ok_or_else(|| Reject::BadOption("Accept is longer than 2 bytes".into()))?;
                r.accept = Some(v as u16);
            }
            opt::BLOCK1 | opt::BLOCK2 => {
                let name = if number == opt::BLOCK1 {
                    "Block1"
                } else {
                    "Block2"
                };
                once(name)?;
                let b = Block::decode(first).ok_or_else(|| {
                    Reject::BadOption(format!("{name} is longer than 3 bytes or uses SZX 7"))
                })?;
                if number == opt::BLOCK1 {
                    r.block1 = Some(b);
                } else {
                    r.block2 = Some(b);
                }
            }
            opt::PROXY_URI | opt::PROXY_SCHEME => return Err(Reject::ProxyingNotSupported),
            n if n % 2 == 1 => {
                return Err(Reject::BadOption(format!(
                    "critical option {n} is not supported"
                )));
            }
            // Unknown elective options (ETag, Max-Age, Size2, No-Response, ...) are ignored.
            _ => {}
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use coap_lite::CoapOption;

    fn request(code: RequestType, options: &[(u16, &[u8])], payload: &[u8]) -> Vec<u8> {
        let mut p = Packet::new();
        p.header.set_type(MessageType::Confirmable);
        p.header.code = MessageClass::Request(code);
        p.header.message_id = 0x1234;
        p.set_token(vec![1, 2, 3, 4]);
        for (n, v) in options {
            p.add_option(CoapOption::from(*n), v.to_vec());
        }
        p.payload = payload.to_vec();
        p.to_bytes_unlimited().unwrap()
    }

    #[test]
    fn decodes_a_request_and_encodes_it_back_byte_for_byte() {
        let bytes = request(
            RequestType::Post,
            &[
                (opt::URI_PATH, b"t"),
                (opt::URI_PATH, b"dev-1"),
                (opt::CONTENT_FORMAT, &[50]),
            ],
            b"{\"t\":21.5}",
        );
        let p = decode_message(&bytes).unwrap();
        assert_eq!(p.header.message_id, 0x1234);
        assert_eq!(p.get_token(), &[1, 2, 3, 4]);
        assert_eq!(p.payload, b"{\"t\":21.5}");
        assert_eq!(encode(&p).unwrap(), bytes);
        let r = read_request(&p).unwrap();
        assert_eq!(r.method, Method::Post);
        assert_eq!(r.path, ["t", "dev-1"]);
        assert_eq!(r.content_format, Some(50));
    }

    #[test]
    fn rfc_7252_fixture_decodes() {
        // CON GET, mid 0x7d34, no token, Uri-Path "temperature" (RFC 7252 Appendix A style).
        let mut bytes = vec![0x40, 0x01, 0x7d, 0x34, 0xbb];
        bytes.extend_from_slice(b"temperature");
        let p = decode_message(&bytes).unwrap();
        let r = read_request(&p).unwrap();
        assert_eq!(r.method, Method::Get);
        assert_eq!(r.path, ["temperature"]);
        // Option with delta 13 + extended byte: Size1 (60) = 13 + 47.
        let bytes = [0x40, 0x02, 0, 1, 0xd1, 47, 0x05];
        let p = decode_message(&bytes).unwrap();
        assert_eq!(read_request(&p).unwrap().size1, Some(5));
    }

    #[test]
    fn malformed_datagrams_are_refused_with_the_header_when_readable() {
        let cases: &[(&[u8], DecodeErrorKind, bool)] = &[
            (&[], DecodeErrorKind::Truncated(0), false),
            (&[0x40, 0x01, 0x00], DecodeErrorKind::Truncated(3), false),
            (&[0x80, 0x01, 0, 1], DecodeErrorKind::Version(2), false),
            (
                &[0x49, 0x01, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                DecodeErrorKind::TokenLength(9),
                true,
            ),
            (
                &[0x44, 0x01, 0, 1, 1, 2],
                DecodeErrorKind::TruncatedToken,
                true,
            ),
            (
                &[0x40, 0x20, 0, 1],
                DecodeErrorKind::ReservedCode(0x20),
                true,
            ),
            (
                &[0x40, 0xe0, 0, 1],
                DecodeErrorKind::ReservedCode(0xe0),
                true,
            ),
            (
                &[0x40, 0x00, 0, 1, 0xff, 1],
                DecodeErrorKind::NonEmptyEmptyMessage,
                true,
            ),
            (
                &[0x41, 0x00, 0, 1, 7],
                DecodeErrorKind::NonEmptyEmptyMessage,
                true,
            ),
            (
                &[0x40, 0x01, 0, 1, 0xf1, 0],
                DecodeErrorKind::ReservedOptionNibble,
                true,
            ),
            (
                &[0x40, 0x01, 0, 1, 0x1f],
                DecodeErrorKind::ReservedOptionNibble,
                true,
            ),
            (
                &[0x40, 0x01, 0, 1, 0xb5, b'a'],
                DecodeErrorKind::TruncatedOption,
                true,
            ),
            (
                &[0x40, 0x01, 0, 1, 0xd0],
                DecodeErrorKind::TruncatedOption,
                true,
            ),
            (
                &[0x40, 0x01, 0, 1, 0xe0, 0xff],
                DecodeErrorKind::TruncatedOption,
                true,
            ),
            (
                &[0x40, 0x01, 0, 1, 0xe0, 0xff, 0xff],
                DecodeErrorKind::OptionNumberOverflow,
                true,
            ),
            (
                &[0x40, 0x01, 0, 1, 0xff],
                DecodeErrorKind::EmptyPayload,
                true,
            ),
        ];
        for (bytes, kind, readable) in cases {
            let e = decode_message(bytes).unwrap_err();
            assert_eq!(&e.kind, kind, "{bytes:02x?}");
            assert_eq!(e.header.is_some(), *readable, "{bytes:02x?}");
            if let Some(h) = e.header {
                assert_eq!(h.message_id, 1);
            }
        }
        let big = vec![0x40; MAX_DATAGRAM_SIZE + 1];
        assert_eq!(
            decode_message(&big).unwrap_err().kind,
            DecodeErrorKind::TooLarge(MAX_DATAGRAM_SIZE + 1)
        );
    }

    #[test]
    fn empty_messages_decode() {
        for b in [0x40u8, 0x60, 0x70] {
            let p = decode_message(&[b, 0, 0xab, 0xcd]).unwrap();
            assert_eq!(p.header.code, MessageClass::Empty);
            assert_eq!(p.header.message_id, 0xabcd);
        }
    }

    #[test]
    fn block_values_round_trip() {
        for (num, more, szx) in [
            (0, false, 0),
            (0, true, 6),
            (1, true, 2),
            (Block::MAX_NUM, false, 5),
        ] {
            let b = Block { num, more, szx };
            assert!(b.encode().len() <= 3);
            assert_eq!(Block::decode(&b.encode()), Some(b));
        }
        assert_eq!(
            Block::decode(&[]),
            Some(Block {
                num: 0,
                more: false,
                szx: 0
            })
        );
        assert_eq!(Block::decode(&[0x0f]), None, "SZX 7 is BERT");
        assert_eq!(Block::decode(&[1, 2, 3, 4]), None);
        assert_eq!(
            Block {
                num: 3,
                more: false,
                szx: 2
            }
            .offset(),
            192
        );
        assert_eq!(write_uint(0), Vec::<u8>::new());
        assert_eq!(write_uint(0x0100), vec![1, 0]);
        assert_eq!(read_uint(&[1, 0], 2), Some(256));
        assert_eq!(read_uint(&[1, 0, 0], 2), None);
    }

    #[test]
    fn request_options_are_checked() {
        let check = |code, options: &[(u16, &[u8])]| {
            read_request(&decode_message(&request(code, options, b"")).unwrap())
        };
        assert_eq!(
            check(RequestType::Fetch, &[]),
            Err(Reject::MethodNotAllowed)
        );
        assert!(matches!(
            check(RequestType::Get, &[(9, b"")]),
            Err(Reject::BadOption(_))
        ));
        assert!(matches!(
            check(RequestType::Get, &[(2049, b"x")]),
            Err(Reject::BadOption(_))
        ));
        assert!(matches!(
            check(RequestType::Get, &[(opt::IF_MATCH, b"x")]),
            Err(Reject::BadOption(_))
        ));
        assert!(matches!(
            check(
                RequestType::Get,
                &[(opt::ACCEPT, &[0]), (opt::ACCEPT, &[50])]
            ),
            Err(Reject::BadOption(_))
        ));
        assert!(matches!(
            check(RequestType::Get, &[(opt::BLOCK2, &[0x0f])]),
            Err(Reject::BadOption(_))
        ));
        assert!(matches!(
            check(RequestType::Get, &[(opt::URI_PATH, &[0xff, 0xfe])]),
            Err(Reject::BadRequest(_))
        ));
        assert_eq!(
            check(RequestType::Get, &[(opt::PROXY_URI, b"coap://x/")]),
            Err(Reject::ProxyingNotSupported)
        );
        // Unknown elective options and elective options of the wrong length are ignored.
        let r = check(
            RequestType::Get,
            &[
                (opt::CONTENT_FORMAT, &[1, 2, 3]),
                (2048, b"x"),
                (opt::OBSERVE, &[0]),
            ],
        )
        .unwrap();
        assert_eq!(r.content_format, None);
        assert_eq!(r.observe, Some(0));
        let r = check(
            RequestType::Put,
            &[
                (opt::URI_HOST, b"h"),
                (opt::URI_PORT, &[0x16, 0x33]),
                (opt::URI_QUERY, b"a=1"),
            ],
        )
        .unwrap();
        assert_eq!(r.query, ["a=1"]);
    }
}
