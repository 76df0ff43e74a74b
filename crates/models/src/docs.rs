//! `docs/models.md` and `docs/algorithms.md`, generated from the library so they cannot drift: a test compares each
//! file with [`markdown`] (regenerate with `IRONLOOM_WRITE_DOCS=1 cargo test -p
//! ironloom-models docs`).

use crate::models;
use ironloom_core::model::{Domain, ModelKind, Port};
use std::collections::BTreeMap;
use std::fmt::Write;

/// A model's test cases by the kind of their source: published (read in the cited
/// source), computed (by a named open implementation), hand (closed form worked by hand).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CaseCounts {
    pub published: usize,
    pub computed: usize,
    pub hand: usize,
}

fn ports(ports: &[Port]) -> String {
    ports
        .iter()
        .map(|p| {
            let unit = if p.unit.is_empty() {
                String::new()
            } else {
                format!(" [{}]", p.unit)
            };
            let range = if p.choices.is_empty() && (p.min.is_finite() || p.max.is_finite()) {
                format!(" {}…{}", p.min, p.max)
            } else if !p.choices.is_empty() {
                format!(" ({})", p.choices.join(" / "))
            } else {
                String::new()
            };
            format!("`{}` {}{unit}{range}", p.name, p.label.en)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Which of the two documents: the mechanism models (研发仿真, 业务流程, 行业机理) or the
/// data algorithms (数据算法).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Models,
    Algorithms,
}

/// One document, with each model's test cases counted by kind.
pub fn markdown(part: Part, cases: &BTreeMap<String, CaseCounts>) -> String {
    let all: Vec<_> = models()
        .filter(|m| (m.card.kind == ModelKind::Algorithm) == (part == Part::Algorithms))
        .collect();
    let title = match part {
        Part::Models => {
            "# Model library: mechanism models\n\nThe data algorithms are in [algorithms.md](algorithms.md).\n"
        }
        Part::Algorithms => {
            "# Model library: data algorithms\n\nThe mechanism models are in [models.md](models.md).\n"
        }
    };
    let mut s = String::new();
    let _ = writeln!(s, "{title}");
    let _ = writeln!(
        s,
        "Generated from `crates/models` (a test fails when this file and the code disagree; \
         regenerate with `IRONLOOM_WRITE_DOCS=1 cargo test -p ironloom-models docs`). Every model is a pure \
         function with the reference it implements; its test cases are in `crates/models/vectors/`, each \
         naming its source. Call one with `POST /api/v1/models/{{id}}/invoke` (inputs in any unit of the \
         right kind), from a rule expression with `model(\"id\", \"output\", inputs…)` (inputs in \
         the declared units and order; see rules.md), or find them on the console's model library \
         page. Every call is counted per tenant and month (`GET /api/v1/usage`).\n"
    );
    let _ = writeln!(s, "{} entries.\n", all.len());
    let count = |id: &str| cases.get(id).copied().unwrap_or_default();
    let three = all
        .iter()
        .filter(|m| count(m.card.id).published >= 3)
        .count();
    let some = all
        .iter()
        .filter(|m| count(m.card.id).published >= 1)
        .count();
    let total: CaseCounts = all.iter().fold(CaseCounts::default(), |a, m| {
        let c = count(m.card.id);
        CaseCounts {
            published: a.published + c.published,
            computed: a.computed + c.computed,
            hand: a.hand + c.hand,
        }
    });
    let _ = writeln!(
        s,
        "Test cases: {} published (read in the cited source), {} computed by a named open \
         implementation, {} worked by hand from the closed form. {three} models have three or \
         more published cases, {some} at least one; the others are checked against an open \
         implementation in the test run where one exists (`crates/models/tests/crosscheck.py`, `crosscheck_algorithms.py`; \
         the trained models of `crates/models/onnx/` against onnxruntime in `crosscheck_onnx.py`) \
         and await published worked examples.\n",
        total.published, total.computed, total.hand
    );
    let _ = writeln!(s, "| type | models |\n|---|---:|");
    for k in ModelKind::ALL {
        let n = all.iter().filter(|m| m.card.kind == k).count();
        if n == 0 {
            continue;
        }
        let _ = writeln!(s, "| {} {} | {n} |", k.name().zh, k.name().en);
    }
    let _ = writeln!(s, "\n| domain | models |\n|---|---:|");
    for d in Domain::ALL {
        let n = all.iter().filter(|m| m.card.domains.contains(&d)).count();
        let _ = writeln!(s, "| {} {} | {n} |", d.name().zh, d.name().en);
    }
    let _ = writeln!(s);
    for m in &all {
        let c = &m.card;
        let _ = writeln!(s, "## `{}` — {} / {}\n", c.id, c.name.zh, c.name.en);
        let _ = writeln!(s, "{}\n\n{}\n", c.summary.en, c.summary.zh);
        let _ = writeln!(
            s,
            "- type: {} {}; industries (GB/T 4754): {}; domains: {}; version {}",
            c.kind.name().zh,
            c.kind.name().en,
            c.industries.join(", "),
            c.domains
                .iter()
                .map(|d| d.name().zh)
                .collect::<Vec<_>>()
                .join("、"),
            c.version
        );
        let _ = writeln!(s, "- inputs: {}", ports(c.inputs));
        let _ = writeln!(s, "- outputs: {}", ports(c.outputs));
        let n = count(c.id);
        let _ = writeln!(
            s,
            "- test cases: {} published, {} computed, {} by hand",
            n.published, n.computed, n.hand
        );
        let _ = writeln!(s, "- formula: {}", c.formula.en);
        for r in c.references {
            if r.locator.is_empty() {
                let _ = writeln!(s, "- reference: {}", r.source);
            } else {
                let _ = writeln!(s, "- reference: {}, {}", r.source, r.locator);
            }
        }
        let _ = writeln!(s);
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::CaseCounts;
    use std::collections::BTreeMap;

    /// The cases of `vectors/`, counted per model by the kind their source names.
    fn counts() -> BTreeMap<String, CaseCounts> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
        let mut out: BTreeMap<String, CaseCounts> = BTreeMap::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            for case in v["cases"].as_array().unwrap() {
                let c = out
                    .entry(case["model"].as_str().unwrap().to_string())
                    .or_default();
                let source = case["source"].as_str().unwrap();
                if source.starts_with("published:") {
                    c.published += 1;
                } else if source.starts_with("computed:") {
                    c.computed += 1;
                } else {
                    c.hand += 1;
                }
            }
        }
        out
    }

    #[test]
    fn docs_models_and_algorithms_md_match_the_library() {
        for (part, file) in [
            (super::Part::Models, "models.md"),
            (super::Part::Algorithms, "algorithms.md"),
        ] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../docs")
                .join(file);
            let want = super::markdown(part, &counts());
            if std::env::var_os("IRONLOOM_WRITE_DOCS").is_some() {
                std::fs::write(&path, &want).unwrap();
            }
            let have = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                have == want,
                "docs/{file} is out of date: regenerate with IRONLOOM_WRITE_DOCS=1 cargo test -p ironloom-models docs"
            );
        }
    }
}
