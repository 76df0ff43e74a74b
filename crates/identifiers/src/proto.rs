//! The Handle protocol (RFC 3652) as far as a resolution service needs it: the 20-octet
//! message envelope, the 24-octet header, resolution requests and responses, error
//! responses and the credential section (passed through, never checked). Pure: bytes in,
//! messages out; the socket code lives with the server.
//!
//! A message is `envelope ‖ header ‖ body ‖ credential`; the envelope's message length
//! counts header, body and credential (int4 length + bytes). Over TCP read the envelope,
//! check it with [`Envelope::decode`] (which refuses lengths above
//! [`MAX_MESSAGE_LENGTH`]) and read that many bytes more; over UDP a message longer than
//! one datagram is cut into 492-byte pieces that each carry the envelope with their
//! sequence number ([`udp_datagrams`], [`UdpReassembly`]).
//!
//! What real peers do that the RFC does not say, and this codec accepts:
//! - CNRI packs its suggested protocol version into the envelope's flag octets
//!   (`flags | suggested major` in octet 2, suggested minor in octet 3: `02 0a 02 0b` is
//!   version 2.10 suggesting 2.11); only the top three bits of octet 2 are flags;
//! - any 2.x version is accepted; replies carry the lower of the peer's version and
//!   [`VERSION`], and suggest [`VERSION`];
//! - the Teleinfo fork appends an authentication byte array inside the resolution
//!   request body: bytes after the type list are ignored (and counted);
//! - a message may end after its body with no credential section.
//!
//! Every count and length is bounded by what is left of its section before anything is
//! allocated, so a length of 2^32-1 is an error, not an allocation.

mod udp;
mod wire;

pub use udp::{UDP_DATA_SIZE, UdpReassembly, udp_datagrams};

use crate::error::ProtoError;
use crate::handle::{HandleValue, MAX_INDEX, len_u32};
use wire::{Put, Reader, value_len};

/// The envelope's size.
pub const ENVELOPE_LEN: usize = 20;
/// The header's size.
pub const HEADER_LEN: usize = 24;
/// Largest message (header + body + credential) accepted: CNRI's limit.
pub const MAX_MESSAGE_LENGTH: u32 = 262_144;
/// Longest handle in a message: CNRI's limit.
pub const MAX_HANDLE_LENGTH: u32 = 2048;
/// Most values, indices or types in one message: CNRI's limit.
pub const MAX_LIST: u32 = 2048;
/// The protocol version this codec speaks (CNRI's compatibility version).
pub const VERSION: (u8, u8) = (2, 10);

/// Envelope flag: the message is compressed.
pub const ENV_COMPRESSED: u8 = 0x80;
/// Envelope flag: the message is encrypted.
pub const ENV_ENCRYPTED: u8 = 0x40;
/// Envelope flag: the message was truncated.
pub const ENV_TRUNCATED: u8 = 0x20;

/// Operation codes (RFC 3652 §2.2.2.1).
pub mod opcode {
    pub const RESERVED: u32 = 0;
    pub const RESOLUTION: u32 = 1;
    pub const GET_SITE_INFO: u32 = 2;
    pub const CREATE_HANDLE: u32 = 100;
    pub const DELETE_HANDLE: u32 = 101;
    pub const ADD_VALUE: u32 = 102;
    pub const REMOVE_VALUE: u32 = 103;
    pub const MODIFY_VALUE: u32 = 104;
    pub const LIST_HANDLES: u32 = 105;
    pub const LIST_NAS: u32 = 106;
    pub const CHALLENGE_RESPONSE: u32 = 200;
    pub const VERIFY_RESPONSE: u32 = 201;
    pub const HOME_NA: u32 = 300;
    pub const UNHOME_NA: u32 = 301;
    pub const SESSION_SETUP: u32 = 400;
    pub const SESSION_TERMINATE: u32 = 401;
    pub const SESSION_EXCHANGE_KEY: u32 = 402;
}

