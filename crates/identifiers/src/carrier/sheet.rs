//! Label sheets: labels (a code and up to three lines of text) laid out in a grid on
//! pages, one SVG per page in millimetres.

use super::Carrier;
use super::render::{FONT_FAMILY, clean_text, em_width, module_path, num, truncate_to, xml_escape};
use crate::error::CarrierError;
use std::fmt::Write as _;

/// Most labels in one call (about 42 pages of 24): larger batches are split by the caller.
pub const MAX_LABELS: usize = 1000;
/// Most lines of text on a label.
pub const MAX_LINES: usize = 3;

/// Font size of a label's first line and of the others, and the smallest a line is
/// shrunk to before it is cut short with `…`, in millimetres (9, 7.5 and 4 points).
const FIRST_LINE_MM: f64 = 3.2;
const OTHER_LINE_MM: f64 = 2.6;
const MIN_LINE_MM: f64 = 1.4;
const LINE_HEIGHT: f64 = 1.3;

/// Whether label outlines are drawn (to check alignment on plain paper).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Outline {
    #[default]
    None,
    /// A light grey 0.1 mm line with rounded corners.
    Hairline,
}

/// A sheet of labels, in millimetres.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetLayout {
    /// Page width and height.
    pub page_mm: (f64, f64),
    pub columns: u32,
    pub rows: u32,
    /// One label's width and height.
    pub label_mm: (f64, f64),
    /// From the page's left and top edges to the first label.
    pub margin_mm: (f64, f64),
    /// Between columns and between rows.
    pub gap_mm: (f64, f64),
    /// Blank space inside each label's edges.
    pub padding_mm: f64,
    /// The smallest module printed: a label whose code would need smaller modules is
    /// refused (0.25 mm is 3 dots at 300 dpi; GS1 asks 0.255 mm at least for Data
    /// Matrix in general distribution).
    pub min_module_mm: f64,
    pub outline: Outline,
}

impl SheetLayout {
    /// Avery L7159 (and its J8159 and unbranded equivalents): A4 portrait, 3 columns × 8
    /// rows of 63.5 × 33.9 mm labels, 7.2 mm left and 12.9 mm top margins, 2.5 mm
    /// between columns, none between rows.
    pub fn avery_l7159() -> Self {
        SheetLayout {
            page_mm: (210.0, 297.0),
            columns: 3,
            rows: 8,
            label_mm: (63.5, 33.9),
            margin_mm: (7.2, 12.9),
            gap_mm: (2.5, 0.0),
            padding_mm: 2.0,
            min_module_mm: 0.25,
            outline: Outline::None,
        }
    }

    /// Labels on one page.
    pub fn per_page(&self) -> usize {
        self.columns as usize * self.rows as usize
    }

    /// Checks that every size is finite and positive and the grid fits on the page.
    pub fn validate(&self) -> Result<(), CarrierError> {
        let bad = |m: String| Err(CarrierError::Layout(m));
        let sizes = [
            self.page_mm.0,
            self.page_mm.1,
            self.label_mm.0,
            self.label_mm.1,
            self.min_module_mm,
        ];
        if sizes
            .iter()
            .any(|v| !v.is_finite() || *v <= 0.0 || *v > 2000.0)
        {
            return bad("page, label and module sizes must be above 0 and at most 2000 mm".into());
        }
        let offsets = [
            self.margin_mm.0,
            self.margin_mm.1,
            self.gap_mm.0,
            self.gap_mm.1,
            self.padding_mm,
        ];
        if offsets
            .iter()
            .any(|v| !v.is_finite() || *v < 0.0 || *v > 2000.0)
        {
            return bad("margins, gaps and padding must be 0 to 2000 mm".into());
        }
        if !(1..=100).contains(&self.columns) || !(1..=100).contains(&self.rows) {
            return bad("columns and rows must be 1 to 100".into());
        }
        if 2.0 * self.padding_mm >= self.label_mm.0.min(self.label_mm.1) {
            return bad("the padding leaves no room inside the label".into());
        }
        let (cols, rows) = (f64::from(self.columns), f64::from(self.rows));
        let right = self.margin_mm.0 + cols * self.label_mm.0 + (cols - 1.0) * self.gap_mm.0;
        let bottom = self.margin_mm.1 + rows * self.label_mm.1 + (rows - 1.0) * self.gap_mm.1;
        if right > self.page_mm.0 + 1e-6 || bottom > self.page_mm.1 + 1e-6 {
            return bad(format!(
                "the grid reaches {} × {} mm, beyond the {} × {} mm page",
                num(right),
                num(bottom),
                num(self.page_mm.0),
                num(self.page_mm.1)
            ));
        }
        Ok(())
    }
}

impl Default for SheetLayout {
    fn default() -> Self {
        SheetLayout::avery_l7159()
    }
}

/// One label: a code and its lines of text (the identifier, a name; at most
/// [`MAX_LINES`]). The carrier's module size and caption are not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub carrier: Carrier,
    pub lines: Vec<String>,
}

impl Label {
    pub fn new<S: Into<String>>(carrier: Carrier, lines: impl IntoIterator<Item = S>) -> Self {
        Label {
            carrier,
            lines: lines.into_iter().map(Into::into).collect(),
        }
    }
}

