//! GS1 application identifiers (GS1 General Specifications §3) and element strings, in
//! the human-readable form `(01)09506000134352(10)ABC` and the raw barcode form, where a
//! variable-length element is ended by FNC1, transmitted as GS (0x1D), unless it is last.
//!
//! The table covers the identifiers an industrial platform meets (keys, batch and serial,
//! dates, trade measures, locations, assets; see [`AI_TABLE`]); an identifier outside it
//! is refused as unknown rather than guessed. Checked per identifier: length, numeric or
//! GS1 character set 82, check digits of keys, dates (`YYMMDD`, day `00` meaning the
//! month's end; year read as 20YY for leap days), and the measure's decimal digit 0–5.
//! Not checked: rules between identifiers (for example that 02 goes with 37).

use super::gs1::verify;
use crate::error::SchemeError;

/// Longest element string accepted, in bytes.
pub const MAX_ELEMENT_STRING_LEN: usize = 1024;

/// The GS separator (FNC1 in a barcode's data).
pub const GS: char = '\u{1d}';

/// A data field's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AiFormat {
    /// Exactly `n` digits.
    Numeric(u8),
    /// 1 to `n` digits (`0..=n` for AI 30, whose count may be empty in biip's table, is
    /// not accepted: GS1 requires at least one digit).
    NumericUpTo(u8),
    /// 1 to `n` characters of GS1 set 82.
    Alnum(u8),
    /// `n` digits, then 0 to `x` characters of set 82 (GDTI, GRAI); with `x_min` 1 for
    /// AI 421 (country code, then postal code).
    DigitsThenAlnum { n: u8, x_min: u8, x: u8 },
}

/// What else a field must satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AiCheck {
    None,
    /// The leading numeric part ends in a GS1 check digit.
    CheckDigit,
    /// GRAI: a leading `0`, then a 13-digit key with its check digit.
    Grai,
    /// `YYMMDD`.
    Date,
    /// `YYMMDDhhmm`.
    DateTime,
    /// The AI's last digit is the number of decimals, 0–5.
    Decimal,
}

/// One application identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AiSpec {
    /// The identifier, or for a measure family its first three digits (`310`).
    pub ai: &'static str,
    pub title: &'static str,
    pub format: AiFormat,
    pub check: AiCheck,
}

use AiCheck as C;
use AiFormat as F;

const fn ai(ai: &'static str, title: &'static str, format: AiFormat, check: AiCheck) -> AiSpec {
    AiSpec {
        ai,
        title,
        format,
        check,
    }
}

