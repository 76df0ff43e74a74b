//! The Handle data model (RFC 3651 with the Handle.Net errata): a handle `prefix/suffix`
//! and its typed values, the `HS_ADMIN` and `HS_VLIST` data layouts, and (in `json`) the
//! value's JSON form of the Handle.Net REST API.
//!
//! Limits, chosen here and checked everywhere a handle or value is built:
//! - prefix ≤ [`MAX_PREFIX_LEN`] bytes, dot-separated segments of `A-Z a-z 0-9 - _`
//!   (`88.101.5`, `0.NA`, `20.500.12345`; nothing assumes `88.`);
//! - suffix ≤ [`MAX_SUFFIX_LEN`] bytes of UTF-8 without control characters (it may hold
//!   `/`: only the first `/` separates);
//! - value index 1..=2^31-1 (0 is reserved and ≥ 2^31 must not be used, per the errata);
//! - value type ≤ [`MAX_TYPE_LEN`] bytes, data ≤ [`MAX_DATA_LEN`] bytes (CNRI's whole
//!   message limit), ≤ [`MAX_REFERENCES`] references.

mod json;
mod time;

pub use json::HandleRecordJson;
pub use time::{format_iso8601, parse_iso8601};

use crate::error::HandleError;
use std::fmt;

/// Longest prefix (naming authority) accepted, in bytes.
pub const MAX_PREFIX_LEN: usize = 255;
/// Longest suffix (local name) accepted, in bytes.
pub const MAX_SUFFIX_LEN: usize = 1024;
/// Longest value type accepted, in bytes.
pub const MAX_TYPE_LEN: usize = 1024;
/// Largest value data accepted, in bytes (CNRI's `MAX_MESSAGE_LENGTH`).
pub const MAX_DATA_LEN: usize = 262_144;
/// Most references one value may carry (CNRI's `MAX_HANDLE_VALUES`).
pub const MAX_REFERENCES: usize = 2048;
/// Largest valid value index: indices ≥ 2^31 must not be used.
pub const MAX_INDEX: u32 = i32::MAX as u32;

/// A handle `prefix/suffix`, syntax-checked. The prefix is compared without regard to
/// ASCII case (RFC 3651 §2.1), the suffix exactly; [`Handle::canonical`] gives the form
/// to store and compare.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle {
    text: String,
    slash: usize,
}

impl Handle {
    /// Parses `prefix/suffix`, also written `hdl:prefix/suffix`.
    pub fn parse(input: &str) -> Result<Self, HandleError> {
        let s = strip_ci(input, "hdl:").unwrap_or(input);
        if s.is_empty() {
            return Err(HandleError::Empty);
        }
        let slash = s.find('/').ok_or(HandleError::NoSlash)?;
        let (prefix, suffix) = (&s[..slash], &s[slash + 1..]);
        check_prefix(prefix)?;
        check_suffix(suffix)?;
        Ok(Handle {
            text: s.to_owned(),
            slash,
        })
    }

    /// A handle from its two parts.
    pub fn new(prefix: &str, suffix: &str) -> Result<Self, HandleError> {
        check_prefix(prefix)?;
        check_suffix(suffix)?;
        Ok(Handle {
            text: format!("{prefix}/{suffix}"),
            slash: prefix.len(),
        })
    }

    /// The prefix (naming authority), e.g. `88.101.5`.
    pub fn prefix(&self) -> &str {
        &self.text[..self.slash]
    }

    /// The suffix (local name), everything after the first `/`.
    pub fn suffix(&self) -> &str {
        &self.text[self.slash + 1..]
    }

    /// The handle as written (without any `hdl:`).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The prefix's dot-separated segments.
    pub fn prefix_segments(&self) -> impl Iterator<Item = &str> {
        self.prefix().split('.')
    }

    /// The canonical form: the prefix in ASCII upper case (so `0.na/x` and `0.NA/x` are
    /// one handle), the suffix unchanged.
    pub fn canonical(&self) -> String {
        format!("{}/{}", self.prefix().to_ascii_uppercase(), self.suffix())
    }
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Handle {
    type Err = HandleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Handle::parse(s)
    }
}

/// Checks a prefix on its own (`88.101.5`).
pub fn check_prefix(prefix: &str) -> Result<(), HandleError> {
    if prefix.is_empty() {
        return Err(HandleError::EmptyPrefix);
    }
    if prefix.len() > MAX_PREFIX_LEN {
        return Err(HandleError::PrefixTooLong(prefix.len()));
    }
    for seg in prefix.split('.') {
        let ok = !seg.is_empty()
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(HandleError::BadPrefixSegment(seg.to_owned()));
        }
    }
    Ok(())
}

