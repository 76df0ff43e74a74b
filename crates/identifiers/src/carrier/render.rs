//! Drawing a symbol: SVG (one path of the dark modules, in module units) and PNG
//! (1-bit greyscale, written here: signature, IHDR, IDAT, IEND), and the text helpers
//! the label sheets share.

use super::{Carrier, MAX_IMAGE_PX, MAX_TEXT_CHARS, Symbol};
use crate::error::CarrierError;
use std::fmt::Write as _;
use std::io::Write as _;

/// Fonts for captions and labels: Latin sans-serif first, then the usual Simplified
/// Chinese fonts of Linux, Adobe, Windows and macOS, then any sans-serif.
pub(super) const FONT_FAMILY: &str = "'DejaVu Sans', Arial, 'Noto Sans CJK SC', \
     'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif";

/// The SVG `d` of the dark modules, offset by the quiet zone: one `M x y h n v 1 h -n z`
/// per run of dark modules in a row.
pub(super) fn module_path(symbol: &Symbol, quiet: u32) -> String {
    let q = quiet as usize;
    let mut d = String::new();
    for y in 0..symbol.height() {
        for (x, n) in symbol.dark_runs(y) {
            // Writing to a String cannot fail.
            let _ = write!(d, "M{} {}h{n}v1h-{n}z", x + q, y + q);
        }
    }
    d
}

/// The SVG document: a white background, the modules, the caption centred under them.
pub(super) fn svg(symbol: &Symbol, carrier: &Carrier) -> Result<String, CarrierError> {
    let quiet = carrier.quiet_zone_modules()?;
    let module_px = check_module_px(carrier.module_px)?;
    let w = symbol.width() as f64 + 2.0 * f64::from(quiet);
    let code_h = symbol.height() as f64 + 2.0 * f64::from(quiet);
    // The caption's font scales with the code, shrunk when the line would be wider, and
    // the line cut short with `…` below 1.5 modules.
    let caption = carrier
        .caption
        .as_deref()
        .map(|c| clean_text(c, "caption"))
        .transpose()?
        .filter(|c| !c.is_empty())
        .map(|c| {
            let room = w - 2.0;
            let size = (w / 10.0)
                .max(2.0)
                .min(room / em_width(&c).max(1.0))
                .max(1.5);
            (truncate_to(&c, room / size), size)
        });
    let font = caption.as_ref().map(|(_, size)| *size);
    let band = font.map_or(0.0, |f| f * 1.6);
    let h = code_h + band;
    let (px_w, px_h) = (w * f64::from(module_px), h * f64::from(module_px));
    check_image(px_w.ceil() as u64, px_h.ceil() as u64)?;
    let mut out = String::with_capacity(256 + symbol.width() * symbol.height() * 4);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{}\" height=\"{}\" \
         viewBox=\"0 0 {} {}\">\n\
         <rect width=\"{}\" height=\"{}\" fill=\"#fff\"/>\n\
         <path fill=\"#000\" shape-rendering=\"crispEdges\" d=\"{}\"/>\n",
        num(px_w),
        num(px_h),
        num(w),
        num(h),
        num(w),
        num(h),
        module_path(symbol, quiet)
    );
    if let Some((text, size)) = caption {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-family=\"{FONT_FAMILY}\" font-size=\"{}\" \
             text-anchor=\"middle\" fill=\"#000\">{}</text>",
            num(w / 2.0),
            num(code_h + size * 1.15),
            num(size),
            xml_escape(&text)
        );
    }
    out.push_str("</svg>\n");
    Ok(out)
}

fn check_module_px(module_px: u32) -> Result<u32, CarrierError> {
    if module_px == 0 {
        return Err(CarrierError::Option(
            "the module size must be at least 1 pixel".into(),
        ));
    }
    Ok(module_px)
}

fn check_image(width: u64, height: u64) -> Result<(), CarrierError> {
    if width > u64::from(MAX_IMAGE_PX) || height > u64::from(MAX_IMAGE_PX) {
        return Err(CarrierError::ImageTooLarge {
            width,
            height,
            limit: MAX_IMAGE_PX,
        });
    }
    Ok(())
}

