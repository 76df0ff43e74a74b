//! QR Code bit streams built segment by segment (the `qrcode` crate's own `encode_auto`
//! has neither ECI nor FNC1 and would put UTF-8 into Kanji mode), in the smallest
//! version that holds them.

use super::{PayloadKind, QrEcLevel, Symbol, Symbology};
use crate::error::CarrierError;
use qrcode::QrCode;
use qrcode::bits::Bits;
use qrcode::optimize::{Optimizer, Parser, Segment};
use qrcode::types::{Color, EcLevel, Mode, QrError, Version};

/// ECI designator of UTF-8.
const ECI_UTF8: u32 = 26;
const GS: u8 = 0x1d;

/// The symbol, or `None` when the data does not fit version 40 at this level.
pub(super) fn encode(
    data: &str,
    kind: PayloadKind,
    level: QrEcLevel,
) -> Result<Option<Symbol>, CarrierError> {
    let bytes = data.as_bytes();
    let gs1 = kind == PayloadKind::Gs1;
    let eci = !gs1 && !data.is_ascii();
    // In GS1 mode a GS is written `%` in alphanumeric segments: segment as if it were.
    let classes: Vec<u8> = if gs1 {
        bytes
            .iter()
            .map(|&b| if b == GS { b'%' } else { b })
            .collect()
    } else {
        bytes.to_vec()
    };
    let segments: Vec<Segment> = Parser::new(&classes)
        .map(|s| match s.mode {
            Mode::Kanji => Segment {
                mode: Mode::Byte,
                ..s
            },
            _ => s,
        })
        .collect();
    let ec = match level {
        QrEcLevel::L => EcLevel::L,
        QrEcLevel::M => EcLevel::M,
        QrEcLevel::Q => EcLevel::Q,
        QrEcLevel::H => EcLevel::H,
    };
    for v in 1..=40 {
        let version = Version::Normal(v);
        match bits_for(bytes, &segments, version, ec, gs1, eci) {
            Ok(bits) => {
                let code = QrCode::with_bits(bits, ec).map_err(encoder_error)?;
                let width = code.width();
                let modules = code
                    .to_colors()
                    .into_iter()
                    .map(|c| c == Color::Dark)
                    .collect();
                return Ok(Some(Symbol {
                    symbology: Symbology::Qr,
                    width,
                    height: width,
                    modules,
                }));
            }
            Err(QrError::DataTooLong) => continue,
            Err(e) => return Err(encoder_error(e)),
        }
    }
    Ok(None)
}

fn bits_for(
    bytes: &[u8],
    segments: &[Segment],
    version: Version,
    ec: EcLevel,
    gs1: bool,
    eci: bool,
) -> Result<Bits, QrError> {
    let mut bits = Bits::new(version);
    if gs1 {
        bits.push_fnc1_first_position()?;
    }
    if eci {
        bits.push_eci_designator(ECI_UTF8)?;
    }
    for seg in Optimizer::new(segments.iter().copied(), version) {
        let part = bytes.get(seg.begin..seg.end).unwrap_or_default();
        match seg.mode {
            Mode::Numeric => bits.push_numeric_data(part)?,
            Mode::Alphanumeric if gs1 => {
                let mut escaped = Vec::with_capacity(part.len() + 4);
                for &b in part {
                    match b {
                        GS => escaped.push(b'%'),
                        b'%' => escaped.extend_from_slice(b"%%"),
                        _ => escaped.push(b),
                    }
                }
                bits.push_alphanumeric_data(&escaped)?;
            }
            Mode::Alphanumeric => bits.push_alphanumeric_data(part)?,
            Mode::Byte | Mode::Kanji => bits.push_byte_data(part)?,
        }
    }
    bits.push_terminator(ec)?;
    Ok(bits)
}

fn encoder_error(e: QrError) -> CarrierError {
    CarrierError::Encode(format!("QR: {e}"))
}
