//! GS1 Digital Link URIs (GS1 Digital Link standard 1.x, URI syntax): an HTTP(S) URI on
//! any host, with an optional path prefix, a primary key and its qualifiers in the path
//! (`/01/{gtin}/10/{lot}/21/{serial}`) and further data attributes in the query
//! (`?17=180426`).
//!
//! Read as biip reads them: the path up to the first segment naming a primary key is
//! a prefix and ignored; segments are percent-decoded after splitting; a GTIN shorter
//! than 14 digits is padded; qualifiers must come in the key's order, each once; query
//! parameters that are not application identifiers (`linkType`, …) are ignored, and a
//! repeated one keeps its last value. The short names of Digital Link 1.0 (`gtin`,
//! `lot`, `ser`, `exp`, …) are read as their identifiers.
//!
//! The canonical form is `https://id.gs1.org` + the numeric path + the other attributes
//! sorted by identifier, values percent-encoded except `A-Z a-z 0-9 - . _ ~`.

use super::gs1_ai::{ElementString, Gs1Message, ai_spec};
use crate::error::SchemeError;

/// Longest URI accepted, in bytes.
pub const MAX_URI_LEN: usize = 2048;

/// Primary keys and their qualifiers, in the order the standard gives them (only
/// identifiers of this crate's table).
const PRIMARY_KEYS: &[(&str, &[&str])] = &[
    ("01", &["22", "10", "21", "235"]),
    ("414", &["254"]),
    ("415", &["8020"]),
    ("00", &[]),
    ("253", &[]),
    ("401", &[]),
    ("402", &[]),
    ("8003", &[]),
    ("8004", &[]),
];

/// Digital Link 1.0 short names.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("gtin", "01"),
    ("cpv", "22"),
    ("lot", "10"),
    ("ser", "21"),
    ("sscc", "00"),
    ("gln", "414"),
    ("glnx", "254"),
    ("payTo", "415"),
    ("gdti", "253"),
    ("ginc", "401"),
    ("gsin", "402"),
    ("grai", "8003"),
    ("giai", "8004"),
    ("exp", "17"),
    ("bbd", "15"),
    ("prodDate", "11"),
    ("packDate", "13"),
];

fn numeric_ai(key: &str) -> Option<&str> {
    if ai_spec(key).is_some() {
        return Some(key);
    }
    SHORT_NAMES
        .iter()
        .find(|(n, _)| *n == key)
        .map(|(_, ai)| *ai)
}

fn is_primary_key(segment: &str) -> bool {
    numeric_ai(segment).is_some_and(|ai| PRIMARY_KEYS.iter().any(|(k, _)| *k == ai))
}

/// Whether an http(s) URL's path has a segment naming a GS1 primary key (`/01/`,
/// `/gtin/`, …): then it is meant as a Digital Link.
pub(crate) fn names_primary_key(uri: &str) -> bool {
    let Some(rest) = strip_scheme(uri) else {
        return false;
    };
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    rest.split_once('/')
        .is_some_and(|(_, path)| path.split('/').any(is_primary_key))
}

/// A parsed GS1 Digital Link URI: its elements, primary key first, then the
/// qualifiers in path order, then the query's attributes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DigitalLink {
    message: Gs1Message,
}

