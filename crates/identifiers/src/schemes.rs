//! Identifier schemes met in industrial identifier resolution, each parsed into a
//! structured value with a canonical form: Handle/IIR (`88.101.5/abc`), OID, GS1 keys,
//! element strings and Digital Link URIs, Ecode and VAA; and [`detect`], which tells
//! which of them a scanned or typed string is.

mod digital_link;
mod ecode;
mod gs1;
mod gs1_ai;
mod oid;
mod vaa;

pub use digital_link::{DigitalLink, MAX_URI_LEN};
pub use ecode::{Ecode, EcodeVersion};
pub use gs1::{Gtin, GtinFormat, Sscc, check_digit};
pub use gs1_ai::{
    AI_TABLE, AiCheck, AiFormat, AiSpec, ElementString, GS, Gs1Message, MAX_ELEMENT_STRING_LEN,
    ai_spec, is_cset82, is_predefined_length,
};
pub use oid::Oid;
pub use vaa::Vaa;

use crate::error::SchemeError;
use crate::handle::{Handle, strip_ci};

/// Longest input [`detect`] looks at, in bytes.
pub const MAX_DETECT_LEN: usize = 4096;

/// The scheme families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Handle,
    Oid,
    Gs1,
    Ecode,
    Vaa,
}

/// What a string was recognised as.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Detected {
    /// A GS1 Digital Link URI.
    DigitalLink(DigitalLink),
    /// A resolution URL `…/{prefix}/{suffix}` (ours, `hdl.handle.net`, …).
    ResolutionUrl {
        handle: Handle,
    },
    /// A handle, with or without `hdl:`.
    Handle(Handle),
    Gtin(Gtin),
    Sscc(Sscc),
    /// A GS1 element string, human-readable or raw.
    ElementString(Gs1Message),
    Oid(Oid),
    /// An Ecode, recognised only with its `ecode:` prefix: bare digits are read as GS1.
    Ecode(Ecode),
    Vaa(Vaa),
}

impl Detected {
    pub fn scheme(&self) -> Scheme {
        match self {
            Detected::ResolutionUrl { .. } | Detected::Handle(_) => Scheme::Handle,
            Detected::DigitalLink(_)
            | Detected::Gtin(_)
            | Detected::Sscc(_)
            | Detected::ElementString(_) => Scheme::Gs1,
            Detected::Oid(_) => Scheme::Oid,
            Detected::Ecode(_) => Scheme::Ecode,
            Detected::Vaa(_) => Scheme::Vaa,
        }
    }

    /// The canonical form, which [`detect`] reads back as the same: a handle with its
    /// prefix upper-cased, the dotted OID, the GTIN-14, the SSCC, the element string in
    /// human-readable form (raw after `]C1` when data holds a `(`, which the
    /// human-readable form cannot tell from an identifier), the Digital Link on
    /// `id.gs1.org`, `ecode:` and the Ecode, the VAA identifier.
    pub fn canonical(&self) -> String {
        match self {
            Detected::DigitalLink(d) => d.canonical(),
            Detected::ResolutionUrl { handle } | Detected::Handle(handle) => handle.canonical(),
            Detected::Gtin(g) => g.gtin14().to_owned(),
            Detected::Sscc(s) => s.as_str().to_owned(),
            Detected::ElementString(m) if m.elements.iter().any(|e| e.value.contains('(')) => {
                format!("]C1{}", m.raw())
            }
            Detected::ElementString(m) => m.hri(),
            Detected::Oid(o) => o.canonical(),
            Detected::Ecode(e) => format!("ecode:{}", e.canonical()),
            Detected::Vaa(v) => v.canonical(),
        }
    }
}

