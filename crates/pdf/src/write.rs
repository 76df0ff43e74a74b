//! Laid-out pages to PDF objects: the catalog with `/Lang`, the document information,
//! one content stream a page, and the font as a Type 0 font over a CIDFontType2 with the
//! embedded subset, its widths and a `ToUnicode` CMap.

use std::collections::BTreeSet;
use std::io::Write as _;

use flate2::Compression;
use flate2::write::ZlibEncoder;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, TextRenderingMode, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::font::{Font, Subset};
use crate::layout::{Op, PAGE_H, PAGE_W, Page};
use crate::text::clean_line;
use crate::{Document, Error, Lang};

/// The font's resource name in every page.
const FONT: Name<'static> = Name(b"F1");

const SYSTEM_INFO: SystemInfo<'static> = SystemInfo {
    registry: Str(b"Adobe"),
    ordering: Str(b"Identity"),
    supplement: 0,
};

/// Zlib-compressed `data`, for a FlateDecode stream.
fn deflate(data: &[u8]) -> Result<Vec<u8>, Error> {
    let mut enc = ZlibEncoder::new(Vec::with_capacity(data.len() / 3), Compression::default());
    enc.write_all(data)
        .map_err(|e| Error::Compress(e.to_string()))?;
    enc.finish().map_err(|e| Error::Compress(e.to_string()))
}

/// The PDF of laid-out `pages` (with their footers).
pub(crate) fn write(doc: &Document, font: &Font, pages: &[Page]) -> Result<Vec<u8>, Error> {
    let chars: BTreeSet<char> = pages
        .iter()
        .flat_map(|p| &p.ops)
        .filter_map(|op| match op {
            Op::Text { text, .. } => Some(text.chars()),
            _ => None,
        })
        .flatten()
        .collect();
    let subset = font.subset(&chars)?;

    let mut pdf = Pdf::new();
    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let info_id = Ref::new(3);
    let font_id = Ref::new(4);
    let mut next = 10;
    let mut alloc = || {
        next += 1;
        Ref::new(next)
    };
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (alloc(), alloc())).collect();

    let lang = match doc.lang {
        Lang::En => "en",
        Lang::ZhCn => "zh-CN",
    };
    let mut catalog = pdf.catalog(catalog_id);
    catalog.pages(tree_id).lang(TextStr(lang));
    catalog.viewer_preferences().display_doc_title(true);
    catalog.finish();

    let (title, author) = (clean_line(&doc.title), clean_line(&doc.author));
    let mut info = pdf.document_info(info_id);
    info.title(TextStr(&title)).author(TextStr(&author));
    info.creator(TextStr("Ironloom"))
        .producer(TextStr("ironloom-pdf"));
    info.finish();

    pdf.pages(tree_id)
        .kids(page_ids.iter().map(|&(page, _)| page))
        .count(i32::try_from(pages.len()).unwrap_or(i32::MAX));
    for (page, &(page_id, content_id)) in pages.iter().zip(&page_ids) {
        let mut p = pdf.page(page_id);
        p.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .parent(tree_id)
            .contents(content_id);
        p.resources().fonts().pair(FONT, font_id);
        p.finish();
        let content = deflate(&content(page, &subset))?;
        pdf.stream(content_id, &content).filter(Filter::FlateDecode);
    }

    write_font(&mut pdf, font, &subset, font_id, &mut alloc)?;
    pdf.set_file_id(file_id(doc, pages.len()));
    Ok(pdf.finish())
}

/// One page's content stream.
fn content(page: &Page, subset: &Subset) -> Vec<u8> {
    let mut c = Content::new();
    let mut encoded = Vec::new();
    for op in &page.ops {
        match op {
            Op::Text {
                x,
                y,
                size,
                bold,
                color,
                text,
            } => {
                encoded.clear();
                for ch in text.chars() {
                    let cid = subset.cids.get(&ch).copied().unwrap_or(0);
                    encoded.extend_from_slice(&cid.to_be_bytes());
                }
                let [r, g, b] = *color;
                c.begin_text();
                c.set_font(FONT, *size);
                c.set_fill_rgb(r, g, b);
                if *bold {
                    // No bold face: fill and stroke the outlines with a thin line.
                    c.set_stroke_rgb(r, g, b);
                    c.set_line_width(size * 0.035);
                    c.set_text_rendering_mode(TextRenderingMode::FillStroke);
                } else {
                    c.set_text_rendering_mode(TextRenderingMode::Fill);
                }
                c.next_line(*x, *y);
                c.show(Str(&encoded));
                c.end_text();
            }
            Op::Fill {
                rect: [x, y, w, h],
                color: [r, g, b],
            } => {
                c.set_fill_rgb(*r, *g, *b);
                c.rect(*x, *y, *w, *h);
                c.fill_nonzero();
            }
            Op::Line {
                from: [x1, y1],
                to: [x2, y2],
                width,
                color: [r, g, b],
            } => {
                c.set_stroke_rgb(*r, *g, *b);
                c.set_line_width(*width);
                c.move_to(*x1, *y1);
                c.line_to(*x2, *y2);
                c.stroke();
            }
        }
    }
    c.finish().to_vec()
}

