//! Identifier carriers (标识载体): an identifier's QR code or Data Matrix as SVG or PNG,
//! and A4 label sheets of them.
//!
//! - [`Carrier`] is one request: the payload, the [`Symbology`], plain text or a GS1
//!   element string ([`PayloadKind`]), the QR error-correction level, the module size in
//!   pixels, the quiet zone and an optional caption. [`Carrier::encode`] gives the
//!   [`Symbol`] (the module grid); [`Carrier::svg`] and [`Carrier::png`] draw it.
//! - The payloads: [`resolution_url`] (`{base}/{prefix}/{suffix}`, the suffix
//!   percent-encoded), [`digital_link_uri`] for GS1 keys, or the raw element string in
//!   GS1 mode ([`Carrier::gs1`]).
//! - [`label_sheets`] lays labels out on pages ([`SheetLayout`], by default Avery L7159:
//!   A4, 3 × 8 labels of 63.5 × 33.9 mm), one SVG per page.
//!
//! Encoding choices, each for what scanners really do:
//! - QR text that is not ASCII is UTF-8 behind an ECI 26 designator, and never uses
//!   Kanji mode (the encoder's segmenter would read pairs of UTF-8 bytes as Shift JIS).
//! - GS1 QR starts with FNC1 in first position; the GS between fields is `%` in
//!   alphanumeric segments (a literal `%` doubled) and the GS byte in byte segments.
//! - Data Matrix text is ISO 8859-1 when it can be (the symbology's default), else UTF-8
//!   behind ECI 26; GS1 Data Matrix starts with FNC1 and keeps GS between fields.
//! - Quiet zones are never below the standards' minimums: 4 modules for QR (ISO/IEC
//!   18004), 1 for Data Matrix (ISO/IEC 16022).
//!
//! Limits: the payload is refused before encoding when it is longer than the symbol could
//! hold even as digits; an image is at most [`MAX_IMAGE_PX`] pixels a side; captions and
//! label lines at most [`MAX_TEXT_CHARS`] characters.

mod payload;
mod qr;
mod render;
mod sheet;

pub use payload::{MAX_BASE_URL_LEN, digital_link_uri, resolution_url};
pub use sheet::{Label, MAX_LABELS, MAX_LINES, Outline, SheetLayout, label_sheets};

use crate::error::CarrierError;
use crate::handle::Handle;
use crate::schemes::Gs1Message;
use datamatrix::data::DataEncodingError;
use datamatrix::{DataMatrixBuilder, SymbolList, SymbolSize};

/// Largest image side, in pixels (SVG `width`/`height` and PNG).
pub const MAX_IMAGE_PX: u32 = 4096;
/// Widest quiet zone accepted, in modules.
pub const MAX_QUIET_ZONE: u32 = 64;
/// Longest caption or label line, in characters.
pub const MAX_TEXT_CHARS: usize = 256;

/// The Data Matrix sizes that hold more digits than bytes (ISO/IEC 16022 Table 7), with
/// the digits they hold.
const DM_LARGE: &[(SymbolSize, usize)] = &[
    (SymbolSize::Rect16x36, 64),
    (SymbolSize::Rect16x48, 98),
    (SymbolSize::Square104, 1632),
    (SymbolSize::Square120, 2100),
    (SymbolSize::Square132, 2608),
    (SymbolSize::Square144, 3116),
];

/// The two-dimensional symbologies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Symbology {
    /// QR Code (ISO/IEC 18004), models 2, versions 1–40.
    Qr,
    /// Data Matrix ECC 200 (ISO/IEC 16022).
    DataMatrix,
}

impl Symbology {
    /// The smallest quiet zone the standard allows, in modules.
    pub fn min_quiet_zone(self) -> u32 {
        match self {
            Symbology::Qr => 4,
            Symbology::DataMatrix => 1,
        }
    }
}

/// The QR error-correction level: the share of codewords that may be lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum QrEcLevel {
    /// About 7 %.
    L,
    /// About 15 %.
    #[default]
    M,
    /// About 25 %.
    Q,
    /// About 30 %.
    H,
}

/// What the payload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PayloadKind {
    /// Text (a URL, an identifier), encoded as is.
    #[default]
    Text,
    /// A GS1 element string, raw (`01…` with GS) or human-readable (`(01)…`): checked,
    /// then encoded raw after FNC1 in first position (GS1 QR Code, GS1 DataMatrix).
    Gs1,
}

/// The Data Matrix shapes allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DataMatrixShape {
    /// The 24 square sizes, 10×10 to 144×144.
    #[default]
    Square,
    /// The 6 rectangles of ISO/IEC 16022, 8×18 to 16×48 (not the DMRE extensions).
    Rectangle,
    /// The smallest of either.
    Any,
}