/// Tells which scheme a string is and parses it. Leading and trailing whitespace
/// (a scanner's line end) is dropped; GS separators are kept. In order:
/// 1. `http(s)://`: a Digital Link if the path holds a GS1 primary key, else a
///    resolution URL whose path ends in `{prefix}/{suffix}` with a numeric first prefix
///    segment (`/88.101.5/abc`, `/api/handles/4263537/4000`);
/// 2. `urn:oid:` or `oid:` → OID; `hdl:` → handle; `ecode:` → Ecode; `VAA` or `25SVAA`
///    without a `/` → VAA;
/// 3. `(`, a symbology identifier (`]C1`, `]d2`, `]Q3`, `]e0`, `]J1`) or a GS inside →
///    element string;
/// 4. digits only: a GTIN (8/12/13/14) or SSCC (18) whose check digit holds, else a raw
///    element string (for a key's length, only one starting with a fixed-length
///    identifier);
/// 5. a `/` → handle; dotted digits → OID.
pub fn detect(input: &str) -> Result<Detected, SchemeError> {
    let s = input.trim_matches(|c: char| c.is_whitespace() && c != GS);
    if s.is_empty() {
        return Err(SchemeError::Empty);
    }
    if s.len() > MAX_DETECT_LEN {
        return Err(SchemeError::TooLong {
            len: s.len(),
            limit: MAX_DETECT_LEN,
        });
    }
    if strip_ci(s, "https://")
        .or_else(|| strip_ci(s, "http://"))
        .is_some()
    {
        return if digital_link::names_primary_key(s) {
            DigitalLink::parse(s).map(Detected::DigitalLink)
        } else {
            resolution_url(s)
        };
    }
    if strip_ci(s, "urn:oid:")
        .or_else(|| strip_ci(s, "oid:"))
        .is_some()
    {
        return Oid::parse(s).map(Detected::Oid);
    }
    if strip_ci(s, "hdl:").is_some() {
        return Ok(Detected::Handle(Handle::parse(s)?));
    }
    if strip_ci(s, "ecode:").is_some() {
        return Ecode::parse(s).map(Detected::Ecode);
    }
    if (s.starts_with("VAA") || s.starts_with("25SVAA")) && !s.contains('/') {
        return Vaa::parse(s).map(Detected::Vaa);
    }
    if s.starts_with('(') || s.starts_with(']') || s.contains(GS) {
        return Gs1Message::parse(s).map(Detected::ElementString);
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        let key = match s.len() {
            8 | 12 | 13 | 14 => Some(Gtin::parse(s).map(Detected::Gtin)),
            18 => Some(Sscc::parse(s).map(Detected::Sscc)),
            _ => None,
        };
        return match key {
            Some(Ok(d)) => Ok(d),
            // A key's length with a wrong check digit is most likely a mistyped key: it
            // is read as an element string only when that starts with a fixed-length
            // identifier (`17251231101234`), not a variable one (`4006381333932` is not
            // order number 6381333932).
            Some(Err(key_err)) => match Gs1Message::parse_raw(s) {
                Ok(m)
                    if m.elements
                        .first()
                        .is_some_and(|e| is_predefined_length(&e.ai)) =>
                {
                    Ok(Detected::ElementString(m))
                }
                _ => Err(key_err),
            },
            None => Gs1Message::parse_raw(s).map(Detected::ElementString),
        };
    }
    if s.contains('/') {
        return Ok(Detected::Handle(Handle::parse(s)?));
    }
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Oid::parse(s).map(Detected::Oid);
    }
    Err(SchemeError::Unrecognised)
}

/// The handle at the end of a resolution URL's path.
fn resolution_url(url: &str) -> Result<Detected, SchemeError> {
    let bad = SchemeError::ResolutionUrl;
    let rest = strip_ci(url, "https://")
        .or_else(|| strip_ci(url, "http://"))
        .ok_or(bad("not an http(s) URL"))?;
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (host, path) = rest.split_once('/').ok_or(bad("the URL has no path"))?;
    if host.is_empty() {
        return Err(bad("the URL has no host"));
    }
    if url.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(bad("the URL holds whitespace or control characters"));
    }
    let segments: Vec<&str> = path.split('/').collect();
    let at = segments
        .iter()
        .position(|seg| {
            seg.split('.')
                .next()
                .is_some_and(|first| !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit()))
                && crate::handle::check_prefix(seg).is_ok()
        })
        .filter(|&i| i + 1 < segments.len())
        .ok_or(bad("the path does not end in {prefix}/{suffix}"))?;
    let handle = digital_link::pct_decode(&segments[at..].join("/"), false)
        .map_err(|_| bad("malformed percent escape in the path"))?;
    if handle.trim() != handle {
        return Err(bad("the handle in the URL starts or ends with whitespace"));
    }
    Ok(Detected::ResolutionUrl {
        handle: Handle::parse(&handle)?,
    })
}

#[cfg(test)]
mod tests;
