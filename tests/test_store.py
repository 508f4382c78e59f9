"""The stores, SQLite and PostgreSQL alike: schema, idempotent writes, edits, duplicate groups,
lemma search (the `store` fixture runs each test on both); then what is each store's own."""

import random
import sqlite3
from datetime import datetime

import pytest

from helpers import BEFORE_SCHEMA_6
from multivector.model import SOURCE_TELEGRAM, InputError, Post
from multivector.pipeline import AnnotateOptions, Preparer, revision
from multivector.prepare.dedup import NUM_PERM, band_rows
from multivector.store import open_store, sql
from multivector.store.base import SearchFilters
from multivector.store.query import QueryError
from multivector.store.schema import SCHEMA_VERSION
from multivector.store.sqlite import Store

preparer = Preparer(AnnotateOptions(enabled=False))
WORDS = "Казахстан Китай транзит уран соглашение визит министр торговля коридор Каспий саммит".split()


def post(channel: str, mid: int, text: str, day: int = 1, month: int = 3, **kw) -> Post:
    return Post(SOURCE_TELEGRAM, channel, str(mid), text, date=datetime(2024, month, day, 12), **kw)


def write(store: Store, *posts: Post):
    return store.write_batch(preparer.prepare([(p, revision(p)) for p in posts]))


@pytest.fixture
def store(db_target):
    with open_store(db_target) as s:
        yield s


NUCLEAR_RU = "Казахстан проведёт референдум о строительстве атомной электростанции, сообщила Акорда. Споры о подрядчике продолжаются."
NUCLEAR_KK = "Қазақстанда атом электр станциясын салу туралы референдум өтеді. Қытаймен және Ресеймен келіссөздер жалғасуда."
NUCLEAR_EN = "Kazakhstan's voters backed the construction of a nuclear power plant, and Russia's Rosatom leads the bidding."


def test_schema_version(store):
    assert store.schema_version == SCHEMA_VERSION


def test_sqlite_runs_in_wal_mode(tmp_path):
    with Store.open(tmp_path / "t.db") as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_not_a_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "notes.db"
    bad.write_text("this is not sqlite at all, just some words " * 50)
    with pytest.raises(InputError, match="notes.db: not a multivector database"):
        Store.open(bad)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x(a)").connection.commit()
    with pytest.raises(InputError, match="not a multivector database"):
        Store.open(other)


def test_same_posts_twice_add_nothing(store):
    first = write(store, post("a", 1, NUCLEAR_RU), post("a", 2, NUCLEAR_EN))
    again = write(store, post("a", 1, NUCLEAR_RU), post("a", 2, NUCLEAR_EN))
    assert (first.new, again.new, again.unchanged) == (2, 0, 2)
    assert store.count_posts() == 2


def test_edited_message_updates_its_post(store):
    write(store, post("a", 1, NUCLEAR_RU))
    edited = post(
        "a", 1, NUCLEAR_RU.replace("референдум", "всенародный референдум"), edited=datetime(2024, 3, 2)
    )
    result = write(store, edited)
    assert (result.new, result.updated) == (0, 1)
    (text,) = store.conn.execute("SELECT text FROM posts").fetchone()
    assert "всенародный" in text
    assert [r["id"] for r in store.search("всенародный")] == [edited.id]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ядерный OR атомный", [NUCLEAR_RU]),  # атомной -> атомный
        ("Казахстан", [NUCLEAR_RU]),  # a Russian form; the Kazakh post says Қазақстанда
        ("Қазақстан", [NUCLEAR_KK]),
        ("Қытай", [NUCLEAR_KK]),  # Қытаймен
        ("референдумы", [NUCLEAR_RU, NUCLEAR_KK]),  # ru inflection, and kk referendum
        ('"атомной электростанции"', [NUCLEAR_RU]),
        ("plants", [NUCLEAR_EN]),  # plural -> singular
        ("Rosatom", [NUCLEAR_EN]),
        ("Russia", [NUCLEAR_EN]),  # Russia's
        ("электр*", [NUCLEAR_RU, NUCLEAR_KK]),  # электростанции, электр
        ("референдум NOT Қытай", [NUCLEAR_RU]),
    ],
)
def test_lemma_search_in_three_languages(store, query, expected):
    write(store, post("a", 1, NUCLEAR_RU, 1), post("b", 2, NUCLEAR_KK, 2), post("c", 3, NUCLEAR_EN, 3))
    found = [r["text"] for r in store.search(query)]
    assert sorted(found) == sorted(expected)


@pytest.mark.parametrize("query", ['"unbalanced', "OR", "ядерный AND", "(a OR b", "a)", "()", "  ", "*"])
def test_malformed_query_is_a_clear_error(store, query):
    write(store, post("a", 1, NUCLEAR_RU))
    with pytest.raises(QueryError):
        store.search(query)


