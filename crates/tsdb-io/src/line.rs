//! The InfluxDB line protocol (the text of InfluxDB 1.x `/write` and 2.x `/api/v2/write`,
//! what Telegraf, the InfluxDB clients and `influx -import` send):
//!
//! ```text
//! measurement[,tag=value…] field=value[,field=value…] [timestamp]
//! ```
//!
//! Measurement names escape `,` and space with a backslash; tag keys, tag values and field
//! keys also `=`; a backslash before any other character is itself. Field values are
//! floats (`1`, `-1.5e3`), integers (`3i`), unsigned integers (`3u`), booleans (`t`,
//! `true`, `True`, `TRUE`, `f`, …) or double-quoted strings (`\"` and `\\` escaped; a
//! string may span lines). The timestamp is an integer in the request's precision. Blank
//! lines and lines starting with `#` are skipped; `\r\n` ends a line too.
//!
//! [`lines`] reads a body one line at a time without copying it (names are borrowed
//! unless they hold escapes). A line that cannot be read is an error with its line number
//! and the reader goes on with the next line, so one bad line costs only itself. It never
//! panics on any input (see [`fuzz_line_protocol`]).

use ironloom_core::i18n::Locale;
use std::borrow::Cow;

/// One field's value.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue<'a> {
    Float(f64),
    Int(i64),
    UInt(u64),
    Bool(bool),
    Str(Cow<'a, str>),
}

/// One line: a point of a measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Line<'a> {
    pub measurement: Cow<'a, str>,
    pub tags: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub fields: Vec<(Cow<'a, str>, FieldValue<'a>)>,
    /// In the request's precision, as written.
    pub timestamp: Option<i64>,
    /// 1-based, counting every line of the body (blank ones, comments and the lines a
    /// string value spans included).
    pub line: usize,
}

impl Line<'_> {
    /// The value of a tag.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }
}

/// Why a line could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineErrorKind {
    /// The line has no measurement name.
    NoMeasurement,
    /// A tag without `=` or with an empty key or value.
    BadTag,
    /// The line has no fields.
    NoFields,
    /// A field without `=` or with an empty key.
    BadField,
    /// A field value that is no number, boolean or string (NaN and infinities included).
    BadValue,
    /// A string value whose closing quote is missing.
    UnterminatedString,
    /// A timestamp that is not an integer, or text after it.
    BadTimestamp,
    /// Bytes that are not UTF-8.
    NotUtf8,
}

impl LineErrorKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::NoMeasurement => "no_measurement",
            Self::BadTag => "bad_tag",
            Self::NoFields => "no_fields",
            Self::BadField => "bad_field",
            Self::BadValue => "bad_value",
            Self::UnterminatedString => "unterminated_string",
            Self::BadTimestamp => "bad_timestamp",
            Self::NotUtf8 => "not_utf8",
        }
    }

    pub fn message(self, locale: Locale) -> &'static str {
        match self {
            Self::NoMeasurement => locale.pick("the line has no measurement", "该行没有测量名"),
            Self::BadTag => locale.pick(
                "a tag is not key=value with a non-empty key and value",
                "标签不是键和值都非空的 键=值 形式",
            ),
            Self::NoFields => locale.pick("the line has no fields", "该行没有字段"),
            Self::BadField => locale.pick(
                "a field is not key=value with a non-empty key",
                "字段不是键非空的 键=值 形式",
            ),
            Self::BadValue => locale.pick(
                "a field value is not a finite number, integer (i), unsigned integer (u), boolean or quoted string",
                "字段值不是有限数字、整数（i）、无符号整数（u）、布尔值或带引号的字符串",
            ),
            Self::UnterminatedString => {
                locale.pick("a string value has no closing quote", "字符串值缺少结束引号")
            }
            Self::BadTimestamp => locale.pick(
                "the timestamp is not an integer, or text follows it",
                "时间戳不是整数，或其后还有内容",
            ),
            Self::NotUtf8 => locale.pick("the line is not UTF-8 text", "该行不是 UTF-8 文本"),
        }
    }
}