fn check_suffix(suffix: &str) -> Result<(), HandleError> {
    if suffix.is_empty() {
        return Err(HandleError::EmptySuffix);
    }
    if suffix.len() > MAX_SUFFIX_LEN {
        return Err(HandleError::SuffixTooLong(suffix.len()));
    }
    match suffix.chars().find(|c| c.is_control()) {
        Some(c) => Err(HandleError::ControlInSuffix(u32::from(c))),
        None => Ok(()),
    }
}

/// `s` without `prefix`, compared without regard to ASCII case.
pub(crate) fn strip_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Checks a value index: 1..=2^31-1.
pub fn check_index(index: u64) -> Result<u32, HandleError> {
    match u32::try_from(index) {
        Ok(i) if (1..=MAX_INDEX).contains(&i) => Ok(i),
        _ => Err(HandleError::BadIndex(index)),
    }
}

/// How a value's `ttl` is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TtlType {
    /// Seconds a cache may keep the value.
    #[default]
    Relative,
    /// A Unix time after which the value expires.
    Absolute,
}

impl TtlType {
    /// The octet on the wire (0 relative, 1 absolute); any other octet is read as
    /// absolute, as CNRI does for non-zero.
    pub fn from_octet(b: u8) -> Self {
        if b == 0 {
            TtlType::Relative
        } else {
            TtlType::Absolute
        }
    }

    /// The octet on the wire.
    pub fn octet(self) -> u8 {
        match self {
            TtlType::Relative => 0,
            TtlType::Absolute => 1,
        }
    }
}

/// Who may read and write a value (RFC 3651 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Permissions {
    pub admin_read: bool,
    pub admin_write: bool,
    pub public_read: bool,
    pub public_write: bool,
}

impl Default for Permissions {
    /// Readable by all, writable by administrators: CNRI's default.
    fn default() -> Self {
        Permissions {
            admin_read: true,
            admin_write: true,
            public_read: true,
            public_write: false,
        }
    }
}

impl Permissions {
    pub const ADMIN_READ: u8 = 0x08;
    pub const ADMIN_WRITE: u8 = 0x04;
    pub const PUBLIC_READ: u8 = 0x02;
    pub const PUBLIC_WRITE: u8 = 0x01;

    /// From the permission octet; bits above the low four are ignored.
    pub fn from_octet(b: u8) -> Self {
        Permissions {
            admin_read: b & Self::ADMIN_READ != 0,
            admin_write: b & Self::ADMIN_WRITE != 0,
            public_read: b & Self::PUBLIC_READ != 0,
            public_write: b & Self::PUBLIC_WRITE != 0,
        }
    }

    /// The permission octet.
    pub fn octet(self) -> u8 {
        (if self.admin_read { Self::ADMIN_READ } else { 0 })
            | (if self.admin_write {
                Self::ADMIN_WRITE
            } else {
                0
            })
            | (if self.public_read {
                Self::PUBLIC_READ
            } else {
                0
            })
            | (if self.public_write {
                Self::PUBLIC_WRITE
            } else {
                0
            })
    }
}

/// A reference from a value to a value of another (or the same) handle. The handle is
/// kept as text: references read from the wire are passed on, not judged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ValueReference {
    pub handle: String,
    pub index: u32,
}

/// The value types the Handle System reserves (prefix `HS_`) that this crate knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReservedType {
    Admin,
    Site,
    SitePrefix,
    Serv,
    ServPrefix,
    Alias,
    PubKey,
    SecKey,
    Vlist,
    Signature,
    Cert,
    NaDelegate,
}

impl ReservedType {
    const ALL: [(ReservedType, &'static str); 12] = [
        (ReservedType::Admin, "HS_ADMIN"),
        (ReservedType::Site, "HS_SITE"),
        (ReservedType::SitePrefix, "HS_SITE.PREFIX"),
        (ReservedType::Serv, "HS_SERV"),
        (ReservedType::ServPrefix, "HS_SERV.PREFIX"),
        (ReservedType::Alias, "HS_ALIAS"),
        (ReservedType::PubKey, "HS_PUBKEY"),
        (ReservedType::SecKey, "HS_SECKEY"),
        (ReservedType::Vlist, "HS_VLIST"),
        (ReservedType::Signature, "HS_SIGNATURE"),
        (ReservedType::Cert, "HS_CERT"),
        (ReservedType::NaDelegate, "HS_NA_DELEGATE"),
    ];

    /// The reserved type a type string names (exactly, as CNRI writes them).
    pub fn of(value_type: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, name)| *name == value_type)
            .map(|(t, _)| *t)
    }

    /// The type string.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(t, _)| *t == self)
            .map_or("HS_", |(_, name)| name)
    }
}