/// The Type 0 font `font_id` and what hangs from it.
fn write_font(
    pdf: &mut Pdf,
    font: &Font,
    subset: &Subset,
    font_id: Ref,
    alloc: &mut dyn FnMut() -> Ref,
) -> Result<(), Error> {
    let (cid_id, descriptor_id, file_id, cmap_id) = (alloc(), alloc(), alloc(), alloc());
    let base = Name(subset.base_name.as_bytes());

    pdf.type0_font(font_id)
        .base_font(base)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_id)
        .to_unicode(cmap_id);

    let map_id = subset.cid_to_gid.as_ref().map(|_| alloc());
    let mut cid = pdf.cid_font(cid_id);
    cid.subtype(CidFontType::Type2)
        .base_font(base)
        .system_info(SYSTEM_INFO)
        .font_descriptor(descriptor_id)
        .default_width(subset.default_width);
    match map_id {
        Some(id) => cid.cid_to_gid_map_stream(id),
        None => cid.cid_to_gid_map_predefined(Name(b"Identity")),
    };
    // Runs of consecutive CIDs, each written as `first [w1 w2 …]`.
    let mut widths = cid.widths();
    let mut run: Vec<f32> = Vec::new();
    let mut first = 0u16;
    for (i, &(cid, w)) in subset.widths.iter().enumerate() {
        let follows = i > 0 && subset.widths[i - 1].0.checked_add(1) == Some(cid);
        if !follows && !run.is_empty() {
            widths.consecutive(first, run.drain(..));
        }
        if run.is_empty() {
            first = cid;
        }
        run.push(w);
    }
    if !run.is_empty() {
        widths.consecutive(first, run.drain(..));
    }
    widths.finish();
    cid.finish();

    let (ascent, descent, cap, [x0, y0, x1, y1]) = font.metrics();
    pdf.font_descriptor(descriptor_id)
        .name(base)
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(x0, y0, x1, y1))
        .italic_angle(0.0)
        .ascent(ascent)
        .descent(descent)
        .cap_height(cap)
        .stem_v(80.0)
        .font_file2(file_id);

    let data = deflate(&subset.file)?;
    pdf.stream(file_id, &data).filter(Filter::FlateDecode).pair(
        Name(b"Length1"),
        i32::try_from(subset.file.len()).unwrap_or(i32::MAX),
    );

    if let (Some(id), Some(map)) = (map_id, &subset.cid_to_gid) {
        let data = deflate(map)?;
        pdf.stream(id, &data).filter(Filter::FlateDecode);
    }

    let mut cmap = UnicodeCmap::new(Name(b"Ironloom-UCS"), SYSTEM_INFO);
    for &(cid, ch) in &subset.to_unicode {
        cmap.pair(cid, ch);
    }
    let data = deflate(&cmap.finish())?;
    pdf.cmap(cmap_id, &data)
        .name(Name(b"Ironloom-UCS"))
        .system_info(SYSTEM_INFO)
        .filter(Filter::FlateDecode);
    Ok(())
}

/// The trailer's file identifier: a hash of the title and page count (the same document
/// gives the same bytes).
fn file_id(doc: &Document, pages: usize) -> (Vec<u8>, Vec<u8>) {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in doc
        .title
        .bytes()
        .chain(doc.author.bytes())
        .chain(pages.to_be_bytes())
    {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    let id: Vec<u8> = [hash.to_be_bytes(), (!hash).to_be_bytes()].concat();
    (id.clone(), id)
}