def test_search_filters(store):
    write(
        store, post("a", 1, NUCLEAR_RU, 1, 3), post("b", 2, NUCLEAR_KK, 2, 5), post("c", 3, NUCLEAR_EN, 3, 7)
    )
    assert len(store.search("референдум", filters=SearchFilters(channels=["b"]))) == 1
    assert len(store.search("референдум", filters=SearchFilters(langs=["ru"]))) == 1
    assert len(store.search("референдум", filters=SearchFilters(date_from="2024-04-01"))) == 1
    assert len(store.search("референдум", filters=SearchFilters(date_to="2024-03-01"))) == 1


def test_an_unfiltered_relevance_page_ranks_only_the_newest_stored_matches(store, monkeypatch):
    # The best match (the word three times in a short post) is stored first; three weaker ones after.
    best = post("a", 1, "Уран, уран и уран.", 1)
    weaker = [
        post("b", i, f"Сообщение номер {i}: добыча урана выросла, экспорт идёт через Каспий.", i)
        for i in (2, 3, 4)
    ]
    write(store, best, *weaker)
    assert store.search("уран")[0]["id"] == best.id
    assert store.search_page("уран")["results"][0]["id"] == best.id
    monkeypatch.setattr(store, "rank_window", 3)
    assert best.id not in [r["id"] for r in store.search("уран", limit=3)]
    assert store.search("уран", limit=4)[0]["id"] == best.id  # a longer list ranks as far as it reaches
    page = store.search_page("уран")
    assert best.id not in [r["id"] for r in page["results"]]
    assert page["ranked"] == 3  # says what was ranked
    # SQLite's index counts every match; PostgreSQL counts as far as the window ("more than 3").
    assert (page["total"], page["total_exact"]) == ((4, True) if isinstance(store, Store) else (3, False))
    # Filtered searches and downloads still rank every match.
    assert store.search("уран", filters=SearchFilters(langs=["ru"]))[0]["id"] == best.id
    assert next(store.iter_search("уран"))["id"] == best.id


def test_duplicate_groups_point_at_the_earliest_post(store):
    original = post("analyst", 10, NUCLEAR_RU, day=5)
    forward = post("news", 3, NUCLEAR_RU, day=6, forwarded_from="analyst")
    near = post("other", 7, NUCLEAR_RU.replace("продолжаются", "не утихают") + " Решение за народом.", day=7)
    unrelated = post("other", 8, NUCLEAR_EN, day=7)
    # The forward and the near copy arrive first: the group gets re-rooted when the original comes.
    write(store, forward, near, unrelated)
    write(store, original)
    roots = dict(store.conn.execute("SELECT id, dup_root FROM posts"))
    assert roots[forward.id] == roots[near.id] == roots[original.id] == original.id
    assert roots[unrelated.id] == unrelated.id
    assert store.group_sizes() == {original.id: 3}
    exported = {row["id"]: row["duplicate_of"] for row in store.iter_export()}
    assert exported[original.id] is None and exported[forward.id] == original.id


def _wordy(rng: random.Random, n: int = 40) -> str:
    return " ".join(rng.choice(WORDS) + str(rng.randrange(50)) for _ in range(n)) + "."


def _near_copy(text: str) -> str:
    return text.replace(text.split()[5], "вставка", 1)


def _keys_asked_after_fresh_posts(store, rng: random.Random, monkeypatch) -> tuple[Post, int]:
    """Write 29 posts, then 40 unrelated ones: the first post, and how many band keys the 40
    made `store` look up in the database (their 640 keys without a filter)."""
    asked: list[int] = []
    lookup = store._sharing_keys
    monkeypatch.setattr(store, "_sharing_keys", lambda conn, keys: asked.extend(keys) or lookup(conn, keys))
    mine = post("a", 1, _wordy(rng))
    write(store, mine, *(post("a", i, _wordy(rng)) for i in range(2, 30)))
    asked.clear()
    write(store, *(post("b", i, _wordy(rng)) for i in range(40)))
    return mine, len(asked)


def test_the_band_key_filter_skips_lookups_and_still_sees_every_writers_keys(db_target, monkeypatch):
    monkeypatch.setattr(sql, "KEY_FILTER_AFTER", 16)  # one post's keys: built after the first batch
    rng = random.Random(3)
    with open_store(db_target) as first, open_store(db_target) as second:
        # Another writer's key is stored first: `first` builds its filter by reading keys back.
        write(second, post("s", 1, _wordy(rng)))
        mine, asked = _keys_asked_after_fresh_posts(first, rng, monkeypatch)
        assert asked < 64  # the filter lets a handful through
        theirs = post("c", 1, _wordy(rng))
        write(second, theirs)  # another writer's post, which the first writer's filter never saw
        copies = [post("d", 1, _near_copy(theirs.text)), post("d", 2, _near_copy(mine.text))]
        write(first, *copies)
        roots = dict(first.conn.execute("SELECT id, dup_root FROM posts"))
        assert roots[copies[0].id] == roots[theirs.id] and roots[copies[1].id] == roots[mine.id]
        assert len(set(roots.values())) == len(roots) - 2