/// One carrier to draw. Build it with [`Carrier::new`], [`Carrier::gs1`],
/// [`Carrier::handle_url`] or [`Carrier::digital_link`] and the `with_*` methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carrier {
    /// The text to encode (for [`PayloadKind::Gs1`], the element string).
    pub payload: String,
    pub symbology: Symbology,
    pub kind: PayloadKind,
    /// QR only.
    pub ec_level: QrEcLevel,
    /// Data Matrix only.
    pub shape: DataMatrixShape,
    /// Pixels per module, 1 or more (SVG `width`/`height` and PNG).
    pub module_px: u32,
    /// The quiet zone in modules; `None` for the symbology's minimum, which is also the
    /// least accepted.
    pub quiet_zone: Option<u32>,
    /// One line of text under the code, in the SVG only (a PNG has no font to draw it).
    pub caption: Option<String>,
}

impl Carrier {
    /// A text payload with the defaults: level M, square, 4 pixels a module, the minimum
    /// quiet zone, no caption.
    pub fn new(symbology: Symbology, payload: impl Into<String>) -> Self {
        Carrier {
            payload: payload.into(),
            symbology,
            kind: PayloadKind::Text,
            ec_level: QrEcLevel::default(),
            shape: DataMatrixShape::default(),
            module_px: 4,
            quiet_zone: None,
            caption: None,
        }
    }

    /// A GS1 element string (GS1 QR Code or GS1 DataMatrix), with its human-readable
    /// form as the caption.
    pub fn gs1(symbology: Symbology, message: &Gs1Message) -> Self {
        Carrier {
            kind: PayloadKind::Gs1,
            caption: Some(message.hri()),
            ..Carrier::new(symbology, message.raw())
        }
    }

    /// An identifier's resolution URL ([`resolution_url`]), with the identifier as the
    /// caption.
    pub fn handle_url(
        symbology: Symbology,
        base: &str,
        handle: &Handle,
    ) -> Result<Self, CarrierError> {
        Ok(Carrier::new(symbology, resolution_url(base, handle)?).with_caption(handle.as_str()))
    }

    /// A GS1 Digital Link URI ([`digital_link_uri`]), with the human-readable element
    /// string as the caption.
    pub fn digital_link(
        symbology: Symbology,
        message: &Gs1Message,
        base: Option<&str>,
    ) -> Result<Self, CarrierError> {
        Ok(Carrier::new(symbology, digital_link_uri(message, base)?).with_caption(message.hri()))
    }

    pub fn with_ec_level(self, ec_level: QrEcLevel) -> Self {
        Carrier { ec_level, ..self }
    }

    pub fn with_shape(self, shape: DataMatrixShape) -> Self {
        Carrier { shape, ..self }
    }

    pub fn with_module_px(self, module_px: u32) -> Self {
        Carrier { module_px, ..self }
    }

    pub fn with_quiet_zone(self, modules: u32) -> Self {
        Carrier {
            quiet_zone: Some(modules),
            ..self
        }
    }

    pub fn with_caption(self, caption: impl Into<String>) -> Self {
        Carrier {
            caption: Some(caption.into()),
            ..self
        }
    }

    pub fn without_caption(self) -> Self {
        Carrier {
            caption: None,
            ..self
        }
    }

    /// The quiet zone to draw, checked against the symbology's minimum.
    pub fn quiet_zone_modules(&self) -> Result<u32, CarrierError> {
        let min = self.symbology.min_quiet_zone();
        let q = self.quiet_zone.unwrap_or(min);
        if q < min {
            return Err(CarrierError::Option(format!(
                "a quiet zone of {q} modules is below the minimum of {min} for this symbology"
            )));
        }
        if q > MAX_QUIET_ZONE {
            return Err(CarrierError::Option(format!(
                "a quiet zone of {q} modules is above the limit of {MAX_QUIET_ZONE}"
            )));
        }
        Ok(q)
    }

    /// Encodes the payload into a symbol.
    pub fn encode(&self) -> Result<Symbol, CarrierError> {
        if self.payload.is_empty() {
            return Err(CarrierError::EmptyPayload);
        }
        let data = match self.kind {
            PayloadKind::Text => self.payload.clone(),
            PayloadKind::Gs1 => Gs1Message::parse(&self.payload)?.raw(),
        };
        let fits = self.capacity();
        if data.len() > fits.digits as usize {
            return Err(fits.error(data.len()));
        }
        match self.symbology {
            Symbology::Qr => qr::encode(&data, self.kind, self.ec_level)
                .and_then(|s| s.ok_or_else(|| fits.error(data.len()))),
            Symbology::DataMatrix => self.encode_data_matrix(&data, fits),
        }
    }

