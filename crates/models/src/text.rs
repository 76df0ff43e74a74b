//! Text analysis of maintenance logs and work orders, in Chinese and English: tokens,
//! TF-IDF keywords, similar past records, and a naive Bayes classifier of records by
//! their labels.
//!
//! Tokens: text is lower-cased; runs of letters and digits of other scripts become words
//! of two or more characters (scikit-learn's default `token_pattern`, `\b\w\w+\b`); runs
//! of Chinese characters (CJK Unified Ideographs) become their overlapping character
//! bigrams — a one-character run is kept as it is — the dictionary-free segmentation of
//! Lucene's CJKAnalyzer, which needs no word list and matches phrases across word
//! boundaries. The weights follow scikit-learn's `TfidfVectorizer` (smooth idf, raw term
//! counts, l2-normalised rows) and `MultinomialNB`, which the test run checks them
//! against with the same tokens.

use crate::{Eval, Model};
use ironloom_core::model::{Datum, Domain, ModelCard, ModelKind, Port, Reference, Refusal, Text};
use std::collections::{BTreeMap, HashMap};

fn cjk(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

/// The tokens of one text, in order.
pub(crate) fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lower = text.to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if cjk(c) {
            let start = i;
            while i < chars.len() && cjk(chars[i]) {
                i += 1;
            }
            let run = &chars[start..i];
            if run.len() == 1 {
                out.push(run[0].to_string());
            } else {
                out.extend(run.windows(2).map(|w| w.iter().collect::<String>()));
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_')
                && !cjk(chars[i])
            {
                i += 1;
            }
            if i - start >= 2 {
                out.push(chars[start..i].iter().collect());
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Term counts of each document over a vocabulary in sorted order.
struct Counts {
    vocabulary: Vec<String>,
    /// Per document: (term index, count), by term index.
    rows: Vec<Vec<(usize, f64)>>,
}

fn count(docs: &[String]) -> Counts {
    let tokenised: Vec<Vec<String>> = docs.iter().map(|d| tokens(d)).collect();
    let mut vocabulary: Vec<String> = tokenised.iter().flatten().cloned().collect();
    vocabulary.sort();
    vocabulary.dedup();
    let index: HashMap<&str, usize> = vocabulary
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i))
        .collect();
    let rows = tokenised.iter().map(|ts| row(ts, &index)).collect();
    Counts { vocabulary, rows }
}

fn row(ts: &[String], index: &HashMap<&str, usize>) -> Vec<(usize, f64)> {
    let mut m: BTreeMap<usize, f64> = BTreeMap::new();
    for t in ts {
        if let Some(&i) = index.get(t.as_str()) {
            *m.entry(i).or_default() += 1.0;
        }
    }
    m.into_iter().collect()
}

/// Smooth inverse document frequencies: ln((1 + n) / (1 + df)) + 1.
fn idf(c: &Counts) -> Vec<f64> {
    let mut df = vec![0.0; c.vocabulary.len()];
    for r in &c.rows {
        for (i, _) in r {
            df[*i] += 1.0;
        }
    }
    let n = c.rows.len() as f64;
    df.iter()
        .map(|d| ((1.0 + n) / (1.0 + d)).ln() + 1.0)
        .collect()
}

/// A row weighted by idf and scaled to unit length.
fn tfidf(r: &[(usize, f64)], idf: &[f64]) -> Vec<(usize, f64)> {
    let w: Vec<(usize, f64)> = r.iter().map(|(i, c)| (*i, c * idf[*i])).collect();
    let norm = w.iter().map(|(_, x)| x * x).sum::<f64>().sqrt();
    if norm == 0.0 {
        return w;
    }
    w.into_iter().map(|(i, x)| (i, x / norm)).collect()
}

fn no_tokens() -> Refusal {
    Refusal::new(
        "the texts hold no words (two letters or digits, or a Chinese character)",
        "文本中没有可用的词（至少两个字母或数字，或一个汉字）",
    )
}

fn tokenize(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let docs = d[0].texts();
    let toks: Vec<Vec<String>> = docs.iter().map(|t| tokens(t)).collect();
    Ok(vec![
        Datum::Text(toks.iter().map(|t| t.join(" ")).collect()),
        Datum::Series(toks.iter().map(|t| t.len() as f64).collect()),
    ])
}

fn keywords(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let docs = d[0].texts();
    let k = d[1].scalar() as usize;
    let c = count(docs);
    if c.vocabulary.is_empty() {
        return Err(no_tokens());
    }
    let idf = idf(&c);
    let mut total = vec![0.0; c.vocabulary.len()];
    for r in &c.rows {
        for (i, x) in tfidf(r, &idf) {
            total[i] += x;
        }
    }
    let mut order: Vec<usize> = (0..total.len()).collect();
    // Heaviest first; ties by the term.
    order.sort_by(|&a, &b| total[b].total_cmp(&total[a]).then(a.cmp(&b)));
    order.truncate(k);
    Ok(vec![
        Datum::Text(order.iter().map(|&i| c.vocabulary[i].clone()).collect()),
        Datum::Series(order.iter().map(|&i| total[i]).collect()),
    ])
}

fn cosine(a: &[(usize, f64)], b: &[(usize, f64)]) -> f64 {
    let (mut i, mut j, mut s) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                s += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    s
}

fn similar(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (docs, queries) = (d[0].texts(), d[1].texts());
    let c = count(docs);
    if c.vocabulary.is_empty() {
        return Err(no_tokens());
    }
    let idf = idf(&c);
    let index: HashMap<&str, usize> = c
        .vocabulary
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i))
        .collect();
    let rows: Vec<Vec<(usize, f64)>> = c.rows.iter().map(|r| tfidf(r, &idf)).collect();
    let (mut best, mut score) = (Vec::new(), Vec::new());
    for q in queries {
        let v = tfidf(&row(&tokens(q), &index), &idf);
        let mut top = (f64::NAN, 0.0);
        for (i, r) in rows.iter().enumerate() {
            let s = cosine(&v, r);
            // The first of equal scores.
            if top.0.is_nan() || s > top.1 {
                top = (i as f64, s);
            }
        }
        best.push(top.0);
        score.push(top.1);
    }
    Ok(vec![Datum::Series(best), Datum::Series(score)])
}

