//! Blocks to pages of positioned drawing operations.
//!
//! Coordinates are PDF points from the bottom-left corner of an A4 page. A [`Cursor`]
//! moves down the current page and starts a new one when the next piece does not fit.

use std::ops::Range;

use crate::font::Font;
use crate::text::{clean, clean_line, fit, wrap};
use crate::{Block, Document, Lang, table};

/// A4 portrait, in points.
pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
/// The body's edges.
pub(crate) const LEFT: f32 = 50.0;
pub(crate) const RIGHT: f32 = PAGE_W - 50.0;
pub(crate) const BODY_W: f32 = RIGHT - LEFT;
const TOP: f32 = PAGE_H - 50.0;
/// The lowest the body goes; the footer sits below it.
const BOTTOM: f32 = 62.0;

/// Body text size and line height.
pub(crate) const BODY: f32 = 10.0;
const BODY_LH: f32 = 15.0;

/// An RGB colour, each part 0 to 1.
pub(crate) type Rgb = [f32; 3];
pub(crate) const INK: Rgb = [0.1, 0.1, 0.1];
pub(crate) const MUTED: Rgb = [0.38, 0.38, 0.38];
pub(crate) const RULE: Rgb = [0.7, 0.7, 0.7];
const ACCENT: Rgb = [0.08, 0.2, 0.4];

/// One drawing operation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// One line of text; `x`, `y` is the start of its baseline.
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        color: Rgb,
        text: String,
    },
    /// A filled rectangle: `x`, `y` (bottom left), width, height.
    Fill { rect: [f32; 4], color: Rgb },
    /// A straight line.
    Line {
        from: [f32; 2],
        to: [f32; 2],
        width: f32,
        color: Rgb,
    },
}

/// A page's drawing operations, in painting order.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Page {
    pub ops: Vec<Op>,
}

/// How a line of text sits between the body's edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
}

/// Where the next piece goes.
#[derive(Debug)]
pub(crate) struct Cursor<'f> {
    pub font: &'f Font,
    pub pages: Vec<Page>,
    /// The top of the free space on the current page.
    pub y: f32,
    /// Something is drawn on the current page.
    used: bool,
}

/// The baseline of a line of `size` points in a line box of height `lh` from `top`.
pub(crate) fn baseline(top: f32, lh: f32, size: f32) -> f32 {
    top - lh / 2.0 - size * 0.35
}

/// Lines `range` of `lines`, as far as there are any.
pub(crate) fn part(lines: &[String], range: Range<usize>) -> &[String] {
    let end = range.end.min(lines.len());
    &lines[range.start.min(end)..end]
}

impl<'f> Cursor<'f> {
    fn new(font: &'f Font) -> Self {
        Cursor {
            font,
            pages: vec![Page::default()],
            y: TOP,
            used: false,
        }
    }

