"""Benchmark: BERTopic on TF-IDF features against multivector's own topic step, same posts.

    .venv/bin/pip install --no-deps bertopic && .venv/bin/pip install hdbscan umap-learn pandas plotly tqdm
    .venv/bin/python bench/bench_bertopic.py [--db /tmp/multivector-bench-200000.db] [--year 2024]

BERTopic is a bench-only dependency (installed without sentence-transformers, hence without
torch): no sentence-embedding model that reads Russian and Kazakh ships inside a package, so
it runs on the same features multivector uses, the lemma TF-IDF of the year's in-scope content
posts, reduced to `--svd` dimensions with TruncatedSVD (LSA) as its "embeddings"; then its
usual UMAP -> HDBSCAN -> c-TF-IDF. Each side runs in its own subprocess, timed with its peak
RSS sampled (measure.py). Then, for each BERTopic topic, the majority theme of its posts (or
"(no theme)" when most of its posts have none): which themes of the taxonomy its topics cover,
how many posts it leaves as outliers, and whether it finds the subject no theme names; the same
for multivector's NMF topics (kept and dropped, with the reason).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import run  # noqa: E402


def _load(db: Path, year: int):
    from multivector.store.base import year_range
    from multivector.store.sqlite import Store

    with Store.open(db, create=False) as store:
        cur = store.content(*year_range(year))
        lemmas = store.lemmas(cur)
    return cur, lemmas


def _majority(cur, members) -> tuple[str, float]:
    import numpy as np

    sub = cur.themes[members]
    has_theme = np.asarray(sub.sum(axis=1)).ravel() > 0
    if has_theme.mean() < 0.5:
        return "(no theme)", float(1 - has_theme.mean())
    per = np.asarray(sub.sum(axis=0)).ravel()
    j = int(per.argmax())
    return cur.theme_ids[j], float(per[j] / len(members))


def worker_bertopic(db: Path, year: int, svd: int, out: Path) -> None:
    import numpy as np
    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.preprocessing import normalize
    from umap import UMAP

    from multivector.analyze.text import vectorize
    from multivector.annotate.stopwords import stop_lemmas

    t0 = time.perf_counter()
    cur, lemmas = _load(db, year)
    features = vectorize(lemmas)
    emb = normalize(TruncatedSVD(n_components=svd, random_state=0).fit_transform(features.tfidf))
    t_features = time.perf_counter() - t0
    model = BERTopic(
        umap_model=UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=0, low_memory=True),
        hdbscan_model=HDBSCAN(min_cluster_size=max(15, len(lemmas) // 500), metric="euclidean",
                              cluster_selection_method="eom", prediction_data=False),
        vectorizer_model=CountVectorizer(analyzer=str.split, min_df=2, stop_words=sorted(stop_lemmas())),
        calculate_probabilities=False,
        language="multilingual",  # "english" would strip every non-Latin letter from the topic words
        verbose=False,
    )  # fmt: skip
    topics, _ = model.fit_transform(lemmas, embeddings=emb)
    topics = np.asarray(topics)
    rows = []
    for tid in sorted(set(topics.tolist()) - {-1}):
        members = np.flatnonzero(topics == tid)
        theme, share = _majority(cur, members)
        words = [w for w, _ in (model.get_topic(tid) or [])[:6]]
        rows.append(
            {"topic": int(tid), "posts": int(len(members)), "theme": theme, "share": share, "words": words}
        )
    json.dump(
        {"posts": len(lemmas), "outliers": int((topics == -1).sum()), "topics": rows,
         "seconds_features": t_features, "seconds_total": time.perf_counter() - t0},
        out.open("w"), ensure_ascii=False,
    )  # fmt: skip


def worker_ours(db: Path, year: int, out: Path) -> None:
    from multivector.analyze.text import vectorize
    from multivector.analyze.topics import find_topics
    from multivector.store.base import year_range
    from multivector.store.sqlite import Store

    t0 = time.perf_counter()
    with Store.open(db, create=False) as store:
        cur = store.content(*year_range(year))
        prev = store.content(*year_range(year - 1))
        features = vectorize(store.lemmas(cur))
        _, prev_tfidf = features.transform(store.lemmas(prev))
    model = find_topics(cur, features, prev_tfidf)
    rows = []
    for t in [*model.topics, *model.dropped]:
        theme, share = _majority(cur, t.members) if len(t.members) else ("-", 0.0)
        rows.append({"topic": t.key if not t.dropped else f"nmf:{t.component}", "posts": int(len(t.members)),
                     "theme": theme, "share": share, "words": t.terms[:6], "dropped": t.dropped})  # fmt: skip
    json.dump(
        {"posts": len(cur), "topics": rows, "seconds_total": time.perf_counter() - t0},
        out.open("w"),
        ensure_ascii=False,
    )


def themes_present(db: Path, year: int, min_posts: int = 3) -> dict[str, int]:
    import numpy as np

    cur, _ = _load(db, year)
    sums = np.asarray(cur.themes.sum(axis=0)).ravel()
    return {t: int(sums[j]) for j, t in enumerate(cur.theme_ids) if sums[j] >= min_posts}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "multivector-bench-200000.db")
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--svd", type=int, default=100)
    ap.add_argument("--worker", choices=["bertopic", "ours"])
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if args.worker == "bertopic":
        worker_bertopic(args.db, args.year, args.svd, args.out)
        return
    if args.worker == "ours":
        worker_ours(args.db, args.year, args.out)
        return
    if not args.db.exists():
        sys.exit(f"{args.db}: not found; make it with bench/make_corpus.py or bench/bench_report.py")
    present = themes_present(args.db, args.year)
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for side in ("ours", "bertopic"):
            out = Path(tmp) / f"{side}.json"
            cmd = [sys.executable, __file__, "--db", str(args.db), "--year", str(args.year), "--svd", str(args.svd),
                   "--worker", side, "--out", str(out)]  # fmt: skip
            m = run(cmd)
            if m.returncode != 0:
                sys.exit(f"{side} failed ({m.returncode}): {m.stderr[-3000:]}")
            results[side] = (m, json.loads(out.read_text()))
    for side, (m, res) in results.items():
        rows = res["topics"]
        kept = [r for r in rows if not r.get("dropped")]
        covered = {r["theme"] for r in rows} & set(present)
        no_theme = [r for r in kept if r["theme"] == "(no theme)"]
        name = (
            "multivector NMF topics"
            if side == "ours"
            else f"BERTopic (TF-IDF -> SVD {args.svd} -> UMAP -> HDBSCAN)"
        )
        print(f"{name}: {m.seconds:.1f} s wall, peak RSS {m.peak_rss_mb:.0f} MB, {res['posts']} posts")
        if side == "bertopic":
            print(
                f"  {len(rows)} topics, {res['outliers']} outlier posts ({res['outliers'] / max(res['posts'], 1):.0%})"
            )
        else:
            print(f"  {len(rows)} NMF components, {len(kept)} kept as topics, {len(rows) - len(kept)} dropped "
                  f"({Counter((r['dropped'] or '').split(' (')[0] for r in rows if r.get('dropped')).most_common()})")  # fmt: skip
        what = "NMF components" if side == "ours" else "topics"
        print(f"  themes that are the majority theme of one of its {what}: {len(covered)} of {len(present)} present "
              f"({', '.join(sorted(covered))}); missing: {', '.join(sorted(set(present) - covered)) or 'none'}")  # fmt: skip
        sizes = Counter(r["theme"] for r in rows)
        print(f"  {what} per majority theme: {dict(sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])))}")
        for r in no_theme[:4]:
            print(
                f"  topic with mostly theme-less posts: {r['topic']} ({r['posts']} posts): {', '.join(r['words'])}"
            )


if __name__ == "__main__":
    main()