/// The identifiers known. Three-digit entries starting with 31 or 32 are measure
/// families: the fourth digit gives the decimals.
pub const AI_TABLE: &[AiSpec] = &[
    ai("00", "SSCC", F::Numeric(18), C::CheckDigit),
    ai("01", "GTIN", F::Numeric(14), C::CheckDigit),
    ai("02", "CONTENT", F::Numeric(14), C::CheckDigit),
    ai("10", "BATCH/LOT", F::Alnum(20), C::None),
    ai("11", "PROD DATE", F::Numeric(6), C::Date),
    ai("12", "DUE DATE", F::Numeric(6), C::Date),
    ai("13", "PACK DATE", F::Numeric(6), C::Date),
    ai("15", "BEST BEFORE", F::Numeric(6), C::Date),
    ai("16", "SELL BY", F::Numeric(6), C::Date),
    ai("17", "USE BY OR EXPIRY", F::Numeric(6), C::Date),
    ai("20", "VARIANT", F::Numeric(2), C::None),
    ai("21", "SERIAL", F::Alnum(20), C::None),
    ai("22", "CPV", F::Alnum(20), C::None),
    ai("30", "VAR. COUNT", F::NumericUpTo(8), C::None),
    ai("37", "COUNT", F::NumericUpTo(8), C::None),
    ai("90", "INTERNAL", F::Alnum(30), C::None),
    ai("91", "INTERNAL", F::Alnum(90), C::None),
    ai("92", "INTERNAL", F::Alnum(90), C::None),
    ai("93", "INTERNAL", F::Alnum(90), C::None),
    ai("94", "INTERNAL", F::Alnum(90), C::None),
    ai("95", "INTERNAL", F::Alnum(90), C::None),
    ai("96", "INTERNAL", F::Alnum(90), C::None),
    ai("97", "INTERNAL", F::Alnum(90), C::None),
    ai("98", "INTERNAL", F::Alnum(90), C::None),
    ai("99", "INTERNAL", F::Alnum(90), C::None),
    ai("235", "TPX", F::Alnum(28), C::None),
    ai("240", "ADDITIONAL ID", F::Alnum(30), C::None),
    ai("241", "CUST. PART No.", F::Alnum(30), C::None),
    ai("250", "SECONDARY SERIAL", F::Alnum(30), C::None),
    ai("251", "REF. TO SOURCE", F::Alnum(30), C::None),
    ai(
        "253",
        "GDTI",
        F::DigitsThenAlnum {
            n: 13,
            x_min: 0,
            x: 17,
        },
        C::CheckDigit,
    ),
    ai("254", "GLN EXTENSION COMPONENT", F::Alnum(20), C::None),
    ai("310", "NET WEIGHT (kg)", F::Numeric(6), C::Decimal),
    ai("311", "LENGTH (m)", F::Numeric(6), C::Decimal),
    ai("312", "WIDTH (m)", F::Numeric(6), C::Decimal),
    ai("313", "HEIGHT (m)", F::Numeric(6), C::Decimal),
    ai("314", "AREA (m2)", F::Numeric(6), C::Decimal),
    ai("315", "NET VOLUME (l)", F::Numeric(6), C::Decimal),
    ai("316", "NET VOLUME (m3)", F::Numeric(6), C::Decimal),
    ai("320", "NET WEIGHT (lb)", F::Numeric(6), C::Decimal),
    ai("400", "ORDER NUMBER", F::Alnum(30), C::None),
    ai("401", "GINC", F::Alnum(30), C::None),
    ai("402", "GSIN", F::Numeric(17), C::CheckDigit),
    ai("410", "SHIP TO LOC", F::Numeric(13), C::CheckDigit),
    ai("411", "BILL TO", F::Numeric(13), C::CheckDigit),
    ai("412", "PURCHASE FROM", F::Numeric(13), C::CheckDigit),
    ai("413", "SHIP FOR LOC", F::Numeric(13), C::CheckDigit),
    ai("414", "LOC No.", F::Numeric(13), C::CheckDigit),
    ai("415", "PAY TO", F::Numeric(13), C::CheckDigit),
    ai("420", "SHIP TO POST", F::Alnum(20), C::None),
    ai(
        "421",
        "SHIP TO POST",
        F::DigitsThenAlnum {
            n: 3,
            x_min: 1,
            x: 9,
        },
        C::None,
    ),
    ai("7003", "EXPIRY TIME", F::Numeric(10), C::DateTime),
    ai(
        "8003",
        "GRAI",
        F::DigitsThenAlnum {
            n: 14,
            x_min: 0,
            x: 16,
        },
        C::Grai,
    ),
    ai("8004", "GIAI", F::Alnum(30), C::None),
    ai("8020", "REF No.", F::Alnum(25), C::None),
];

/// The spec of an identifier (`01`, `3103`), if known.
pub fn ai_spec(ai: &str) -> Option<&'static AiSpec> {
    if !(2..=4).contains(&ai.len()) || !ai.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    AI_TABLE.iter().find(|s| {
        if s.check == AiCheck::Decimal {
            ai.len() == 4 && ai.starts_with(s.ai) && ai.as_bytes()[3] <= b'5'
        } else {
            s.ai == ai
        }
    })
}

