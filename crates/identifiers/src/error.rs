//! The crate's errors, one enum per module: the Handle data model and its JSON
//! ([`HandleError`]), the binary protocol ([`ProtoError`]), the identifier schemes
//! ([`SchemeError`]) and the carriers ([`CarrierError`]). Each has a stable `code()` for
//! programs to match on; the messages are lowercase English for logs, not for end users.

/// A handle, a handle value or its REST JSON form is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandleError {
    #[error("handle is empty")]
    Empty,
    #[error("handle has no '/' between prefix and suffix")]
    NoSlash,
    #[error("handle prefix is empty")]
    EmptyPrefix,
    #[error("handle suffix is empty")]
    EmptySuffix,
    #[error("handle prefix is {0} bytes, above the limit of 255")]
    PrefixTooLong(usize),
    #[error("handle suffix is {0} bytes, above the limit of 1024")]
    SuffixTooLong(usize),
    #[error(
        "handle prefix segment {0:?} is empty or holds a character other than A-Z, a-z, 0-9, '-' and '_'"
    )]
    BadPrefixSegment(String),
    #[error("handle suffix holds the control character U+{0:04X}")]
    ControlInSuffix(u32),
    #[error("value index {0} is reserved (0) or above 2^31-1")]
    BadIndex(u64),
    #[error("value type is {0} bytes, above the limit of 1024")]
    TypeTooLong(usize),
    #[error("value type holds a control character")]
    ControlInType,
    #[error("value data is {0} bytes, above the limit of 262144")]
    DataTooLarge(usize),
    #[error("a value has {0} references, above the limit of 2048")]
    TooManyReferences(usize),
    #[error("malformed HS_ADMIN data: {0}")]
    AdminData(&'static str),
    #[error("malformed HS_VLIST data: {0}")]
    VlistData(&'static str),
    #[error("invalid JSON for a handle value: {0}")]
    Json(String),
    #[error("invalid ISO 8601 timestamp {0:?}")]
    Timestamp(String),
}

impl HandleError {
    /// A stable code for programs to match on.
    pub fn code(&self) -> &'static str {
        match self {
            HandleError::Empty
            | HandleError::NoSlash
            | HandleError::EmptyPrefix
            | HandleError::EmptySuffix
            | HandleError::PrefixTooLong(_)
            | HandleError::SuffixTooLong(_)
            | HandleError::BadPrefixSegment(_)
            | HandleError::ControlInSuffix(_) => "handle_syntax",
            HandleError::BadIndex(_) => "handle_value_index",
            HandleError::TypeTooLong(_) | HandleError::ControlInType => "handle_value_type",
            HandleError::DataTooLarge(_) | HandleError::TooManyReferences(_) => {
                "handle_value_too_large"
            }
            HandleError::AdminData(_) | HandleError::VlistData(_) => "handle_value_data",
            HandleError::Json(_) | HandleError::Timestamp(_) => "handle_value_json",
        }
    }
}

/// A Handle protocol message (RFC 3652) cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtoError {
    #[error("message of {0} bytes is shorter than the 20-byte envelope")]
    ShortEnvelope(usize),
    #[error("unsupported protocol major version {0}")]
    Version(u8),
    #[error("envelope message length {0} is above the limit of {1}")]
    MessageTooLong(u32, u32),
    #[error("envelope announces {announced} bytes after it, {present} are present")]
    LengthMismatch { announced: u32, present: usize },
    #[error("message of {0} bytes is shorter than the 24-byte header")]
    ShortHeader(usize),
    #[error("header body length {body} does not fit the message length {message}")]
    BodyLength { body: u32, message: u32 },
    #[error("{field} runs past the end of the {section} ({need} bytes needed, {left} left)")]
    Truncated {
        field: &'static str,
        section: &'static str,
        need: u64,
        left: usize,
    },
    #[error("{field} count {count} is above the limit of {limit}")]
    TooMany {
        field: &'static str,
        count: u32,
        limit: u32,
    },
    #[error("{0} is not valid UTF-8")]
    Utf8(&'static str),
    #[error("message is compressed or encrypted, which this codec does not handle")]
    Unsupported,
    #[error("message is not a request (opcode {opcode}, response code {response_code})")]
    NotARequest { opcode: u32, response_code: u32 },
    #[error("message is not a response (response code 0)")]
    NotAResponse,
    #[error("unknown request digest algorithm {0}")]
    DigestAlgorithm(u8),
    #[error("{0} bytes follow the message body and credential")]
    TrailingBytes(usize),
    #[error("invalid handle value: {0}")]
    Value(#[from] HandleError),
    #[error("UDP datagram {sequence} does not belong to message {request_id} or repeats")]
    Reassembly { request_id: u32, sequence: u32 },
}

impl ProtoError {
    /// A stable code for programs to match on.
    pub fn code(&self) -> &'static str {
        match self {
            ProtoError::ShortEnvelope(_)
            | ProtoError::LengthMismatch { .. }
            | ProtoError::ShortHeader(_)
            | ProtoError::BodyLength { .. }
            | ProtoError::Truncated { .. }
            | ProtoError::TrailingBytes(_) => "handle_proto_truncated",
            ProtoError::Version(_) => "handle_proto_version",
            ProtoError::MessageTooLong(..) | ProtoError::TooMany { .. } => "handle_proto_too_large",
            ProtoError::Utf8(_) | ProtoError::Value(_) => "handle_proto_malformed",
            ProtoError::Unsupported | ProtoError::DigestAlgorithm(_) => "handle_proto_unsupported",
            ProtoError::NotARequest { .. } | ProtoError::NotAResponse => "handle_proto_kind",
            ProtoError::Reassembly { .. } => "handle_proto_reassembly",
        }
    }
}

