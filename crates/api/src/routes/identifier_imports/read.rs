//! Reading an uploaded file record by record, knowing at each record the byte offset it
//! ends at (where a resumed job goes on): CSV as the console reads it (RFC 4180 quoting,
//! line breaks in quoted cells, a BOM, `,` `;` or tab by the header line) and JSON Lines.
//! Every record is bounded: a longer one stops the job before it is held in memory.

use super::super::identifiers::IdentifierInput;
use ironloom_core::identifier::{FIRST_FIELD_INDEX, IdTemplate, TemplateRef};
use ironloom_core::market::LocalText;
use serde_json::{Value, json};
use std::io::{BufRead, Read};

/// Longest record (a row of CSV, a line of JSON Lines) read.
pub(crate) const MAX_ROW_BYTES: usize = 1 << 20;

/// Why a file cannot be read on (the job fails with this).
pub(crate) fn unreadable(row: u64, why: &ReadError) -> LocalText {
    match why {
        ReadError::TooLong => LocalText::new(
            format!("row {row} is longer than 1 MiB: is this the right file?"),
            format!("第 {row} 行超过 1 MiB，请检查文件"),
        ),
        ReadError::NotUtf8 => LocalText::new(
            format!("row {row} is not UTF-8 text: is this a CSV or JSON Lines file?"),
            format!("第 {row} 行不是 UTF-8 文本，请上传 CSV 或 JSON Lines 文件"),
        ),
        ReadError::Io(e) => LocalText::new(
            format!("the uploaded file cannot be read: {e}"),
            format!("无法读取上传的文件：{e}"),
        ),
    }
}

#[derive(Debug)]
pub(crate) enum ReadError {
    TooLong,
    NotUtf8,
    Io(std::io::Error),
}

/// Records of a file from a position: each one's text and the offset after it.
pub(crate) struct Records<R> {
    inner: R,
    /// Bytes of the file consumed so far.
    pub offset: u64,
    /// The row the last record returned was (the file's first is row 1).
    pub row: u64,
    /// A CSV file's separator (records then span lines while a quote is open).
    csv: Option<char>,
}

impl<R: BufRead> Records<R> {
    pub(crate) fn new(inner: R, offset: u64, row: u64, csv: Option<char>) -> Self {
        Records {
            inner,
            offset,
            row,
            csv,
        }
    }

    /// The next record without its line ending; `None` at the end of the file.
    pub(crate) fn next_record(&mut self) -> Result<Option<String>, ReadError> {
        const BOM: &[u8] = b"\xEF\xBB\xBF";
        let start = self.offset;
        let mut buf = Vec::new();
        let mut scan = QuoteScan::default();
        loop {
            // Room for the longest record and its line ending; a record still open then
            // is too long.
            let room = (MAX_ROW_BYTES + 2).saturating_sub(buf.len()) as u64;
            if room == 0 {
                self.row += 1;
                return Err(ReadError::TooLong);
            }
            let from = buf.len();
            let n = self
                .inner
                .by_ref()
                .take(room)
                .read_until(b'\n', &mut buf)
                .map_err(ReadError::Io)?;
            self.offset += n as u64;
            if n == 0 || buf.last() != Some(&b'\n') {
                // The end of the file, or of the room.
                if buf.len() > MAX_ROW_BYTES + 1 {
                    self.row += 1;
                    return Err(ReadError::TooLong);
                }
                break;
            }
            let Some(sep) = self.csv else { break };
            let skip = if start == 0 && from == 0 && buf.starts_with(BOM) {
                BOM.len()
            } else {
                0
            };
            scan.feed(&buf[from + skip..], sep);
            if !scan.quoted {
                break;
            }
        }
        if buf.is_empty() {
            return Ok(None);
        }
        self.row += 1;
        if start == 0 && buf.starts_with(BOM) {
            buf.drain(..BOM.len());
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        if buf.len() > MAX_ROW_BYTES {
            return Err(ReadError::TooLong);
        }
        String::from_utf8(buf)
            .map(Some)
            .map_err(|_| ReadError::NotUtf8)
    }
}

/// Whether a CSV record read so far ends inside a quoted cell, fed line by line (so a
/// long record is scanned once). Quotes and separators are ASCII: bytes of other UTF-8
/// characters never match them.
#[derive(Default)]
struct QuoteScan {
    quoted: bool,
    /// A quoted cell just closed: a quote now is an escaped one (`""`).
    closed: bool,
    /// The cell has begun (a quote opens a quoted cell only before that).
    started: bool,
}

impl QuoteScan {
    fn feed(&mut self, bytes: &[u8], sep: char) {
        let sep = u8::try_from(sep).unwrap_or(b',');
        for &b in bytes {
            if self.quoted {
                if b == b'"' {
                    self.quoted = false;
                    self.closed = true;
                }
            } else if b == b'"' && (self.closed || !self.started) {
                self.quoted = true;
                self.closed = false;
                self.started = true;
            } else if b == sep {
                self.started = false;
                self.closed = false;
            } else {
                self.started = true;
                self.closed = false;
            }
        }
    }
}

/// The separator of a CSV file by its header line: whichever of `,` `;` tab it has most
/// of (`,` when tied), as the console decides.
pub(crate) fn separator(header: &str) -> char {
    let mut best = ',';
    for c in [';', '\t'] {
        if header.matches(c).count() > header.matches(best).count() {
            best = c;
        }
    }
    best
}

/// The cells of a CSV record. A quote opens a quoted cell only at the cell's start; `""`
/// in one is a quote.
pub(crate) fn cells(text: &str, sep: char) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' && chars.peek() == Some(&'"') {
                cell.push('"');
                chars.next();
            } else if c == '"' {
                quoted = false;
            } else {
                cell.push(c);
            }
        } else if c == '"' && cell.is_empty() {
            quoted = true;
        } else if c == sep {
            cells.push(std::mem::take(&mut cell));
        } else {
            cell.push(c);
        }
    }
    cells.push(cell);
    cells
}