impl DigitalLink {
    /// Parses a URI.
    pub fn parse(uri: &str) -> Result<Self, SchemeError> {
        let bad = |m: &str| SchemeError::DigitalLink(m.to_owned());
        if uri.len() > MAX_URI_LEN {
            return Err(SchemeError::TooLong {
                len: uri.len(),
                limit: MAX_URI_LEN,
            });
        }
        let rest =
            strip_scheme(uri).ok_or_else(|| bad("the URI must start with https:// or http://"))?;
        let rest = rest.split('#').next().unwrap_or_default();
        let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (host, path) = before_query.split_once('/').unwrap_or((before_query, ""));
        if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c.is_control()) {
            return Err(bad("the URI has no host"));
        }
        let segments: Vec<&str> = path.split('/').collect();
        let start = segments
            .iter()
            .position(|s| is_primary_key(s))
            .ok_or_else(|| bad("no primary key (01, 00, 414, …) in the path"))?;
        let segments = &segments[start..];
        if !segments.len().is_multiple_of(2) {
            return Err(bad(
                "the path after the primary key has an odd number of segments",
            ));
        }
        let mut message = Gs1Message::default();
        let mut qualifiers: &[&str] = &[];
        for (i, pair) in segments.chunks_exact(2).enumerate() {
            let ai = numeric_ai(pair[0]).ok_or_else(|| bad("unknown identifier in the path"))?;
            let mut value = pct_decode(pair[1], false)?;
            if i == 0 {
                qualifiers = PRIMARY_KEYS
                    .iter()
                    .find(|(k, _)| *k == ai)
                    .map_or(&[], |(_, q)| *q);
                if ai == "01" && value.len() < 14 && value.bytes().all(|b| b.is_ascii_digit()) {
                    value = format!("{value:0>14}");
                }
            } else {
                let at = qualifiers.iter().position(|q| *q == ai).ok_or_else(|| {
                    SchemeError::DigitalLink(format!("({ai}) is not a qualifier expected here"))
                })?;
                qualifiers = &qualifiers[at + 1..];
            }
            message.push(ElementString::new(ai, &value)?)?;
        }
        let mut attributes: Vec<(String, String)> = Vec::new();
        for param in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = param.split_once('=').unwrap_or((param, ""));
            let key = pct_decode(key, true)?;
            let Some(ai) = numeric_ai(&key).map(str::to_owned) else {
                continue;
            };
            let value = pct_decode(value, true)?;
            match attributes.iter_mut().find(|(a, _)| *a == ai) {
                Some(slot) => slot.1 = value,
                None => attributes.push((ai, value)),
            }
        }
        for (ai, value) in attributes {
            message.push(ElementString::new(&ai, &value)?)?;
        }
        Ok(DigitalLink { message })
    }

    /// The Digital Link of a message holding exactly one primary key.
    pub fn from_message(message: &Gs1Message) -> Result<Self, SchemeError> {
        let keys: Vec<&str> = PRIMARY_KEYS
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| message.get(k).is_some())
            .collect();
        let [key] = keys.as_slice() else {
            return Err(SchemeError::DigitalLink(format!(
                "a Digital Link needs exactly one primary key, the message has {}",
                keys.len()
            )));
        };
        let qualifiers = PRIMARY_KEYS
            .iter()
            .find(|(k, _)| k == key)
            .map_or(&[][..], |(_, q)| *q);
        let mut out = Gs1Message::default();
        let mut take = |ai: &str| {
            if let Some(e) = message.elements.iter().find(|e| e.ai == ai) {
                out.elements.push(e.clone());
            }
        };
        take(key);
        for q in qualifiers {
            take(q);
        }
        let mut rest: Vec<&ElementString> = message
            .elements
            .iter()
            .filter(|e| e.ai != *key && !qualifiers.contains(&e.ai.as_str()))
            .collect();
        rest.sort_by(|a, b| a.ai.cmp(&b.ai));
        out.elements.extend(rest.into_iter().cloned());
        Ok(DigitalLink { message: out })
    }

    /// The elements, primary key first.
    pub fn message(&self) -> &Gs1Message {
        &self.message
    }

    /// The canonical URI on `id.gs1.org`: the key's qualifiers in the path in the
    /// standard's order, the other attributes in the query sorted by identifier.
    pub fn canonical(&self) -> String {
        self.to_uri("id.gs1.org", "")
    }

    /// The URI on another host, under a path prefix (`""` for none, else without
    /// leading or trailing `/`).
    pub fn to_uri(&self, host: &str, path_prefix: &str) -> String {
        let mut uri = format!("https://{host}");
        if !path_prefix.is_empty() {
            uri.push('/');
            uri.push_str(path_prefix);
        }
        let key = self
            .message
            .elements
            .first()
            .map(|e| e.ai.as_str())
            .unwrap_or_default();
        let qualifiers = PRIMARY_KEYS
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(&[][..], |(_, q)| *q);
        let mut path: Vec<&ElementString> = self.message.elements.iter().take(1).collect();
        for q in qualifiers {
            path.extend(self.message.elements.iter().skip(1).find(|e| e.ai == *q));
        }
        for e in &path {
            uri.push('/');
            uri.push_str(&e.ai);
            uri.push('/');
            uri.push_str(&pct_encode(&e.value));
        }
        let mut attrs: Vec<&ElementString> = self
            .message
            .elements
            .iter()
            .skip(1)
            .filter(|e| !qualifiers.contains(&e.ai.as_str()))
            .collect();
        attrs.sort_by(|a, b| a.ai.cmp(&b.ai));
        for (i, e) in attrs.iter().enumerate() {
            uri.push(if i == 0 { '?' } else { '&' });
            uri.push_str(&e.ai);
            uri.push('=');
            uri.push_str(&pct_encode(&e.value));
        }
        uri
    }
}

fn strip_scheme(uri: &str) -> Option<&str> {
    ["https://", "http://"]
        .iter()
        .find_map(|s| crate::handle::strip_ci(uri, s))
}

