"""PostgreSQL as the team store: the same answers as SQLite on the same input, and what is its own
(server errors in one line, schema versions, concurrent writers, `migrate --to`)."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from itertools import pairwise

import pytest

from helpers import BEFORE_SCHEMA_6, multivector
from multivector.model import SOURCE_TELEGRAM, InputError, Post
from multivector.pipeline import AnnotateOptions, Preparer, revision
from multivector.store import describe_database_error, open_store
from multivector.store.base import SearchFilters
from multivector.store.query import QueryError
from multivector.store.schema import MIGRATIONS, POSTGRES_MIGRATIONS, SCHEMA_VERSION
from web_support import sample_dir

QUERIES = [
    "Казахстан",
    "Китай OR Россия",
    '"атомной электростанции"',
    "транзит NOT Китай",
    "электр*",
    "(саммит OR визит) Токаев",
    "Қытай",
    "uranium",
    "Северо-Запад",
]
YEAR = "2024"


def _ingest(target: str) -> None:
    done = multivector("--db", target, "ingest", str(sample_dir()), "--no-ner")
    assert done.returncode == 0, done.stderr


def _cli_json(target: str, *args: str) -> object:
    done = multivector("--db", target, *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def both(tmp_path_factory, postgres_run_db) -> tuple[str, str]:
    """The bundled sample ingested into an SQLite file and into a PostgreSQL schema."""
    from pg_support import new_schema

    lite = str(tmp_path_factory.mktemp("parity") / "sample.db")
    server = new_schema(postgres_run_db)
    with ThreadPoolExecutor(2) as pool:  # two processes: they do not share anything
        list(pool.map(_ingest, [lite, server]))
    return lite, server


def test_the_sample_gives_the_same_report_on_both_stores(both, tmp_path):
    outs = []
    for i, target in enumerate(both):
        out = tmp_path / f"r{i}.json"
        done = multivector("--db", target, "report", "--year", YEAR, "--format", "json", "--out", str(out))
        assert done.returncode == 0, done.stderr
        outs.append(out.read_bytes())
    lite, server = (json.loads(o) for o in outs)
    assert lite["trends"] and lite["events"] and lite["balance"]["partners"]  # a report, not an empty one
    assert outs[0] == outs[1]


def test_the_sample_gives_the_same_stats_export_and_search(both):
    lite, server = both
    assert _cli_json(lite, "stats", "--json") == _cli_json(server, "stats", "--json")
    exports = [multivector("--db", t, "export", "--format", "jsonl").stdout.splitlines() for t in both]
    assert len(exports[0]) > 300 and exports[0] == exports[1]
    hits = 0
    for query in QUERIES:
        found = [_cli_json(t, "search", query, "--limit", "1000", "--json") for t in both]
        ids = [sorted(r["id"] for r in f) for f in found]
        assert ids[0] == ids[1], query
        hits += len(ids[0])
    assert hits > 50


def test_the_dashboards_reads_agree(both):
    with open_store(both[0], create=False) as lite, open_store(both[1], create=False) as server:
        assert lite.dashboard_overview() == server.dashboard_overview()
        for query, filters, dup in [
            ("Казахстан", None, "show"),
            (
                "Китай OR Россия",
                SearchFilters(langs=["ru"], date_from="2024-03-01", date_to="2024-09-30"),
                "hide",
            ),
            (None, SearchFilters(actors=["CN"]), "show"),
            ("транзит", SearchFilters(themes=["transport_logistics"]), "only"),
        ]:
            pages = [
                s.search_page(query, filters, duplicates=dup, sort="newest", limit=500)
                for s in (lite, server)
            ]
            assert pages[0]["total"] == pages[1]["total"], query
            for a, b in zip(pages[0]["results"], pages[1]["results"], strict=True):
                assert {**a, "score": None} == {**b, "score": None}
        some = [r["id"] for r in lite.search_page(None, limit=40)["results"]]

        def detail(store, post_id):  # when it was ingested is the only thing that may differ
            return {k: v for k, v in store.post_detail(post_id).items() if k != "ingested_at"}

        assert [detail(lite, i) for i in some] == [detail(server, i) for i in some]
        assert lite.posts_brief(some) == server.posts_brief(some)
        assert lite.actor_overview("CN") == server.actor_overview("CN")
        channel = lite.stats()["by_channel"][0][0]
        assert lite.channel_overview(channel) == server.channel_overview(channel)
        a, b = lite.content("2024-01-01", "2025-01-01"), server.content("2024-01-01", "2025-01-01")
        assert len(a) > 50 and a.ids == b.ids and a.channels == b.channels and a.theme_ids == b.theme_ids
        for name in ("day", "channel", "lang", "copies", "forwards", "views", "genre"):
            assert (getattr(a, name) == getattr(b, name)).all(), name
        for name in ("themes", "actors", "reach", "mentioned"):
            assert (getattr(a, name) != getattr(b, name)).nnz == 0, name
        assert lite.lemmas(a) == server.lemmas(b)


@pytest.mark.parametrize("query", ['"unbalanced', "OR", "ядерный AND", "(a OR b", "a)", "()", "  ", "*"])
def test_a_malformed_query_is_the_same_clear_error_on_both(both, query):
    messages = []
    for target in both:
        with open_store(target, create=False) as store, pytest.raises(QueryError) as err:
            store.search(query)
        messages.append(str(err.value))
    assert messages[0] == messages[1] and messages[0]


def test_a_server_that_is_down_is_one_line_naming_it_without_the_password(tmp_path):
    url = "postgresql://analyst:s3cret-pw@127.0.0.1:9/nowhere"  # the discard port: nobody listens
    with pytest.raises(InputError) as err:
        open_store(url)
    message = str(err.value)
    assert "\n" not in message and "s3cret-pw" not in message
    assert message.startswith("postgresql://analyst@127.0.0.1:9/nowhere: cannot reach the PostgreSQL server")
    done = multivector("--db", url, "stats")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "s3cret-pw" not in done.stderr
    assert "cannot reach the PostgreSQL server" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_database_error_is_described_without_the_password():
    import psycopg

    error = psycopg.OperationalError(
        'connection to server at "db" failed: FATAL: password for "x" (pw-123) failed'
    )
    line = describe_database_error(error, "postgresql://x:pw-123@db/mv")
    assert "pw-123" not in line and line.startswith("postgresql://x@db/mv:")


def test_both_stores_have_every_schema_version():
    assert sorted(POSTGRES_MIGRATIONS) == sorted(MIGRATIONS) == list(range(1, SCHEMA_VERSION + 1))


def test_a_newer_or_foreign_database_is_refused(postgres_url):
    open_store(postgres_url).close()
    with open_store(postgres_url) as store:
        store.conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(InputError, match="newer multivector"):
        open_store(postgres_url)


def test_a_missing_store_is_not_made_by_a_reading_command(postgres_url):
    with pytest.raises(InputError, match="no multivector database there"):
        open_store(postgres_url, create=False)
    done = multivector("--db", postgres_url, "stats")
    assert done.returncode != 0 and "no multivector database there" in done.stderr


def _post(channel: str, mid: int, text: str, day: int) -> Post:
    return Post(SOURCE_TELEGRAM, channel, str(mid), text, date=datetime(2024, 3, day, 12))


TEXT = "Казахстан проведёт референдум о строительстве атомной электростанции, сообщила Акорда. Споры о подрядчике продолжаются."


def test_a_schema_1_database_is_migrated_and_its_duplicate_links_rebuilt(postgres_url):
    preparer = Preparer(AnnotateOptions(enabled=False))
    with open_store(postgres_url) as store:
        posts = [_post("analyst", 1, TEXT, 5), _post("news", 2, TEXT, 6)]
        store.write_batch(preparer.prepare([(p, revision(p)) for p in posts]))
        # Make it look like schema 1: none of what versions 2, 3 and 4 added.
        for statement in [
            "DROP TABLE dup_links", "DROP TABLE corrections", "DROP TABLE reword_lsh",
            *BEFORE_SCHEMA_6,
            "ALTER TABLE posts DROP COLUMN scope_score, DROP COLUMN scope_reason, DROP COLUMN genre",
            "ALTER TABLE post_actors DROP COLUMN about, DROP COLUMN salience",
            "ALTER TABLE post_themes DROP COLUMN about, DROP COLUMN score",
            "UPDATE meta SET value = '1' WHERE key = 'schema_version'",
        ]:  # fmt: skip
            store.conn.execute(statement)
    with open_store(postgres_url) as store:
        assert store.schema_version == SCHEMA_VERSION
        links = store.conn.execute(
            "SELECT a.channel, b.channel FROM dup_links l JOIN posts a ON a.rowid = l.post "
            "JOIN posts b ON b.rowid = l.other"
        ).fetchall()
    assert links == [("news", "analyst")]


WRITER = """
import sys
from datetime import datetime
from multivector.model import Post
from multivector.pipeline import AnnotateOptions, Preparer, revision
from multivector.store import open_store
url, channel = sys.argv[1], sys.argv[2]
text = sys.argv[3]
preparer = Preparer(AnnotateOptions(enabled=False))
with open_store(url) as store:
    for day in range(1, 21):
        posts = [Post("telegram", channel, str(day * 10 + k), f"{text} Выпуск {day}, часть {k}.",
                      date=datetime(2024, 4, day, 9 + k)) for k in range(3)]
        store.write_batch(preparer.prepare([(p, revision(p)) for p in posts]))