/// An identifier does not follow its scheme's syntax, or its check digit is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemeError {
    #[error("identifier is empty")]
    Empty,
    #[error("identifier of {len} bytes is above the limit of {limit}")]
    TooLong { len: usize, limit: usize },
    #[error("invalid handle: {0}")]
    Handle(#[from] HandleError),
    #[error("invalid OID: {0}")]
    Oid(&'static str),
    #[error("{what} must be {expected} digits, got {got:?}")]
    Digits {
        what: &'static str,
        expected: &'static str,
        got: String,
    },
    #[error("wrong check digit in {value}: expected {expected}, got {got}")]
    CheckDigit {
        value: String,
        expected: u8,
        got: u8,
    },
    #[error("unknown GS1 application identifier at {0:?}")]
    UnknownAi(String),
    #[error("GS1 application identifier ({ai}): {reason}")]
    AiValue { ai: String, reason: String },
    #[error("GS1 element string: {0}")]
    ElementString(&'static str),
    #[error("GS1 Digital Link URI: {0}")]
    DigitalLink(String),
    #[error("Ecode: {0}")]
    Ecode(String),
    #[error("VAA / ISO/IEC 15459 identifier: {0}")]
    Vaa(String),
    #[error("resolution URL: {0}")]
    ResolutionUrl(&'static str),
    #[error("not an identifier of a known scheme")]
    Unrecognised,
}

impl SchemeError {
    /// A stable code for programs to match on.
    pub fn code(&self) -> &'static str {
        match self {
            SchemeError::Empty | SchemeError::TooLong { .. } => "identifier_length",
            SchemeError::Handle(_) => "identifier_handle",
            SchemeError::Oid(_) => "identifier_oid",
            SchemeError::Digits { .. } | SchemeError::CheckDigit { .. } => "identifier_gs1_key",
            SchemeError::UnknownAi(_)
            | SchemeError::AiValue { .. }
            | SchemeError::ElementString(_) => "identifier_gs1_element_string",
            SchemeError::DigitalLink(_) => "identifier_gs1_digital_link",
            SchemeError::Ecode(_) => "identifier_ecode",
            SchemeError::Vaa(_) => "identifier_vaa",
            SchemeError::ResolutionUrl(_) => "identifier_resolution_url",
            SchemeError::Unrecognised => "identifier_unrecognised",
        }
    }
}

/// An identifier carrier (QR code, Data Matrix, label sheet) cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CarrierError {
    #[error("the payload is empty")]
    EmptyPayload,
    #[error(
        "payload of {len} bytes does not fit a {symbol}, which holds at most {digits} digits, \
         {alphanumeric} upper-case letters and digits, or {bytes} other bytes"
    )]
    DoesNotFit {
        len: usize,
        symbol: &'static str,
        digits: u32,
        alphanumeric: u32,
        bytes: u32,
    },
    #[error("invalid GS1 element string: {0}")]
    Gs1(#[from] SchemeError),
    #[error("invalid identifier: {0}")]
    Handle(#[from] HandleError),
    #[error("invalid carrier option: {0}")]
    Option(String),
    #[error("image of {width}x{height} pixels is above the limit of {limit}x{limit}")]
    ImageTooLarge { width: u64, height: u64, limit: u32 },
    #[error("{what} of {len} characters is above the limit of {limit}")]
    TextTooLong {
        what: &'static str,
        len: usize,
        limit: usize,
    },
    #[error("invalid resolver base URL: {0}")]
    BaseUrl(&'static str),
    #[error("invalid label sheet layout: {0}")]
    Layout(String),
    #[error("label {index}: {source}")]
    Label {
        index: usize,
        #[source]
        source: Box<CarrierError>,
    },
    #[error("the encoder failed: {0}")]
    Encode(String),
}

impl CarrierError {
    /// A stable code for programs to match on; a label's error has its cause's code.
    pub fn code(&self) -> &'static str {
        match self {
            CarrierError::EmptyPayload => "carrier_payload_empty",
            CarrierError::DoesNotFit { .. } => "carrier_capacity",
            CarrierError::Gs1(_) => "carrier_gs1",
            CarrierError::Handle(_) => "carrier_identifier",
            CarrierError::Option(_) => "carrier_option",
            CarrierError::ImageTooLarge { .. } => "carrier_image_size",
            CarrierError::TextTooLong { .. } => "carrier_text_length",
            CarrierError::BaseUrl(_) => "carrier_base_url",
            CarrierError::Layout(_) => "carrier_layout",
            CarrierError::Label { source, .. } => source.code(),
            CarrierError::Encode(_) => "carrier_encode",
        }
    }
}
