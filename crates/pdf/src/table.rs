//! Tables, label/value lists and bar charts: rows of wrapped cells placed with
//! [`Cursor::split`], so that a row moves to the next page whole and only a row taller
//! than a page is split.

use crate::layout::{BODY, BODY_W, Cursor, INK, LEFT, MUTED, Op, RULE, Rgb, baseline, part};
use crate::text::{clean, clean_line, wrap};
use crate::{Mark, Row};

/// Table text size, line height and cell padding.
const SIZE: f32 = 8.5;
const LH: f32 = 11.5;
const PAD_V: f32 = 3.0;
const PAD_H: f32 = 4.0;
/// A header cell keeps at most this many lines, so that a header always leaves room for
/// rows on a page.
const HEADER_LINES: usize = 6;

const HEADER_BG: Rgb = [0.88, 0.9, 0.93];
const PASS_BG: Rgb = [0.86, 0.95, 0.86];
const FAIL_BG: Rgb = [0.99, 0.86, 0.86];
const GRID: Rgb = [0.55, 0.55, 0.55];
const BAR: Rgb = [0.27, 0.51, 0.71];

/// Column edges: the left `x` and width of each column, spanning the body.
fn columns(n: usize, widths: &[f32]) -> Vec<(f32, f32)> {
    let valid: Vec<f32> = widths
        .iter()
        .copied()
        .filter(|w| w.is_finite() && *w > 0.0)
        .collect();
    let average = if valid.is_empty() {
        1.0
    } else {
        valid.iter().sum::<f32>() / valid.len() as f32
    };
    let rel: Vec<f32> = (0..n)
        .map(|i| {
            widths
                .get(i)
                .copied()
                .filter(|w| w.is_finite() && *w > 0.0)
                .unwrap_or(average)
        })
        .collect();
    let total: f32 = rel.iter().sum();
    let mut x = LEFT;
    rel.iter()
        .map(|r| {
            let w = if total.is_finite() && total > 0.0 {
                BODY_W * r / total
            } else {
                BODY_W / n as f32
            };
            let col = (x, w);
            x += w;
            col
        })
        .collect()
}

/// Each cell's lines, wrapped to its column.
fn cells(c: &Cursor<'_>, texts: &[String], cols: &[(f32, f32)]) -> Vec<Vec<String>> {
    cols.iter()
        .enumerate()
        .map(|(i, &(_, w))| {
            let text = texts.get(i).map(|s| clean(s)).unwrap_or_default();
            wrap(c.font, &text, SIZE, w - 2.0 * PAD_H)
        })
        .collect()
}

/// Draws lines `range` of a row's cells from `top`, `h` high: background, text, grid.
fn draw_row(
    c: &mut Cursor<'_>,
    cells: &[Vec<String>],
    cols: &[(f32, f32)],
    range: std::ops::Range<usize>,
    (top, h): (f32, f32),
    (bg, bold): (Option<Rgb>, bool),
) {
    let (x0, width) = (LEFT, BODY_W);
    if let Some(color) = bg {
        c.push(Op::Fill {
            rect: [x0, top - h, width, h],
            color,
        });
    }
    for (lines, &(x, _)) in cells.iter().zip(cols) {
        let shown = part(lines, range.clone());
        for (i, line) in shown.iter().enumerate() {
            let y = baseline(top - PAD_V - i as f32 * LH, LH, SIZE);
            c.text(x + PAD_H, y, SIZE, bold, INK, line);
        }
    }
    // Horizontal rules above and below, and the column edges.
    let bottom = top - h;
    for y in [top, bottom] {
        c.push(Op::Line {
            from: [x0, y],
            to: [x0 + width, y],
            width: 0.5,
            color: GRID,
        });
    }
    for x in cols.iter().map(|&(x, _)| x).chain([x0 + width]) {
        c.push(Op::Line {
            from: [x, top],
            to: [x, bottom],
            width: 0.5,
            color: GRID,
        });
    }
}

fn height(cells: &[Vec<String>]) -> (usize, f32) {
    let n = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
    (n, n as f32 * LH + 2.0 * PAD_V)
}