/// Response codes (RFC 3652 §2.2.2.2, with CNRI's names where they differ).
pub mod rc {
    pub const RESERVED: u32 = 0;
    pub const SUCCESS: u32 = 1;
    pub const ERROR: u32 = 2;
    pub const SERVER_TOO_BUSY: u32 = 3;
    pub const PROTOCOL_ERROR: u32 = 4;
    pub const OPERATION_NOT_SUPPORTED: u32 = 5;
    pub const RECURSION_COUNT_TOO_HIGH: u32 = 6;
    pub const SERVER_BACKUP: u32 = 7;
    pub const HANDLE_NOT_FOUND: u32 = 100;
    pub const HANDLE_ALREADY_EXISTS: u32 = 101;
    pub const INVALID_HANDLE: u32 = 102;
    pub const VALUES_NOT_FOUND: u32 = 200;
    pub const VALUE_ALREADY_EXISTS: u32 = 201;
    pub const INVALID_VALUE: u32 = 202;
    pub const OUT_OF_DATE_SITE_INFO: u32 = 300;
    pub const SERVER_NOT_RESP: u32 = 301;
    pub const SERVICE_REFERRAL: u32 = 302;
    pub const PREFIX_REFERRAL: u32 = 303;
    pub const INVALID_ADMIN: u32 = 400;
    pub const INSUFFICIENT_PERMISSIONS: u32 = 401;
    pub const AUTHENTICATION_NEEDED: u32 = 402;
    pub const AUTHENTICATION_FAILED: u32 = 403;
    pub const INVALID_CREDENTIAL: u32 = 404;
    pub const AUTHEN_TIMEOUT: u32 = 405;
    pub const AUTHEN_ERROR: u32 = 406;
    pub const SESSION_TIMEOUT: u32 = 500;
    pub const SESSION_FAILED: u32 = 501;
    pub const INVALID_SESSION_KEY: u32 = 502;
    pub const INVALID_SESSIONSETUP_REQUEST: u32 = 504;
    pub const SESSION_MESSAGE_REJECTED: u32 = 505;
}

/// Operation flags of the header (CNRI `Encoder.MSG_FLAG_*`; the RFC defines the
/// first nine).
pub mod flag {
    pub const AUTH: u32 = 0x8000_0000;
    pub const CERT: u32 = 0x4000_0000;
    pub const ENCR: u32 = 0x2000_0000;
    pub const RECU: u32 = 0x1000_0000;
    pub const CACR: u32 = 0x0800_0000;
    pub const CONT: u32 = 0x0400_0000;
    pub const KPAL: u32 = 0x0200_0000;
    pub const PUBL: u32 = 0x0100_0000;
    pub const RRDG: u32 = 0x0080_0000;
    pub const OVRW: u32 = 0x0040_0000;
    pub const MINT: u32 = 0x0020_0000;
    pub const DNRF: u32 = 0x0010_0000;
    /// Teleinfo's extension.
    pub const RECU_AUTH: u32 = 0x0000_0004;
}

/// The message envelope (RFC 3652 §2.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Envelope {
    pub major: u8,
    pub minor: u8,
    pub compressed: bool,
    pub encrypted: bool,
    pub truncated: bool,
    /// The version the sender suggests (CNRI); the message's own when it suggests none.
    pub suggest_major: u8,
    pub suggest_minor: u8,
    pub session_id: u32,
    pub request_id: u32,
    /// The UDP packet number of a message cut into datagrams (CNRI's `messageId`).
    pub sequence: u32,
    /// Bytes after the envelope: header, body and credential.
    pub message_length: u32,
}

impl Envelope {
    /// Reads the first 20 bytes; refuses a message length above [`MAX_MESSAGE_LENGTH`].
    /// The version is not judged here, so a server can still answer a wrong one.
    pub fn decode(buf: &[u8]) -> Result<Self, ProtoError> {
        let b = buf
            .get(..ENVELOPE_LEN)
            .ok_or(ProtoError::ShortEnvelope(buf.len()))?;
        let int = |at: usize| u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        let (suggest_major, suggest_minor) = match b[2] & 0x03 {
            0 => (b[0], b[1]),
            m => (m, b[3]),
        };
        let env = Envelope {
            major: b[0],
            minor: b[1],
            compressed: b[2] & ENV_COMPRESSED != 0,
            encrypted: b[2] & ENV_ENCRYPTED != 0,
            truncated: b[2] & ENV_TRUNCATED != 0,
            suggest_major,
            suggest_minor,
            session_id: int(4),
            request_id: int(8),
            sequence: int(12),
            message_length: int(16),
        };
        if env.message_length > MAX_MESSAGE_LENGTH {
            return Err(ProtoError::MessageTooLong(
                env.message_length,
                MAX_MESSAGE_LENGTH,
            ));
        }
        Ok(env)
    }