    /// Adds an operation to the current page.
    pub(crate) fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.ops.push(op);
        }
        self.used = true;
    }

    /// A line of text.
    pub(crate) fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, color: Rgb, s: &str) {
        if !s.is_empty() {
            self.push(Op::Text {
                x,
                y,
                size,
                bold,
                color,
                text: s.to_string(),
            });
        }
    }

    pub(crate) fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = TOP;
        self.used = false;
    }

    /// Starts a new page unless `h` points fit on this one (or it is still empty).
    pub(crate) fn need(&mut self, h: f32) {
        if self.y - h < BOTTOM && self.used {
            self.new_page();
        }
    }

    /// Vertical space, except at the top of a page.
    pub(crate) fn gap(&mut self, h: f32) {
        if self.used {
            self.y -= h;
        }
    }

    /// Lines of text, each one moved to a new page if it does not fit.
    fn lines(
        &mut self,
        lines: &[String],
        size: f32,
        lh: f32,
        bold: bool,
        color: Rgb,
        align: Align,
    ) {
        for line in lines {
            self.need(lh);
            let x = match align {
                Align::Left => LEFT,
                Align::Center => LEFT + (BODY_W - self.font.width(line, size)).max(0.0) / 2.0,
            };
            self.text(x, baseline(self.y, lh, size), size, bold, color, line);
            self.y -= lh;
        }
    }

    /// Places `n` lines of height `lh`, with `pad` above and below each piece: moved
    /// whole to the next page if they do not fit here but would on a fresh page, split
    /// across pages only if taller than a page. `header` draws what starts each new page
    /// (`header_h` points, none for `0`); `draw(cursor, lines, top, height)` draws one
    /// piece at the cursor, which then moves below it.
    pub(crate) fn split(
        &mut self,
        n: usize,
        lh: f32,
        pad: f32,
        header_h: f32,
        mut header: impl FnMut(&mut Self),
        mut draw: impl FnMut(&mut Self, Range<usize>, f32, f32),
    ) {
        let n = n.max(1);
        let fresh_top = TOP - header_h;
        let capacity = |y: f32| ((y - BOTTOM - 2.0 * pad) / lh + 1e-3).floor().max(0.0) as usize;
        let mut start = 0;
        while start < n {
            let remaining = n - start;
            let fits = capacity(self.y);
            let at_top = self.y >= fresh_top - 0.01;
            if fits < remaining && !at_top && (remaining <= capacity(fresh_top) || fits == 0) {
                self.new_page();
                header(self);
                continue;
            }
            let take = remaining.min(fits.max(1));
            let h = take as f32 * lh + 2.0 * pad;
            let top = self.y;
            draw(self, start..start + take, top, h);
            self.used = true;
            self.y = top - h;
            start += take;
            if start < n {
                self.new_page();
                header(self);
            }
        }
    }
}

/// Lays out the document's blocks; always at least one page.
pub(crate) fn layout(doc: &Document, font: &Font) -> Vec<Page> {
    let mut c = Cursor::new(font);
    for block in &doc.blocks {
        match block {
            Block::Title(s) => {
                if !c.used {
                    c.y -= 150.0;
                }
                let lines = wrap(font, &clean(s), 24.0, BODY_W);
                c.lines(&lines, 24.0, 34.0, true, ACCENT, Align::Center);
                c.y -= 12.0;
            }
            Block::Subtitle(s) => {
                let lines = wrap(font, &clean(s), 15.0, BODY_W);
                c.lines(&lines, 15.0, 22.0, false, MUTED, Align::Center);
                c.y -= 10.0;
            }
            Block::Heading(s) => {
                c.gap(14.0);
                let lines = wrap(font, &clean(s), 14.0, BODY_W);
                let h = lines.len().min(4) as f32 * 20.0;
                c.need(h + 3.0 * BODY_LH);
                c.lines(&lines, 14.0, 20.0, true, ACCENT, Align::Left);
                let y = c.y - 2.0;
                c.push(Op::Line {
                    from: [LEFT, y],
                    to: [RIGHT, y],
                    width: 0.6,
                    color: ACCENT,
                });
                c.y -= 8.0;
            }
            Block::Paragraph(s) => {
                let lines = wrap(font, &clean(s), BODY, BODY_W);
                c.lines(&lines, BODY, BODY_LH, false, INK, Align::Left);
                c.y -= 6.0;
            }
            Block::Facts(facts) => table::facts(&mut c, facts),
            Block::Table {
                header,
                widths,
                rows,
            } => table::table(&mut c, header, widths, rows),
            Block::Bars { title, unit, bars } => table::bars(&mut c, title, unit, bars),
            Block::PageBreak => {
                if c.used {
                    c.new_page();
                }
            }
        }
    }
    c.pages
}

/// The footer's size and baseline.
const FOOTER: f32 = 8.0;
const FOOTER_Y: f32 = 34.0;