/// A table with its header repeated on every page it reaches.
pub(crate) fn table(c: &mut Cursor<'_>, header: &[String], widths: &[f32], rows: &[Row]) {
    let n = rows
        .iter()
        .map(|r| r.cells.len())
        .max()
        .unwrap_or(0)
        .max(header.len());
    if n == 0 {
        return;
    }
    let cols = columns(n, widths);
    let mut head = cells(c, header, &cols);
    for lines in &mut head {
        lines.truncate(HEADER_LINES);
    }
    let has_header = head.iter().any(|lines| lines.iter().any(|l| !l.is_empty()));
    let (head_n, head_h) = if has_header { height(&head) } else { (0, 0.0) };
    let mut draw_header = |c: &mut Cursor<'_>| {
        if has_header {
            let top = c.y;
            draw_row(
                c,
                &head,
                &cols,
                0..head_n,
                (top, head_h),
                (Some(HEADER_BG), true),
            );
            c.y -= head_h;
        }
    };

    c.gap(4.0);
    // The header with at least the first row (or two lines of it) under it.
    let first = rows.first().map(|r| height(&cells(c, &r.cells, &cols)).1);
    c.need(head_h + first.unwrap_or(0.0).min(2.0 * LH + 2.0 * PAD_V));
    draw_header(c);
    for row in rows {
        let lines = cells(c, &row.cells, &cols);
        let (count, _) = height(&lines);
        let bg = match row.mark {
            Mark::None => None,
            Mark::Pass => Some(PASS_BG),
            Mark::Fail => Some(FAIL_BG),
        };
        let mut draw = |c: &mut Cursor<'_>, range, top, h| {
            draw_row(c, &lines, &cols, range, (top, h), (bg, false));
        };
        c.split(count, LH, PAD_V, head_h, &mut draw_header, &mut draw);
    }
    c.y -= 10.0;
}

/// Label and value rows, labels muted in the left third.
pub(crate) fn facts(c: &mut Cursor<'_>, facts: &[(String, String)]) {
    const SIZE: f32 = 10.5;
    const LH: f32 = 16.0;
    const PAD: f32 = 3.0;
    let x0 = LEFT + 40.0;
    let width = BODY_W - 80.0;
    let label_w = width * 0.34;
    let value_x = x0 + label_w + 10.0;
    let value_w = width - label_w - 10.0;
    c.gap(6.0);
    for (label, value) in facts {
        let labels = wrap(c.font, &clean(label), SIZE, label_w);
        let values = wrap(c.font, &clean(value), SIZE, value_w);
        let n = labels.len().max(values.len());
        let mut draw = |c: &mut Cursor<'_>, range: std::ops::Range<usize>, top: f32, h: f32| {
            for (lines, x, color) in [(&labels, x0, MUTED), (&values, value_x, INK)] {
                let shown = part(lines, range.clone());
                for (i, line) in shown.iter().enumerate() {
                    let y = baseline(top - PAD - i as f32 * LH, LH, SIZE);
                    c.text(x, y, SIZE, false, color, line);
                }
            }
            let y = top - h;
            c.push(Op::Line {
                from: [x0, y],
                to: [x0 + width, y],
                width: 0.4,
                color: RULE,
            });
        };
        c.split(n, LH, PAD, 0.0, |_: &mut Cursor<'_>| {}, &mut draw);
    }
    c.y -= 10.0;
}

/// A value as printed at a bar's end: at most two decimals, no trailing zeros.
fn value_text(v: f64, unit: &str) -> String {
    let mut s = format!("{v:.2}");
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    match unit {
        "" => s,
        "%" | "‰" => format!("{s}{unit}"),
        _ => format!("{s} {unit}"),
    }
}