    /// The 20 octets, CNRI style: flags and suggested major share octet 2.
    pub fn encode(&self) -> [u8; ENVELOPE_LEN] {
        let mut b = [0u8; ENVELOPE_LEN];
        b[0] = self.major;
        b[1] = self.minor;
        b[2] = (if self.compressed { ENV_COMPRESSED } else { 0 })
            | (if self.encrypted { ENV_ENCRYPTED } else { 0 })
            | (if self.truncated { ENV_TRUNCATED } else { 0 })
            | (self.suggest_major & 0x03);
        b[3] = self.suggest_minor;
        b[4..8].copy_from_slice(&self.session_id.to_be_bytes());
        b[8..12].copy_from_slice(&self.request_id.to_be_bytes());
        b[12..16].copy_from_slice(&self.sequence.to_be_bytes());
        b[16..20].copy_from_slice(&self.message_length.to_be_bytes());
        b
    }

    /// An envelope of this codec's version for a new request.
    pub fn new(request_id: u32) -> Self {
        Envelope {
            major: VERSION.0,
            minor: VERSION.1,
            compressed: false,
            encrypted: false,
            truncated: false,
            suggest_major: VERSION.0,
            suggest_minor: VERSION.1,
            session_id: 0,
            request_id,
            sequence: 0,
            message_length: 0,
        }
    }

    /// The envelope of a reply: same request and session, the lower of the two
    /// versions, suggesting ours.
    pub fn reply_to(request: &Envelope) -> Self {
        let (major, minor) = VERSION.min((request.major, request.minor));
        Envelope {
            major,
            minor,
            session_id: request.session_id,
            ..Envelope::new(request.request_id)
        }
    }

    /// Whether the message's version is at least `major.minor`.
    pub fn at_least(&self, major: u8, minor: u8) -> bool {
        (self.major, self.minor) >= (major, minor)
    }
}

/// The message header (RFC 3652 §2.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Header {
    pub opcode: u32,
    pub response_code: u32,
    pub op_flags: u32,
    pub site_serial: u16,
    pub recursion_count: u8,
    /// Unix seconds after which the message is stale (0: none).
    pub expiration: u32,
    /// Set by the encoder.
    pub body_length: u32,
}

impl Header {
    fn decode(r: &mut Reader<'_>) -> Result<Self, ProtoError> {
        let opcode = r.u32("opcode")?;
        let response_code = r.u32("response code")?;
        let op_flags = r.u32("operation flags")?;
        let site_serial = r.u16("site info serial")?;
        let recursion_count = r.u8("recursion count")?;
        let _reserved = r.u8("reserved octet")?;
        let expiration = r.u32("expiration time")?;
        let body_length = r.u32("body length")?;
        Ok(Header {
            opcode,
            response_code,
            op_flags,
            site_serial,
            recursion_count,
            expiration,
            body_length,
        })
    }

    fn put(&self, out: &mut Vec<u8>, body_length: u32) {
        out.put_u32(self.opcode);
        out.put_u32(self.response_code);
        out.put_u32(self.op_flags);
        out.extend_from_slice(&self.site_serial.to_be_bytes());
        out.push(self.recursion_count);
        out.push(0);
        out.put_u32(self.expiration);
        out.put_u32(body_length);
    }

    /// Whether an operation flag is set.
    pub fn has(&self, flag: u32) -> bool {
        self.op_flags & flag != 0
    }
}

/// A resolution request body (RFC 3652 §3.1): empty lists mean all values.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ResolutionRequest {
    pub handle: String,
    pub indexes: Vec<u32>,
    /// Type filters; one ending in `.` matches a sub-tree (`HandleValue::matches_type`).
    pub types: Vec<String>,
    /// Bytes after the type list that were ignored (the Teleinfo fork's auth bytes).
    pub ignored_trailing: usize,
}