/// A line that could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineError {
    /// 1-based, counting every line of the body.
    pub line: usize,
    pub kind: LineErrorKind,
}

/// The lines of a body, in order.
pub fn lines(body: &[u8]) -> Lines<'_> {
    Lines {
        buf: body,
        pos: 0,
        line: 1,
    }
}

/// Iterator of [`lines`].
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    buf: &'a [u8],
    pos: usize,
    /// The number of the line at `pos`.
    line: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = Result<Line<'a>, LineError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            // Leading blanks, empty lines and comments.
            while let Some(&b) = self.buf.get(self.pos) {
                match b {
                    b' ' | b'\t' | b'\r' => self.pos += 1,
                    b'\n' => {
                        self.pos += 1;
                        self.line += 1;
                    }
                    _ => break,
                }
            }
            let &first = self.buf.get(self.pos)?;
            if first == b'#' {
                self.skip_line();
                continue;
            }
            let start_line = self.line;
            let mut p = Parser {
                buf: self.buf,
                pos: self.pos,
                newlines: 0,
            };
            let out = p.line();
            self.pos = p.pos;
            self.line += p.newlines;
            return Some(match out {
                Ok(l) => Ok(Line {
                    line: start_line,
                    ..l
                }),
                Err(kind) => {
                    self.skip_line();
                    Err(LineError {
                        line: start_line,
                        kind,
                    })
                }
            });
        }
    }
}

impl Lines<'_> {
    /// Past the next newline (or to the end).
    fn skip_line(&mut self) {
        match self.buf[self.pos.min(self.buf.len())..]
            .iter()
            .position(|&b| b == b'\n')
        {
            Some(i) => {
                self.pos += i + 1;
                self.line += 1;
            }
            None => self.pos = self.buf.len(),
        }
    }
}

struct Parser<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Newlines consumed (inside string values, and the one ending the line).
    newlines: usize,
}

/// Which characters a backslash escapes in a name.
#[derive(Clone, Copy)]
enum Escapes {
    /// Measurement: comma and space.
    Measurement,
    /// Tag keys and values, field keys: comma, equals sign and space.
    Key,
}

