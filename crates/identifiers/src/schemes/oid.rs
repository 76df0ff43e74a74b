//! Object identifiers in dotted decimal (ITU-T X.660 / ISO/IEC 9834-1), also written
//! `urn:oid:…` (RFC 3061) or `oid:…`: at least two arcs, the first 0–2, the second at
//! most 39 under 0 and 1, no leading zeros, arcs up to 2^128-1 (UUID arcs under 2.25 fit).

use crate::error::SchemeError;

/// Longest OID text accepted, in bytes.
pub const MAX_OID_LEN: usize = 1024;
/// Most arcs accepted.
pub const MAX_ARCS: usize = 128;

/// An object identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Oid {
    arcs: Vec<u128>,
}

impl Oid {
    pub fn parse(input: &str) -> Result<Self, SchemeError> {
        let s = crate::handle::strip_ci(input, "urn:oid:")
            .or_else(|| crate::handle::strip_ci(input, "oid:"))
            .unwrap_or(input);
        if s.is_empty() {
            return Err(SchemeError::Empty);
        }
        if s.len() > MAX_OID_LEN {
            return Err(SchemeError::TooLong {
                len: s.len(),
                limit: MAX_OID_LEN,
            });
        }
        let mut arcs = Vec::new();
        for part in s.split('.') {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(SchemeError::Oid("an arc must be one or more digits"));
            }
            if part.len() > 1 && part.starts_with('0') {
                return Err(SchemeError::Oid("an arc must not have leading zeros"));
            }
            if arcs.len() == MAX_ARCS {
                return Err(SchemeError::Oid("more than 128 arcs"));
            }
            arcs.push(
                part.parse::<u128>()
                    .map_err(|_| SchemeError::Oid("an arc is above 2^128-1"))?,
            );
        }
        match arcs.as_slice() {
            [_] => Err(SchemeError::Oid("an OID has at least two arcs")),
            [first, ..] if *first > 2 => Err(SchemeError::Oid("the first arc must be 0, 1 or 2")),
            [first, second, ..] if *first < 2 && *second > 39 => Err(SchemeError::Oid(
                "the second arc must be at most 39 under 0 and 1",
            )),
            _ => Ok(Oid { arcs }),
        }
    }

    pub fn arcs(&self) -> &[u128] {
        &self.arcs
    }

    /// The dotted form.
    pub fn canonical(&self) -> String {
        self.arcs
            .iter()
            .map(u128::to_string)
            .collect::<Vec<_>>()
            .join(".")
    }

    /// `urn:oid:` and the dotted form.
    pub fn urn(&self) -> String {
        format!("urn:oid:{}", self.canonical())
    }

    /// Whether this OID lies under (or is) `other`.
    pub fn starts_with(&self, other: &Oid) -> bool {
        self.arcs.starts_with(&other.arcs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_valid_oids() {
        for (s, canonical) in [
            ("1.2.156.10197.1.301", "1.2.156.10197.1.301"),
            ("urn:oid:2.16.156", "2.16.156"),
            ("URN:OID:1.2.156", "1.2.156"),
            ("oid:0.0", "0.0"),
            ("1.39", "1.39"),
            ("2.999.1", "2.999.1"),
            (
                "2.25.329800735698586629295641978511506172918",
                "2.25.329800735698586629295641978511506172918",
            ),
        ] {
            assert_eq!(
                Oid::parse(s).map(|o| o.canonical()),
                Ok(canonical.to_owned()),
                "{s}"
            );
        }
        let sm2 = Oid::parse("1.2.156.10197.1.301").expect("sm2");
        assert!(sm2.starts_with(&Oid::parse("1.2.156").expect("china")));
        assert_eq!(sm2.urn(), "urn:oid:1.2.156.10197.1.301");
    }

    #[test]
    fn rejects_malformed_oids() {
        let long = format!("1.2.{}", "1.".repeat(600));
        let many = format!("1.2{}", ".1".repeat(200));
        for s in [
            "",
            "urn:oid:",
            "1",
            "3.1",
            "1.40",
            "0.40",
            "1.02",
            "01.2",
            "1..2",
            "1.2.",
            ".1.2",
            "1.2.a",
            "1.2.-3",
            "1.2.340282366920938463463374607431768211456",
            "１.2",
            long.as_str(),
            many.as_str(),
        ] {
            assert!(Oid::parse(s).is_err(), "{s}");
        }
    }
}
