"""Every benchmark script still runs from a clean checkout, on a tiny input, and prints its figures.

No timings are checked (they belong in BENCHMARKS.md); what is checked is that each script
finishes, exits 0 and prints the lines its figures are read from. Inputs are what a clean
checkout has: the bundled sample corpus, the labelled sets in tests/data, and synthetic
databases made by bench/make_corpus.py.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
SAMPLE = REPO / "src" / "multivector" / "sample"
EVAL = REPO / "tests" / "data" / "eval"


def bench(script: str, *args: str, timeout: float = 600) -> str:
    """Run bench/<script> with this interpreter; returns stdout and stderr together."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MULTIVECTOR_")}
    r = subprocess.run(
        [sys.executable, str(BENCH / script), *args], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
    out = r.stdout + r.stderr
    assert r.returncode == 0, f"{script} exited {r.returncode}:\n{out[-3000:]}"
    assert "Traceback" not in out, out[-3000:]
    return out


def number(pattern: str, text: str) -> float:
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not in:\n{text[-2000:]}"
    return float(m.group(1))


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory) -> tuple[Path, str]:
    """A 300-post synthetic database over 2023-2024, made by bench_report.py itself, and its output."""
    db = tmp_path_factory.mktemp("bench") / "tiny.db"
    return db, bench("bench_report.py", "--posts", "300", "--db", str(db), "--year", "2024")


def test_make_corpus_builds_a_database_with_the_current_annotation_fields(tmp_path):
    db = tmp_path / "c.db"
    out = bench("make_corpus.py", "300", "--out", str(db), "--seed", "3")
    assert number(r"(\d+) posts \(\d+ in \d+ planted events\) written", out) >= 250
    con = sqlite3.connect(db)
    posts, in_scope = con.execute("SELECT count(*), sum(in_scope) FROM posts").fetchone()
    assert posts >= 250 and 0 < in_scope < posts
    # The fields schema 3 added are filled: what a post is about, its scope score and reason.
    assert con.execute("SELECT count(*) FROM post_actors WHERE about = 1").fetchone()[0] > 0
    reason = con.execute("SELECT scope_reason FROM posts WHERE in_scope = 1 LIMIT 1").fetchone()[0]
    assert reason and "synthetic" in reason
    events = con.execute("SELECT count(DISTINCT author) FROM posts WHERE author LIKE 'event:%'").fetchone()[0]
    assert events >= 4


def test_bench_report_on_a_tiny_corpus(tiny_report):
    _, out = tiny_report
    assert number(r"database: (\d+) posts", out) >= 250
    assert number(r"report run 1: ([\d.]+) s", out) > 0 and number(r"peak RSS (\d+) MB", out) > 0
    assert "byte-identical runs: True" in out
    assert "trends: 1." in out and "planted growers in the top trends:" in out
    assert re.search(r"load posts, lemmas, TF-IDF \(two years\): [\d.]+ s", out)
    assert re.search(r"top \d+ events: mean purity [\d.]+", out)


def test_bench_ingest_on_the_sample_corpus():
    out = bench("bench_ingest.py", "--corpus", str(SAMPLE))
    assert number(r"posts: (\d+)", out) > 300
    assert number(r"ingest: [\d.]+ s, (\d+) posts/s", out) > 0
    total = number(r"CPU ([\d.]+) s", out)
    own = number(r"the main process \(reading, writing\) ([\d.]+) s", out)
    assert total > 0 and 0 < own <= total
    assert number(r"search: p50 ([\d.]+) ms", out) >= 0 and "over 200 queries" in out


def test_bench_lemmas_on_the_sample_corpus():
    out = bench("bench_lemmas.py", "--corpus", str(SAMPLE))
    forms, known, differ = (
        int(x) for x in re.search(r"(\d+) word forms, (\d+) in the dictionary, (\d+) with", out).groups()
    )
    assert 0 < known < forms and differ == 0
    assert number(r"shortcut ([\d.]+) us a word", out) > 0


def test_bench_annotate_on_the_labelled_set():
    out = bench("bench_annotate.py", "--corpus", str(EVAL), "--limit", "200", "--ner-limit", "40")
    assert number(r"(\d+) posts in ", out) > 200
    for label in ("multivector, no NER", "multivector, with natasha NER", "natasha Doc"):
        assert re.search(re.escape(label) + r".*= +\d+ posts/s", out), out
    assert "ratio to natasha: no NER x" in out


def test_eval_annotations_on_the_labelled_set():
    out = bench("eval_annotations.py", "--no-ner", "--data", str(EVAL))
    assert number(r"(\d+) posts from", out) > 100
    f1 = number(r"\n  all +P +[\d.]+ +R +[\d.]+ +F1 +([\d.]+)", out)
    assert 0 < f1 <= 1


def test_review_news_actors_on_a_few_posts():
    out = bench("review_news_actors.py", "--corpus", str(EVAL / "*.jsonl"), "--n", "5", "--seed", "1")
    assert re.search(r"# 5 posts of \d+ with >= 5 words; seed 1", out)
    assert out.count("lang=") == 5 and "->" in out


