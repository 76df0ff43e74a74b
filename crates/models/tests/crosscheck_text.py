"""Text analysis against scikit-learn on random maintenance records in Chinese and English.

Run by `tests/crosscheck.rs` like the other cross-check scripts. The tokens are defined by
the library (`crates/models/src/text.rs`): lower-case, words of two or more letters or
digits outside Chinese, overlapping character bigrams of Chinese runs. The same
definition is written here and handed to scikit-learn as the analyzer, so the TF-IDF
weights, cosine similarities and naive Bayes probabilities are scikit-learn's. Rows whose
answer hangs on a near tie (two weights within 1e-9) are drawn again: the order of such
words would depend on rounding, not on the method.
"""

import json
import random
import sys
from importlib.metadata import version

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity
from sklearn.naive_bayes import MultinomialNB

ROWS = 40
rng = random.Random(20261206)
rows = []


def cjk(c):
    o = ord(c)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF


def tokens(text):
    out = []
    s = text.lower()
    i = 0
    while i < len(s):
        c = s[i]
        if cjk(c):
            j = i
            while j < len(s) and cjk(s[j]):
                j += 1
            run = s[i:j]
            out.extend([run] if len(run) == 1 else [run[k : k + 2] for k in range(len(run) - 1)])
            i = j
        elif c.isalnum() or c == "_":
            j = i
            while j < len(s) and (s[j].isalnum() or s[j] == "_") and not cjk(s[j]):
                j += 1
            if j - i >= 2:
                out.append(s[i:j])
            i = j
        else:
            i += 1
    return out


ZH = ["轴承", "温度高", "振动大", "更换", "密封圈", "泄漏", "电机", "过载", "跳闸", "润滑",
      "不足", "皮带", "松动", "异响", "检查", "紧固", "冷却水", "压力低", "传感器", "故障",
      "清洗", "过滤器", "堵塞", "齿轮箱", "磨损", "报警", "停机", "复位", "变频器", "阀门"]
EN = ["bearing", "overheat", "vibration", "replace", "seal", "leak", "motor", "overload",
      "trip", "lubrication", "belt", "loose", "noise", "inspect", "tighten", "cooling",
      "pressure", "sensor", "fault", "clean", "filter", "blocked", "gearbox", "wear",
      "alarm", "stop", "reset", "inverter", "valve", "P-101", "M2", "x"]
LABELS = ["electrical", "mechanical", "process"]


def record():
    words = [rng.choice(ZH if rng.random() < 0.5 else EN) for _ in range(rng.randint(2, 9))]
    sep = rng.choice([" ", "，", ", ", ""])
    return sep.join(words)


def clear(values):
    """No two different values within 1e-9 (relative) of each other."""
    v = sorted(values)
    return all(b == a or (b - a) > 1e-9 * max(abs(a), abs(b), 1e-300) for a, b in zip(v, v[1:]))


def add(model, inputs, expect, rel):
    rows.append({"model": model, "inputs": inputs, "expect": expect, "rel": rel})


# Tokens.
for _ in range(10):
    docs = [record() for _ in range(rng.randint(1, 6))]
    toks = [tokens(d) for d in docs]
    add("text.tokenize", {"docs": docs},
        {"tokens": [" ".join(t) for t in toks], "count": [float(len(t)) for t in toks]}, 1e-12)

# Keywords: scikit-learn's TF-IDF rows summed over the records.
made = 0
while made < ROWS:
    docs = [record() for _ in range(rng.randint(2, 30))]
    if not any(tokens(d) for d in docs):
        continue
    vec = TfidfVectorizer(analyzer=tokens)
    x = vec.fit_transform(docs)
    total = np.asarray(x.sum(axis=0)).ravel()
    terms = vec.get_feature_names_out()
    k = min(rng.randint(1, 12), len(terms))
    order = sorted(range(len(terms)), key=lambda i: (-total[i], terms[i]))
    if not clear(total[order[: k + 1]]):
        continue
    add("text.tfidf_keywords", {"docs": docs, "k": k},
        {"keywords": [str(terms[i]) for i in order[:k]], "weights": [float(total[i]) for i in order[:k]]}, 1e-9)
    made += 1

# The most similar record of each query.
made = 0
while made < ROWS:
    docs = [record() for _ in range(rng.randint(2, 25))]
    queries = [record() for _ in range(rng.randint(1, 5))]
    if not any(tokens(d) for d in docs):
        continue
    vec = TfidfVectorizer(analyzer=tokens)
    d = vec.fit_transform(docs)
    s = cosine_similarity(vec.transform(queries), d)
    if not all(clear(r) for r in s):
        continue
    add("text.most_similar", {"docs": docs, "queries": queries},
        {"best": [float(np.argmax(r)) for r in s], "score": [float(np.max(r)) for r in s]}, 1e-9)
    made += 1

# Naive Bayes on labelled records.
made = 0
while made < ROWS:
    n = rng.randint(3, 40)
    docs = [record() for _ in range(n)]
    labels = [rng.choice(LABELS) for _ in range(n)]
    queries = [record() for _ in range(rng.randint(1, 6))]
    if not any(tokens(d) for d in docs):
        continue
    alpha = rng.choice([1.0, 0.5, 0.1])
    vec = CountVectorizer(analyzer=tokens)
    nb = MultinomialNB(alpha=alpha).fit(vec.fit_transform(docs), labels)
    q = vec.transform(queries)
    joint = nb.predict_joint_log_proba(q)
    if not all(clear(r) for r in joint):
        continue
    proba = nb.predict_proba(q)
    pred = nb.predict(q)
    add("text.naive_bayes", {"docs": docs, "labels": labels, "queries": queries, "alpha": alpha},
        {"predicted": [str(p) for p in pred], "probability": [float(r.max()) for r in proba]}, 1e-9)
    made += 1

json.dump({"packages": {"scikit-learn": version("scikit-learn")}, "rows": rows}, sys.stdout, ensure_ascii=False)