/// How a CSV file's columns become an identifier's values: `handle`, one column per
/// template field (by name, any case), and other columns as extra values of that type
/// numbered after the template's indices (as the console's CSV import does).
#[derive(Debug)]
pub(crate) struct CsvLayout {
    handle: usize,
    /// (column, value index, value type)
    values: Vec<(usize, u32, String)>,
}

impl CsvLayout {
    pub(crate) fn new(header: &[String], template: Option<&IdTemplate>) -> Result<Self, LocalText> {
        let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
        let Some(handle) = names.iter().position(|h| h == "handle") else {
            return Err(LocalText::new(
                "the file has no `handle` column (the header must name the columns: handle, then the template's fields)",
                "文件缺少 handle 列（首行须为列名：handle 及模板字段）",
            ));
        };
        let fields = template.map_or(&[][..], |t| &t.fields[..]);
        let mut values = Vec::new();
        for f in fields {
            match names.iter().position(|h| *h == f.name.to_lowercase()) {
                Some(col) => values.push((col, f.index, f.name.clone())),
                None if f.required => {
                    return Err(LocalText::new(
                        format!(
                            "the file has no column for the template's required field {}",
                            f.name
                        ),
                        format!("文件缺少模板必填字段 {} 的列", f.name),
                    ));
                }
                None => {}
            }
        }
        let mut next = fields
            .iter()
            .map(|f| f.index)
            .fold(FIRST_FIELD_INDEX - 1, u32::max)
            + 1;
        for (col, name) in names.iter().enumerate() {
            let named = fields.iter().any(|f| f.name.to_lowercase() == *name);
            if col != handle && !name.is_empty() && !named {
                values.push((col, next, header[col].trim().to_string()));
                next += 1;
            }
        }
        Ok(CsvLayout { handle, values })
    }

    /// The identifier a row describes (checked afterwards as any registration is).
    pub(crate) fn input(&self, cells: &[String], template: Option<TemplateRef>) -> IdentifierInput {
        let cell = |i: usize| cells.get(i).map_or("", |c| c.trim());
        let values: Vec<Value> = self
            .values
            .iter()
            .filter(|(col, _, _)| !cell(*col).is_empty())
            .map(|(col, index, kind)| json!({"index": index, "type": kind, "data": cell(*col)}))
            .collect();
        IdentifierInput {
            handle: cell(self.handle).to_string(),
            template,
            values,
        }
    }
}

