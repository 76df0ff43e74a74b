//! Ecode, the Chinese IoT entity code (GB/T 31866-2023, which replaced the 2015 edition):
//! a version V, a numbering scheme identifier NSI (编码体系标识) and a master data code
//! MD (主码).
//!
//! What is implemented, and from where (the standard's text was not at hand; no
//! published example codes were found, so no vector below comes from the standard):
//! - V0 is reserved for GS1 compatibility in the 2023 edition (secondary sources):
//!   `0` followed by a GS1 key or element string, read with this crate's GS1 parser.
//!   GS1 codes are carried without V and NSI in 1-D barcodes; [`Ecode::from_gs1`] gives
//!   the V0 form of one.
//! - V1–V3: the per-version structure of the 2015 edition's table as reported by
//!   secondary sources: V1 = `1` + 4-digit NSI + up to 20 digits (≤ 25 in all); V2 =
//!   `2` + 4-digit NSI + up to 28 digits (≤ 33); V3 = `3` + 5-digit NSI + up to 39
//!   characters of digits and upper-case letters (≤ 45). **Unverified against the 2023
//!   text.**
//! - Other version digits are refused: the 2023 edition defines V0–V3 only (the 2015
//!   edition's V4 with UTF-8 master codes is not accepted).
//! - Not verifiable here: which NSI values are allocated (the registry is kept by the
//!   Ecode authority) and any per-NSI structure of the master code.

use super::gs1::{Gtin, Sscc};
use super::gs1_ai::Gs1Message;
use crate::error::SchemeError;

/// An Ecode version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EcodeVersion {
    V0,
    V1,
    V2,
    V3,
}

/// A parsed Ecode.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ecode {
    pub version: EcodeVersion,
    /// The numbering scheme identifier (none in V0).
    pub nsi: Option<String>,
    /// The master data code: for V0, the GS1 data as given.
    pub master: String,
    /// For V0, the GS1 data read.
    pub gs1: Option<Gs1Message>,
}

impl Ecode {
    /// Parses `V NSI MD`, also prefixed `ecode:`.
    pub fn parse(input: &str) -> Result<Self, SchemeError> {
        let s = crate::handle::strip_ci(input, "ecode:").unwrap_or(input);
        let bad = |m: String| SchemeError::Ecode(m);
        let mut chars = s.chars();
        let version = match chars.next() {
            None => return Err(SchemeError::Empty),
            Some('0') => EcodeVersion::V0,
            Some('1') => EcodeVersion::V1,
            Some('2') => EcodeVersion::V2,
            Some('3') => EcodeVersion::V3,
            Some(c) => return Err(bad(format!("version {c:?} is not defined (V0 to V3)"))),
        };
        let rest = chars.as_str();
        let (nsi_len, md_max, md_ok): (usize, usize, fn(char) -> bool) = match version {
            EcodeVersion::V0 => {
                let gs1 = gs1_of(rest).map_err(|e| bad(format!("V0 carries GS1 data: {e}")))?;
                return Ok(Ecode {
                    version,
                    nsi: None,
                    master: rest.to_owned(),
                    gs1: Some(gs1),
                });
            }
            EcodeVersion::V1 => (4, 20, |c| c.is_ascii_digit()),
            EcodeVersion::V2 => (4, 28, |c| c.is_ascii_digit()),
            EcodeVersion::V3 => (5, 39, |c| c.is_ascii_digit() || c.is_ascii_uppercase()),
        };
        let nsi = rest
            .get(..nsi_len)
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()));
        let nsi = nsi.ok_or_else(|| bad(format!("the NSI must be {nsi_len} digits")))?;
        let md = &rest[nsi_len..];
        if md.is_empty() || md.len() > md_max || !md.chars().all(md_ok) {
            return Err(bad(format!(
                "the master code of {version:?} must be 1 to {md_max} {}",
                if version == EcodeVersion::V3 {
                    "digits or upper-case letters"
                } else {
                    "digits"
                }
            )));
        }
        Ok(Ecode {
            version,
            nsi: Some(nsi.to_owned()),
            master: md.to_owned(),
            gs1: None,
        })
    }

    /// The V0 Ecode of GS1 data.
    pub fn from_gs1(gs1: &Gs1Message) -> Self {
        Ecode {
            version: EcodeVersion::V0,
            nsi: None,
            master: gs1.raw(),
            gs1: Some(gs1.clone()),
        }
    }

    /// `V NSI MD` as one string.
    pub fn canonical(&self) -> String {
        let v = match self.version {
            EcodeVersion::V0 => '0',
            EcodeVersion::V1 => '1',
            EcodeVersion::V2 => '2',
            EcodeVersion::V3 => '3',
        };
        format!(
            "{v}{}{}",
            self.nsi.as_deref().unwrap_or_default(),
            self.master
        )
    }
}

/// GS1 data: a bare GTIN or SSCC, or an element string.
fn gs1_of(s: &str) -> Result<Gs1Message, SchemeError> {
    if let Ok(g) = Gtin::parse(s) {
        return Gs1Message::parse(&format!("01{}", g.gtin14()));
    }
    if let Ok(sscc) = Sscc::parse(s) {
        return Gs1Message::parse(&format!("00{}", sscc.as_str()));
    }
    Gs1Message::parse(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatches_on_the_version_digit() {
        let e = Ecode::parse("0106141411234567897").expect("v0 sscc");
        assert_eq!(
            e.gs1.as_ref().and_then(|m| m.get("00")),
            Some("106141411234567897")
        );
        let e = Ecode::parse("04006381333931").expect("v0 gtin");
        assert_eq!(
            e.gs1.as_ref().and_then(|m| m.get("01")),
            Some("04006381333931")
        );
        let e = Ecode::parse("ecode:10001123456789").expect("v1");
        assert_eq!(
            (e.version, e.nsi.as_deref(), e.master.as_str()),
            (EcodeVersion::V1, Some("0001"), "123456789")
        );
        assert_eq!(e.canonical(), "10001123456789");
        let e = Ecode::parse("210011234567890123456789012345678").expect("v2");
        assert_eq!(e.master.len(), 28);
        let e = Ecode::parse("310001ABC123").expect("v3");
        assert_eq!(
            (e.nsi.as_deref(), e.master.as_str()),
            (Some("10001"), "ABC123")
        );
        let m = Gs1Message::parse("(01)09506000134352(10)ABC").expect("gs1");
        assert_eq!(
            Ecode::parse(&Ecode::from_gs1(&m).canonical())
                .expect("v0")
                .gs1,
            Some(m)
        );
    }

    #[test]
    fn rejects_what_the_structure_forbids() {
        for s in [
            "",
            "ecode:",
            "4000112",
            "9",
            "x",
            "1000",
            "10001",
            "1000A123",
            "100011234567890123456789012",
            "2000112345678901234567890123456789",
            "30001ABC",
            "310001abc",
            "310001",
            "0",
            "0ABC",
        ] {
            assert!(Ecode::parse(s).is_err(), "{s}");
        }
    }
}
