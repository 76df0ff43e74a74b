//! What a carrier holds: an identifier's resolution URL, or a GS1 Digital Link URI.

use crate::error::CarrierError;
use crate::handle::{Handle, strip_ci};
use crate::schemes::{Detected, DigitalLink, Gs1Message, detect};

/// Longest resolver base URL accepted, in bytes.
pub const MAX_BASE_URL_LEN: usize = 512;

/// `{base}/{prefix}/{suffix}`: the resolution URL of an identifier on a resolver
/// (`https://id.example.cn` or `https://id.example.cn/r`; a trailing `/` is dropped).
///
/// The suffix is percent-encoded as UTF-8 except the unreserved characters of RFC 3986
/// (`A-Z a-z 0-9 - . _ ~`) and `/`, which stays a path separator as in the Handle proxy's
/// and DOI resolvers' URLs (`hdl.handle.net/88.101.5/a/b`): a resolver takes the whole
/// rest of the path, decoded, as the suffix. Spaces, `%`, `?`, `#` and Chinese text are
/// escaped. The suffix's `/` are escaped as `%2F` too when the URL would not survive
/// otherwise: a `.` or `..` segment, which URL parsers resolve away, or a path that the
/// crate's scanner ([`crate::schemes::detect`]) would read otherwise (a segment such as
/// `01` taken for a GS1 Digital Link key). The scanner finds the identifier by its
/// prefix's numeric first segment (`88.`, `20.`, `0.`): URLs of other prefixes are made
/// the same way but it does not recognise them.
pub fn resolution_url(base: &str, handle: &Handle) -> Result<String, CarrierError> {
    let base = check_base(base)?;
    let dot_segment = handle.suffix().split('/').any(|s| s == "." || s == "..");
    if !dot_segment {
        let url = build(base, handle, false);
        if matches!(detect(&url), Ok(Detected::ResolutionUrl { handle: h }) if h == *handle) {
            return Ok(url);
        }
    }
    Ok(build(base, handle, true))
}

fn build(base: &str, handle: &Handle, escape_slash: bool) -> String {
    let mut url = String::with_capacity(base.len() + handle.as_str().len() * 3 + 2);
    url.push_str(base);
    url.push('/');
    url.push_str(handle.prefix());
    url.push('/');
    for b in handle.suffix().bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            url.push(char::from(b));
        } else if b == b'/' && !escape_slash {
            url.push('/');
        } else {
            url.push('%');
            url.push(char::from(HEX[usize::from(b >> 4)]));
            url.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    url
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// The GS1 Digital Link URI of a message with one primary key (GTIN, SSCC, GLN, …):
/// on `base` (a resolver such as `https://id.example.cn/gs1`), else the canonical one on
/// `https://id.gs1.org`.
pub fn digital_link_uri(message: &Gs1Message, base: Option<&str>) -> Result<String, CarrierError> {
    let link = DigitalLink::from_message(message)?;
    let Some(base) = base else {
        return Ok(link.canonical());
    };
    let base = check_base(base)?;
    let (https, rest) = match strip_ci(base, "https://") {
        Some(rest) => (true, rest),
        None => (false, strip_ci(base, "http://").unwrap_or(base)),
    };
    let (host, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let uri = link.to_uri(host, prefix.trim_matches('/'));
    Ok(if https {
        uri
    } else {
        uri.replacen("https://", "http://", 1)
    })
}

/// An http(s) URL with a host, ASCII without spaces or controls, no query or fragment;
/// returned without its trailing `/`.
fn check_base(base: &str) -> Result<&str, CarrierError> {
    let bad = CarrierError::BaseUrl;
    if base.len() > MAX_BASE_URL_LEN {
        return Err(bad("longer than 512 bytes"));
    }
    let rest = strip_ci(base, "https://")
        .or_else(|| strip_ci(base, "http://"))
        .ok_or(bad("it must start with https:// or http://"))?;
    if !base.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad(
            "it holds spaces, control or non-ASCII characters (percent-encode them)",
        ));
    }
    if base.contains(['?', '#']) {
        return Err(bad("it has a query or fragment"));
    }
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || host.contains(['@', '\\']) {
        return Err(bad("it has no host, or user information in it"));
    }
    Ok(base.trim_end_matches('/'))
}