impl Escapes {
    fn escapes(self, b: u8) -> bool {
        match self {
            Escapes::Measurement => b == b',' || b == b' ',
            Escapes::Key => b == b',' || b == b' ' || b == b'=',
        }
    }
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn line(&mut self) -> Result<Line<'a>, LineErrorKind> {
        let measurement = self.name(Escapes::Measurement, b", \t\n\r")?;
        if measurement.is_empty() {
            return Err(LineErrorKind::NoMeasurement);
        }
        let mut tags = Vec::new();
        while self.peek() == Some(b',') {
            self.pos += 1;
            let key = self.name(Escapes::Key, b"=, \n\r")?;
            if self.peek() != Some(b'=') || key.is_empty() {
                return Err(LineErrorKind::BadTag);
            }
            self.pos += 1;
            let value = self.name(Escapes::Key, b", \n\r=")?;
            if value.is_empty() || self.peek() == Some(b'=') {
                return Err(LineErrorKind::BadTag);
            }
            tags.push((key, value));
        }
        if !self.blanks() {
            return Err(LineErrorKind::NoFields);
        }
        let mut fields = Vec::new();
        loop {
            let key = self.name(Escapes::Key, b"=, \n\r")?;
            if key.is_empty() && fields.is_empty() && self.at_line_end() {
                return Err(LineErrorKind::NoFields);
            }
            if self.peek() != Some(b'=') || key.is_empty() {
                return Err(LineErrorKind::BadField);
            }
            self.pos += 1;
            let value = self.value()?;
            fields.push((key, value));
            if self.peek() == Some(b',') {
                self.pos += 1;
                continue;
            }
            break;
        }
        let had_blank = self.blanks();
        let timestamp = if had_blank && !self.at_line_end() {
            Some(self.timestamp()?)
        } else {
            None
        };
        self.blanks();
        match self.peek() {
            None => {}
            Some(b'\n') => {
                self.pos += 1;
                self.newlines += 1;
            }
            Some(b'\r') if self.buf.get(self.pos + 1) == Some(&b'\n') => {
                self.pos += 2;
                self.newlines += 1;
            }
            Some(_) => return Err(LineErrorKind::BadTimestamp),
        }
        Ok(Line {
            measurement,
            tags,
            fields,
            timestamp,
            line: 0,
        })
    }

    fn at_line_end(&self) -> bool {
        matches!(self.peek(), None | Some(b'\n') | Some(b'\r'))
    }

    /// Skips spaces and tabs; whether there were any.
    fn blanks(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ') | Some(b'\t')) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// A name up to an unescaped stop byte (not consumed).
    fn name(&mut self, esc: Escapes, stops: &[u8]) -> Result<Cow<'a, str>, LineErrorKind> {
        let start = self.pos;
        let mut escaped = false;
        while let Some(b) = self.peek() {
            if b == b'\\'
                && let Some(&n) = self.buf.get(self.pos + 1)
                && esc.escapes(n)
            {
                escaped = true;
                self.pos += 2;
                continue;
            }
            if stops.contains(&b) {
                break;
            }
            self.pos += 1;
        }
        let raw =
            std::str::from_utf8(&self.buf[start..self.pos]).map_err(|_| LineErrorKind::NotUtf8)?;
        if !escaped {
            return Ok(Cow::Borrowed(raw));
        }
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\\'
                && let Some(&n) = chars.peek()
                && n.is_ascii()
                && esc.escapes(n as u8)
            {
                out.push(n);
                chars.next();
            } else {
                out.push(c);
            }
        }
        Ok(Cow::Owned(out))
    }

    fn value(&mut self) -> Result<FieldValue<'a>, LineErrorKind> {
        if self.peek() == Some(b'"') {
            return self.string();
        }
        let start = self.pos;
        while let Some(b) = self.peek() {
            if matches!(b, b',' | b' ' | b'\t' | b'\n' | b'\r') {
                break;
            }
            self.pos += 1;
        }
        let tok = &self.buf[start..self.pos];
        scalar(tok).ok_or(LineErrorKind::BadValue)
    }

    fn string(&mut self) -> Result<FieldValue<'a>, LineErrorKind> {
        self.pos += 1;
        let start = self.pos;
        let mut escaped = false;
        let mut newlines = 0;
        loop {
            match self.peek() {
                None => return Err(LineErrorKind::UnterminatedString),
                Some(b'\\') if matches!(self.buf.get(self.pos + 1), Some(b'"') | Some(b'\\')) => {
                    escaped = true;
                    self.pos += 2;
                }
                Some(b'"') => break,
                Some(b) => {
                    if b == b'\n' {
                        newlines += 1;
                    }
                    self.pos += 1;
                }
            }
        }
        let raw =
            std::str::from_utf8(&self.buf[start..self.pos]).map_err(|_| LineErrorKind::NotUtf8)?;
        self.pos += 1;
        self.newlines += newlines;
        if !escaped {
            return Ok(FieldValue::Str(Cow::Borrowed(raw)));
        }
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\\'
                && let Some(&n) = chars.peek()
                && (n == '"' || n == '\\')
            {
                out.push(n);
                chars.next();
            } else {
                out.push(c);
            }
        }
        Ok(FieldValue::Str(Cow::Owned(out)))
    }

    fn timestamp(&mut self) -> Result<i64, LineErrorKind> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                break;
            }
            self.pos += 1;
        }
        let tok = &self.buf[start..self.pos];
        let digits = tok.strip_prefix(b"-").unwrap_or(tok);
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err(LineErrorKind::BadTimestamp);
        }
        std::str::from_utf8(tok)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or(LineErrorKind::BadTimestamp)
    }
}

