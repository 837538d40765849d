"""How alike two grievances' wording is (措辞相似): Chinese words (jieba) and their characters,
weighted by TF-IDF over the cases compared, and the cosine of the two weightings; cases
linked by a cosine at or above a threshold fall in one cluster (single link).

Why this and not PostgreSQL's `pg_trgm` or character bigrams alone (docs/statistics.md,
"Hotspots", measured by `python -m bench.hotspot_methods`): residents say the same thing in
different words (村口道路坑洼 / 通往镇里的那条路坑坑洼洼), which shares few word or character
n-grams; jieba's words keep unrelated complaints apart, their single characters (路, 洼, 水)
bring paraphrases together. Pure Python, so the SQLite demo runs it too.

jieba loads its dictionary (1.3–1.8 s of CPU, about 80 MiB) on first use: only the process
that computes clusters (the nightly job) ever imports it, here, lazily.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import cache

# Words that say nothing about what the grievance is (they are in every one of them).
_STOP = (
    "的 了 在 是 我 我们 我家 村 村里 组 组里 反映 请求 要求 希望 尽快 一下 没有 人 就 都 很 和 与 及 等 请 "
    "那条 那段 好几天 政府 群众 问题 情况 已经 长期 存在 影响 没 到 上 里 被 也 还 又 有 这 那 把 给 让 "
    "对 为 从 向 说 要 能 会 去 来 着 过 吗 呢 啊 吧"
)
STOP_WORDS = frozenset(_STOP.split())
_NOT_WORD = re.compile(r"[\W\d_a-zA-Z]+")


@cache
def _jieba():
    import jieba  # its dictionary costs ~1.5 s and ~80 MiB: imported where clusters are computed

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba


def words(text: str) -> list[str]:
    """The grievance's words (jieba's precise mode), less stop words, digits, Latin and punctuation."""
    return [w for w in _jieba().lcut(text) if w.strip() and not _NOT_WORD.fullmatch(w) and w not in STOP_WORDS]


def terms(text: str) -> list[str]:
    """What the similarity weighs: the words, and each character of every word of two or more."""
    return terms_of(words(text))


def terms_of(found: list[str]) -> list[str]:
    """`terms` from the words already cut (the job cuts each case once)."""
    return found + [ch for word in found if len(word) > 1 for ch in word if ch not in STOP_WORDS]


def tfidf(documents: Sequence[Sequence[str]]) -> list[dict[str, float]]:
    """One unit-length TF-IDF weighting per document (smoothed IDF over these documents)."""
    n = len(documents)
    df: Counter[str] = Counter()
    for document in documents:
        df.update(set(document))
    vectors = []
    for document in documents:
        weights = {t: c * (math.log((1 + n) / (1 + df[t])) + 1) for t, c in Counter(document).items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        vectors.append({t: w / norm for t, w in weights.items()})
    return vectors


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


def clusters(texts: Sequence[str], threshold: float) -> list[list[int]]:
    """The indexes of `texts` grouped by single link at `threshold`, groups of two or more
    only, largest first. Quadratic in the texts: callers pass one place and category."""
    return clusters_of([terms(text) for text in texts], threshold)


def clusters_of(documents: Sequence[Sequence[str]], threshold: float) -> list[list[int]]:
    """`clusters` of documents already cut into `terms`."""
    vectors = tfidf(documents)
    parent = list(range(len(documents)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(vectors)):
        for j in range(i + 1, len(vectors)):
            if root(i) != root(j) and cosine(vectors[i], vectors[j]) >= threshold:
                parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(documents)):
        groups.setdefault(root(i), []).append(i)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), g[0]))


def keywords(texts: Sequence[str], *, most: int = 5) -> list[str]:
    """What a cluster is about: words of two characters or more that at least half of its
    texts (and at least two) use, the most used first. A word one resident used (a name, a
    house number) is never one of them."""
    return keywords_of([words(text) for text in texts], most=most)


def keywords_of(cut: Sequence[Sequence[str]], *, most: int = 5) -> list[str]:
    """`keywords` of texts already cut into `words`."""
    per_text = [{w for w in found if len(w) > 1} for found in cut]
    counts: Counter[str] = Counter()
    for found in per_text:
        counts.update(found)
    needed = max(2, math.ceil(len(cut) / 2))
    common = [(word, count) for word, count in counts.items() if count >= needed]
    common.sort(key=lambda item: (-item[1], -len(item[0]), item[0]))
    return [word for word, _count in common[:most]]