def test_a_writer_that_starts_on_an_empty_database_keeps_its_filter_without_reading_keys_back(
    tmp_path, monkeypatch
):
    rng = random.Random(6)
    builds: list[int] = []
    build = sql.SqlStore._build_key_filter
    monkeypatch.setattr(
        sql.SqlStore, "_build_key_filter", lambda self, conn: builds.append(1) or build(self, conn)
    )
    with open_store(tmp_path / "t.db") as first:
        mine, asked = _keys_asked_after_fresh_posts(first, rng, monkeypatch)
        assert asked < 64  # the filter worked from the first batch on
        copy = post("c", 1, _near_copy(mine.text))
        write(first, copy)
        roots = dict(first.conn.execute("SELECT id, dup_root FROM posts"))
        assert roots[copy.id] == roots[mine.id]
    assert builds == []  # no key was read back to build it
    with open_store(tmp_path / "t.db") as later:
        # Keys it did not write are stored already: this writer asks the database about every key.
        write(later, post("d", 1, _wordy(rng)))
        assert later._key_filter is None


def test_new_band_keys_wait_in_lsh_new_and_move_into_lsh_in_bulk(db_target, monkeypatch):
    monkeypatch.setattr(sql, "LSH_MERGE_KEYS", 5 * 16)  # five posts' keys
    rng = random.Random(5)
    with open_store(db_target) as store:

        def rows() -> list[int]:
            return [store.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("lsh", "lsh_new")]

        older = [post("a", i, _wordy(rng)) for i in range(5)]
        write(store, *older)
        assert rows() == [80, 0]
        newer = post("b", 1, _wordy(rng))
        write(store, newer)
        assert rows() == [80, 16]
        # Copies are found whichever table holds their original's keys.
        copies = [post("c", 1, _near_copy(older[2].text)), post("c", 2, _near_copy(newer.text))]
        write(store, *copies)
        roots = dict(store.conn.execute("SELECT id, dup_root FROM posts"))
        assert roots[copies[0].id] == roots[older[2].id] and roots[copies[1].id] == roots[newer.id]
        assert len(set(roots.values())) == len(roots) - 2


def test_a_rolled_back_batch_leaves_no_stale_band_key_filter(tmp_path, monkeypatch):
    # SQLite gives the rowids of a rolled-back batch to the next writer's posts.
    monkeypatch.setattr(sql, "KEY_FILTER_AFTER", 16)
    rng = random.Random(4)
    with open_store(tmp_path / "t.db") as first, open_store(tmp_path / "t.db") as second:
        write(first, *(post("a", i, _wordy(rng)) for i in range(10)))

        def fail(conn, rowids):
            raise RuntimeError("the disk is full")

        monkeypatch.setattr(first, "_apply_corrections", fail)
        with pytest.raises(RuntimeError):
            write(first, *(post("b", i, _wordy(rng)) for i in range(10)))
        monkeypatch.undo()
        theirs = post("c", 1, _wordy(rng))
        write(second, theirs)
        copy = post("d", 1, _near_copy(theirs.text))
        write(first, copy)
        roots = dict(first.conn.execute("SELECT id, dup_root FROM posts"))
        assert roots[copy.id] == roots[theirs.id]


def test_short_and_empty_texts_are_never_grouped(store):
    write(store, post("a", 1, ""), post("b", 2, ""), post("c", 3, "Доброе утро"), post("d", 4, "Доброе утро"))
    assert store.group_sizes() == {}


def test_unknown_newer_schema_is_refused(tmp_path):
    path = tmp_path / "t.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value='999' WHERE key='schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(InputError, match="newer multivector"):
        Store.open(path)


def test_growing_view_counts_are_refreshed_without_counting_as_an_edit(db_target):
    from multivector.pipeline import IngestOptions, Ingestor

    with open_store(db_target) as store:
        options = IngestOptions()
        options.annotate.enabled = False
        with Ingestor(store, options) as ingestor:
            ingestor.add_posts([post("a", 1, NUCLEAR_RU, views=10, forwards=1)])
            again = ingestor.add_posts([post("a", 1, NUCLEAR_RU, views=250, forwards=7)])
        assert (again.new, again.updated, again.unchanged) == (0, 0, 1)
        assert store.conn.execute("SELECT views, forwards FROM posts").fetchone() == (250, 7)