impl ResolutionRequest {
    /// Whether a value is asked for: with both lists empty every value is; otherwise a
    /// value in the index list or matching a type filter is (CNRI's server ORs them).
    pub fn wants(&self, v: &HandleValue) -> bool {
        (self.indexes.is_empty() && self.types.is_empty())
            || self.indexes.contains(&v.index)
            || self.types.iter().any(|t| v.matches_type(t))
    }
}

/// What a request asks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RequestBody {
    Resolution(ResolutionRequest),
    /// Any other operation, its body as received (the server answers
    /// `OPERATION_NOT_SUPPORTED`).
    Other(Vec<u8>),
}

/// A decoded request message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Request {
    pub envelope: Envelope,
    pub header: Header,
    pub body: RequestBody,
    /// The credential section's bytes (empty: none); not verified.
    pub credential: Vec<u8>,
}

/// Algorithms of a request digest (the first octet of the digest field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// Protocol 2.0: an int4-length-prefixed MD5 without a type octet.
    Md5OldFormat,
    Md5,
    Sha1,
    Sha256,
}

/// A digest of the request's header and body, returned when the request sets `RRDG`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestDigest {
    pub algorithm: DigestAlgorithm,
    pub digest: Vec<u8>,
}

impl RequestDigest {
    /// The digest a server returns for a raw request message (envelope included), in
    /// the algorithm CNRI picks for the reply's version: SHA-256 from 2.7, SHA-1 from
    /// 2.1, the old MD5 format before. The digest covers header and body only.
    pub fn of_request(raw: &[u8], reply_version: (u8, u8)) -> Result<Self, ProtoError> {
        use sha2::Digest as _;
        let env = Envelope::decode(raw)?;
        let message = raw
            .get(ENVELOPE_LEN..)
            .ok_or(ProtoError::ShortEnvelope(raw.len()))?;
        let header = Header::decode(&mut Reader::new(message, "header"))?;
        let end = HEADER_LEN as u64 + u64::from(header.body_length);
        if end > u64::from(env.message_length) || end > message.len() as u64 {
            return Err(ProtoError::BodyLength {
                body: header.body_length,
                message: env.message_length,
            });
        }
        let input = &message[..end as usize];
        Ok(if reply_version >= (2, 7) {
            RequestDigest {
                algorithm: DigestAlgorithm::Sha256,
                digest: sha2::Sha256::digest(input).to_vec(),
            }
        } else if reply_version >= (2, 1) {
            RequestDigest {
                algorithm: DigestAlgorithm::Sha1,
                digest: sha1::Sha1::digest(input).to_vec(),
            }
        } else {
            RequestDigest {
                algorithm: DigestAlgorithm::Md5OldFormat,
                digest: md5::Md5::digest(input).to_vec(),
            }
        })
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, ProtoError> {
        let (algorithm, len) = match r.u8("digest algorithm")? {
            0 => {
                // The octet just read is the first of an int4 length.
                let rest = r.take(3, "digest length")?;
                let len = u32::from_be_bytes([0, rest[0], rest[1], rest[2]]);
                (DigestAlgorithm::Md5OldFormat, u64::from(len))
            }
            1 => (DigestAlgorithm::Md5, 16),
            2 => (DigestAlgorithm::Sha1, 20),
            3 => (DigestAlgorithm::Sha256, 32),
            other => return Err(ProtoError::DigestAlgorithm(other)),
        };
        Ok(RequestDigest {
            algorithm,
            digest: r.take(len, "request digest")?.to_vec(),
        })
    }

    fn put(&self, out: &mut Vec<u8>) {
        match self.algorithm {
            DigestAlgorithm::Md5OldFormat => out.put_bytes(&self.digest),
            a => {
                out.push(match a {
                    DigestAlgorithm::Md5 => 1,
                    DigestAlgorithm::Sha1 => 2,
                    _ => 3,
                });
                out.extend_from_slice(&self.digest);
            }
        }
    }

    fn len(&self) -> usize {
        match self.algorithm {
            DigestAlgorithm::Md5OldFormat => 4 + self.digest.len(),
            _ => 1 + self.digest.len(),
        }
    }
}

/// A resolution response body: the handle and the values returned.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ResolutionResponse {
    pub handle: String,
    pub values: Vec<HandleValue>,
}

