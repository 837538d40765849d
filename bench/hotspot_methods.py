"""`python -m bench.hotspot_methods`: how well each way of measuring Chinese wording's
similarity groups two labelled sets of seed-style complaints (docs/statistics.md, "Hotspots").

Each set holds groups of the same grievance in different residents' words and single,
unrelated complaints of the same category. Each method links two complaints when their
similarity reaches a threshold, clusters by single link, and is scored by pair precision (of
the pairs put together, how many belong together) and recall (of the pairs that belong
together, how many were put together). PostgreSQL's `pg_trgm` is measured too when
DATABASE_URL names a PostgreSQL database with the extension installed."""

from __future__ import annotations

import itertools
import os
import re
import time

SETS = {
    "infrastructure": {
        "road": [
            "村口到镇上的道路坑洼不平，下雨天积水严重，车辆无法通行，请求尽快修复。",
            "我们村通往镇里的那条路坑坑洼洼，一下雨就积水，摩托车都过不去，希望修一下路。",
            "反映村口道路破损严重，雨天积水，群众出行困难，要求修路。",
            "村到镇的公路路面坑洼，下雨积水没法走，孩子上学很不方便，请政府修复道路。",
            "村口那段道路年久失修，坑洼积水，车辆通行困难，请求维修。",
        ],
        "water": [
            "自来水管道破裂，全组已经停水三天，饮水困难，请尽快抢修。",
            "我们组停水好几天了，水管爆了没人来修，吃水都成问题。",
            "反映村里自来水管破裂停水，群众饮水困难，要求抢修供水管道。",
        ],
        "lamp": [
            "村里的路灯坏了半年没人修，晚上出行不安全。",
            "反映村内路灯长期不亮，夜间出行存在安全隐患，请求维修路灯。",
        ],
        "": [
            "村小学旁边的桥梁出现裂缝，存在安全隐患，请求检测加固。",
            "组里的水渠堵塞，灌溉用水引不进田里，影响春耕。",
            "村里手机信号很差，网络不通，请求建设通信基站。",
            "垃圾中转站长期不清运，臭气熏天，影响周边群众生活。",
            "村卫生室没有医生坐诊，看病要跑到镇上。",
        ],
    },
    "social security and land": {
        "dibao": [
            "我家今年的低保被取消了，家里有病人，生活困难，请求重新审核低保资格。",
            "反映低保资格无故被取消，家中老人常年生病，要求恢复低保。",
            "我们家的低保停了，没有通知原因，家庭困难，希望重新评定。",
            "低保户资格被取消，家里两个老人没有收入，请求核实恢复。",
        ],
        "land": [
            "修高速公路征用了我家的承包地，征地补偿款到现在还没发。",
            "反映高速公路占地补偿款一直未兑现，请求尽快发放征地补偿。",
            "我家的地被高速征了两年，补偿款没有拿到，要求落实补偿。",
        ],
        "insurance": [
            "交了新农合参合金，住院时却说没有参保，不能报销医疗费。",
            "反映已经缴纳合作医疗费用，但报销时被告知未参合，要求查清。",
        ],
        "": [
            "养老保险缴费年限计算有误，领到的养老金偏少。",
            "残疾人补贴申请半年没有批下来。",
            "邻居家盖房占了我家的宅基地，协商不成。",
            "林地界线不清，和邻村因为林权发生纠纷。",
            "村里的危房改造补助名单不公开，怀疑优亲厚友。",
            "申请的临时救助一直没有答复。",
        ],
    },
}
THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.28, 0.3, 0.35, 0.4)
_NOT_WORD = re.compile(r"[\W\d_a-zA-Z]+")


def _bigrams(text: str) -> list[str]:
    return [run[i : i + 2] for run in _NOT_WORD.split(text) for i in range(len(run) - 1)]


def _jaccard(a, b) -> float:
    a, b = set(a), set(b)
    return len(a & b) / len(a | b) if a | b else 0.0


def _score(labels: list[str], linked) -> tuple[float, float]:
    n = len(labels)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, j in itertools.combinations(range(n), 2):
        if linked(i, j):
            parent[root(i)] = root(j)
    tp = fp = fn = 0
    for i, j in itertools.combinations(range(n), 2):
        same, together = labels[i] == labels[j] and labels[i] != "", root(i) == root(j)
        tp, fp, fn = tp + (same and together), fp + (together and not same), fn + (same and not together)
    return (tp / (tp + fp) if tp + fp else 1.0), tp / (tp + fn)


def _trigram():
    """`similarity()` of pg_trgm, or None when DATABASE_URL has no PostgreSQL with it."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return None
    import psycopg2

    cursor = psycopg2.connect(url).cursor()
    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
    if cursor.fetchone() is None:
        return None

    def similarity(a: str, b: str) -> float:
        cursor.execute("SELECT similarity(%s, %s)", [a, b])
        return cursor.fetchone()[0]

    return similarity


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from grievances.hotspots import similarity as s

    started = time.process_time()
    s.words("预热")
    print(f"jieba's dictionary: {time.process_time() - started:.2f} s of CPU")
    trigram = _trigram()
    for name, groups in SETS.items():
        _measure(s, name, groups, trigram)


def _measure(s, name: str, groups: dict[str, list[str]], trigram) -> None:
    texts = [text for group in groups.values() for text in group]
    labels = [label for label, group in groups.items() for _text in group]
    words = [s.words(t) for t in texts]
    methods = {
        "jieba words + their characters, TF-IDF cosine (chosen)": s.tfidf([s.terms(t) for t in texts]),
        "jieba words, TF-IDF cosine": s.tfidf(words),
        "character bigrams, TF-IDF cosine": s.tfidf([_bigrams(t) for t in texts]),
    }
    print(f"\n{name}: {len(texts)} complaints\n")
    print("| method | " + " | ".join(f"≥ {t}" for t in THRESHOLDS) + " |")
    print("|---|" + "---|" * len(THRESHOLDS))

    def row(label: str, similar) -> None:
        cache = {(i, j): similar(i, j) for i, j in itertools.combinations(range(len(texts)), 2)}
        cells = [_score(labels, lambda i, j, t=t: cache[(i, j)] >= t) for t in THRESHOLDS]
        print(f"| {label} | " + " | ".join(f"P {p:.2f} R {r:.2f}" for p, r in cells) + " |")

    for label, vectors in methods.items():
        row(label, lambda i, j, v=vectors: s.cosine(v[i], v[j]))
    row("jieba words, Jaccard (what MinHash estimates)", lambda i, j: _jaccard(words[i], words[j]))
    if trigram is not None:
        row("pg_trgm similarity()", lambda i, j: trigram(texts[i], texts[j]))


if __name__ == "__main__":
    main()
