//! A small full-text index for the marketplace's catalogue: Chinese and English, ranked
//! by BM25 (Robertson & Zaragoza, "The Probabilistic Relevance Framework: BM25 and
//! Beyond", 2009; k1 = 1.2, b = 0.75) with per-field weights.
//!
//! Segmentation: Latin text is split into lower-case words (letters and digits), with a
//! plural `s` folded; Chinese (CJK ideographs) is segmented into overlapping character
//! bigrams, the approach of Lucene's CJK analyser and Elasticsearch's `cjk_bigram`, which
//! needs no dictionary and finds every word of two or more characters a query holds. A
//! single Chinese character is indexed and searched as a unigram. A query's terms must
//! all match (AND), so "压缩空气" finds what contains 压缩, 缩空 and 空气.

use std::collections::HashMap;

/// Is `c` a CJK ideograph (or kana / hangul: written without spaces, segmented alike)?
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF
        | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

fn fold(word: &str) -> String {
    let w = word.to_lowercase();
    // A plural: "pumps" finds "pump", "losses" "loss"; short words stay.
    if w.len() > 4 && w.ends_with("ies") {
        return format!("{}y", &w[..w.len() - 3]);
    }
    if w.len() > 4 && w.ends_with("sses") {
        return w[..w.len() - 2].to_string();
    }
    if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") {
        return w[..w.len() - 1].to_string();
    }
    w
}

/// The terms of a text: folded Latin words, and CJK bigrams (a lone CJK character as a
/// unigram).
pub fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut run: Vec<char> = Vec::new();
    let flush_run = |run: &mut Vec<char>, out: &mut Vec<String>| {
        match run.len() {
            0 => {}
            1 => out.push(run[0].to_string()),
            _ => {
                for pair in run.windows(2) {
                    out.push(pair.iter().collect());
                }
            }
        }
        run.clear();
    };
    for c in text.chars() {
        if is_cjk(c) {
            if !word.is_empty() {
                out.push(fold(&word));
                word.clear();
            }
            run.push(c);
        } else if c.is_alphanumeric() {
            flush_run(&mut run, &mut out);
            word.push(c);
        } else {
            flush_run(&mut run, &mut out);
            if !word.is_empty() {
                out.push(fold(&word));
                word.clear();
            }
        }
    }
    flush_run(&mut run, &mut out);
    if !word.is_empty() {
        out.push(fold(&word));
    }
    out
}

/// One searchable document: its fields' texts with their weights.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    pub fields: Vec<(f64, String)>,
}

/// The index: postings per term (document, weighted term frequency), document lengths.
#[derive(Debug, Default)]
pub struct Index {
    postings: HashMap<String, Vec<(u32, f64)>>,
    lengths: Vec<f64>,
    average: f64,
}

const K1: f64 = 1.2;
const B: f64 = 0.75;

impl Index {
    /// Indexes documents; results name them by their position.
    pub fn build(docs: &[Doc]) -> Index {
        let mut postings: HashMap<String, Vec<(u32, f64)>> = HashMap::new();
        let mut lengths = Vec::with_capacity(docs.len());
        for (i, doc) in docs.iter().enumerate() {
            let mut tf: HashMap<String, f64> = HashMap::new();
            let mut len = 0.0;
            for (weight, text) in &doc.fields {
                for t in terms(text) {
                    *tf.entry(t).or_default() += weight;
                    len += weight;
                }
            }
            lengths.push(len);
            let id = u32::try_from(i).unwrap_or(u32::MAX);
            for (t, f) in tf {
                postings.entry(t).or_default().push((id, f));
            }
        }
        let average = if lengths.is_empty() {
            1.0
        } else {
            (lengths.iter().sum::<f64>() / lengths.len() as f64).max(1.0)
        };
        Index {
            postings,
            lengths,
            average,
        }
    }

    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// The documents holding every term of `query`, best first, with their scores. An
    /// empty query matches nothing (list without one).
    pub fn search(&self, query: &str) -> Vec<(usize, f64)> {
        let mut q = terms(query);
        q.sort();
        q.dedup();
        if q.is_empty() {
            return vec![];
        }
        let n = self.lengths.len() as f64;
        // The rarest term first: the smallest candidate set.
        let mut lists: Vec<&Vec<(u32, f64)>> = Vec::with_capacity(q.len());
        for t in &q {
            match self.postings.get(t) {
                Some(p) => lists.push(p),
                None => return vec![],
            }
        }
        lists.sort_by_key(|l| l.len());
        let mut scores: HashMap<u32, f64> = HashMap::new();
        for (k, list) in lists.iter().enumerate() {
            let df = list.len() as f64;
            let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
            let mut next: HashMap<u32, f64> = HashMap::with_capacity(scores.len().min(list.len()));
            for &(doc, tf) in list.iter() {
                if k > 0 && !scores.contains_key(&doc) {
                    continue;
                }
                let len = self.lengths[doc as usize];
                let s = idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / self.average));
                next.insert(doc, scores.get(&doc).copied().unwrap_or(0.0) + s);
            }
            scores = next;
            if scores.is_empty() {
                return vec![];
            }
        }
        let mut out: Vec<(usize, f64)> = scores.into_iter().map(|(d, s)| (d as usize, s)).collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_segmented_into_bigrams_and_latin_into_folded_words() {
        assert_eq!(
            terms("压缩空气泄漏"),
            ["压缩", "缩空", "空气", "气泄", "泄漏"]
        );
        assert_eq!(terms("泵"), ["泵"]);
        assert_eq!(
            terms("OEE 设备综合效率, Pumps & losses"),
            [
                "oee", "设备", "备综", "综合", "合效", "效率", "pump", "loss"
            ]
        );
        assert_eq!(terms("CO₂ batteries"), ["co₂", "battery"]);
    }

    fn docs() -> Vec<Doc> {
        let d = |name: &str, desc: &str| Doc {
            fields: vec![(3.0, name.into()), (1.0, desc.into())],
        };
        vec![
            d(
                "压缩空气泄漏检测 Compressed air leaks",
                "夜间按定时法和流量法计算泄漏率",
            ),
            d(
                "水泵效率 Pump efficiency",
                "由流量、扬程和轴功率计算水泵效率 pump",
            ),
            d("电机负载率 Motor load", "估算异步电动机的负载率和效率"),
            d("空气压缩机 Air compressor energy", "空压机比功率"),
        ]
    }

    #[test]
    fn every_query_term_must_match_and_the_name_weighs_more() {
        let ix = Index::build(&docs());
        let hits: Vec<usize> = ix.search("压缩空气").iter().map(|h| h.0).collect();
        assert_eq!(hits, [0], "only the document holding 压缩, 缩空 and 空气");
        let hits: Vec<usize> = ix.search("效率").iter().map(|h| h.0).collect();
        assert_eq!(hits, [1, 2], "the name's match first");
        let hits: Vec<usize> = ix.search("pumps").iter().map(|h| h.0).collect();
        assert_eq!(hits, [1]);
        let hits: Vec<usize> = ix.search("AIR").iter().map(|h| h.0).collect();
        assert_eq!(hits.len(), 2);
        assert!(ix.search("").is_empty());
        assert!(ix.search("水泥").is_empty());
        assert!(ix.search("pump 压缩").is_empty());
    }
}
