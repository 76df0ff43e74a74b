//! `docs/models.md`, generated from the library so it cannot drift: a test compares the
//! file with [`markdown`] (regenerate with `IRONLOOM_WRITE_DOCS=1 cargo test -p
//! ironloom-models docs`).

use crate::models;
use ironloom_core::model::{Domain, ModelKind, Port};
use std::fmt::Write;

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

/// The whole document.
pub fn markdown() -> String {
    let all: Vec<_> = models().collect();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Model library\n\nGenerated from `crates/models` (a test fails when this file and the code disagree; \
         regenerate with `IRONLOOM_WRITE_DOCS=1 cargo test -p ironloom-models docs`). Every model is a pure \
         function with the reference it implements; its test cases are in `crates/models/vectors/`, each \
         naming its source. Call one with `POST /api/v1/models/{{id}}/invoke` (inputs in any unit of the \
         right kind), or find them on the console's model library page.\n"
    );
    let _ = writeln!(s, "{} models.\n", all.len());
    let _ = writeln!(s, "| type | models |\n|---|---:|");
    for k in ModelKind::ALL {
        let n = all.iter().filter(|m| m.card.kind == k).count();
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

    #[test]
    fn docs_models_md_matches_the_library() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/models.md");
        let want = super::markdown();
        if std::env::var_os("IRONLOOM_WRITE_DOCS").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "docs/models.md is out of date: regenerate with IRONLOOM_WRITE_DOCS=1 cargo test -p ironloom-models docs"
        );
    }
}