/// Whether an identifier's length is predefined by its first two digits (GS1 GenSpecs
/// figure 7.8.5-2), so that no separator follows it.
pub fn is_predefined_length(ai: &str) -> bool {
    matches!(
        ai.get(..2),
        Some(
            "00" | "01"
                | "02"
                | "03"
                | "04"
                | "11"
                | "12"
                | "13"
                | "14"
                | "15"
                | "16"
                | "17"
                | "18"
                | "19"
                | "20"
                | "31"
                | "32"
                | "33"
                | "34"
                | "35"
                | "36"
                | "41"
        )
    )
}

/// The identifier at the start of `s` (2, 3 or 4 digits), if one is known.
fn ai_at(s: &str) -> Option<&'static AiSpec> {
    (2..=4).find_map(|n| s.get(..n).and_then(ai_spec))
}

/// The largest data length of a format.
fn max_len(f: AiFormat) -> usize {
    match f {
        F::Numeric(n) | F::NumericUpTo(n) | F::Alnum(n) => usize::from(n),
        F::DigitsThenAlnum { n, x, .. } => usize::from(n) + usize::from(x),
    }
}

/// GS1 AI encodable character set 82.
pub fn is_cset82(c: char) -> bool {
    matches!(c, '!' | '"' | '%'..='?' | 'A'..='Z' | '_' | 'a'..='z')
}

/// One element: an identifier and its data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ElementString {
    pub ai: String,
    pub value: String,
}

impl ElementString {
    /// Checks `value` against the identifier's format; the element if it holds.
    pub fn new(ai: &str, value: &str) -> Result<Self, SchemeError> {
        let spec =
            ai_spec(ai).ok_or_else(|| SchemeError::UnknownAi(ai.chars().take(8).collect()))?;
        let bad = |reason: String| SchemeError::AiValue {
            ai: ai.to_owned(),
            reason,
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let len = value.chars().count();
        match spec.format {
            F::Numeric(n) if len != usize::from(n) || !digits(value) => {
                return Err(bad(format!("must be {n} digits")));
            }
            F::NumericUpTo(n) if len == 0 || len > usize::from(n) || !digits(value) => {
                return Err(bad(format!("must be 1 to {n} digits")));
            }
            F::Alnum(n) if len == 0 || len > usize::from(n) || !value.chars().all(is_cset82) => {
                return Err(bad(format!("must be 1 to {n} characters of GS1 set 82")));
            }
            F::DigitsThenAlnum { n, x_min, x } => {
                let n = usize::from(n);
                let (head, tail) =
                    value.split_at(value.char_indices().nth(n).map_or(value.len(), |(i, _)| i));
                let tail_len = tail.chars().count();
                if head.len() != n
                    || !digits(head)
                    || tail_len < usize::from(x_min)
                    || tail_len > usize::from(x)
                    || !tail.chars().all(is_cset82)
                {
                    return Err(bad(format!(
                        "must be {n} digits then {x_min} to {x} characters of GS1 set 82"
                    )));
                }
            }
            _ => {}
        }
        match spec.check {
            C::CheckDigit => {
                let n = match spec.format {
                    F::DigitsThenAlnum { n, .. } => usize::from(n),
                    _ => value.len(),
                };
                verify(&value[..n]).map_err(|e| bad(e.to_string()))?;
            }
            C::Grai => {
                if !value.starts_with('0') {
                    return Err(bad("a GRAI starts with 0".into()));
                }
                verify(&value[1..14]).map_err(|e| bad(e.to_string()))?;
            }
            C::Date => check_date(&value[..6]).map_err(bad)?,
            C::DateTime => {
                check_date(&value[..6]).map_err(bad)?;
                let hh = two(&value[6..8]);
                let mm = two(&value[8..10]);
                if hh > 23 || mm > 59 {
                    return Err(bad("time must be hhmm within a day".into()));
                }
            }
            C::None | C::Decimal => {}
        }
        Ok(ElementString {
            ai: ai.to_owned(),
            value: value.to_owned(),
        })
    }

    /// The identifier's spec.
    pub fn spec(&self) -> Option<&'static AiSpec> {
        ai_spec(&self.ai)
    }