/// What a response carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResponseBody {
    Resolution(ResolutionResponse),
    /// An error response: the response code is in the header.
    Error {
        message: String,
    },
    /// Any other success, referral or challenge, its body as received.
    Other(Vec<u8>),
}

/// A decoded or to-be-encoded response message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Response {
    pub envelope: Envelope,
    pub header: Header,
    /// Present when the request set `RRDG`; the encoder sets the flag to match.
    pub digest: Option<RequestDigest>,
    pub body: ResponseBody,
    pub credential: Vec<u8>,
}

impl Response {
    /// A successful resolution answering `req`.
    pub fn resolution(
        req: &Request,
        digest: Option<RequestDigest>,
        handle: &str,
        values: Vec<HandleValue>,
    ) -> Self {
        Self::reply(
            req,
            rc::SUCCESS,
            digest,
            ResponseBody::Resolution(ResolutionResponse {
                handle: handle.to_owned(),
                values,
            }),
        )
    }

    /// An error response (`rc::HANDLE_NOT_FOUND`, …) answering `req`.
    pub fn error(req: &Request, code: u32, message: &str, digest: Option<RequestDigest>) -> Self {
        Self::reply(
            req,
            code,
            digest,
            ResponseBody::Error {
                message: message.to_owned(),
            },
        )
    }

    fn reply(req: &Request, code: u32, digest: Option<RequestDigest>, body: ResponseBody) -> Self {
        Response {
            envelope: Envelope::reply_to(&req.envelope),
            header: Header {
                opcode: req.header.opcode,
                response_code: code,
                op_flags: req.header.op_flags,
                site_serial: req.header.site_serial,
                recursion_count: req.header.recursion_count,
                expiration: req.header.expiration,
                body_length: 0,
            },
            digest,
            body,
            credential: Vec::new(),
        }
    }
}

/// Splits a whole message (envelope included) into header and the bytes after it,
/// checking the envelope's version and lengths.
fn open(buf: &[u8]) -> Result<(Envelope, Header, Reader<'_>, Reader<'_>), ProtoError> {
    let envelope = Envelope::decode(buf)?;
    if envelope.major != 2 {
        return Err(ProtoError::Version(envelope.major));
    }
    if envelope.compressed || envelope.encrypted {
        return Err(ProtoError::Unsupported);
    }
    let message = &buf[ENVELOPE_LEN..];
    if message.len() != envelope.message_length as usize {
        return Err(ProtoError::LengthMismatch {
            announced: envelope.message_length,
            present: message.len(),
        });
    }
    if message.len() < HEADER_LEN {
        return Err(ProtoError::ShortHeader(message.len()));
    }
    let header = Header::decode(&mut Reader::new(&message[..HEADER_LEN], "header"))?;
    let body_end = HEADER_LEN as u64 + u64::from(header.body_length);
    if body_end > message.len() as u64 {
        return Err(ProtoError::BodyLength {
            body: header.body_length,
            message: envelope.message_length,
        });
    }
    let body_end = body_end as usize;
    Ok((
        envelope,
        header,
        Reader::new(&message[HEADER_LEN..body_end], "body"),
        Reader::new(&message[body_end..], "credential"),
    ))
}

/// Reads the credential section: nothing, or int4 length + bytes and nothing after.
fn credential(mut r: Reader<'_>) -> Result<Vec<u8>, ProtoError> {
    if r.left() == 0 {
        return Ok(Vec::new());
    }
    let c = r.bytes("credential")?.to_vec();
    match r.left() {
        0 => Ok(c),
        n => Err(ProtoError::TrailingBytes(n)),
    }
}

/// Decodes one request message (envelope included): a whole UDP datagram, or the
/// envelope and the `message_length` bytes after it read from TCP.
pub fn decode_request(buf: &[u8]) -> Result<Request, ProtoError> {
    let (envelope, header, mut body, cred) = open(buf)?;
    if header.response_code != rc::RESERVED {
        return Err(ProtoError::NotARequest {
            opcode: header.opcode,
            response_code: header.response_code,
        });
    }
    let body = if header.opcode == opcode::RESOLUTION {
        let handle = body_handle(&mut body)?;
        let n = body.count("index list", MAX_LIST, 4)?;
        let mut indexes = Vec::with_capacity(n);
        for _ in 0..n {
            indexes.push(body.u32("index")?);
        }
        let n = body.count("type list", MAX_LIST, 4)?;
        let mut types = Vec::with_capacity(n);
        for _ in 0..n {
            types.push(body.string("type")?);
        }
        RequestBody::Resolution(ResolutionRequest {
            handle,
            indexes,
            types,
            ignored_trailing: body.left(),
        })
    } else {
        RequestBody::Other(body.take(body.left() as u64, "body")?.to_vec())
    };
    Ok(Request {
        envelope,
        header,
        body,
        credential: credential(cred)?,
    })
}

