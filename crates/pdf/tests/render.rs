//! Whole documents through `render`: a mixed Chinese/English report read back with
//! `pdftotext` when it is installed (poppler-utils), and inputs that must not panic.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use ironloom_pdf::{Block, Document, Lang, Mark, Row, render};

fn row(cells: &[&str], mark: Mark) -> Row {
    Row {
        cells: cells.iter().map(|s| s.to_string()).collect(),
        mark,
    }
}

/// An evaluation report of about three pages, in Chinese with English terms.
fn sample() -> Document {
    let mut blocks = vec![
        Block::Title("工业互联网平台评估报告".into()),
        Block::Subtitle("Industrial Internet Platform Evaluation Report".into()),
        Block::Facts(vec![
            (
                "被评估单位".into(),
                "示例智能制造有限公司 (Example Smart Manufacturing Co.)".into(),
            ),
            ("统一社会信用代码".into(), "91310000MA1FL0XX3K".into()),
            ("评估周期".into(), "2025-01-01 至 2025-06-30".into()),
            ("平台版本".into(), "Ironloom 0.1.0".into()),
        ]),
        Block::PageBreak,
        Block::Heading("一、评估指标 Criteria".into()),
        Block::Paragraph(
            "本报告依据平台运行数据自动生成，所有数值均来自设备上报的遥测数据。\
             The figures below are computed from the platform's own telemetry; \
             each criterion shows the required value, the measured value and the verdict."
                .into(),
        ),
        Block::Table {
            header: vec![
                "指标 Criterion".into(),
                "要求 Required".into(),
                "实测 Measured".into(),
                "结论 Verdict".into(),
            ],
            widths: vec![3.0, 1.5, 1.5, 1.0],
            rows: vec![
                row(
                    &[
                        "接入设备数量 Connected devices",
                        "≥ 1000",
                        "1523",
                        "通过 Pass",
                    ],
                    Mark::Pass,
                ),
                row(
                    &["设备在线率 Online rate", "≥ 95%", "97.2%", "通过 Pass"],
                    Mark::Pass,
                ),
                row(
                    &[
                        "工业模型数量 Industrial models",
                        "≥ 50",
                        "38",
                        "未通过 Fail",
                    ],
                    Mark::Fail,
                ),
                row(&["工业APP数量 Apps", "≥ 20", "24", "通过 Pass"], Mark::Pass),
                row(&["备注 Notes", "", "", ""], Mark::None),
            ],
        },
        Block::Bars {
            title: "各行业设备数量 Devices by industry".into(),
            unit: "台".into(),
            bars: vec![
                ("装备制造 Equipment".into(), 612.0),
                ("电子信息 Electronics".into(), 433.0),
                ("化工 Chemicals".into(), 301.0),
                ("纺织 Textiles".into(), 177.0),
            ],
        },
        Block::Heading("二、分项明细 Breakdown".into()),
    ];
    let rows = (1..=55)
        .map(|i| {
            let mark = if i % 9 == 0 { Mark::Fail } else { Mark::None };
            row(
                &[
                    &format!("DEV-{i:04}"),
                    &format!("车间 {} 号线", i % 7 + 1),
                    &format!("{}.{}", 90 + i % 10, i % 10),
                ],
                mark,
            )
        })
        .collect();
    blocks.push(Block::Table {
        header: vec![
            "设备编号 Device".into(),
            "位置 Location".into(),
            "可用率 Availability (%)".into(),
        ],
        widths: vec![1.0, 2.0, 1.0],
        rows,
    });
    blocks.push(Block::Paragraph(
        "评估结论：平台整体达到要求。Conclusion: the platform meets the requirements.".into(),
    ));
    Document {
        title: "工业互联网平台评估报告 Evaluation Report".into(),
        lang: Lang::ZhCn,
        author: "Ironloom 评估组".into(),
        blocks,
    }
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("ironloom-pdf-{}-{name}", std::process::id()))
}