/// "Page N of M" in `lang`.
pub(crate) fn page_words(lang: Lang, n: usize, m: usize) -> String {
    match lang {
        Lang::En => format!("Page {n} of {m}"),
        Lang::ZhCn => format!("第 {n} 页，共 {m} 页"),
    }
}

/// Adds every page's footer: a rule, the title on the left, the page number on the right.
pub(crate) fn footers(pages: &mut [Page], font: &Font, title: &str, lang: Lang) {
    let m = pages.len();
    let title = clean_line(title);
    for (i, page) in pages.iter_mut().enumerate() {
        let words = page_words(lang, i + 1, m);
        let words_w = font.width(&words, FOOTER);
        let title = fit(font, &title, FOOTER, BODY_W - words_w - 24.0);
        let rule = FOOTER_Y + 12.0;
        page.ops.push(Op::Line {
            from: [LEFT, rule],
            to: [RIGHT, rule],
            width: 0.5,
            color: RULE,
        });
        for (x, text) in [(LEFT, title), (RIGHT - words_w, words)] {
            if !text.is_empty() {
                let op = Op::Text {
                    x,
                    y: FOOTER_Y,
                    size: FOOTER,
                    bold: false,
                    color: MUTED,
                    text,
                };
                page.ops.push(op);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(page: &Page) -> Vec<&str> {
        page.ops
            .iter()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn empty_document_has_one_page_with_a_footer() {
        let font = Font::load().expect("font");
        let doc = Document {
            title: "T".into(),
            ..Document::default()
        };
        let mut pages = layout(&doc, &font);
        footers(&mut pages, &font, &doc.title, Lang::ZhCn);
        assert_eq!(pages.len(), 1);
        assert_eq!(texts(&pages[0]), ["T", "第 1 页，共 1 页"]);
    }

    #[test]
    fn paragraphs_flow_onto_new_pages_and_stay_inside_the_body() {
        let font = Font::load().expect("font");
        let para = "工业互联网平台评估。Industrial internet platform evaluation. ".repeat(40);
        let doc = Document {
            blocks: vec![Block::Paragraph(para); 6],
            ..Document::default()
        };
        let pages = layout(&doc, &font);
        assert!(pages.len() >= 3, "{} pages", pages.len());
        for page in &pages {
            for op in &page.ops {
                if let Op::Text {
                    x, y, size, text, ..
                } = op
                {
                    assert!(*y >= BOTTOM - 1.0 && *y <= TOP, "{y}");
                    assert!(x + font.width(text, *size) <= RIGHT + 0.1, "{text}");
                }
            }
        }
    }

    #[test]
    fn heading_near_the_bottom_moves_to_the_next_page() {
        let font = Font::load().expect("font");
        // Fill the first page to about two lines from the bottom.
        let filler = (TOP - BOTTOM) / BODY_LH - 2.0;
        let mut blocks: Vec<Block> = (0..filler as usize)
            .map(|i| Block::Paragraph(format!("line {i}")))
            .collect();
        // Paragraph spacing takes room too: keep only what fits with two lines to spare.
        blocks.truncate(((TOP - BOTTOM - 2.0 * BODY_LH) / (BODY_LH + 6.0)) as usize);
        blocks.push(Block::Heading("Results".into()));
        blocks.push(Block::Paragraph("text".into()));
        let pages = layout(
            &Document {
                blocks,
                ..Document::default()
            },
            &font,
        );
        assert_eq!(pages.len(), 2);
        assert_eq!(texts(&pages[1]).first(), Some(&"Results"));
    }

    #[test]
    fn page_breaks_do_not_make_blank_pages() {
        let font = Font::load().expect("font");
        let blocks = vec![
            Block::PageBreak,
            Block::Title("Cover".into()),
            Block::PageBreak,
            Block::PageBreak,
            Block::Paragraph("Body".into()),
        ];
        let pages = layout(
            &Document {
                blocks,
                ..Document::default()
            },
            &font,
        );
        assert_eq!(pages.len(), 2);
    }
}
