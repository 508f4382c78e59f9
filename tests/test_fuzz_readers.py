"""Property-based fuzzing of every reader: any input gives posts and/or problems.

The invariant, for generated files of each format (hostile values mixed in) and for mutated
good files: reading raises nothing but InputError (the whole file is unusable, said in one
line); every post that comes out can be hashed and stored (valid Unicode, a non-blank id, a
date in range, no script link); every problem is one line. The Ingestor test then stores
generated exports in a real SQLite file.

Profiles: the default "ci" is derandomised (the same cases on every run, about 2,500 in all);
`HYPOTHESIS_PROFILE=explore` draws new cases and ten times as many.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzz_strategies as fs
from multivector.model import InputError
from multivector.pipeline import AnnotateOptions, IngestOptions, Ingestor, revision
from multivector.sources import read_path
from multivector.sources.base import MAX_YEAR, MIN_YEAR, Limits, ReadContext, unsafe_url
from multivector.sources.feeds import parse_feed_bytes
from multivector.store.sqlite import Store

_COMMON = {"deadline": None, "database": None,
           "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]}  # fmt: skip
settings.register_profile("ci", derandomize=True, **_COMMON)
settings.register_profile("explore", derandomize=False, **_COMMON)
EXAMPLES = 10 if os.environ.get("HYPOTHESIS_PROFILE") == "explore" else 1
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

LIMITS = Limits(read_seconds=30.0)
# Generated exports are long to print; Hypothesis warns about that, nothing more.
# feedparser warns about its own updated/published fallback.
pytestmark = [
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:feedparser"),
]


def read_case(name: str, data: bytes, fmt: str | None) -> tuple[list, ReadContext, InputError | None]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        ctx = ReadContext(limits=LIMITS)
        posts = []
        try:
            posts.extend(read_path(path, ctx, fmt))
        except InputError as e:
            return posts, ctx, e
        return posts, ctx, None


def check(posts: list, ctx: ReadContext, error: InputError | None) -> None:
    for post in posts:
        assert post.id and revision(post)
        for value in (post.source, post.channel, post.message_id, post.text, post.author, post.url,
                      post.forwarded_from, post.reply_to, post.media, post.origin, *post.links, *post.hashtags):  # fmt: skip
            assert value is None or isinstance(value, str)
            if value:
                value.encode("utf-8")  # no lone surrogate: hashing and SQLite need valid UTF-8
        assert post.message_id.strip()
        assert post.channel.strip()
        assert len(post.text) <= LIMITS.max_post_chars
        for date in (post.date, post.edited):
            assert date is None or MIN_YEAR <= date.year <= MAX_YEAR
        assert post.url is None or not unsafe_url(post.url)
        assert not any(unsafe_url(link) for link in post.links)
    for problem in ctx.problems:
        assert "\n" not in str(problem) and "\r" not in str(problem), str(problem)
        str(problem).encode("utf-8", "backslashreplace")
    if error is not None:
        assert "\n" not in str(error), str(error)


def fuzz(strategy, examples: int):
    @settings(max_examples=examples * EXAMPLES)
    @given(strategy)
    def test(case) -> None:
        check(*read_case(*case))

    return test


test_telegram_json_chat = fuzz(fs.telegram_json(), 300)
test_telegram_json_account = fuzz(fs.telegram_json(fs.ACCOUNT), 200)
test_telegram_html = fuzz(fs.telegram_html(), 300)
test_pasted_text = fuzz(fs.pasted_text(), 250)
test_csv = fuzz(fs.csv_table(), 250)
test_jsonl = fuzz(fs.jsonl_table(), 250)
test_json_array = fuzz(fs.json_array(), 250)
test_feeds = fuzz(fs.feed(), 250)
test_mutated_good_files = fuzz(fs.mutated(), 500)


@settings(max_examples=250 * EXAMPLES)
@given(fs.feed())
def test_the_feed_parser_of_collect(case) -> None:
    name, data, _ = case
    ctx = ReadContext(limits=LIMITS)
    try:
        posts = list(parse_feed_bytes(data, "https://feeds.example.org/" + name, ctx))
    except InputError as e:
        posts, error = [], e
    else:
        error = None
    check(posts, ctx, error)


@pytest.fixture(scope="module")
def ingestor(tmp_path_factory):
    db = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    with (
        Store.open(db) as store,
        Ingestor(store, IngestOptions(annotate=AnnotateOptions(enabled=False))) as ing,
    ):
        yield ing


@settings(max_examples=150 * EXAMPLES)
@given(st.one_of(fs.telegram_json(), fs.telegram_html(), fs.jsonl_table(), fs.feed(), fs.mutated()))
def test_ingest_stores_or_reports_and_never_raises(ingestor, case) -> None:
    name, data, fmt = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        ingestor.options.fmt = fmt
        before_read, before_problems = ingestor.report.read, len(ingestor.report.problems)
        stored_before = ingestor.store.count_posts()
        ingestor.add_file(path)  # raises nothing: that is the test
        read = ingestor.report.read - before_read
        problems = ingestor.report.problems[before_problems:]
        assert ingestor.store.count_posts() - stored_before <= read
        assert all(p.file == str(path) for p in problems)
