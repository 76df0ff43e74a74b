//! ISO 8601 timestamps of the REST API (`2000-04-10T22:41:46Z`) to and from the Unix
//! seconds of the wire format (an unsigned int4: 1970 to 2106).

use crate::error::HandleError;

/// `YYYY-MM-DDTHH:MM:SSZ` in UTC, as CNRI writes it.
pub fn format_iso8601(secs: u32) -> String {
    let secs = i64::from(secs);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Reads `YYYY-MM-DDTHH:MM:SS`, with optional fractional seconds (dropped) and a zone
/// `Z`, `±HH:MM` or `±HHMM` (no zone: UTC). The instant must fall between 1970 and 2106.
pub fn parse_iso8601(s: &str) -> Result<u32, HandleError> {
    let bad = || HandleError::Timestamp(s.chars().take(64).collect());
    let b = s.as_bytes();
    if b.len() < 19 || b.len() > 40 {
        return Err(bad());
    }
    let num = |from: usize, len: usize| -> Result<i64, HandleError> {
        let part = b.get(from..from + len).ok_or_else(bad)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        Ok(part
            .iter()
            .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')))
    };
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') {
        return Err(bad());
    }
    if b[13] != b':' || b[16] != b':' {
        return Err(bad());
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (h, mi, sec) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60
    {
        return Err(bad());
    }
    let mut at = 19;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        if at == start {
            return Err(bad());
        }
    }
    let offset = match &b[at..] {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (oh, om) = match rest {
                [_, _, b':', _, _] => (num(at + 1, 2)?, num(at + 4, 2)?),
                [_, _, _, _] => (num(at + 1, 2)?, num(at + 3, 2)?),
                _ => return Err(bad()),
            };
            if oh > 23 || om > 59 {
                return Err(bad());
            }
            let o = oh * 3600 + om * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return Err(bad()),
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec.min(59) - offset;
    u32::try_from(secs).map_err(|_| bad())
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_the_rest_api_example_timestamps() {
        assert_eq!(parse_iso8601("2001-11-21T16:21:35Z"), Ok(0x3BFB_D48F));
        assert_eq!(format_iso8601(0x3BFB_D48F), "2001-11-21T16:21:35Z");
        assert_eq!(format_iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_iso8601(u32::MAX), "2106-02-07T06:28:15Z");
        assert_eq!(parse_iso8601("2106-02-07T06:28:15Z"), Ok(u32::MAX));
        for secs in [1, 59, 86_399, 951_782_400, 1_709_164_800, 4_102_444_800] {
            assert_eq!(parse_iso8601(&format_iso8601(secs)), Ok(secs));
        }
    }

    #[test]
    fn reads_offsets_and_fractions() {
        let utc = parse_iso8601("2000-04-10T22:41:46Z");
        assert_eq!(parse_iso8601("2000-04-11T06:41:46+08:00"), utc);
        assert_eq!(parse_iso8601("2000-04-10T17:41:46-0500"), utc);
        assert_eq!(parse_iso8601("2000-04-10T22:41:46.123Z"), utc);
        assert_eq!(parse_iso8601("2000-04-10T22:41:46"), utc);
    }

    #[test]
    fn rejects_malformed_and_out_of_range_timestamps() {
        for s in [
            "",
            "2000-04-10",
            "2000-13-10T22:41:46Z",
            "2001-02-29T00:00:00Z",
            "2000-04-10T24:00:00Z",
            "2000-04-10T22:41:46+25:00",
            "1969-12-31T23:59:59Z",
            "2106-02-07T06:28:16Z",
            "2000-04-10T22:41:46.Z",
            "2000-04-10T22:41:46Zjunk",
            "２000-04-10T22:41:46Z",
        ] {
            assert!(parse_iso8601(s).is_err(), "{s}");
        }
    }
}