/// With `IRONLOOM_PDF_OUT` set to a directory, a test's PDF is kept there as `name`, to
/// look at or to check with `pdfinfo` and `pdffonts`.
fn keep(name: &str, pdf: &[u8]) {
    if let Some(dir) = std::env::var_os("IRONLOOM_PDF_OUT") {
        let path = PathBuf::from(dir).join(name);
        std::fs::write(&path, pdf).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

fn check_structure(pdf: &[u8]) {
    assert!(pdf.starts_with(b"%PDF-"), "header");
    assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"), "trailer");
}

fn tool(name: &str) -> bool {
    Command::new(name).arg("-v").output().is_ok()
}

#[test]
fn mixed_document_extracts_with_pdftotext() {
    let pdf = render(&sample()).expect("render");
    check_structure(&pdf);
    assert!(pdf.len() < 300_000, "{} bytes", pdf.len());
    keep("sample.pdf", &pdf);
    if !tool("pdftotext") {
        eprintln!(
            "pdftotext is not installed (poppler-utils): only the PDF's structure was checked"
        );
        return;
    }
    let path = temp_path("sample.pdf");
    std::fs::write(&path, &pdf).expect("write");
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "工业互联网平台评估报告",
        "Industrial Internet Platform Evaluation Report",
        "示例智能制造有限公司",
        "设备在线率 Online rate",
        "97.2%",
        "未通过 Fail",
        "装备制造 Equipment",
        "612 台",
        "DEV-0055",
        "第 1 页，共 3 页",
        "第 3 页，共 3 页",
        "Conclusion: the platform meets the requirements.",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    let pages = text.matches('\u{c}').count();
    assert_eq!(pages, 3, "three pages (form feeds)");
}

#[test]
fn english_footer() {
    let doc = Document {
        title: "Report".into(),
        lang: Lang::En,
        author: String::new(),
        blocks: vec![Block::Paragraph("Hello".into())],
    };
    let pdf = render(&doc).expect("render");
    check_structure(&pdf);
    let lang = b"/Lang (en)";
    assert!(pdf.windows(lang.len()).any(|w| w == lang));
    if tool("pdftotext") {
        let path = temp_path("en.pdf");
        std::fs::write(&path, &pdf).expect("write");
        let out = Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext");
        let _ = std::fs::remove_file(&path);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Page 1 of 1") && text.contains("Hello"),
            "{text}"
        );
    }
}

#[test]
fn hostile_inputs_render() {
    let weird = [
        String::new(),
        " ".into(),
        "\u{0}\u{1}\u{7}\u{8}\u{b}\u{c}\u{1b}[31m\u{7f}\u{85}".into(),
        "emoji 😀👍🏽👨‍👩‍👧 flags 🇨🇳 ZWJ".into(),
        "x".repeat(20_000),
        "无空格的很长中文".repeat(500),
        "\r\n\n\r\t\t".into(),
        "\u{FFFF}\u{10FFFF}\u{E000}\u{FFFD}\u{202E}reversed".into(),
        "Ｆｕｌｌｗｉｄｔｈ　全角　ﾊﾝｶｸ".into(),
        "a\u{0301}e\u{0308} combining".into(),
    ];
    let mut blocks = Vec::new();
    for s in &weird {
        blocks.push(Block::Title(s.clone()));
        blocks.push(Block::Subtitle(s.clone()));
        blocks.push(Block::Heading(s.clone()));
        blocks.push(Block::Paragraph(s.clone()));
        blocks.push(Block::Facts(vec![
            (s.clone(), s.clone()),
            (String::new(), String::new()),
        ]));
        blocks.push(Block::Bars {
            title: s.clone(),
            unit: s.clone(),
            bars: vec![
                (s.clone(), 1.0),
                (s.clone(), f64::NAN),
                (s.clone(), -1.0),
                (s.clone(), 0.0),
            ],
        });
        blocks.push(Block::Table {
            header: vec![s.clone(), s.clone()],
            widths: vec![f32::NAN, f32::INFINITY],
            rows: vec![row(&[s, s, s], Mark::Fail), row(&[], Mark::Pass)],
        });
        blocks.push(Block::PageBreak);
    }
    blocks.extend([
        Block::Table {
            header: vec![],
            widths: vec![],
            rows: vec![],
        },
        Block::Table {
            header: vec![],
            widths: vec![-1.0],
            rows: vec![row(&["only"], Mark::None)],
        },
        Block::Bars {
            title: String::new(),
            unit: String::new(),
            bars: vec![],
        },
        Block::Bars {
            title: "zeros".into(),
            unit: "%".into(),
            bars: vec![("a".into(), 0.0)],
        },
        Block::Bars {
            title: "huge".into(),
            unit: "".into(),
            bars: vec![("a".into(), f64::MAX), ("b".into(), f64::MIN_POSITIVE)],
        },
        Block::Facts(vec![]),
        // Many narrow columns.
        Block::Table {
            header: (0..60).map(|i| i.to_string()).collect(),
            widths: vec![],
            rows: vec![row(&["一二三四五六"; 60], Mark::None)],
        },
    ]);
    for (title, lang) in [
        (weird[2].clone(), Lang::En),
        (weird[4].clone(), Lang::ZhCn),
        (String::new(), Lang::En),
    ] {
        let doc = Document {
            title,
            lang,
            author: weird[3].clone(),
            blocks: blocks.clone(),
        };
        let pdf = render(&doc).expect("render");
        check_structure(&pdf);
        keep(&format!("hostile-{lang:?}-{}.pdf", doc.title.len()), &pdf);
    }
    let empty = render(&Document::default()).expect("empty document");
    check_structure(&empty);
}

#[test]
fn ten_thousand_rows() {
    let rows: Vec<Row> = (0..10_000)
        .map(|i| {
            row(
                &[
                    &i.to_string(),
                    &format!("设备 {i} device"),
                    &format!("{:.1}", i as f64 / 7.0),
                ],
                if i % 2 == 0 { Mark::Pass } else { Mark::Fail },
            )
        })
        .collect();
    let doc = Document {
        title: "Big".into(),
        lang: Lang::En,
        author: String::new(),
        blocks: vec![Block::Table {
            header: vec!["#".into(), "Name".into(), "Value".into()],
            widths: vec![1.0, 3.0, 1.0],
            rows,
        }],
    };
    let start = Instant::now();
    let pdf = render(&doc).expect("render");
    eprintln!("10 000 rows: {} bytes in {:?}", pdf.len(), start.elapsed());
    check_structure(&pdf);
    keep("rows.pdf", &pdf);
}

/// `cargo test -p ironloom-pdf --release -- --ignored --nocapture render_time`: how long
/// a ten-page document takes.
#[test]
#[ignore = "a timing, for release builds"]
fn render_time_ten_pages() {
    let mut doc = sample();
    let extra = doc.blocks.clone();
    doc.blocks.push(Block::PageBreak);
    doc.blocks
        .extend(extra.iter().cloned().chain(extra.iter().cloned()));
    // Three samples and a page of rows: ten pages.
    doc.blocks.push(Block::Table {
        header: vec!["A".into(), "B".into()],
        widths: vec![],
        rows: (0..40)
            .map(|i| row(&[&i.to_string(), "x"], Mark::None))
            .collect(),
    });
    let pdf = render(&doc).expect("render");
    keep("ten-pages.pdf", &pdf);
    let runs = 20;
    let start = Instant::now();
    for _ in 0..runs {
        std::hint::black_box(render(std::hint::black_box(&doc)).expect("render"));
    }
    let each = start.elapsed() / runs;
    let pages = pdf
        .windows(b"/Type /Page\n".len())
        .filter(|w| w == b"/Type /Page\n")
        .count();
    eprintln!(
        "{pages}-page document: {} bytes, {each:?} a render",
        pdf.len()
    );
}

#[test]
fn missing_characters_still_extract() {
    let doc = Document {
        title: "Emoji".into(),
        lang: Lang::En,
        author: String::new(),
        blocks: vec![Block::Paragraph(
            "smile 😀 done; private \u{E000} ok; 中文".into(),
        )],
    };
    let pdf = render(&doc).expect("render");
    check_structure(&pdf);
    keep("emoji.pdf", &pdf);
    if !tool("pdftotext") {
        eprintln!(
            "pdftotext is not installed (poppler-utils): only the PDF's structure was checked"
        );
        return;
    }
    let path = temp_path("emoji.pdf");
    std::fs::write(&path, &pdf).expect("write");
    let out = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext");
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("smile 😀 done; private \u{E000} ok; 中文"),
        "{text}"
    );
}