"""


def test_two_ingests_at_once_group_duplicates_as_one_would(postgres_url, postgres_run_db):
    """Two writers storing copies of the same texts at the same time: every copy still joins its
    group (the writers queue on the lock; neither misses a post the other committed)."""
    from pg_support import new_schema

    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, postgres_url, channel, TEXT])
        for channel in ("first", "second")
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    alone = new_schema(postgres_run_db)
    for channel in ("first", "second"):
        subprocess.run([sys.executable, "-c", WRITER, alone, channel, TEXT], check=True, timeout=300)
    sizes = []
    for url in (postgres_url, alone):
        with open_store(url, create=False) as store:
            assert store.count_posts() == 120
            sizes.append(sorted(store.group_sizes().values()))
            by_channel = dict(
                store.conn.execute(
                    "SELECT p.channel, count(*) FROM posts p JOIN posts r ON r.id = p.dup_root "
                    "WHERE r.channel <> p.channel GROUP BY p.channel"
                ).fetchall()
            )
            assert sum(by_channel.values()) >= 50  # copies across the two channels were grouped
    assert sizes[0] == sizes[1]


def test_tsvector_holds_the_tokens_fts5_indexes():
    from multivector.store.postgres import FTS_BUCKET_BITS, tsvector_text
    from multivector.store.query import pair_lexeme

    words = "'{b}~северо':1,8 '{b}~запад':2 '{b}~о':3 '{b}~брайен':4 '{b}~rock':5 '{b}~n':6 '{b}~roll':7"
    tokens = ["северо", "запад", "о", "брайен", "rock", "n", "roll", "северо"]
    pairs = " ".join(f"'{{b}}~{pair_lexeme(a, b)}'" for a, b in pairwise(tokens))
    lemmas = "северо-запад о'брайен rock_n roll северо"
    assert tsvector_text(lemmas, 5) == f"{words} {pairs}".format(b=0)
    assert tsvector_text(lemmas, 3 << FTS_BUCKET_BITS) == f"{words} {pairs}".format(b=3)


def test_migrate_copies_a_file_into_an_empty_server_and_refuses_a_full_one(both, postgres_url, tmp_path):
    lite = both[0]
    done = multivector("--db", lite, "migrate", "--to", postgres_url)
    assert done.returncode == 0, done.stderr
    assert "copied 341 posts" in done.stderr
    outs = []
    for i, target in enumerate((lite, postgres_url)):
        out = tmp_path / f"r{i}.json"
        assert (
            multivector(
                "--db", target, "report", "--year", YEAR, "--format", "json", "--out", str(out)
            ).returncode
            == 0
        )
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    again = multivector("--db", lite, "migrate", "--to", postgres_url)
    assert again.returncode == 2 and "already holds 341 posts" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
    # The server goes on from where the file stopped: a new copy of a stored text joins its group.
    with open_store(lite, create=False) as source:
        root, size = max(source.group_sizes().items(), key=lambda kv: (kv[1], kv[0]))
        (text,) = source.conn.execute("SELECT text FROM posts WHERE id = ?", (root,)).fetchone()
    preparer = Preparer(AnnotateOptions(enabled=False))
    copy = Post(SOURCE_TELEGRAM, "late_channel", "1", text, date=datetime(2025, 1, 5))
    with open_store(postgres_url) as server:
        assert server.write_batch(preparer.prepare([(copy, revision(copy))])).new == 1
        assert server.group_sizes()[root] == size + 1
    bad = multivector("--db", lite, "migrate", "--to", str(tmp_path / "x.db"))
    assert bad.returncode == 2 and "expected a PostgreSQL URL" in bad.stderr


def _numbered(texts: list[str]) -> list[Post]:
    return [_post("c", i, text, 1 + i % 28) for i, text in enumerate(texts)]


def _brute(store, words: set[str], absent: set[str] = frozenset()) -> list[str]:
    """The ids of the posts whose lemmas hold every word of `words` and none of `absent`, in
    the order they were stored: what the index must find, worked out without it."""
    rows = store.conn.execute(
        "SELECT p.id, f.lemmas FROM posts p JOIN posts_fts f ON f.rowid = p.rowid ORDER BY p.rowid"
    ).fetchall()
    found = []
    for post_id, lemmas in rows:
        held = set(lemmas.split())
        if words <= held and not absent & held:
            found.append(post_id)
    return found


def test_the_newest_matches_are_found_bucket_by_bucket(postgres_url, monkeypatch):
    # Buckets of two posts (rowids 1-20 fall in eleven): a window of 3, 7 or 40 matches is
    # counted in the newest bucket, the next, the two after, the four after ...
    monkeypatch.setattr("multivector.store.postgres.FTS_BUCKET_BITS", 1)
    texts = ["Торий нашли в старом отвале рудника."]
    for i in range(19):
        subject = "Экспорт урана вырос" if i % 3 else "Транзит зерна вырос"
        texts.append(f"{subject} в месяце номер {i}, сообщает ведомство {i * 7}.")
    preparer = Preparer(AnnotateOptions(enabled=False))
    with open_store(postgres_url) as store:
        store.write_batch(preparer.prepare([(p, revision(p)) for p in _numbered(texts)]))
        assert store._compile_query("уран").buckets == 11
        uranium = _brute(store, {"уран"})
        assert len(uranium) == 12
        for window in (3, 7, 40):
            store.rank_window = window
            found = store.search_page("уран", limit=50)["results"]
            assert sorted(h["id"] for h in found) == sorted(uranium[-window:])
        # A list longer than the window ranks as many of the newest as it asks for.
        store.rank_window = 3
        assert sorted(h["id"] for h in store.search("уран", 5)) == sorted(uranium[-5:])
        # A word of the oldest bucket alone is found by asking every bucket.
        assert [h["id"] for h in store.search("торий")] == _brute(store, {"торий"})
        # Across buckets the operators mean what they mean in one.
        either = _brute(store, {"уран"}) + _brute(store, {"зерно"})
        assert sorted(h["id"] for h in store.search("уран OR зерно", 50)) == sorted(either)
        assert store.search("вырасти NOT уран", 50) and sorted(
            h["id"] for h in store.search("вырасти NOT уран", 50)
        ) == sorted(_brute(store, {"вырасти"}, {"уран"}))
        # The dashboard's total is counted as far as the window: "more than 5".
        store.rank_window = 5
        page = store.search_page("уран", limit=2)
        assert (page["total"], page["total_exact"], page["ranked"]) == (5, False, 5)
        assert {r["id"] for r in page["results"]} <= set(uranium[-5:])
        store.rank_window = 12
        page = store.search_page("уран", limit=2)
        assert (page["total"], page["total_exact"]) == (12, True) and "ranked" not in page
        # A page counts its buckets once: for its total, and the window is read from that count.
        counted = []
        real = store._bucket_counts
        monkeypatch.setattr(store, "_bucket_counts", lambda *a: counted.append(a) or real(*a))
        store.rank_window = 5
        store.search_page("уран", limit=2)
        rounds, counted[:] = len(counted), []
        store._match_count(store._compile_query("уран"))
        assert rounds == len(counted) > 0


def test_a_phrase_is_checked_word_by_word_after_its_pairs(postgres_url, monkeypatch):
    # Every pair shares one hash here, so every post of two words or more holds the pair asked
    # for: the phrase must still match only where its words stand in a row.
    monkeypatch.setattr("multivector.store.postgres.pair_lexeme", lambda a, b: "#000000")
    monkeypatch.setattr("multivector.store.query.pair_lexeme", lambda a, b: "#000000")
    texts = ["Добыча урана выросла на севере.", "Урана добыча выросла, а не упала.", "Добыча нефти и урана."]
    preparer = Preparer(AnnotateOptions(enabled=False))
    with open_store(postgres_url) as store:
        store.write_batch(preparer.prepare([(p, revision(p)) for p in _numbered(texts)]))
        ids = store.conn.execute("SELECT id FROM posts ORDER BY rowid").fetchall()
        assert [h["id"] for h in store.search('"добыча урана"')] == [ids[0][0]]
        assert store.search_page('"добыча урана"')["total"] == 1


def test_schema_7_rebuilds_an_untagged_index(postgres_url):
    preparer = Preparer(AnnotateOptions(enabled=False))
    with open_store(postgres_url) as store:
        posts = [_post("analyst", 1, TEXT, 5), _post("news", 2, "Добыча урана выросла.", 6)]
        store.write_batch(preparer.prepare([(p, revision(p)) for p in posts]))
        # What version 6 stored: the words alone, untagged, and no pairs.
        store.conn.execute("UPDATE posts_fts SET tsv = to_tsvector('simple', lemmas)")
        store.conn.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
        assert store.search("уран") == []
    with open_store(postgres_url) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert [h["channel"] for h in store.search('"добыча урана"')] == ["news"]
        assert [h["channel"] for h in store.search("референдум")] == ["analyst"]
        index = store.conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'posts_fts' AND schemaname = current_schema()"
        ).fetchall()
        assert sorted(index) == [("posts_fts_pkey",), ("posts_fts_tsv",)]