def test_bench_bertopic_on_a_tiny_corpus(tiny_report):
    tiny_db, _ = tiny_report
    for module in ("bertopic", "hdbscan", "umap"):
        pytest.importorskip(
            module, reason="bench_bertopic needs the bench extra and BERTopic (BENCHMARKS.md)"
        )
    out = bench("bench_bertopic.py", "--db", str(tiny_db), "--year", "2024", "--svd", "20")
    assert re.search(r"multivector NMF topics: [\d.]+ s wall, peak RSS \d+ MB, \d+ posts", out)
    assert re.search(r"BERTopic \(TF-IDF -> SVD 20 -> UMAP -> HDBSCAN\): [\d.]+ s wall", out)
    assert re.search(r"\d+ topics, \d+ outlier posts", out)


def test_bench_scale_same_compares_groups_and_tags(tmp_path):
    one, two = tmp_path / "a.db", tmp_path / "b.db"
    bench("make_corpus.py", "300", "--out", str(one), "--seed", "3")
    bench("make_corpus.py", "300", "--out", str(two), "--seed", "3")
    conn = sqlite3.connect(two)
    conn.execute("DELETE FROM dup_links WHERE rowid = (SELECT min(rowid) FROM dup_links)")
    conn.commit()
    conn.close()
    out = bench("bench_scale.py", "same", str(one), str(two))
    lines = out.strip().splitlines()
    assert len(lines) == 2 and "roots differing from the first: 0" in lines[1]
    assert lines[0].endswith("links equal: True") and lines[1].endswith("links equal: False")


def test_bench_scale_inputs_writes_even_slices_and_the_first_posts(tmp_path):
    import pyarrow.parquet as pq

    db = tmp_path / "c.db"
    bench("make_corpus.py", "300", "--out", str(db), "--seed", "3")
    out = bench("bench_scale.py", "inputs", "--db", str(db), "--sizes", "100", "--first", "120")
    whole = pq.read_table(next(tmp_path.glob("posts-[0-9]*.parquet")), columns=["id", "date"]).to_pylist()
    even = pq.read_table(tmp_path / "posts-100.parquet", columns=["id", "date"]).to_pylist()
    first = pq.read_table(tmp_path / "posts-first-120.parquet", columns=["id", "date"]).to_pylist()
    assert "wrote 100 posts" in out and "wrote the first 120 posts" in out
    assert first == whole[:120]
    assert len(even) == 100 and {r["id"] for r in even} < {r["id"] for r in whole}
    # The even slice spans the whole's dates; the first posts are the earliest days only.
    assert max(r["date"] for r in even) > max(r["date"] for r in first)


def test_bench_scale_search_times_lists_and_dashboard_pages(tiny_report):
    db, _ = tiny_report
    listed = bench("bench_scale.py", "search", "--db", str(db), "--queries", "20")
    assert (
        number(r"search over (\d+) posts, 20 queries, 20 hits: p50 [\d.]+ ms, p95 [\d.]+ ms", listed) >= 250
    )
    paged = bench("bench_scale.py", "search", "--db", str(db), "--queries", "20", "--pages")
    assert re.search(
        r"20 queries, dashboard pages of 20 with their totals: p50 [\d.]+ ms, p95 [\d.]+ ms", paged
    )


def test_bench_templated_groups_a_channel_of_near_copies():
    out = bench("bench_templated.py", "--posts", "300")
    assert "posts: 300" in out and re.search(r"ingest: [\d.]+ s, \d+ posts/s", out)
    groups, links = (int(x) for x in re.search(r"duplicate groups: (\d+), links: (\d+)", out).groups())
    assert groups <= 15 and links >= 290  # the rates posts are near-copies: a few groups hold them all


def test_bench_write_on_the_sample_corpus():
    out = bench("bench_write.py", "--corpus", str(SAMPLE), "--repeat", "2", "--workers", "1")
    prepared = number(r"(\d+) posts prepared", out)
    assert prepared > 100
    assert len(re.findall(r"write \d: CPU [\d.]+ s, wall [\d.]+ s, \d+ posts/s", out)) == 2


def test_diff_mentions_counts_a_checkout_and_lists_what_changed(tmp_path):
    sys.path.insert(0, str(BENCH))
    try:
        import diff_mentions
    finally:
        sys.path.remove(str(BENCH))
    found = diff_mentions.count([("Байден Тоқаевпен кездесті.", "kk"), ("The EU's envoy in Astana.", "en")])
    assert found["biden\tБайден"] == 1 and found["EU\tEU's"] == 1 and found["KZ\tAstana"] == 1
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    before.write_text(json.dumps({"biden\tбайлығымыз": 1, "KZ\tAstana": 2}), encoding="utf-8")
    after.write_text(json.dumps({"KZ\tAstana": 2, "UN\tUN's": 1}), encoding="utf-8")
    out = bench("diff_mentions.py", "--compare", str(before), str(after))
    assert "3 before, 3 after; 2 (actor, surface) pairs changed" in out
    assert re.search(r"biden\s+'байлығымыз'\s+1 -> 0", out) and re.search(r"UN\s+\"UN's\"\s+0 -> 1", out)
    assert "Astana" not in out  # unchanged pairs are not listed