/// A horizontal bar chart.
pub(crate) fn bars(c: &mut Cursor<'_>, title: &str, unit: &str, bars: &[(String, f64)]) {
    const SIZE: f32 = 9.0;
    const LH: f32 = 12.0;
    const PAD: f32 = 3.0;
    const BAR_H: f32 = 9.0;
    let unit = clean_line(unit);
    let shown: Vec<(&String, f64)> = bars
        .iter()
        .filter(|(_, v)| v.is_finite() && *v >= 0.0)
        .map(|(label, v)| (label, *v))
        .collect();
    let max = shown.iter().map(|&(_, v)| v).fold(0.0, f64::max);
    let values: Vec<String> = shown.iter().map(|&(_, v)| value_text(v, &unit)).collect();
    let value_w = values
        .iter()
        .map(|v| c.font.width(v, SIZE))
        .fold(0.0, f32::max);
    let label_w = BODY_W * 0.3;
    let x0 = LEFT + label_w + 8.0;
    let span = (BODY_W - label_w - 8.0 - value_w - 6.0).max(BODY_W * 0.2);

    c.gap(6.0);
    let titles = wrap(c.font, &clean(title), BODY + 0.5, BODY_W);
    let title_h = titles.iter().filter(|l| !l.is_empty()).count() as f32 * 16.0;
    c.need(title_h + LH + 2.0 * PAD);
    for line in titles.iter().filter(|l| !l.is_empty()) {
        c.need(16.0);
        c.text(
            LEFT,
            baseline(c.y, 16.0, BODY + 0.5),
            BODY + 0.5,
            true,
            INK,
            line,
        );
        c.y -= 16.0;
    }
    c.y -= 2.0;
    for ((label, v), value) in shown.iter().zip(&values) {
        let labels = wrap(c.font, &clean(label), SIZE, label_w);
        let len = if max > 0.0 {
            (v / max) as f32 * span
        } else {
            0.0
        };
        let mut draw = |c: &mut Cursor<'_>, range: std::ops::Range<usize>, top: f32, h: f32| {
            let first = range.start == 0;
            let shown = part(&labels, range);
            for (i, line) in shown.iter().enumerate() {
                let y = baseline(top - PAD - i as f32 * LH, LH, SIZE);
                c.text(LEFT, y, SIZE, false, INK, line);
            }
            if first {
                let mid = top - PAD - LH / 2.0;
                if len > 0.0 {
                    c.push(Op::Fill {
                        rect: [x0, mid - BAR_H / 2.0, len, BAR_H],
                        color: BAR,
                    });
                }
                c.text(
                    x0 + len + 4.0,
                    baseline(top - PAD, LH, SIZE),
                    SIZE,
                    false,
                    MUTED,
                    value,
                );
            }
            c.push(Op::Line {
                from: [x0, top],
                to: [x0, top - h],
                width: 0.5,
                color: GRID,
            });
        };
        c.split(
            labels.len(),
            LH,
            PAD,
            0.0,
            |_: &mut Cursor<'_>| {},
            &mut draw,
        );
    }
    c.y -= 10.0;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::font::Font;
    use crate::layout::{Page, layout};
    use crate::{Block, Document};

    fn texts(page: &Page) -> Vec<String> {
        page.ops
            .iter()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    fn row(cells: &[&str], mark: Mark) -> Row {
        Row {
            cells: cells.iter().map(|s| s.to_string()).collect(),
            mark,
        }
    }

    #[test]
    fn long_tables_continue_under_a_repeated_header() {
        let font = Font::load().expect("font");
        let rows: Vec<Row> = (0..200)
            .map(|i| row(&[&format!("设备 {i}"), &format!("{i}.5")], Mark::Pass))
            .collect();
        let header = vec!["名称 Name".to_string(), "数值 Value".to_string()];
        let blocks = vec![Block::Table {
            header,
            widths: vec![3.0, 1.0],
            rows,
        }];
        let pages = layout(
            &Document {
                blocks,
                ..Document::default()
            },
            &font,
        );
        assert!(pages.len() >= 3, "{} pages", pages.len());
        let mut seen = 0;
        for page in &pages {
            let t = texts(page);
            assert_eq!(
                t[..2],
                ["名称 Name", "数值 Value"],
                "header first on every page"
            );
            seen += t.iter().filter(|s| s.starts_with("设备 ")).count();
        }
        assert_eq!(seen, 200, "every row once");
        // Row order is kept across pages.
        let last = texts(&pages[pages.len() - 1]);
        assert_eq!(
            last.iter().rev().nth(1).map(String::as_str),
            Some("设备 199")
        );
    }

    #[test]
    fn short_cells_beside_tall_ones_are_drawn() {
        let font = Font::load().expect("font");
        let tall = "word ".repeat(60);
        let rows = vec![row(&["left", &tall, "right"], Mark::None)];
        let blocks = vec![
            Block::Table {
                header: vec!["A".into(), "B".into()],
                widths: vec![],
                rows,
            },
            Block::Facts(vec![
                ("label".into(), tall.clone()),
                (tall.clone(), "value".into()),
            ]),
        ];
        let pages = layout(
            &Document {
                blocks,
                ..Document::default()
            },
            &font,
        );
        let t = texts(&pages[0]);
        for want in ["A", "B", "left", "right", "label", "value"] {
            assert!(t.iter().any(|s| s == want), "{want} missing");
        }
    }

    #[test]
    fn widths_and_cells_are_forgiving() {
        // The NaN counts as the average of the others, 1.5.
        let cols = columns(3, &[2.0, f32::NAN, 1.0]);
        let total: f32 = cols.iter().map(|c| c.1).sum();
        assert!((total - BODY_W).abs() < 0.01);
        assert!((cols[1].1 - BODY_W / 3.0).abs() < 0.01);
        assert!((cols[0].1 - 2.0 * cols[2].1).abs() < 0.01);
        assert!((cols[1].0 - cols[0].0 - cols[0].1).abs() < 0.01);
        // Fewer widths than columns.
        let cols = columns(4, &[1.0]);
        assert!(cols.iter().all(|c| (c.1 - BODY_W / 4.0).abs() < 0.01));
        let cols = columns(2, &[0.0, -1.0]);
        assert!((cols[0].1 - cols[1].1).abs() < 0.01);
    }

    #[test]
    fn a_row_taller_than_a_page_is_split() {
        let font = Font::load().expect("font");
        let tall = "很长的单元格内容。".repeat(2000);
        let rows = vec![row(&["a", &tall], Mark::Fail), row(&["b", "c"], Mark::None)];
        let blocks = vec![Block::Table {
            header: vec!["H".into()],
            widths: vec![],
            rows,
        }];
        let pages = layout(
            &Document {
                blocks,
                ..Document::default()
            },
            &font,
        );
        assert!(pages.len() > 2);
        assert!(
            pages
                .iter()
                .all(|p| texts(p).first().map(String::as_str) == Some("H"))
        );
    }

    #[test]
    fn bars_skip_bad_values_and_scale_to_the_largest() {
        let font = Font::load().expect("font");
        let bars = vec![
            ("a".to_string(), 50.0),
            ("b".to_string(), f64::NAN),
            ("c".to_string(), -3.0),
            ("d".to_string(), 100.0),
            ("e".to_string(), f64::INFINITY),
        ];
        let blocks = vec![Block::Bars {
            title: "Chart".into(),
            unit: "%".into(),
            bars,
        }];
        let pages = layout(
            &Document {
                blocks,
                ..Document::default()
            },
            &font,
        );
        let t = texts(&pages[0]);
        assert_eq!(t, ["Chart", "a", "50%", "d", "100%"]);
        let widths: Vec<f32> = pages[0]
            .ops
            .iter()
            .filter_map(|op| match op {
                Op::Fill { rect, .. } => Some(rect[2]),
                _ => None,
            })
            .collect();
        assert_eq!(widths.len(), 2);
        assert!((widths[1] - 2.0 * widths[0]).abs() < 0.01);
        assert_eq!(value_text(1234.5678, "kWh"), "1234.57 kWh");
        assert_eq!(value_text(2.0, ""), "2");
        assert_eq!(value_text(0.1 + 0.2, "°C"), "0.3 °C");
    }
}
