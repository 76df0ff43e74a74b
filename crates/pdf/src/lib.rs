//! Ironloom's report PDFs: a simple document (a cover, headings, paragraphs, label/value
//! lists, tables with pass/fail rows, horizontal bar charts) laid out on A4 portrait pages
//! in Simplified Chinese or English, for the evaluation report export.
//!
//! [`render`] lays the whole document out first (so every page's footer can say "Page N
//! of M"), then writes the PDF with the subset of the embedded WenQuanYi Micro Hei font
//! (`fonts/README.md`) that the document uses. Text stays selectable: every character has
//! a `ToUnicode` entry, so copying and `pdftotext` give the text back, Chinese included.
//!
//! Layout: `text` (cleaning, line breaking), `layout` (blocks to positioned drawing
//! operations, page breaks, footers), `table` (tables, label/value lists, bar charts),
//! `font` (measuring and subsetting), `write` (the PDF objects).
//!
//! Invariant: no input string or number makes [`render`] panic; characters the font lacks
//! are drawn as its `.notdef` glyph and still extract as themselves.

mod font;
mod layout;
mod table;
mod text;
mod write;

use std::fmt;

/// A report to render.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// The title: in the document information and the footer of every page.
    pub title: String,
    /// The language: the catalog's `/Lang` and the footer's words.
    pub lang: Lang,
    /// The author, in the document information.
    pub author: String,
    /// The content, top to bottom.
    pub blocks: Vec<Block>,
}

/// The language of a document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English (`en`).
    #[default]
    En,
    /// Simplified Chinese (`zh-CN`).
    ZhCn,
}

/// A piece of a document.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A big, centred title, lower down when it begins a page (a cover).
    Title(String),
    /// A centred line of medium size, under a title.
    Subtitle(String),
    /// A bold section heading; it starts a new page when fewer than about three lines
    /// would follow it on this one.
    Heading(String),
    /// Body text, wrapped; `\n` starts a new line.
    Paragraph(String),
    /// A two-column list of labels and values, such as a cover's facts.
    Facts(Vec<(String, String)>),
    /// A table. Cells wrap within their column; a long table continues on the next page
    /// under a repeated header.
    Table {
        /// The column headings.
        header: Vec<String>,
        /// Relative column widths; a missing, zero or negative width counts as the average.
        widths: Vec<f32>,
        /// The rows; a row with fewer cells than columns leaves the rest empty.
        rows: Vec<Row>,
    },
    /// A horizontal bar chart: one bar a label, scaled to the largest value, the value
    /// printed at the bar's end. NaN, infinite and negative values are left out.
    Bars {
        /// The chart's title, above it.
        title: String,
        /// The unit printed after each value (`%` is printed without a space).
        unit: String,
        /// Label and value of each bar, top to bottom.
        bars: Vec<(String, f64)>,
    },
    /// The next block starts on a new page.
    PageBreak,
}

/// A table row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// The cells' text, left to right (the caller formats numbers).
    pub cells: Vec<String>,
    /// The row's background.
    pub mark: Mark,
}

/// How a table row is marked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Mark {
    /// No background.
    #[default]
    None,
    /// A light green background.
    Pass,
    /// A light red background.
    Fail,
}

/// Why a document could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The embedded font could not be read or subsetted.
    Font(String),
    /// A stream could not be compressed.
    Compress(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Font(m) => write!(f, "font: {m}"),
            Error::Compress(m) => write!(f, "compression: {m}"),
        }
    }
}

impl std::error::Error for Error {}

/// Renders `doc` to the bytes of a PDF file.
pub fn render(doc: &Document) -> Result<Vec<u8>, Error> {
    let font = font::Font::load()?;
    let mut pages = layout::layout(doc, &font);
    layout::footers(&mut pages, &font, &doc.title, doc.lang);
    write::write(doc, &font, &pages)
}