/// Percent-encodes all but the unreserved characters.
pub(crate) fn pct_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-decodes to UTF-8; `+` is a space in a query (form encoding, as Python's
/// `parse_qs`).
pub(crate) fn pct_decode(s: &str, query: bool) -> Result<String, SchemeError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| SchemeError::DigitalLink("malformed percent escape".into()))?;
                out.push(hex);
                i += 3;
            }
            b'+' if query => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| SchemeError::DigitalLink("escapes are not UTF-8".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_biip_documentation_example_and_canonicalises_it() {
        let dl = DigitalLink::parse(
            "https://www.example.com/products/01/07032069804988?10=0329&15=210526",
        )
        .expect("parse");
        assert_eq!(dl.message().hri(), "(01)07032069804988(10)0329(15)210526");
        assert_eq!(dl.message().raw(), "0107032069804988100329\u{1d}15210526");
        let canonical = DigitalLink::from_message(dl.message())
            .expect("from message")
            .canonical();
        assert_eq!(
            canonical,
            "https://id.gs1.org/01/07032069804988/10/0329?15=210526"
        );
    }

    #[test]
    fn round_trips_the_research_notes_example() {
        let uri = "https://id.gs1.org/01/09506000134352/10/ABC/21/12345?17=180426";
        let dl = DigitalLink::parse(uri).expect("parse");
        assert_eq!(
            dl.message().raw(),
            "010950600013435210ABC\u{1d}2112345\u{1d}17180426"
        );
        assert_eq!(dl.canonical(), uri);
        let msg =
            Gs1Message::parse("010950600013435210ABC\u{1d}2112345\u{1d}17180426").expect("raw");
        assert_eq!(
            DigitalLink::from_message(&msg).expect("dl").canonical(),
            uri
        );
    }

    #[test]
    fn reads_short_names_padding_escapes_and_other_keys() {
        let dl = DigitalLink::parse(
            "HTTPS://id.gs1.org/gtin/614141123452/lot/ABC1/ser/12345?exp=180426&linkType=gs1:pip",
        )
        .expect("short names");
        assert_eq!(
            dl.message().hri(),
            "(01)00614141123452(10)ABC1(21)12345(17)180426"
        );
        let dl = DigitalLink::parse(
            "https://example.org/00/106141412345678908?02=00614141123452&37=25&10=ABC123",
        )
        .expect("sscc");
        assert_eq!(
            dl.canonical(),
            "https://id.gs1.org/00/106141412345678908?02=00614141123452&10=ABC123&37=25"
        );
        let dl = DigitalLink::parse("https://x.cn/01/09506000134352/21/A%2FB%25?10=1&10=2#frag")
            .expect("escapes");
        assert_eq!(dl.message().get("21"), Some("A/B%"));
        assert_eq!(dl.message().get("10"), Some("2"));
        assert_eq!(
            dl.canonical(),
            "https://id.gs1.org/01/09506000134352/10/2/21/A%2FB%25"
        );
        assert_eq!(
            dl.to_uri("id.example.com", "r"),
            "https://id.example.com/r/01/09506000134352/10/2/21/A%2FB%25"
        );
    }

    #[test]
    fn rejects_malformed_digital_links() {
        for uri in [
            "ftp://id.gs1.org/01/09506000134352",
            "id.gs1.org/01/09506000134352",
            "https:///01/09506000134352",
            "https://id.gs1.org/",
            "https://id.gs1.org/01",
            "https://id.gs1.org/01/09506000134353",
            "https://id.gs1.org/01/09506000134352/10",
            "https://id.gs1.org/01/09506000134352/21/1/10/A",
            "https://id.gs1.org/01/09506000134352/17/180426",
            "https://id.gs1.org/01/09506000134352/10/A%2",
            "https://id.gs1.org/01/09506000134352/10/%FF",
            "https://id.gs1.org/01/09506000134352?17=181326",
            "https://id.gs1.org/01/09506000134352?01=09506000134352",
        ] {
            assert!(DigitalLink::parse(uri).is_err(), "{uri}");
        }
        let long = format!(
            "https://id.gs1.org/01/09506000134352?x={}",
            "a".repeat(MAX_URI_LEN)
        );
        assert!(DigitalLink::parse(&long).is_err());
        let two_keys = Gs1Message::parse("(00)106141411234567897(01)09506000134352").expect("msg");
        assert!(DigitalLink::from_message(&two_keys).is_err());
        assert!(DigitalLink::from_message(&Gs1Message::parse("(10)A").expect("msg")).is_err());
    }
}