/// A number or boolean field value.
fn scalar(tok: &[u8]) -> Option<FieldValue<'static>> {
    let (&last, head) = tok.split_last()?;
    let int_digits = |d: &[u8], signed: bool| {
        let d = if signed {
            d.strip_prefix(b"-").unwrap_or(d)
        } else {
            d
        };
        !d.is_empty() && d.iter().all(u8::is_ascii_digit)
    };
    match last {
        b'i' if int_digits(head, true) => {
            return std::str::from_utf8(head)
                .ok()?
                .parse()
                .ok()
                .map(FieldValue::Int);
        }
        b'u' if int_digits(head, false) => {
            return std::str::from_utf8(head)
                .ok()?
                .parse()
                .ok()
                .map(FieldValue::UInt);
        }
        _ => {}
    }
    match tok {
        b"t" | b"T" | b"true" | b"True" | b"TRUE" => return Some(FieldValue::Bool(true)),
        b"f" | b"F" | b"false" | b"False" | b"FALSE" => return Some(FieldValue::Bool(false)),
        _ => {}
    }
    // Only the characters of a decimal float: Rust's parser also takes "inf" and "NaN".
    let body = tok
        .strip_prefix(b"-")
        .or_else(|| tok.strip_prefix(b"+"))
        .unwrap_or(tok);
    if !body
        .first()
        .is_some_and(|b| b.is_ascii_digit() || *b == b'.')
        || !body
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
    {
        return None;
    }
    let v: f64 = std::str::from_utf8(tok).ok()?.parse().ok()?;
    v.is_finite().then_some(FieldValue::Float(v))
}

/// The unit of a request's timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    Nanoseconds,
    Microseconds,
    Milliseconds,
    Seconds,
    Minutes,
    Hours,
}

impl Precision {
    /// From the `precision` parameter: `ns`/`n`, `us`/`u`/`µ`, `ms`, `s`, `m`, `h` (the
    /// last two InfluxDB 1.x only, accepted everywhere).
    pub fn parse(s: &str) -> Option<Precision> {
        Some(match s {
            "ns" | "n" => Precision::Nanoseconds,
            "us" | "u" | "µ" | "µs" => Precision::Microseconds,
            "ms" => Precision::Milliseconds,
            "s" => Precision::Seconds,
            "m" => Precision::Minutes,
            "h" => Precision::Hours,
            _ => return None,
        })
    }

    /// A timestamp in this precision as milliseconds since the epoch (finer ones rounded
    /// down), or `None` when it does not fit.
    pub fn to_millis(self, t: i64) -> Option<i64> {
        match self {
            Precision::Nanoseconds => Some(t.div_euclid(1_000_000)),
            Precision::Microseconds => Some(t.div_euclid(1_000)),
            Precision::Milliseconds => Some(t),
            Precision::Seconds => t.checked_mul(1_000),
            Precision::Minutes => t.checked_mul(60_000),
            Precision::Hours => t.checked_mul(3_600_000),
        }
    }
}

/// Reads every line of `data`. For the fuzzer: must never panic, every line read has a
/// measurement and fields, and the line numbers of errors grow.
pub fn fuzz_line_protocol(data: &[u8]) {
    let mut last_error = 0;
    for l in lines(data) {
        match l {
            Ok(line) => {
                assert!(!line.measurement.is_empty() && !line.fields.is_empty());
                if let Some(t) = line.timestamp {
                    for p in [Precision::Nanoseconds, Precision::Seconds, Precision::Hours] {
                        let _ = p.to_millis(t);
                    }
                }
            }
            Err(e) => {
                assert!(e.line > last_error);
                last_error = e.line;
            }
        }
    }
}

#[cfg(test)]
#[path = "line_tests.rs"]
mod tests;
