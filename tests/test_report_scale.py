"""The report's bounds on work that grows with the corpus (issue 12): text read a page at a
time, topics projected in chunks, the topics' baseline from a bounded sample. Under the caps
nothing changes; over them the caps are load-bearing, deterministic, and the planted answers hold."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from multivector.analyze.events import Numbers, number_block
from multivector.analyze.text import vectorize_pages
from multivector.analyze.topics import TopicOptions
from multivector.annotate.stopwords import is_stop
from multivector.report.build import ReportOptions, build_report
from multivector.store.sqlite import Store
from test_analyze_corpus import lexicon
from test_report_build import rich_db


@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    return rich_db(tmp_path_factory.mktemp("scale") / "r.db")


def _report(path, topic: TopicOptions) -> dict:
    with Store.open(path, create=False) as store:
        return build_report(store, lexicon(), 2024, top=5, events=5, options=ReportOptions(topic=topic))


def _without_parameters(report: dict) -> str:
    return json.dumps({k: v for k, v in report.items() if k != "parameters"}, ensure_ascii=False)


def _one_piece(docs: list[str], min_df: int = 2, max_df: float = 0.5):
    """The features as they were made before the pages: one CountVectorizer over every string."""
    n = len(docs)
    cv = CountVectorizer(
        analyzer=str.split, min_df=min(min_df, max(1, n)), max_df=max_df if n >= 10 else 1.0, dtype=np.int32
    )
    counts = cv.fit_transform(docs).tocsr()
    vocab = cv.get_feature_names_out()
    keep = np.flatnonzero([not is_stop(t) for t in vocab])
    return vocab[keep], counts[:, keep].tocsr()


@pytest.mark.parametrize("n", [3, 9, 12, 600])
def test_paged_features_equal_the_one_piece_features(n):
    rng = np.random.default_rng(n)
    words = [f"w{i}" for i in range(200)] + ["и", "the", "12", "ab"]
    docs = [" ".join(rng.choice(words, rng.integers(0, 25))) for _ in range(n)]
    vocab, counts = _one_piece(docs)
    for size in (1, 7, 250, 1000):
        f = vectorize_pages(docs[i : i + size] for i in range(0, n, size))
        assert list(f.vocab) == list(vocab) and f.vocab.dtype == vocab.dtype
        assert f.counts.shape == counts.shape and (f.counts != counts).nnz == 0
        again, tfidf = f.transform_pages(docs[i : i + size] for i in range(0, n, size))
        assert (again != counts).nnz == 0 and abs(
            tfidf - f.tfidf
        ).max() == 0  # the same texts give the same counts over the vocabulary


def test_numbers_read_by_pages_equal_numbers_read_at_once():
    docs = ["саммит 2024 год", "", "пакет 13 санкция 071", "рейс 4521 и 2024", "нет чисел"] * 7
    whole = number_block(docs, len(docs))
    paged = number_block(iter([docs[:4], docs[4:20], docs[20:]]), len(docs))
    assert (whole != paged).nnz == 0 and whole.shape == paged.shape == (35, 4)
    # read on the way while the words are counted: the same block, and the same features
    numbers = Numbers()
    features = vectorize_pages(numbers.passing(iter([docs[:4], docs[4:20], docs[20:]])))
    assert (numbers.matrix(len(docs)) != whole).nnz == 0
    assert list(features.vocab) == list(vectorize_pages([docs]).vocab)


def test_the_store_gives_lemma_strings_a_page_at_a_time(rich):
    with Store.open(rich, create=False) as store:
        cur = store.content("2024-01-01", "2025-01-01")
        pages = list(store.lemma_pages(cur.ids, size=50))
        assert [len(p) for p in pages[:-1]] == [50] * (len(pages) - 1) and 0 < len(pages[-1]) <= 50
        assert [s for p in pages for s in p] == store.lemmas(cur)


def test_under_the_caps_the_report_is_the_same_and_echoes_them(rich):
    default = _report(rich, TopicOptions(n_topics=6))
    roomy = _report(rich, TopicOptions(n_topics=6, assign_chunk=10_000, baseline_max=10_000))
    assert _without_parameters(roomy) == _without_parameters(default)
    topics = default["parameters"]["topics"]
    assert topics["fit_max"] == 8000 and topics["assign_chunk"] == 50_000 and topics["baseline_max"] == 40_000


def test_the_baseline_cap_bounds_the_posts_read_and_scales_their_counts(rich, monkeypatch):
    read: list[list[str]] = []  # the ids of each lemma read
    real = Store.lemma_pages

    def spy(self, ids, size=20_000):
        read.append(list(ids))
        return real(self, ids, size)

    monkeypatch.setattr(Store, "lemma_pages", spy)
    with Store.open(rich, create=False) as store:
        prev_ids = store.content("2023-01-01", "2024-01-01").ids
    full = _report(rich, TopicOptions(n_topics=6))
    assert len(prev_ids) == full["generated_from"]["content_posts_prev"] == 72
    assert prev_ids in read  # the whole year before, under the cap
    read.clear()
    capped = _report(rich, TopicOptions(n_topics=6, baseline_max=30))
    before = [ids for ids in read if set(ids) <= set(prev_ids)]
    assert before == [prev_ids[:30]]  # its first 30 posts by id, nothing more of 2023
    # the same topics of 2024; their posts of 2023 estimated from the sample, in proportion
    assert [(t["terms"], t["posts"]) for t in capped["topics"]] == [
        (t["terms"], t["posts"]) for t in full["topics"]
    ]
    assert [t["posts_prev"] for t in capped["topics"]] != [t["posts_prev"] for t in full["topics"]]
    # the subject no theme names still rises as a topic, and the growing theme still leads
    assert any(t["kind"] == "topic" for t in capped["trends"])
    ranks = {t["theme"]: t["rank"] for t in capped["trends"]}
    assert ranks["nuclear"] < ranks["water"]
    again = _report(rich, TopicOptions(n_topics=6, baseline_max=30))
    assert _without_parameters(again) == _without_parameters(capped)  # a fixed sample: the same bytes
    assert capped["parameters"]["topics"]["baseline_max"] == 30


def test_a_small_projection_chunk_projects_in_pieces_deterministically(rich, monkeypatch):
    from sklearn.decomposition import NMF

    rows: list[int] = []
    real = NMF.transform

    def counting(self, x):
        rows.append(x.shape[0])
        return real(self, x)

    monkeypatch.setattr(NMF, "transform", counting)
    whole = _report(rich, TopicOptions(n_topics=6))
    assert len(rows) == 2 and min(rows) > 64  # the year, then the year before, each in one piece
    rows.clear()
    chunked = _report(rich, TopicOptions(n_topics=6, assign_chunk=64))
    assert (
        max(rows) == 64
        and sum(rows)
        == whole["generated_from"]["content_posts"] + whole["generated_from"]["content_posts_prev"]
    )
    assert _without_parameters(
        _report(rich, TopicOptions(n_topics=6, assign_chunk=64))
    ) == _without_parameters(chunked)
    # the projection stops on the error of what it is given: chunks may move a post, not the subject
    assert any(t["kind"] == "topic" for t in chunked["trends"])


def _apply_day_by_day(x, day, d0, weights):
    """The burst weights applied as they were before: a product of each day's rows with its weights."""
    import scipy.sparse as sp

    rows = []
    order = np.argsort(day, kind="stable")
    for block in np.split(order, np.flatnonzero(np.diff(day[order])) + 1):
        rows.append((block, x[block].multiply(weights[int(day[block[0]]) - d0]).tocsr()))
    stacked = sp.vstack([r for _, r in rows], format="csr")
    where = np.concatenate([b for b, _ in rows])
    inverse = np.empty_like(where)
    inverse[where] = np.arange(len(where))
    return stacked[inverse].astype(np.float32)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_burst_weights_applied_at_once_equal_the_day_by_day_product(seed):
    import scipy.sparse as sp

    from multivector.analyze.events import _apply, _binary, burst_weights

    rng = np.random.default_rng(seed)
    n, f = 400, 30
    x = _binary(sp.random(n, f, density=0.15, format="csr", random_state=seed, dtype=np.float32))
    if seed == 1:  # rows stored out of column order, as a product leaves them
        x = (x @ sp.diags(np.ones(f, np.float32))).tocsr()
    day = rng.integers(100, 160, n).astype(np.int32)
    d0, w = burst_weights(day, x, 3, 45, 2, 1.2)
    assert w.nnz > 50
    old, new = _apply_day_by_day(x, day, d0, w), _apply(x, day, d0, w)
    assert np.array_equal(old.indptr, new.indptr) and np.array_equal(old.indices, new.indices)
    assert np.array_equal(old.data, new.data) and new.dtype == np.float32