fn naive_bayes(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (docs, labels, queries) = (d[0].texts(), d[1].texts(), d[2].texts());
    let alpha = d[3].scalar();
    if docs.len() != labels.len() {
        return Err(Refusal::new(
            format!(
                "{} texts but {} labels: each text needs its label",
                docs.len(),
                labels.len()
            ),
            format!(
                "有 {} 条文本但有 {} 个标签：每条文本需要一个标签",
                docs.len(),
                labels.len()
            ),
        ));
    }
    let c = count(docs);
    if c.vocabulary.is_empty() {
        return Err(no_tokens());
    }
    let mut classes: Vec<&String> = labels.iter().collect();
    classes.sort();
    classes.dedup();
    let v = c.vocabulary.len();
    // Per class: documents, and term counts.
    let mut n_docs = vec![0.0; classes.len()];
    let mut counts = vec![vec![0.0; v]; classes.len()];
    for (r, label) in c.rows.iter().zip(labels) {
        let k = classes.binary_search(&label).unwrap_or(0);
        n_docs[k] += 1.0;
        for (i, x) in r {
            counts[k][*i] += x;
        }
    }
    let total = docs.len() as f64;
    let log_prior: Vec<f64> = n_docs.iter().map(|n| (n / total).ln()).collect();
    let log_like: Vec<Vec<f64>> = counts
        .iter()
        .map(|cs| {
            let sum = cs.iter().sum::<f64>() + alpha * v as f64;
            cs.iter().map(|x| ((x + alpha) / sum).ln()).collect()
        })
        .collect();
    let index: HashMap<&str, usize> = c
        .vocabulary
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i))
        .collect();
    let (mut predicted, mut probability) = (Vec::new(), Vec::new());
    for q in queries {
        let r = row(&tokens(q), &index);
        let joint: Vec<f64> = (0..classes.len())
            .map(|k| log_prior[k] + r.iter().map(|(i, x)| x * log_like[k][*i]).sum::<f64>())
            .collect();
        let max = joint.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let z: f64 = joint.iter().map(|j| (j - max).exp()).sum();
        // The first class of equal scores, as argmax does.
        let k = joint
            .iter()
            .enumerate()
            .fold(0, |b, (i, j)| if *j > joint[b] { i } else { b });
        predicted.push(classes[k].clone());
        probability.push((joint[k] - max).exp() / z);
    }
    Ok(vec![Datum::Text(predicted), Datum::Series(probability)])
}