    /// For a measure (310n…320n), the value with its decimals, normalised: no leading
    /// zeros before the point, no trailing zeros after it (`000195` with 3 → `0.195`).
    pub fn decimal(&self) -> Option<String> {
        let spec = self.spec()?;
        if spec.check != AiCheck::Decimal {
            return None;
        }
        // The fields are public: read defensively rather than trust `new` was used.
        let places = usize::from(self.ai.as_bytes().get(3)?.checked_sub(b'0')?);
        let at = self.value.len().checked_sub(places)?;
        let (int, frac) = (self.value.get(..at)?, self.value.get(at..)?);
        let int = int.trim_start_matches('0');
        let frac = frac.trim_end_matches('0');
        let int = if int.is_empty() { "0" } else { int };
        Some(if frac.is_empty() {
            int.to_owned()
        } else {
            format!("{int}.{frac}")
        })
    }

    /// For a date identifier, `(year, month, day)` with the year read by GS1's sliding
    /// window around `current_year` (GenSpecs §7.12: up to 49 years back, 50 ahead)
    /// and day 00 left as 0.
    pub fn date(&self, current_year: i32) -> Option<(i32, u8, u8)> {
        let spec = self.spec()?;
        if !matches!(spec.check, AiCheck::Date | AiCheck::DateTime) {
            return None;
        }
        let (y, m, d) = (
            self.value.get(0..2)?,
            self.value.get(2..4)?,
            self.value.get(4..6)?,
        );
        let yy = i32::from(two(y));
        let century = current_year - current_year.rem_euclid(100);
        let diff = yy - current_year.rem_euclid(100);
        let year = if (51..=99).contains(&diff) {
            century - 100 + yy
        } else if (-99..=-50).contains(&diff) {
            century + 100 + yy
        } else {
            century + yy
        };
        Some((year, two(m), two(d)))
    }
}

/// Two ASCII digits (already checked) as a number.
fn two(s: &str) -> u8 {
    s.bytes().fold(0u8, |a, b| {
        a.wrapping_mul(10).wrapping_add(b.wrapping_sub(b'0'))
    })
}

fn check_date(yymmdd: &str) -> Result<(), String> {
    let (yy, mm, dd) = (two(&yymmdd[0..2]), two(&yymmdd[2..4]), two(&yymmdd[4..6]));
    let days = match mm {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if yy % 4 == 0 => 29,
        2 => 28,
        _ => return Err("month must be 01 to 12".into()),
    };
    if dd > days {
        return Err(format!("day {dd:02} is past the end of month {mm:02}"));
    }
    Ok(())
}

/// A GS1 message: element strings in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Gs1Message {
    pub elements: Vec<ElementString>,
}

/// Symbology identifiers that announce GS1 data (GS1-128, DataMatrix, QR, DataBar,
/// DotCode), dropped before reading.
const SYMBOLOGY_IDS: [&str; 5] = ["]C1", "]d2", "]Q3", "]e0", "]J1"];

impl Gs1Message {
    /// Reads the human-readable form if it starts with `(`, the raw form otherwise.
    pub fn parse(s: &str) -> Result<Self, SchemeError> {
        if s.starts_with('(') {
            Self::parse_hri(s)
        } else {
            Self::parse_raw(s)
        }
    }

    fn check_len(s: &str) -> Result<(), SchemeError> {
        if s.is_empty() {
            return Err(SchemeError::Empty);
        }
        if s.len() > MAX_ELEMENT_STRING_LEN {
            return Err(SchemeError::TooLong {
                len: s.len(),
                limit: MAX_ELEMENT_STRING_LEN,
            });
        }
        Ok(())
    }