/// One typed value of a handle (RFC 3651 §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HandleValue {
    pub index: u32,
    pub value_type: String,
    pub data: Vec<u8>,
    pub ttl_type: TtlType,
    pub ttl: u32,
    /// Unix seconds of the last change (0: unknown).
    pub timestamp: u32,
    pub permissions: Permissions,
    pub references: Vec<ValueReference>,
}

impl HandleValue {
    /// The TTL values get unless told otherwise (a day, as CNRI's tools).
    pub const DEFAULT_TTL: u32 = 86_400;

    /// A value with the default TTL and permissions, no timestamp and no references;
    /// checked.
    pub fn new(index: u32, value_type: &str, data: Vec<u8>) -> Result<Self, HandleError> {
        let v = HandleValue {
            index,
            value_type: value_type.to_owned(),
            data,
            ttl_type: TtlType::Relative,
            ttl: Self::DEFAULT_TTL,
            timestamp: 0,
            permissions: Permissions::default(),
            references: Vec::new(),
        };
        v.validate()?;
        Ok(v)
    }

    /// Checks index, type, data size and references against the crate's limits.
    pub fn validate(&self) -> Result<(), HandleError> {
        check_index(u64::from(self.index))?;
        check_type(&self.value_type)?;
        if self.data.len() > MAX_DATA_LEN {
            return Err(HandleError::DataTooLarge(self.data.len()));
        }
        if self.references.len() > MAX_REFERENCES {
            return Err(HandleError::TooManyReferences(self.references.len()));
        }
        Ok(())
    }

    /// Whether the type is reserved by the Handle System (`HS_…`).
    pub fn is_reserved_type(&self) -> bool {
        self.value_type.starts_with("HS_")
    }

    /// The reserved type this value has, if one this crate knows.
    pub fn reserved_type(&self) -> Option<ReservedType> {
        ReservedType::of(&self.value_type)
    }

    /// Whether the value matches a resolution request's type filter: equal without
    /// regard to ASCII case, or, for a filter ending in `.`, the type is the filter
    /// without its dot or starts with the filter (`URL.` matches `URL` and `URL.alt`).
    pub fn matches_type(&self, filter: &str) -> bool {
        let t = self.value_type.as_bytes();
        let f = filter.as_bytes();
        if let Some(stem) = f.strip_suffix(b".") {
            t.eq_ignore_ascii_case(stem)
                || (t.len() > f.len() && t[..f.len()].eq_ignore_ascii_case(f))
        } else {
            t.eq_ignore_ascii_case(f)
        }
    }

    /// The value's data as text when it is UTF-8.
    pub fn data_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.data).ok()
    }
}

fn check_type(t: &str) -> Result<(), HandleError> {
    if t.len() > MAX_TYPE_LEN {
        return Err(HandleError::TypeTooLong(t.len()));
    }
    if t.chars().any(char::is_control) {
        return Err(HandleError::ControlInType);
    }
    Ok(())
}

/// The twelve administrative permissions of an `HS_ADMIN` value, as CNRI's bit mask
/// (bit 0 add handle … bit 11 list handles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AdminPermissions(pub u16);

impl AdminPermissions {
    pub const ADD_HANDLE: u16 = 0x0001;
    pub const DELETE_HANDLE: u16 = 0x0002;
    pub const ADD_DERIVED_PREFIX: u16 = 0x0004;
    pub const DELETE_DERIVED_PREFIX: u16 = 0x0008;
    pub const MODIFY_VALUE: u16 = 0x0010;
    pub const REMOVE_VALUE: u16 = 0x0020;
    pub const ADD_VALUE: u16 = 0x0040;
    pub const MODIFY_ADMIN: u16 = 0x0080;
    pub const REMOVE_ADMIN: u16 = 0x0100;
    pub const ADD_ADMIN: u16 = 0x0200;
    pub const READ_VALUE: u16 = 0x0400;
    pub const LIST_HANDLES: u16 = 0x0800;
    /// All twelve.
    pub const ALL: u16 = 0x0fff;