/// An identifier from a line of JSON Lines, with the job's template when it names none.
pub(crate) fn json_input(
    line: &str,
    template: Option<&TemplateRef>,
) -> Result<IdentifierInput, LocalText> {
    let mut input: IdentifierInput = serde_json::from_str(line).map_err(|e| {
        LocalText::new(
            format!("not an identifier object ({{\"handle\", \"values\"}}): {e}"),
            format!("不是标识对象（{{\"handle\", \"values\"}}）：{e}"),
        )
    })?;
    if input.template.is_none() {
        input.template = template.cloned();
    }
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironloom_core::identifier::shipped_templates;

    fn all(text: &[u8], csv: Option<char>) -> Vec<(String, u64, u64)> {
        let mut r = Records::new(text, 0, 0, csv);
        let mut out = Vec::new();
        while let Some(t) = r.next_record().unwrap() {
            out.push((t, r.offset, r.row));
        }
        out
    }

    #[test]
    fn csv_records_span_lines_inside_quotes_and_know_their_end() {
        let text = "\u{FEFF}handle,model\r\n88.1/A,\"two\nlines, \"\"quoted\"\"\"\n\n88.1/B,x";
        let got = all(text.as_bytes(), Some(','));
        assert_eq!(got.len(), 4);
        assert_eq!(got[0].0, "handle,model");
        assert_eq!(cells(&got[1].0, ','), ["88.1/A", "two\nlines, \"quoted\""]);
        assert_eq!((got[1].2, got[2].0.as_str()), (2, ""));
        assert_eq!(got[3], ("88.1/B,x".into(), text.len() as u64, 4));
        // Resumed after the second record: the same records follow.
        let mut r = Records::new(
            &text.as_bytes()[got[1].1 as usize..],
            got[1].1,
            2,
            Some(','),
        );
        assert_eq!(r.next_record().unwrap().unwrap(), "");
        assert_eq!(r.next_record().unwrap().unwrap(), "88.1/B,x");
        assert_eq!((r.offset, r.row), (text.len() as u64, 4));
        assert!(r.next_record().unwrap().is_none());
    }

    #[test]
    fn a_record_longer_than_the_limit_or_not_utf8_is_refused() {
        let mut long = b"handle\n".to_vec();
        long.extend(std::iter::repeat_n(b'x', 2 * MAX_ROW_BYTES));
        let mut r = Records::new(&long[..], 0, 0, Some(','));
        assert_eq!(r.next_record().unwrap().unwrap(), "handle");
        assert!(matches!(r.next_record(), Err(ReadError::TooLong)));
        assert_eq!(r.row, 2);
        // An open quote never closed is a long record, not one held whole in memory.
        let mut open = b"handle\n\"".to_vec();
        open.extend(std::iter::repeat_n(b"ab\n", MAX_ROW_BYTES).flatten());
        let mut r = Records::new(&open[..], 0, 0, Some(','));
        r.next_record().unwrap();
        assert!(matches!(r.next_record(), Err(ReadError::TooLong)));
        let junk = [0xffu8, 0xfe, b'\n', 0x80];
        assert!(matches!(
            Records::new(&junk[..], 0, 0, None).next_record(),
            Err(ReadError::NotUtf8)
        ));
        assert!(matches!(
            Records::new(&junk[..], 0, 0, Some(',')).next_record(),
            Err(ReadError::NotUtf8)
        ));
    }

    #[test]
    fn the_separator_is_the_header_lines_commonest() {
        assert_eq!(separator("handle;model;serial_no"), ';');
        assert_eq!(separator("handle\tmodel"), '\t');
        assert_eq!(separator("handle,model"), ',');
        assert_eq!(separator("handle"), ',');
    }

    #[test]
    fn csv_columns_map_to_the_templates_indices_and_extra_values() {
        let part = shipped_templates()
            .into_iter()
            .find(|t| t.id == "machinery-part")
            .unwrap();
        let header: Vec<String> = ["Handle", "MODEL", "serial_no", "made_on", "maker", "colour"]
            .map(String::from)
            .to_vec();
        let layout = CsvLayout::new(&header, Some(&part)).unwrap();
        let row: Vec<String> = ["88.1/P-1 ", "M", "S", "2026-12-01", "", "red"]
            .map(String::from)
            .to_vec();
        let input = layout.input(&row, None);
        assert_eq!(input.handle, "88.1/P-1");
        assert_eq!(
            input.values,
            [
                json!({"index": 2000, "type": "model", "data": "M"}),
                json!({"index": 2001, "type": "serial_no", "data": "S"}),
                json!({"index": 2002, "type": "made_on", "data": "2026-12-01"}),
                json!({"index": 2009, "type": "colour", "data": "red"}),
            ]
        );
        let missing = CsvLayout::new(&header[..3], Some(&part)).unwrap_err();
        assert!(missing.en.contains("made_on"), "{missing:?}");
        assert!(
            CsvLayout::new(&header[1..], None)
                .unwrap_err()
                .en
                .contains("handle")
        );
        // Without a template every other column is an extra value from index 2000.
        let plain = CsvLayout::new(&header, None).unwrap().input(&row, None);
        assert_eq!(
            plain.values[0],
            json!({"index": 2000, "type": "MODEL", "data": "M"})
        );
    }

    #[test]
    fn json_lines_take_the_jobs_template_when_they_name_none() {
        let t = TemplateRef {
            id: "machinery-part".into(),
            version: "1.0".into(),
        };
        let input = json_input(r#"{"handle": "88.1/X", "values": []}"#, Some(&t)).unwrap();
        assert_eq!(input.template, Some(t.clone()));
        let own = r#"{"handle": "88.1/X", "template": {"id": "o", "version": "2"}, "values": []}"#;
        assert_eq!(json_input(own, Some(&t)).unwrap().template.unwrap().id, "o");
        let bad = json_input("[1, 2]", None).unwrap_err();
        assert!(bad.en.starts_with("not an identifier object"), "{bad:?}");
    }
}