    /// Reads `(AI)data(AI)data…`. Data runs to the next `(` that opens a known
    /// identifier, so data may itself hold parentheses.
    pub fn parse_hri(s: &str) -> Result<Self, SchemeError> {
        Self::check_len(s)?;
        let mut msg = Gs1Message::default();
        let mut rest = s;
        while !rest.is_empty() {
            let (ai, after) = hri_ai(rest).ok_or(SchemeError::ElementString(
                "expected (AI) with a known application identifier",
            ))?;
            let end = after
                .char_indices()
                .find(|&(i, c)| c == '(' && hri_ai(&after[i..]).is_some())
                .map_or(after.len(), |(i, _)| i);
            msg.push(ElementString::new(ai, &after[..end])?)?;
            rest = &after[end..];
        }
        Ok(msg)
    }

    /// Reads the raw form: an optional symbology identifier or leading GS, then elements,
    /// variable-length ones ended by GS unless last.
    pub fn parse_raw(s: &str) -> Result<Self, SchemeError> {
        Self::check_len(s)?;
        let mut rest = SYMBOLOGY_IDS
            .iter()
            .find_map(|id| s.strip_prefix(id))
            .unwrap_or(s);
        rest = rest.strip_prefix(GS).unwrap_or(rest);
        let mut msg = Gs1Message::default();
        while !rest.is_empty() {
            let spec = ai_at(rest)
                .ok_or_else(|| SchemeError::UnknownAi(rest.chars().take(4).collect()))?;
            let ai_len = if spec.check == AiCheck::Decimal {
                4
            } else {
                spec.ai.len()
            };
            let (ai, after) = rest.split_at(ai_len);
            let end = if is_predefined_length(ai) {
                let n = max_len(spec.format);
                after.char_indices().nth(n).map_or(after.len(), |(i, _)| i)
            } else {
                after.find(GS).unwrap_or(after.len())
            };
            msg.push(ElementString::new(ai, &after[..end])?)?;
            rest = &after[end..];
            rest = rest.strip_prefix(GS).unwrap_or(rest);
        }
        if msg.elements.is_empty() {
            return Err(SchemeError::ElementString(
                "no element after the symbology identifier",
            ));
        }
        Ok(msg)
    }

    /// Adds an element; the same identifier twice is refused.
    pub fn push(&mut self, e: ElementString) -> Result<(), SchemeError> {
        if self.get(&e.ai).is_some() {
            return Err(SchemeError::AiValue {
                ai: e.ai,
                reason: "appears twice".into(),
            });
        }
        self.elements.push(e);
        Ok(())
    }

    /// The data of an identifier.
    pub fn get(&self, ai: &str) -> Option<&str> {
        self.elements
            .iter()
            .find(|e| e.ai == ai)
            .map(|e| e.value.as_str())
    }

    /// The human-readable form `(01)…(10)…`.
    pub fn hri(&self) -> String {
        self.elements
            .iter()
            .map(|e| format!("({}){}", e.ai, e.value))
            .collect()
    }

    /// The raw form, GS after each variable-length element but the last, no symbology
    /// identifier.
    pub fn raw(&self) -> String {
        let mut out = String::new();
        for (i, e) in self.elements.iter().enumerate() {
            out.push_str(&e.ai);
            out.push_str(&e.value);
            if i + 1 < self.elements.len() && !is_predefined_length(&e.ai) {
                out.push(GS);
            }
        }
        out
    }
}

/// `(AI)` at the start of `s` with a known identifier, and the text after it.
fn hri_ai(s: &str) -> Option<(&str, &str)> {
    let inner = s.strip_prefix('(')?;
    let close = inner.find(')')?;
    let ai = &inner[..close];
    ai_spec(ai)?;
    Some((ai, &inner[close + 1..]))
}

#[cfg(test)]
mod tests;