    /// The REST form: twelve `0`/`1`, list-handles first, add-handle last
    /// (`011111110011` is hdl-admintool's default); `*` means all. Shorter strings are
    /// read from the right, as CNRI does.
    pub fn parse(s: &str) -> Result<Self, HandleError> {
        if s == "*" {
            return Ok(AdminPermissions(Self::ALL));
        }
        if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b == b'0' || b == b'1') {
            return Err(HandleError::AdminData(
                "permissions must be up to twelve 0/1 characters or *",
            ));
        }
        let mut bits = 0u16;
        for (i, b) in s.bytes().rev().enumerate() {
            if b == b'1' {
                bits |= 1 << i;
            }
        }
        Ok(AdminPermissions(bits))
    }
}

impl fmt::Display for AdminPermissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for i in (0..12).rev() {
            f.write_str(if self.0 & (1 << i) != 0 { "1" } else { "0" })?;
        }
        Ok(())
    }
}

/// The data of an `HS_ADMIN` value: which handle's key (at which index) administers the
/// handle, with which permissions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AdminRecord {
    pub handle: String,
    pub index: u32,
    pub permissions: AdminPermissions,
}

impl AdminRecord {
    /// The binary layout: int2 permissions, int4 length + admin handle, int4 index.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(10 + self.handle.len());
        out.extend_from_slice(&self.permissions.0.to_be_bytes());
        out.extend_from_slice(&len_u32(self.handle.len()).to_be_bytes());
        out.extend_from_slice(self.handle.as_bytes());
        out.extend_from_slice(&self.index.to_be_bytes());
        out
    }

    /// Reads the binary layout; the data must hold exactly one record.
    pub fn decode(data: &[u8]) -> Result<Self, HandleError> {
        let bad = HandleError::AdminData;
        let perms = data.get(..2).ok_or(bad("shorter than its permissions"))?;
        let len = read_u32(data, 2).ok_or(bad("no admin handle length"))? as usize;
        let end = 6usize
            .checked_add(len)
            .filter(|&e| e <= data.len())
            .ok_or(bad("admin handle runs past the data"))?;
        let handle = std::str::from_utf8(&data[6..end])
            .map_err(|_| bad("admin handle is not UTF-8"))?
            .to_owned();
        let index = read_u32(data, end).ok_or(bad("no admin index"))?;
        if data.len() != end + 4 {
            return Err(bad("bytes after the admin index"));
        }
        Ok(AdminRecord {
            handle,
            index,
            permissions: AdminPermissions(u16::from_be_bytes([perms[0], perms[1]])),
        })
    }
}

/// The data of an `HS_VLIST` value: int4 count, then per reference int4 length + handle
/// and int4 index.
pub fn encode_vlist(refs: &[ValueReference]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&len_u32(refs.len()).to_be_bytes());
    for r in refs {
        out.extend_from_slice(&len_u32(r.handle.len()).to_be_bytes());
        out.extend_from_slice(r.handle.as_bytes());
        out.extend_from_slice(&r.index.to_be_bytes());
    }
    out
}

/// Reads `HS_VLIST` data; the count is bounded by the data's size before anything is
/// allocated.
pub fn decode_vlist(data: &[u8]) -> Result<Vec<ValueReference>, HandleError> {
    let bad = HandleError::VlistData;
    let count = read_u32(data, 0).ok_or(bad("no count"))? as usize;
    // Each reference takes at least 8 bytes.
    if count > MAX_REFERENCES || count > data.len() / 8 {
        return Err(bad("count larger than the data allows"));
    }
    let mut refs = Vec::with_capacity(count);
    let mut at = 4usize;
    for _ in 0..count {
        let len = read_u32(data, at).ok_or(bad("truncated reference"))? as usize;
        let end = (at + 4)
            .checked_add(len)
            .filter(|&e| e <= data.len())
            .ok_or(bad("reference handle runs past the data"))?;
        let handle = std::str::from_utf8(&data[at + 4..end])
            .map_err(|_| bad("reference handle is not UTF-8"))?
            .to_owned();
        let index = read_u32(data, end).ok_or(bad("truncated reference index"))?;
        refs.push(ValueReference { handle, index });
        at = end + 4;
    }
    if at != data.len() {
        return Err(bad("bytes after the last reference"));
    }
    Ok(refs)
}

fn read_u32(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// A length as the protocol's int4. Every length this crate writes is bounded far below
/// 2^32 by the limits above, so saturating never changes a real value.
pub(crate) fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests;