def test_a_schema_1_database_is_migrated_and_its_duplicate_links_rebuilt(tmp_path):
    path = tmp_path / "old.db"
    with Store.open(path) as store:
        write(store, post("analyst", 1, NUCLEAR_RU, day=5), post("news", 2, NUCLEAR_RU, day=6))
    # Make it look like a database written by schema 1: no dup_links table, and none of the
    # columns and tables later schemas added.
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE dup_links")
    conn.execute("DROP TABLE corrections")
    conn.execute("DROP TABLE reword_lsh")
    for statement in BEFORE_SCHEMA_6:
        conn.execute(statement)
    for table, column in [("posts", "scope_score"), ("posts", "scope_reason"), ("posts", "genre"),
                          ("post_actors", "about"), ("post_actors", "salience"),
                          ("post_themes", "about"), ("post_themes", "score")]:  # fmt: skip
        conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    conn.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    conn.commit()
    conn.close()
    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        links = store.conn.execute(
            "SELECT a.channel, b.channel, l.kind FROM dup_links l JOIN posts a ON a.rowid = l.post "
            "JOIN posts b ON b.rowid = l.other"
        ).fetchall()
    assert links == [("news", "analyst", "exact")]


def test_duplicate_groups_and_links_do_not_depend_on_how_many_posts_a_batch_holds(tmp_path):
    """A batch is grouped post by post against what was stored before each post: written all
    in one batch or one at a time, the same groups and the same direct links (exact copies
    included, whose later twins are already in the table when the batch is grouped)."""
    other = "Казахстан и Китай подписали соглашение о транзите грузов через Каспий, сообщил МИД. Поставки начнутся весной."
    posts = [
        post("copy", 3, NUCLEAR_RU, day=6),
        post("analyst", 1, NUCLEAR_RU, day=5),
        post("news", 2, NUCLEAR_RU + " Подробности позже.", day=5),
        post("digest", 4, other, day=7),
        post("agency", 5, other, day=7),
    ]
    results = []
    for name, batches in [("one.db", [posts]), ("each.db", [[p] for p in posts])]:
        with Store.open(tmp_path / name) as s:
            for batch in batches:
                write(s, *batch)
            roots = dict(s.conn.execute("SELECT id, dup_root FROM posts"))
            links = sorted(
                s.conn.execute(
                    "SELECT a.id, b.id, l.kind FROM dup_links l JOIN posts a ON a.rowid = l.post "
                    "JOIN posts b ON b.rowid = l.other"
                )
            )
        results.append((roots, links))
    assert results[0] == results[1]
    roots, links = results[0]
    assert len(set(roots.values())) == 2 and {kind for _, _, kind in links} == {"exact", "near"}
    # Each link goes from a post to one stored before it in the batch's order.
    order = [p.id for p in posts]
    assert all(order.index(a) > order.index(b) for a, b, _ in links)


def test_a_bot_channel_of_templated_posts_meets_only_the_latest_holders_of_each_band_key(
    tmp_path, monkeypatch
):
    """Every post of a rates bot shares band keys with the channel's earlier posts; a new post
    meets only the latest KEY_HOLDERS holders of each key (so such a channel stays linear in its size),
    still joins the channel's one group, and the links do not depend on the batch size."""
    rates = [
        post("rates", i, f"Курсы валют ЦБ на {i} марта: доллар {90 + i % 3}, евро {98 + i % 2}. "
             "Подписывайтесь на наш канал, чтобы первыми узнавать курсы валют и новости экономики.", day=1 + i % 28)
        for i in range(1, 41)
    ]  # fmt: skip
    met: list[int] = []
    compare = sql.similarities
    monkeypatch.setattr(
        sql, "similarities", lambda sig, others: met.append(len(others)) or compare(sig, others)
    )
    most = {}
    bands = 0
    for holders in (2, 1000):
        monkeypatch.setattr(sql, "KEY_HOLDERS", holders)
        results = []
        for name, batches in [("one", [rates]), ("sevens", [rates[i : i + 7] for i in range(0, 40, 7)])]:
            met.clear()
            with Store.open(tmp_path / f"{name}{holders}.db") as s:
                bands = NUM_PERM // band_rows(s.dup_threshold)  # band keys a post has
                for batch in batches:
                    write(s, *batch)
                roots = set(dict(s.conn.execute("SELECT id, dup_root FROM posts")).values())
                results.append(sorted(s.conn.execute("SELECT post, other, kind FROM dup_links")))
            assert len(roots) == 1
            most[holders] = max(met)
        assert results[0] == results[1]
    assert most[2] <= bands * 2 < most[1000]  # uncapped, the last posts meet nearly every post before them