/// The PNG file: 1-bit greyscale (0 dark, 1 light), no interlace, rows unfiltered.
pub(super) fn png(symbol: &Symbol, module_px: u32, quiet: u32) -> Result<Vec<u8>, CarrierError> {
    let m = u64::from(check_module_px(module_px)?);
    let q = u64::from(quiet);
    let width = (symbol.width() as u64 + 2 * q) * m;
    let height = (symbol.height() as u64 + 2 * q) * m;
    check_image(width, height)?;
    // Both are at most MAX_IMAGE_PX, checked just above.
    let (width, height) = (width as usize, height as usize);
    let (m, q) = (m as usize, q as usize);
    let row_bytes = width.div_ceil(8);
    let mut raw = Vec::with_capacity((row_bytes + 1) * height);
    let mut row = vec![0u8; row_bytes];
    for y in 0..symbol.height() + 2 * q {
        row.fill(0xff);
        for x in 0..symbol.width() {
            if y >= q && symbol.is_dark(x, y - q) {
                for px in (x + q) * m..(x + q + 1) * m {
                    row[px / 8] &= !(0x80 >> (px % 8));
                }
            }
        }
        // Padding bits past the last pixel of a row are zero.
        if width % 8 != 0
            && let Some(last) = row.last_mut()
        {
            *last &= 0xffu8 << (8 - width % 8);
        }
        for _ in 0..m {
            raw.push(0);
            raw.extend_from_slice(&row);
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&raw)
        .map_err(|e| CarrierError::Encode(format!("zlib: {e}")))?;
    let idat = z
        .finish()
        .map_err(|e| CarrierError::Encode(format!("zlib: {e}")))?;
    let mut out = Vec::with_capacity(idat.len() + 64);
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&(width as u32).to_be_bytes());
    ihdr.extend_from_slice(&(height as u32).to_be_bytes());
    // Bit depth 1, colour type 0 (greyscale), deflate, adaptive filtering, no interlace.
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    Ok(out)
}

/// A PNG chunk: length, type, data, CRC-32 of type and data.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    // IDAT of a ≤ 4096² 1-bit image is far below 2^31 bytes.
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

/// One line of text for an SVG: at most [`MAX_TEXT_CHARS`] characters; control and
/// bidirectional formatting characters dropped (XML 1.0 cannot carry most controls, and
/// a right-to-left override would show an identifier reversed); ends trimmed.
pub(super) fn clean_text(text: &str, what: &'static str) -> Result<String, CarrierError> {
    let len = text.chars().count();
    if len > MAX_TEXT_CHARS {
        return Err(CarrierError::TextTooLong {
            what,
            len,
            limit: MAX_TEXT_CHARS,
        });
    }
    Ok(text
        .chars()
        .filter(|&c| {
            !c.is_control()
                && !matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{fffe}' | '\u{ffff}')
        })
        .collect::<String>()
        .trim()
        .to_owned())
}

/// Escapes the five XML special characters.
pub(super) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A line's width in ems, estimated without the font: 1 for East Asian wide
/// characters, 0.62 for the others (a sans-serif's wider Latin letters and digits).
pub(super) fn em_width(text: &str) -> f64 {
    text.chars()
        .map(|c| if is_wide(c) { 1.0 } else { 0.62 })
        .sum()
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115f
        | 0x2e80..=0x303e
        | 0x3041..=0x33ff
        | 0x3400..=0x4dbf
        | 0x4e00..=0x9fff
        | 0xa000..=0xa4cf
        | 0xac00..=0xd7a3
        | 0xf900..=0xfaff
        | 0xfe30..=0xfe4f
        | 0xff00..=0xff60
        | 0xffe0..=0xffe6
        | 0x20000..=0x3fffd)
}

/// The longest start of `text` with `…` that fits `max_em` ems.
pub(super) fn truncate_to(text: &str, max_em: f64) -> String {
    if em_width(text) <= max_em {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 1.0; // the ellipsis
    for c in text.chars() {
        let w = if is_wide(c) { 1.0 } else { 0.62 };
        if used + w > max_em {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// A number for SVG: at most three decimals, no trailing zeros.
pub(super) fn num(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}
