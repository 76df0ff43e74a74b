//! VAA identifiers: CAICT is the ISO/IEC 15459 issuing agency with code `VAA`, and a
//! VAA identifier is an ISO/IEC 15459 unique identifier: issuing agency code + company
//! identification number (CIN, assigned by the agency) + the company's serial.
//!
//! Checked: the `VAA` agency code (an optional ANSI MH10.8.2 data identifier `25S` in
//! front is dropped), a length of at most 50 characters from agency code to serial, and
//! the ISO/IEC 15459 character set as secondary sources give it: upper-case letters,
//! digits, `-` and `.`. Not verifiable here (the CAICT 《VAA编码导则》 was not
//! available): the CIN's length, so the split between CIN and serial is the caller's
//! ([`Vaa::split`]), and any structure of the serial. No published VAA example was found;
//! the test vectors are made up.

use crate::error::SchemeError;

/// Longest identifier, agency code included.
pub const MAX_VAA_LEN: usize = 50;

/// A VAA identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Vaa {
    /// Everything after the agency code: CIN and serial.
    body: String,
}

impl Vaa {
    pub fn parse(input: &str) -> Result<Self, SchemeError> {
        let s = input.strip_prefix("25S").unwrap_or(input);
        let body = s.strip_prefix("VAA").ok_or_else(|| {
            SchemeError::Vaa("must start with the issuing agency code VAA".into())
        })?;
        if s.len() > MAX_VAA_LEN {
            return Err(SchemeError::TooLong {
                len: s.len(),
                limit: MAX_VAA_LEN,
            });
        }
        if body.is_empty() {
            return Err(SchemeError::Vaa(
                "no company identification or serial after VAA".into(),
            ));
        }
        if let Some(c) = body
            .chars()
            .find(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '-' | '.')))
        {
            return Err(SchemeError::Vaa(format!(
                "{c:?} is outside the ISO/IEC 15459 set (A-Z, 0-9, '-', '.')"
            )));
        }
        Ok(Vaa {
            body: body.to_owned(),
        })
    }

    /// The issuing agency code.
    pub fn agency(&self) -> &'static str {
        "VAA"
    }

    /// CIN and serial together.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// CIN and serial, for a CIN of `cin_len` characters; both must be non-empty.
    pub fn split(&self, cin_len: usize) -> Result<(&str, &str), SchemeError> {
        if cin_len == 0 || cin_len >= self.body.len() {
            return Err(SchemeError::Vaa(format!(
                "a CIN of {cin_len} characters leaves no serial in {}",
                self.body
            )));
        }
        Ok(self.body.split_at(cin_len))
    }

    /// `VAA` + CIN + serial.
    pub fn canonical(&self) -> String {
        format!("VAA{}", self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_splits() {
        let v = Vaa::parse("25SVAA12345ABC-0001.2").expect("vaa");
        assert_eq!(v.canonical(), "VAA12345ABC-0001.2");
        assert_eq!(v.split(5), Ok(("12345", "ABC-0001.2")));
        assert!(v.split(0).is_err());
        assert!(v.split(v.body().len()).is_err());
    }

    #[test]
    fn rejects_other_agencies_characters_and_lengths() {
        let long = format!("VAA{}", "1".repeat(48));
        for s in [
            "",
            "VAA",
            "UN12345",
            "vaa123",
            "VAA12 3",
            "VAA12/3",
            "VAAabc",
            "VAA零",
            long.as_str(),
        ] {
            assert!(Vaa::parse(s).is_err(), "{s}");
        }
        assert!(Vaa::parse(&format!("VAA{}", "1".repeat(47))).is_ok());
    }
}