fn body_handle(body: &mut Reader<'_>) -> Result<String, ProtoError> {
    let len = body.u32("handle")?;
    if len > MAX_HANDLE_LENGTH {
        return Err(ProtoError::TooMany {
            field: "handle length",
            count: len,
            limit: MAX_HANDLE_LENGTH,
        });
    }
    let b = body.take(u64::from(len), "handle")?;
    std::str::from_utf8(b)
        .map(str::to_owned)
        .map_err(|_| ProtoError::Utf8("handle"))
}

/// Encodes a request; the envelope's and header's lengths are filled in.
pub fn encode_request(req: &Request) -> Vec<u8> {
    let mut body = Vec::new();
    match &req.body {
        RequestBody::Resolution(r) => {
            body.put_bytes(r.handle.as_bytes());
            body.put_u32(len_u32(r.indexes.len()));
            for i in &r.indexes {
                body.put_u32(*i);
            }
            body.put_u32(len_u32(r.types.len()));
            for t in &r.types {
                body.put_bytes(t.as_bytes());
            }
        }
        RequestBody::Other(b) => body.extend_from_slice(b),
    }
    assemble(req.envelope, &req.header, &body, &req.credential)
}

/// A resolution request for `handle`, ready for [`encode_request`].
pub fn resolution_request(
    request_id: u32,
    handle: &str,
    indexes: &[u32],
    types: &[&str],
    op_flags: u32,
) -> Request {
    Request {
        envelope: Envelope::new(request_id),
        header: Header {
            opcode: opcode::RESOLUTION,
            op_flags,
            ..Header::default()
        },
        body: RequestBody::Resolution(ResolutionRequest {
            handle: handle.to_owned(),
            indexes: indexes.to_vec(),
            types: types.iter().map(|t| (*t).to_owned()).collect(),
            ignored_trailing: 0,
        }),
        credential: Vec::new(),
    }
}

fn assemble(mut envelope: Envelope, header: &Header, body: &[u8], cred: &[u8]) -> Vec<u8> {
    let message_length = HEADER_LEN + body.len() + 4 + cred.len();
    envelope.message_length = len_u32(message_length);
    let mut out = Vec::with_capacity(ENVELOPE_LEN + message_length);
    out.extend_from_slice(&envelope.encode());
    header.put(&mut out, len_u32(body.len()));
    out.extend_from_slice(body);
    out.put_bytes(cred);
    out
}

/// Encodes a response; lengths and the `RRDG` flag (set exactly when a digest is
/// given) are filled in. Values are written as given: filter them first.
pub fn encode_response(resp: &Response) -> Vec<u8> {
    let size = resp.digest.as_ref().map_or(0, RequestDigest::len)
        + match &resp.body {
            ResponseBody::Resolution(r) => {
                8 + r.handle.len() + r.values.iter().map(value_len).sum::<usize>()
            }
            ResponseBody::Error { message } => 4 + message.len(),
            ResponseBody::Other(b) => b.len(),
        };
    let mut body = Vec::with_capacity(size);
    if let Some(d) = &resp.digest {
        d.put(&mut body);
    }
    match &resp.body {
        ResponseBody::Resolution(r) => {
            body.put_bytes(r.handle.as_bytes());
            body.put_u32(len_u32(r.values.len()));
            for v in &r.values {
                body.put_value(v);
            }
        }
        ResponseBody::Error { message } => body.put_bytes(message.as_bytes()),
        ResponseBody::Other(b) => body.extend_from_slice(b),
    }
    let mut header = resp.header;
    if resp.digest.is_some() {
        header.op_flags |= flag::RRDG;
    } else {
        header.op_flags &= !flag::RRDG;
    }
    assemble(resp.envelope, &header, &body, &resp.credential)
}