const DOCS: Port = Port::text("docs", "Texts (records)", "文本（记录）");
const QUERIES: Port = Port::text("queries", "Texts to look up", "待查询文本");
const TEXT_INDUSTRIES: &[&str] = &["C34", "C38", "C26", "C36", "D44"];
const SKLEARN: Reference = Reference {
    source: "Pedregosa et al., Scikit-learn: Machine Learning in Python, JMLR 12 (2011) 2825–2830; scikit-learn 1.9 user guide",
    locator: "§6.2.3 Text feature extraction (TfidfVectorizer: smooth_idf, norm l2); §1.9.2 Multinomial naive Bayes",
};
const CJK_BIGRAMS: Reference = Reference {
    source: "Apache Lucene, CJKAnalyzer / CJKBigramFilter (overlapping character bigrams for Chinese, Japanese and Korean)",
    locator: "org.apache.lucene.analysis.cjk; Manning, Raghavan & Schütze, Introduction to Information Retrieval (2008), §2.2.2 and §6.2",
};

const fn card(
    id: &'static str,
    name: Text,
    summary: Text,
    inputs: &'static [Port],
    outputs: &'static [Port],
    formula: Text,
) -> ModelCard {
    ModelCard {
        id,
        version: 1,
        name,
        summary,
        kind: ModelKind::Algorithm,
        industries: TEXT_INDUSTRIES,
        domains: &[Domain::Service, Domain::Operations, Domain::Production],
        inputs,
        outputs,
        formula,
        references: &[CJK_BIGRAMS, SKLEARN],
    }
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "text.tokenize",
            Text::new(
                "Tokens of texts (Chinese and English)",
                "文本分词（中英文）",
            ),
            Text::new(
                "Splits maintenance records into words: English and other words of two or more letters or digits, Chinese as overlapping character bigrams.",
                "把维修记录切分为词：英文等文字取两个及以上字母或数字组成的词，中文取相邻两字的重叠二元组。",
            ),
            &[DOCS],
            &[
                Port::text("tokens", "Tokens, space-separated", "词（空格分隔）"),
                Port::series("count", "Tokens per text", "每条文本的词数", ""),
            ],
            Text::new(
                "Lower-case; words \\b\\w\\w+\\b outside Chinese; each run of Chinese characters c₁…cₙ gives c₁c₂, c₂c₃, …, cₙ₋₁cₙ (a single character stays).",
                "转为小写；非中文部分取 \\b\\w\\w+\\b 的词；每段连续汉字 c₁…cₙ 取 c₁c₂、c₂c₃、…、cₙ₋₁cₙ（单字保留）。",
            ),
        ),
        eval: Eval::Data(tokenize),
    },
    Model {
        card: card(
            "text.tfidf_keywords",
            Text::new("Keywords by TF-IDF", "TF-IDF 关键词"),
            Text::new(
                "The words that characterise a set of records: each record's TF-IDF vector (unit length), summed over the records, heaviest first.",
                "刻画一组记录的关键词：各记录的 TF-IDF 向量（单位长度）按词求和，按权重从大到小。",
            ),
            &[
                DOCS,
                Port::new("k", "Keywords wanted", "关键词个数", "", 1.0, 1000.0).default(10.0),
            ],
            &[
                Port::text("keywords", "Keywords", "关键词"),
                Port::series("weights", "Summed TF-IDF weights", "TF-IDF 权重和", ""),
            ],
            Text::new(
                "idf(t) = ln((1 + n)/(1 + df(t))) + 1; row = counts·idf / ‖counts·idf‖₂; weight(t) = Σ rows(t).",
                "idf(t) = ln((1 + n)/(1 + df(t))) + 1；行向量 = 词频·idf / ‖词频·idf‖₂；权重(t) = Σ 各行(t)。",
            ),
        ),
        eval: Eval::Data(keywords),
    },
    Model {
        card: card(
            "text.most_similar",
            Text::new("Most similar past record", "最相似的历史记录"),
            Text::new(
                "For each new text, the record most like it by cosine similarity of TF-IDF vectors (fitted on the records): find earlier work orders for the same fault.",
                "对每条新文本，按 TF-IDF 向量（以历史记录拟合）的余弦相似度找出最相似的记录，用于查找同类故障的历史工单。",
            ),
            &[DOCS, QUERIES],
            &[
                Port::series(
                    "best",
                    "Index of the most similar record (from 0)",
                    "最相似记录的序号（从 0 起）",
                    "",
                ),
                Port::series("score", "Cosine similarity", "余弦相似度", ""),
            ],
            Text::new(
                "score = max over records of (q · d) with q, d the unit-length TF-IDF vectors; the first record of equal scores.",
                "相似度 = 各记录中 q · d 的最大值（q、d 为单位长度 TF-IDF 向量）；得分相同时取序号最小者。",
            ),
        ),
        eval: Eval::Data(similar),
    },
    Model {
        card: card(
            "text.naive_bayes",
            Text::new(
                "Classify records (multinomial naive Bayes)",
                "记录分类（多项式朴素贝叶斯）",
            ),
            Text::new(
                "Learns labels of records (fault type, responsible trade) from labelled examples and labels new texts, with the probability of the label given.",
                "从带标签的记录（故障类型、责任工种）学习，对新文本给出标签及其概率。",
            ),
            &[
                DOCS,
                Port::text("labels", "Labels of the records", "记录的标签"),
                QUERIES,
                Port::new(
                    "alpha",
                    "Additive smoothing α",
                    "加法平滑 α",
                    "",
                    1e-10,
                    1e6,
                )
                .default(1.0),
            ],
            &[
                Port::text("predicted", "Predicted labels", "预测标签"),
                Port::series(
                    "probability",
                    "Probability of the predicted label",
                    "预测标签的概率",
                    "",
                ),
            ],
            Text::new(
                "P(c|q) ∝ P(c) Π_t θ_ct^{n_t(q)}, θ_ct = (N_ct + α)/(N_c + α|V|), labels sorted; token counts as text.tokenize gives them.",
                "P(c|q) ∝ P(c) Π_t θ_ct^{n_t(q)}，θ_ct = (N_ct + α)/(N_c + α|V|)，标签按字典序；词频按 text.tokenize 的分词。",
            ),
        ),
        eval: Eval::Data(naive_bayes),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_runs_become_bigrams_and_short_words_are_dropped() {
        assert_eq!(
            tokens("Pump P-101 轴承温度高, 停机"),
            ["pump", "101", "轴承", "承温", "温度", "度高", "停机"]
        );
        assert_eq!(tokens("泵"), ["泵"]);
        assert_eq!(tokens("a b"), Vec::<String>::new());
        assert_eq!(tokens("Bearing_2 OVERHEAT"), ["bearing_2", "overheat"]);
    }
}