/// The labels on as many pages as they need, filled row by row; one SVG per page (none
/// for no labels). Text is escaped and its fonts fall back to Simplified Chinese ones.
pub fn label_sheets(layout: &SheetLayout, labels: &[Label]) -> Result<Vec<String>, CarrierError> {
    layout.validate()?;
    if labels.len() > MAX_LABELS {
        return Err(CarrierError::Layout(format!(
            "{} labels are above the limit of {MAX_LABELS} in one call",
            labels.len()
        )));
    }
    let per_page = layout.per_page();
    let mut pages = Vec::with_capacity(labels.len().div_ceil(per_page));
    for (page_no, page) in labels.chunks(per_page).enumerate() {
        let (pw, ph) = layout.page_mm;
        let mut svg = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{w}mm\" \
             height=\"{h}mm\" viewBox=\"0 0 {w} {h}\">\n\
             <rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>\n\
             <g font-family=\"{FONT_FAMILY}\" fill=\"#000\">\n",
            w = num(pw),
            h = num(ph)
        );
        for (i, label) in page.iter().enumerate() {
            let index = page_no * per_page + i;
            let col = (i % layout.columns as usize) as f64;
            let row = (i / layout.columns as usize) as f64;
            let x = layout.margin_mm.0 + col * (layout.label_mm.0 + layout.gap_mm.0);
            let y = layout.margin_mm.1 + row * (layout.label_mm.1 + layout.gap_mm.1);
            draw_label(&mut svg, layout, label, x, y).map_err(|e| CarrierError::Label {
                index,
                source: Box::new(e),
            })?;
        }
        svg.push_str("</g>\n</svg>\n");
        pages.push(svg);
    }
    Ok(pages)
}

/// A line of text placed on a label.
struct Line {
    text: String,
    size: f64,
}

/// Sizes each line to `width` mm: shrunk to fit, cut short below the smallest size.
fn fit_lines(lines: &[String], width: f64) -> Vec<Line> {
    lines
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let nominal = if i == 0 { FIRST_LINE_MM } else { OTHER_LINE_MM };
            let ems = em_width(text).max(0.1);
            let size = nominal.min(width / ems).max(MIN_LINE_MM);
            Line {
                text: truncate_to(text, width / size),
                size,
            }
        })
        .collect()
}

fn draw_label(
    svg: &mut String,
    layout: &SheetLayout,
    label: &Label,
    x: f64,
    y: f64,
) -> Result<(), CarrierError> {
    if label.lines.len() > MAX_LINES {
        return Err(CarrierError::Layout(format!(
            "{} lines of text, above the limit of {MAX_LINES}",
            label.lines.len()
        )));
    }
    let lines: Vec<String> = label
        .lines
        .iter()
        .map(|l| clean_text(l, "label line"))
        .collect::<Result<_, _>>()?;
    let lines: Vec<String> = lines.into_iter().filter(|l| !l.is_empty()).collect();
    let symbol = label.carrier.encode()?;
    let quiet = label.carrier.quiet_zone_modules()?;
    let (w, h) = layout.label_mm;
    let p = layout.padding_mm;
    let (inner_w, inner_h) = (w - 2.0 * p, h - 2.0 * p);
    let modules_w = (symbol.width() + 2 * quiet as usize) as f64;
    let modules_h = (symbol.height() + 2 * quiet as usize) as f64;
    if layout.outline == Outline::Hairline {
        let _ = writeln!(
            svg,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"1.5\" fill=\"none\" \
             stroke=\"#bbb\" stroke-width=\"0.1\"/>",
            num(x),
            num(y),
            num(w),
            num(h)
        );
    }
    // Wide labels put the text right of the code, the others under it.
    let beside = w >= 1.4 * h;
    let (module, code_x, code_y, placed, anchor, text_x, text_top);
    if beside {
        let side = inner_h.min(inner_w * 0.5);
        module = (side / modules_w).min(side / modules_h);
        code_x = x + p;
        code_y = y + (h - modules_h * module) / 2.0;
        text_x = code_x + modules_w * module + p;
        placed = fit_lines(&lines, (x + w - p - text_x).max(1.0));
        let block: f64 = placed.iter().map(|l| l.size * LINE_HEIGHT).sum();
        text_top = y + (h - block) / 2.0;
        anchor = "start";
    } else {
        placed = fit_lines(&lines, inner_w);
        let block: f64 = placed.iter().map(|l| l.size * LINE_HEIGHT).sum();
        let side = inner_w.min(inner_h - block);
        module = (side / modules_w).min(side / modules_h).max(0.0);
        code_x = x + (w - modules_w * module) / 2.0;
        code_y = y + p;
        text_x = x + w / 2.0;
        text_top = code_y + modules_h * module;
        anchor = "middle";
    }
    if module < layout.min_module_mm {
        return Err(CarrierError::Layout(format!(
            "its code needs {} × {} modules, which would be {} mm each on this label, below \
             the minimum of {} mm: shorten the payload or use larger labels",
            modules_w,
            modules_h,
            num(module),
            num(layout.min_module_mm)
        )));
    }
    let _ = writeln!(
        svg,
        "<path transform=\"translate({} {}) scale({})\" shape-rendering=\"crispEdges\" d=\"{}\"/>",
        num(code_x),
        num(code_y),
        num(module),
        module_path(&symbol, quiet)
    );
    let mut baseline = text_top;
    for line in placed {
        baseline += line.size * LINE_HEIGHT;
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"{anchor}\">{}</text>",
            num(text_x),
            num(baseline - line.size * (LINE_HEIGHT - 1.0)),
            num(line.size),
            xml_escape(&line.text)
        );
    }
    Ok(())
}