def test_channel_genres_and_links_in_one_pass_equal_the_two_queries(rich, tmp_path):
    path = tmp_path / "links.db"
    path.write_bytes(rich.read_bytes())
    with Store.open(path, create=False) as store:
        rows = store.conn.execute("SELECT rowid, channel FROM posts ORDER BY id").fetchall()
        for k, (rowid, channel) in enumerate(rows[:40]):
            url = f"https://t.me/{channel}_h/{900 - k}" if k % 3 else f"https://example.org/{k}"
            genre = ("news", "analysis", None)[k % 3]
            store.conn.execute("UPDATE posts SET url = ?, genre = ? WHERE rowid = ?", (url, genre, rowid))
        store.conn.commit()
        genres, links = store.channel_genres_and_links()
        assert links and all("t.me/" in u for u in links.values())
        assert (genres, links) == (store.channel_genres(), store.channel_links())


def test_the_report_reads_no_passing_mentions_and_its_summary_from_the_coverage_rows(rich):
    from multivector.report.build import _summary

    with Store.open(rich, create=False) as store:
        full = store.content("2023-01-01", "2025-01-01")
        light = store.content("2023-01-01", "2025-01-01", mentions=False)
        assert full.mentioned is not None and full.mentioned.nnz > 0
        assert light.mentioned is None and light.mention_ids == []
        assert light.actor_ids == full.actor_ids and (light.actors != full.actors).nnz == 0
        assert light.ids == full.ids and (light.themes != full.themes).nnz == 0
        for start, end in [
            ("2023-01-01", "2025-01-01"),
            ("2024-03-01", "2024-04-01"),
            ("2030-01-01", "2031-01-01"),
        ]:
            assert _summary(store.channel_months(start, end)) == store.corpus_summary(start, end)


@pytest.mark.parametrize("pages", [1, 3])
def test_numbers_are_the_runs_of_two_digits_or_more_of_each_post(pages):
    import re

    docs = [
        "саммит 2024 год",
        "",
        "пакет 13 санкция 071 7",
        "рейс 4521\nи 2024",
        "нет чисел",
        "001 05 100",
    ] * 5
    size = -(-len(docs) // pages)
    numbers = Numbers()
    for i in range(0, len(docs), size):
        numbers.add(docs[i : i + size])
    block = numbers.matrix(len(docs)).tocsr()
    name = {j: x for x, j in numbers.index.items()}
    for i, doc in enumerate(docs):
        expected = {x for x in (m.lstrip("0") for m in re.findall(r"[0-9]{2,}", doc)) if len(x) >= 2}
        assert {name[j] for j in block[i].indices} == expected, doc
