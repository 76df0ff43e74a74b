//! The one font of every report: WenQuanYi Micro Hei (face 0 of the vendored collection,
//! see `fonts/README.md`), which has Latin glyphs as well as CJK ones.
//!
//! [`Font`] measures text for the layout; [`Font::subset`] picks the glyphs a document
//! uses and gives each character the CID the content streams write, with the widths, the
//! CID-to-glyph map and the `ToUnicode` pairs keyed by those same CIDs.

use std::collections::{BTreeSet, HashMap, HashSet};

use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId, RawFace, Tag};

use crate::Error;

/// The vendored font collection.
const DATA: &[u8] = include_bytes!("../fonts/wqy-microhei.ttc");

/// The face of [`DATA`] used: WenQuanYi Micro Hei (1 is the monospaced face).
const FACE_INDEX: u32 = 0;

/// The font's PostScript-style name, after the subset tag in `BaseFont`.
pub(crate) const NAME: &str = "WenQuanYiMicroHei";

/// The font's metrics and character map.
pub(crate) struct Font {
    face: Face<'static>,
    /// Font units per em.
    upem: f32,
    /// Glyph id and advance (font units) of the ASCII characters, looked up once.
    ascii: [(u16, u16); 128],
}

impl std::fmt::Debug for Font {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Font")
            .field("upem", &self.upem)
            .finish_non_exhaustive()
    }
}

/// What a document's subset of the font needs in the PDF.
#[derive(Debug)]
pub(crate) struct Subset {
    /// The CID each character is written with (two bytes, big-endian, Identity-H).
    pub cids: HashMap<char, u16>,
    /// The subsetted TrueType font file.
    pub file: Vec<u8>,
    /// The advance width (thousandths of an em) of each used CID, in CID order.
    pub widths: Vec<(u16, f32)>,
    /// The width of anything else (the `.notdef` glyph's).
    pub default_width: f32,
    /// `None` when every CID is its new glyph id (CIDToGIDMap Identity); otherwise the
    /// map's stream: two bytes per CID from 0, the glyph each one draws.
    pub cid_to_gid: Option<Vec<u8>>,
    /// CID and character, for the `ToUnicode` CMap.
    pub to_unicode: Vec<(u16, char)>,
    /// `BaseFont`: a six-letter subset tag, `+` and [`NAME`].
    pub base_name: String,
}

impl Font {
    /// Parses the embedded face.
    pub(crate) fn load() -> Result<Font, Error> {
        let face = Face::parse(DATA, FACE_INDEX)
            .map_err(|e| Error::Font(format!("the embedded font does not parse: {e}")))?;
        let upem = f32::from(face.units_per_em().max(1));
        let mut font = Font {
            face,
            upem,
            ascii: [(0, 0); 128],
        };
        let mut ascii = [(0, 0); 128];
        for (i, slot) in ascii.iter_mut().enumerate() {
            let c = char::from(i as u8);
            let gid = font.lookup(c);
            *slot = (gid, font.advance_units(gid));
        }
        font.ascii = ascii;
        Ok(font)
    }

    fn lookup(&self, c: char) -> u16 {
        self.face.glyph_index(c).map_or(0, |g| g.0)
    }

    fn advance_units(&self, gid: u16) -> u16 {
        self.face.glyph_hor_advance(GlyphId(gid)).unwrap_or(0)
    }

    /// The glyph of `c` in the full font; 0 (`.notdef`) when the font has none.
    pub(crate) fn glyph(&self, c: char) -> u16 {
        match self.ascii.get(c as usize) {
            Some(&(gid, _)) => gid,
            None => self.lookup(c),
        }
    }

    /// The advance of `c`, in ems.
    pub(crate) fn advance(&self, c: char) -> f32 {
        let units = match self.ascii.get(c as usize) {
            Some(&(_, adv)) => adv,
            None => self.advance_units(self.lookup(c)),
        };
        f32::from(units) / self.upem
    }

    /// The width of `s` set at `size` points, without kerning.
    pub(crate) fn width(&self, s: &str, size: f32) -> f32 {
        s.chars().map(|c| self.advance(c)).sum::<f32>() * size
    }

    /// Font units to thousandths of an em (PDF glyph space).
    fn thousandths(&self, units: f32) -> f32 {
        units * 1000.0 / self.upem
    }

    /// Ascent, descent (negative), cap height and bounding box, in thousandths of an em.
    pub(crate) fn metrics(&self) -> (f32, f32, f32, [f32; 4]) {
        let ascent = self.thousandths(f32::from(self.face.ascender()));
        let descent = self.thousandths(f32::from(self.face.descender()));
        let cap = self
            .face
            .capital_height()
            .map_or(ascent * 0.75, |c| self.thousandths(f32::from(c)));
        let b = self.face.global_bounding_box();
        let bbox = [b.x_min, b.y_min, b.x_max, b.y_max].map(|v| self.thousandths(f32::from(v)));
        (ascent, descent, cap, bbox)
    }