    fn encode_data_matrix(&self, data: &str, fits: Capacity) -> Result<Symbol, CarrierError> {
        let list = match self.shape {
            DataMatrixShape::Square => SymbolList::default().enforce_square(),
            DataMatrixShape::Rectangle => SymbolList::default().enforce_rectangular(),
            DataMatrixShape::Any => SymbolList::default(),
        };
        let encode = |list: SymbolList| {
            let builder = DataMatrixBuilder::new().with_symbol_list(list);
            match self.kind {
                // ISO 8859-1 is the first 256 code points, control characters included
                // (which `encode_str` would put behind a UTF-8 ECI).
                PayloadKind::Text if data.chars().all(|c| u32::from(c) < 256) => {
                    let latin1: Vec<u8> = data.chars().map(|c| c as u8).collect();
                    builder.encode(&latin1)
                }
                PayloadKind::Text => builder.encode_str(data),
                PayloadKind::Gs1 => builder.with_fnc1_start(true).encode(data.as_bytes()),
            }
        };
        let dm = match encode(list) {
            // datamatrix 0.3.3 sizes its buffer for a list from the symbol that holds the
            // input as bytes, and fails when none does, though digits or letters need
            // fewer codewords: then the large sizes are tried one at a time.
            Err(DataEncodingError::SymbolListEmpty) => DM_LARGE
                .iter()
                .filter(|(size, digits)| {
                    *digits >= data.len()
                        && match self.shape {
                            DataMatrixShape::Square => size.is_square(),
                            DataMatrixShape::Rectangle => !size.is_square(),
                            DataMatrixShape::Any => true,
                        }
                })
                .find_map(|(size, _)| encode(SymbolList::from_iter([*size])).ok()),
            other => other.ok(),
        }
        .ok_or_else(|| fits.error(data.len()))?;
        let bitmap = dm.bitmap();
        let (width, height) = (bitmap.width(), bitmap.height());
        let mut modules = vec![false; width * height];
        for (x, y) in bitmap.pixels() {
            if let Some(m) = modules.get_mut(y * width + x) {
                *m = true;
            }
        }
        Ok(Symbol {
            symbology: Symbology::DataMatrix,
            width,
            height,
            modules,
        })
    }

    /// What the chosen symbol holds at most.
    fn capacity(&self) -> Capacity {
        let (symbol, digits, alphanumeric, bytes) = match (self.symbology, self.ec_level) {
            (Symbology::Qr, QrEcLevel::L) => ("QR code at level L", 7089, 4296, 2953),
            (Symbology::Qr, QrEcLevel::M) => ("QR code at level M", 5596, 3391, 2331),
            (Symbology::Qr, QrEcLevel::Q) => ("QR code at level Q", 3993, 2420, 1663),
            (Symbology::Qr, QrEcLevel::H) => ("QR code at level H", 3057, 1852, 1273),
            (Symbology::DataMatrix, _) if self.shape == DataMatrixShape::Rectangle => {
                ("rectangular Data Matrix", 98, 72, 47)
            }
            (Symbology::DataMatrix, _) => ("Data Matrix", 3116, 2335, 1556),
        };
        Capacity {
            symbol,
            digits,
            alphanumeric,
            bytes,
        }
    }

    /// The carrier as an SVG document.
    pub fn svg(&self) -> Result<String, CarrierError> {
        let symbol = self.encode()?;
        render::svg(&symbol, self)
    }

    /// The carrier as a PNG file (1-bit greyscale, without the caption).
    pub fn png(&self) -> Result<Vec<u8>, CarrierError> {
        let symbol = self.encode()?;
        render::png(&symbol, self.module_px, self.quiet_zone_modules()?)
    }
}

/// The largest symbol's capacity, for the error when a payload does not fit.
#[derive(Debug, Clone, Copy)]
struct Capacity {
    symbol: &'static str,
    digits: u32,
    alphanumeric: u32,
    bytes: u32,
}

impl Capacity {
    fn error(self, len: usize) -> CarrierError {
        CarrierError::DoesNotFit {
            len,
            symbol: self.symbol,
            digits: self.digits,
            alphanumeric: self.alphanumeric,
            bytes: self.bytes,
        }
    }
}

/// An encoded symbol: its grid of modules, without quiet zone, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    symbology: Symbology,
    width: usize,
    height: usize,
    modules: Vec<bool>,
}

impl Symbol {
    pub fn symbology(&self) -> Symbology {
        self.symbology
    }

    /// Width in modules.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in modules (the width but for rectangular Data Matrix).
    pub fn height(&self) -> usize {
        self.height
    }

    /// Whether the module at column `x`, row `y` is dark; outside the grid, false.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width
            && self
                .modules
                .get(y * self.width + x)
                .copied()
                .unwrap_or(false)
    }

    /// The runs of dark modules of row `y`, as (first column, length).
    fn dark_runs(&self, y: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let row = self
            .modules
            .get(y * self.width..(y + 1) * self.width)
            .unwrap_or(&[]);
        let mut x = 0;
        std::iter::from_fn(move || {
            while x < row.len() && !row[x] {
                x += 1;
            }
            if x >= row.len() {
                return None;
            }
            let start = x;
            while x < row.len() && row[x] {
                x += 1;
            }
            Some((start, x - start))
        })
    }
}

#[cfg(test)]
mod tests;
