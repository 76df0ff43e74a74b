//! The evaluation report as a PDF document to hand in: a cover with the report's facts,
//! the criteria of each platform class with their verdicts, the figures, charts by device
//! category, industry, province, domain and month, and the breakdown tables — the same
//! tables as the workbook, in the caller's language.

use crate::routes::evaluation::Report;
use crate::routes::evaluation_export::{Cell, Sheet, region_name};
use ironloom_core::division::division_of;
use ironloom_core::i18n::Locale;
use ironloom_pdf::{Block, Document, Lang, Mark, Row};

fn text(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Num(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{}", *v as i64),
        Cell::Num(v) => format!("{v:.2}"),
    }
}

fn number(v: f64) -> String {
    text(&Cell::Num(v))
}

fn plain(cells: Vec<String>) -> Row {
    Row {
        cells,
        mark: Mark::None,
    }
}

/// The document of a report; `sheets` are the workbook's tables of the same report
/// (the cover's facts first, the criteria second).
pub(crate) fn document(r: &Report, locale: Locale, sheets: Vec<Sheet>) -> Document {
    let zh = locale == Locale::ZhCn;
    let l = |en: &'static str, zh_: &'static str| if zh { zh_ } else { en };
    let m = &r.metrics;
    let title = l("Platform evaluation report", "平台评价报告");
    let mut blocks = vec![
        Block::Title(title.to_owned()),
        Block::Subtitle(format!("Ironloom · {}", r.month)),
    ];
    let mut sheets = sheets.into_iter();
    if let Some(cover) = sheets.next() {
        blocks.push(Block::Facts(
            cover
                .rows
                .iter()
                .map(|row| {
                    let cell = |i: usize| row.get(i).map(text).unwrap_or_default();
                    (cell(0), cell(1))
                })
                .collect(),
        ));
    }
    blocks.push(Block::Paragraph(
        l(
            "Every figure in this report was computed by the platform from its own records \
             (devices' data and commands, enterprises' profiles, model calls, the store); none \
             was typed in. Each can be traced in the console's evaluation page or through \
             GET /api/v1/evaluation/records.",
            "本报告中的每项数据均由平台根据自身记录（设备数据与指令、企业画像、模型调用、应用商店）\
             计算得出，无任何人工填报；每项数据均可在控制台的评价页面或通过 \
             GET /api/v1/evaluation/records 追溯到其统计的记录。",
        )
        .to_owned(),
    ));
    // The criteria, a table per class, rows marked by verdict.
    let _criteria_sheet = sheets.next();
    if !r.indicators.is_empty() {
        blocks.push(Block::PageBreak);
        blocks.push(Block::Heading(l("Criteria", "评价指标").to_owned()));
        for class in &r.classes {
            let rows: Vec<Row> = r
                .indicators
                .iter()
                .filter(|i| i.class == class.class)
                .map(|i| Row {
                    cells: vec![
                        i.name.clone(),
                        i.seed.clone(),
                        number(i.value),
                        number(i.floor),
                        i.alternative
                            .map(|a| format!("{} / {}", number(a.value), number(a.floor)))
                            .unwrap_or_default(),
                        if i.pass {
                            l("met", "达标")
                        } else {
                            l("not met", "未达标")
                        }
                        .to_owned(),
                    ],
                    mark: if i.pass { Mark::Pass } else { Mark::Fail },
                })
                .collect();
            if rows.is_empty() {
                continue;
            }
            let met = rows.iter().filter(|r| r.mark == Mark::Pass).count();
            blocks.push(Block::Heading(format!(
                "{} ({met} / {})",
                class.name,
                rows.len()
            )));
            blocks.push(Block::Table {
                header: [
                    l("Criterion", "指标"),
                    l("Source", "来源"),
                    l("Value", "数值"),
                    l("Floor", "门槛"),
                    l("Or: value / floor", "或：数值 / 门槛"),
                    l("Verdict", "结论"),
                ]
                .map(str::to_owned)
                .to_vec(),
                widths: vec![4.0, 2.4, 1.3, 1.3, 1.6, 1.1],
                rows,
            });
        }
    }
    // Charts.
    blocks.push(Block::PageBreak);
    blocks.push(Block::Heading(l("Charts", "图表").to_owned()));
    let devices = l("devices", "台");
    let cat = |k: &str| {
        ironloom_core::industry::DeviceCategory::parse(k)
            .map_or(k.to_owned(), |c| c.name(locale).to_owned())
    };
    blocks.push(Block::Bars {
        title: l("Connected devices by category", "按设备分类的连接设备数").to_owned(),
        unit: devices.to_owned(),
        bars: m
            .by_category
            .iter()
            .map(|c| (cat(&c.key), c.connected as f64))
            .collect(),
    });
    let mut industries: Vec<_> = m
        .industries
        .iter()
        .filter(|i| i.connected_devices > 0 || i.enterprises > 0)
        .collect();
    industries.sort_by_key(|i| std::cmp::Reverse((i.connected_devices, i.enterprises)));
    blocks.push(Block::Bars {
        title: l(
            "Connected devices by industry (the 15 largest)",
            "按行业的连接设备数（前 15 个行业）",
        )
        .to_owned(),
        unit: devices.to_owned(),
        bars: industries
            .iter()
            .take(15)
            .map(|i| {
                let name = division_of(&i.industry).map_or("", |d| d.name(locale));
                (format!("{} {name}", i.industry), i.connected_devices as f64)
            })
            .collect(),
    });
    blocks.push(Block::Bars {
        title: l("Enterprises by province", "按省份的服务企业数").to_owned(),
        unit: l("enterprises", "家").to_owned(),
        bars: m
            .regions
            .iter()
            .map(|x| {
                let name = region_name(&x.region, locale);
                let name = if name.is_empty() {
                    x.region.clone()
                } else {
                    name
                };
                (name, x.enterprises as f64)
            })
            .collect(),
    });
    blocks.push(Block::Bars {
        title: l("Apps by domain", "按领域的工业APP数").to_owned(),
        unit: String::new(),
        bars: m
            .domains
            .iter()
            .map(|d| {
                let name = if zh {
                    d.domain.name().zh
                } else {
                    d.domain.name().en
                };
                (name.to_owned(), d.apps as f64)
            })
            .collect(),
    });
    blocks.push(Block::Bars {
        title: l(
            "Model and algorithm calls by month",
            "按月份的模型与算法调用次数",
        )
        .to_owned(),
        unit: l("calls", "次").to_owned(),
        bars: m
            .calls_by_month
            .iter()
            .map(|c| (c.month.clone(), c.count as f64))
            .collect(),
    });
    // The figures and the breakdowns, as in the workbook.
    for s in sheets {
        blocks.push(Block::Heading(s.name.to_owned()));
        let widths = (0..s.header.len())
            .map(|i| if i == 0 { 2.5 } else { 1.0 })
            .collect();
        blocks.push(Block::Table {
            header: s.header.iter().map(|h| (*h).to_owned()).collect(),
            widths,
            rows: s
                .rows
                .iter()
                .map(|row| plain(row.iter().map(text).collect()))
                .collect(),
        });
    }
    Document {
        title: format!("{title} {}", r.month),
        lang: if zh { Lang::ZhCn } else { Lang::En },
        author: "Ironloom".to_owned(),
        blocks,
    }
}