    /// The subset of the font for the characters in `chars`.
    ///
    /// Each character the font has is written as its glyph's new id (CID = new glyph id).
    /// A character the font lacks, or one whose glyph another character already took,
    /// gets a CID after the subset's last glyph, mapped to its glyph (or `.notdef`) by a
    /// CIDToGIDMap stream, so that it still has its own `ToUnicode` entry and text
    /// extraction gives it back.
    pub(crate) fn subset(&self, chars: &BTreeSet<char>) -> Result<Subset, Error> {
        let mut remapper = GlyphRemapper::new();
        // Characters whose glyph id is their CID, and the others with the new glyph they
        // draw.
        let mut direct: Vec<(char, u16)> = Vec::new();
        let mut extra: Vec<(char, u16)> = Vec::new();
        let mut claimed: HashSet<u16> = HashSet::new();
        for &c in chars {
            let gid = self.glyph(c);
            if gid == 0 {
                extra.push((c, 0));
                continue;
            }
            let new = remapper.remap(gid);
            if claimed.insert(new) {
                direct.push((c, new));
            } else {
                extra.push((c, new));
            }
        }
        let file = subsetter::subset(DATA, FACE_INDEX, &remapper)
            .map_err(|e| Error::Font(format!("subsetting the font failed: {e}")))?;

        let advance_of = |gid: u16| self.thousandths(f32::from(self.advance_units(gid)));
        let default_width = advance_of(0);
        let mut cids = HashMap::with_capacity(chars.len());
        let mut widths: Vec<(u16, f32)> = Vec::with_capacity(chars.len());
        let mut to_unicode = Vec::with_capacity(chars.len());
        // The old glyph of each new id, to look up the widths.
        let old: Vec<u16> = remapper.remapped_gids().collect();
        for &(c, new) in &direct {
            cids.insert(c, new);
            let gid = old.get(usize::from(new)).copied().unwrap_or(0);
            widths.push((new, advance_of(gid)));
            to_unicode.push((new, c));
        }

        let mut cid_to_gid = None;
        if !extra.is_empty() {
            // The subset may hold more glyphs than were asked for (composite glyphs'
            // parts), so the extra CIDs start after its real glyph count.
            let glyphs = glyph_count(&file).max(remapper.num_gids());
            let mut map: Vec<u16> = (0..glyphs).collect();
            for &(c, new) in &extra {
                let Ok(cid) = u16::try_from(map.len()) else {
                    // Out of CIDs (tens of thousands of distinct characters the font
                    // lacks): draw `.notdef`, and extraction gives nothing back.
                    cids.insert(c, 0);
                    continue;
                };
                map.push(new);
                cids.insert(c, cid);
                let gid = old.get(usize::from(new)).copied().unwrap_or(0);
                widths.push((cid, advance_of(gid)));
                to_unicode.push((cid, c));
            }
            cid_to_gid = Some(map.iter().flat_map(|g| g.to_be_bytes()).collect());
        }
        widths.sort_by_key(|&(cid, _)| cid);
        to_unicode.sort_by_key(|&(cid, _)| cid);

        Ok(Subset {
            cids,
            file,
            widths,
            default_width,
            cid_to_gid,
            to_unicode,
            base_name: format!("{}+{NAME}", subset_tag(&remapper)),
        })
    }
}

/// The number of glyphs of a font file (its `maxp` table), 0 if it cannot be read.
fn glyph_count(file: &[u8]) -> u16 {
    RawFace::parse(file, 0)
        .ok()
        .and_then(|raw| raw.table(Tag::from_bytes(b"maxp")))
        .and_then(|maxp| maxp.get(4..6))
        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]))
}

/// Six capital letters that name a subset (PDF 32000 §9.6.4): a hash of its glyphs.
fn subset_tag(remapper: &GlyphRemapper) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for gid in remapper.remapped_gids() {
        for byte in gid.to_be_bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    (0..6)
        .map(|i| char::from(b'A' + ((hash >> (i * 8)) % 26) as u8))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_and_cjk_glyphs_exist() {
        let font = Font::load().expect("font");
        for c in ['A', 'z', '0', '第', '页', '，', '。'] {
            assert_ne!(font.glyph(c), 0, "{c}");
            assert!(font.advance(c) > 0.0, "{c}");
        }
        // CJK ideographs are one em wide; Latin letters narrower.
        assert!((font.advance('中') - 1.0).abs() < 0.05);
        assert!(font.advance('i') < 0.5);
    }

    #[test]
    fn missing_and_shared_glyphs_get_their_own_cids() {
        let font = Font::load().expect("font");
        let chars: BTreeSet<char> = ['a', 'b', '中', '😀', '\u{10FFFD}'].into_iter().collect();
        let sub = font.subset(&chars).expect("subset");
        assert_eq!(sub.cids.len(), chars.len());
        let map = sub
            .cid_to_gid
            .as_ref()
            .expect("a map for the missing characters");
        // Every CID maps to a glyph; the missing ones draw .notdef.
        let emoji = sub.cids[&'😀'];
        assert_eq!(
            &map[usize::from(emoji) * 2..usize::from(emoji) * 2 + 2],
            &[0, 0]
        );
        // Each character is its own ToUnicode entry, CIDs unique.
        let mut seen: Vec<u16> = sub.to_unicode.iter().map(|&(cid, _)| cid).collect();
        seen.dedup();
        assert_eq!(seen.len(), chars.len());
        assert!(sub.base_name.ends_with("+WenQuanYiMicroHei"));
        assert_eq!(sub.base_name.find('+'), Some(6));
    }

    #[test]
    fn present_glyphs_use_identity() {
        let font = Font::load().expect("font");
        let chars: BTreeSet<char> = "Report 报告".chars().collect();
        let sub = font.subset(&chars).expect("subset");
        assert!(sub.cid_to_gid.is_none());
        assert!(
            sub.file.len() < 60_000,
            "subset of 10 glyphs is {} bytes",
            sub.file.len()
        );
        // CIDs are the new glyph ids: 1.. in the order remapped (0 is .notdef).
        assert!(
            sub.cids
                .values()
                .all(|&cid| cid >= 1 && usize::from(cid) <= chars.len())
        );
    }
}