/// A successful resolution answering `req` with values already in the encoding
/// [`encode_values`] makes (a count, then the values): the same bytes as
/// `encode_response(&Response::resolution(req, digest, handle, values))`, without
/// encoding the values again — how a cached record is answered when the request asks
/// for every value.
pub fn encode_resolution(
    req: &Request,
    digest: Option<RequestDigest>,
    handle: &str,
    encoded_values: &[u8],
) -> Vec<u8> {
    let empty = Response::resolution(req, digest, handle, Vec::new());
    let mut body = Vec::with_capacity(
        empty.digest.as_ref().map_or(0, RequestDigest::len)
            + 4
            + handle.len()
            + encoded_values.len(),
    );
    if let Some(d) = &empty.digest {
        d.put(&mut body);
    }
    body.put_bytes(handle.as_bytes());
    body.extend_from_slice(encoded_values);
    let mut header = empty.header;
    if empty.digest.is_some() {
        header.op_flags |= flag::RRDG;
    } else {
        header.op_flags &= !flag::RRDG;
    }
    assemble(empty.envelope, &header, &body, &empty.credential)
}

/// Decodes one response message (envelope included), as the recursive resolver reads
/// an upstream server's answer.
pub fn decode_response(buf: &[u8]) -> Result<Response, ProtoError> {
    let (envelope, header, mut body, cred) = open(buf)?;
    if header.response_code == rc::RESERVED {
        return Err(ProtoError::NotAResponse);
    }
    let digest = if header.has(flag::RRDG) {
        Some(RequestDigest::decode(&mut body)?)
    } else {
        None
    };
    let code = header.response_code;
    let body = match code {
        rc::SUCCESS if header.opcode == opcode::RESOLUTION => {
            let handle = body_handle(&mut body)?;
            // A value takes at least 26 bytes.
            let n = body.count("value list", MAX_LIST, 26)?;
            let mut values = Vec::with_capacity(n);
            for _ in 0..n {
                values.push(body.value()?);
            }
            if body.left() != 0 {
                return Err(ProtoError::TrailingBytes(body.left()));
            }
            ResponseBody::Resolution(ResolutionResponse { handle, values })
        }
        rc::SUCCESS | rc::SERVICE_REFERRAL | rc::PREFIX_REFERRAL | rc::AUTHENTICATION_NEEDED => {
            ResponseBody::Other(body.take(body.left() as u64, "body")?.to_vec())
        }
        _ => {
            // A 2.0 peer may leave the message out.
            let message = if body.left() == 0 {
                String::new()
            } else {
                String::from_utf8_lossy(body.bytes("error message")?).into_owned()
            };
            ResponseBody::Error { message }
        }
    };
    Ok(Response {
        envelope,
        header,
        digest,
        body,
        credential: credential(cred)?,
    })
}

/// The values of a record a resolution request asks for, in record order; indices out
/// of range in the request simply match nothing.
pub fn select_values<'a>(
    req: &'a ResolutionRequest,
    values: &'a [HandleValue],
) -> impl Iterator<Item = &'a HandleValue> + 'a {
    values
        .iter()
        .filter(move |v| v.index <= MAX_INDEX && req.wants(v))
}

/// A record's values in the protocol's own encoding (a count, then each value as in a
/// resolution response): how a store keeps them, ready to send.
pub fn encode_values(values: &[HandleValue]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + values.iter().map(value_len).sum::<usize>());
    out.put_u32(u32::try_from(values.len()).unwrap_or(u32::MAX));
    for v in values {
        out.put_value(v);
    }
    out
}

/// The values [`encode_values`] wrote; the whole buffer must be the list.
pub fn decode_values(buf: &[u8]) -> Result<Vec<HandleValue>, ProtoError> {
    let mut r = Reader::new(buf, "value list");
    let n = r.count("value list", MAX_LIST, 26)?;
    let mut values = Vec::with_capacity(n);
    for _ in 0..n {
        values.push(r.value()?);
    }
    if r.left() > 0 {
        return Err(ProtoError::TrailingBytes(r.left()));
    }
    Ok(values)
}

#[cfg(test)]
mod tests;
