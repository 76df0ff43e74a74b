//! GS1 keys with their mod-10 check digit (GS1 General Specifications §7.9): GTIN-8,
//! -12, -13 and -14, and the SSCC. The company prefix inside a key is not split out: its
//! length depends on GS1's allocation tables, which this crate does not carry.

use crate::error::SchemeError;

/// The GS1 mod-10 check digit of a string of digits (the payload, without its check
/// digit): weights 3 and 1 alternating from the right.
pub fn check_digit(payload: &str) -> Result<u8, SchemeError> {
    if payload.is_empty() || !payload.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SchemeError::Digits {
            what: "a GS1 check digit payload",
            expected: "one or more",
            got: payload.chars().take(64).collect(),
        });
    }
    let sum: u32 = payload
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    // `sum % 10` is below 10.
    Ok(((10 - sum % 10) % 10) as u8)
}

/// Checks that the last digit of `digits` is the check digit of the others.
pub(crate) fn verify(digits: &str) -> Result<(), SchemeError> {
    let (payload, last) = digits.split_at(digits.len().saturating_sub(1));
    let expected = check_digit(payload)?;
    let got = last.bytes().next().map_or(255, |b| b.wrapping_sub(b'0'));
    if got != expected {
        return Err(SchemeError::CheckDigit {
            value: digits.to_owned(),
            expected,
            got,
        });
    }
    Ok(())
}

fn digits_of(s: &str, what: &'static str, expected: &'static str) -> Result<(), SchemeError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SchemeError::Digits {
            what,
            expected,
            got: s.chars().take(64).collect(),
        });
    }
    Ok(())
}

/// The length a GTIN has once the leading zeros of its 14-digit form are read as
/// padding (as GS1 and biip read it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GtinFormat {
    Gtin8,
    Gtin12,
    Gtin13,
    Gtin14,
}

/// A Global Trade Item Number with a valid check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Gtin {
    gtin14: String,
    format: GtinFormat,
}

impl Gtin {
    /// Parses 8, 12, 13 or 14 digits and checks the check digit.
    pub fn parse(s: &str) -> Result<Self, SchemeError> {
        digits_of(s, "a GTIN", "8, 12, 13 or 14")?;
        if ![8, 12, 13, 14].contains(&s.len()) {
            return Err(SchemeError::Digits {
                what: "a GTIN",
                expected: "8, 12, 13 or 14",
                got: s.chars().take(64).collect(),
            });
        }
        verify(s)?;
        let gtin14 = format!("{s:0>14}");
        let significant = gtin14.trim_start_matches('0').len();
        let format = match significant {
            0..=8 => GtinFormat::Gtin8,
            9..=12 => GtinFormat::Gtin12,
            13 => GtinFormat::Gtin13,
            _ => GtinFormat::Gtin14,
        };
        Ok(Gtin { gtin14, format })
    }

    /// The canonical 14-digit form (as in AI 01 and GS1 Digital Link).
    pub fn gtin14(&self) -> &str {
        &self.gtin14
    }

    /// The GTIN in its own length (8, 12, 13 or 14 digits).
    pub fn short(&self) -> &str {
        let len = match self.format {
            GtinFormat::Gtin8 => 8,
            GtinFormat::Gtin12 => 12,
            GtinFormat::Gtin13 => 13,
            GtinFormat::Gtin14 => 14,
        };
        &self.gtin14[14 - len..]
    }

    pub fn format(&self) -> GtinFormat {
        self.format
    }

    pub fn check_digit(&self) -> u8 {
        self.gtin14.as_bytes()[13] - b'0'
    }

    /// The packaging level (indicator digit) of a GTIN-14.
    pub fn indicator(&self) -> Option<u8> {
        (self.format == GtinFormat::Gtin14).then(|| self.gtin14.as_bytes()[0] - b'0')
    }
}

/// A Serial Shipping Container Code: 18 digits with a valid check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sscc(String);

impl Sscc {
    pub fn parse(s: &str) -> Result<Self, SchemeError> {
        digits_of(s, "an SSCC", "18")?;
        if s.len() != 18 {
            return Err(SchemeError::Digits {
                what: "an SSCC",
                expected: "18",
                got: s.chars().take(64).collect(),
            });
        }
        verify(s)?;
        Ok(Sscc(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The extension digit (first digit).
    pub fn extension_digit(&self) -> u8 {
        self.0.as_bytes()[0] - b'0'
    }

    /// GS1 company prefix and serial reference together (digits 2 to 17).
    pub fn company_and_serial(&self) -> &str {
        &self.0[1..17]
    }

    pub fn check_digit(&self) -> u8 {
        self.0.as_bytes()[17] - b'0'
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_published_check_digits() {
        // Wikipedia's GTIN-13, GS1 Hong Kong's and GS1 India's calculator examples, a
        // UPC-A.
        assert_eq!(check_digit("400638133393"), Ok(1));
        assert_eq!(check_digit("629104150021"), Ok(3));
        assert_eq!(check_digit("890400021003"), Ok(7));
        assert_eq!(check_digit("03600024145"), Ok(7));
        assert_eq!(check_digit("10614141123456789"), Ok(7));
        assert_eq!(check_digit("37613032110910342"), Ok(0));
        assert!(check_digit("").is_err());
        assert!(check_digit("12a").is_err());
    }

    #[test]
    fn parses_gtins_of_every_length() {
        let g = Gtin::parse("4006381333931").expect("gtin-13");
        assert_eq!(
            (g.format(), g.gtin14(), g.check_digit()),
            (GtinFormat::Gtin13, "04006381333931", 1)
        );
        let g = Gtin::parse("6291041500213").expect("hk");
        assert_eq!(g.short(), "6291041500213");
        let g = Gtin::parse("036000241457").expect("upc-a");
        assert_eq!(
            (g.format(), g.short()),
            (GtinFormat::Gtin12, "036000241457")
        );
        let g = Gtin::parse("96385074").expect("gtin-8");
        assert_eq!(
            (g.format(), g.gtin14()),
            (GtinFormat::Gtin8, "00000096385074")
        );
        let g = Gtin::parse("00614141123452").expect("padded gtin-12");
        assert_eq!(
            (g.format(), g.short()),
            (GtinFormat::Gtin12, "614141123452")
        );
        let g = Gtin::parse("10614141123459").expect("gtin-14");
        assert_eq!((g.format(), g.indicator()), (GtinFormat::Gtin14, Some(1)));
    }

    #[test]
    fn rejects_bad_gtins() {
        assert!(matches!(
            Gtin::parse("4006381333932"),
            Err(SchemeError::CheckDigit {
                expected: 1,
                got: 2,
                ..
            })
        ));
        for s in [
            "",
            "400638133393",
            "40063813339311",
            "400638133393١",
            "4006381333 31",
            "123456789012345",
        ] {
            assert!(Gtin::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn parses_the_published_ssccs() {
        let s = Sscc::parse("106141411234567897").expect("sscc");
        assert_eq!(s.extension_digit(), 1);
        assert_eq!(s.company_and_serial(), "0614141123456789");
        assert_eq!(s.check_digit(), 7);
        assert_eq!(
            Sscc::parse("376130321109103420")
                .expect("sscc")
                .check_digit(),
            0
        );
        assert!(Sscc::parse("106141411234567898").is_err());
        assert!(Sscc::parse("10614141123456789").is_err());
    }
}
