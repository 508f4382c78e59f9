"""Reworded copies: a retelling joins its original's duplicate group, separate coverage does not.

Real annotation (gazetteer, no NER) and a real SQLite file; annotate/reworded.py holds the rule.
"""

import random
from datetime import datetime, timedelta
from itertools import permutations

import pytest

from helpers import BEFORE_SCHEMA_6
from multivector.annotate.reworded import (
    REWORD_MIN_LEMMAS,
    content_lemmas,
    is_reworded,
    numbers,
    reword_bucket,
    reword_overlap,
    reword_print,
)
from multivector.model import SOURCE_TELEGRAM, Annotation, Post, PreparedPost
from multivector.pipeline import AnnotateOptions, Preparer, revision
from multivector.store import open_store
from multivector.store.sqlite import Store

RU_ORIGINAL = (
    "Главы МИД Казахстана и Китая провели переговоры в Астане. Стороны обсудили расширение торговли, "
    "транзит грузов через Каспий и строительство новой железной дороги. Министры договорились подготовить "
    "визит председателя КНР осенью и подписали план консультаций на 2025 год."
)
# The digest's retelling: other words and order, the same content.
RU_REWORDED = (
    "В Астане прошли переговоры министров иностранных дел Казахстана и Китая. Обсуждались расширение "
    "торговли, транзит грузов через Каспий и строительство новой железной дороги. Министры подписали план "
    "консультаций на 2025 год и договорились подготовить осенний визит председателя КНР."
)
# Another newsroom at the same meeting: the same actors, place, day and number, its own quote and details.
RU_OTHER_NEWSROOM = (
    "Министры иностранных дел Казахстана и Китая встретились в Астане и подписали план консультаций на "
    "2025 год. «Мы видим огромный потенциал, товарооборот должен вырасти вдвое», — заявил журналистам "
    "глава китайского внешнеполитического ведомства. Эксперты напоминают, что Пекин остаётся крупнейшим "
    "инвестором региона, а казахстанская сторона рассчитывает на проекты в энергетике и переработке зерна."
)
EN_ORIGINAL = (
    "Foreign ministers of Kazakhstan and Uzbekistan met in Tashkent on Monday and signed a roadmap on water "
    "sharing along the Syr Darya. The two sides agreed to build 3 new hydropower plants and to set up a joint "
    "commission that will meet every quarter."
)
EN_REWORDED = (
    "A roadmap on sharing water along the Syr Darya was signed in Tashkent on Monday by the foreign ministers "
    "of Uzbekistan and Kazakhstan. The sides agreed to set up a joint commission meeting every quarter and to "
    "build 3 new hydropower plants."
)
EN_OTHER_NEWSROOM = (
    "Kazakhstan and Uzbekistan signed a water roadmap in Tashkent, and 3 hydropower plants are planned. Farmers "
    "in the south complain that summer shortages ruined last year's cotton harvest, and environmental groups "
    "warn that new dams could dry out the Aral Sea basin even faster, a local activist told our correspondent."
)

DAY = datetime(2024, 3, 5, 9, 0)


@pytest.fixture(scope="module")
def preparer():
    return Preparer(AnnotateOptions(ner=False))


def post(channel: str, mid: int, text: str, when: datetime = DAY) -> Post:
    return Post(SOURCE_TELEGRAM, channel, str(mid), text, date=when)


def write(store: Store, preparer: Preparer, *posts: Post):
    return store.write_batch(preparer.prepare([(p, revision(p)) for p in posts]))


def roots(store: Store) -> dict[str, str]:
    return dict(store.conn.execute("SELECT id, dup_root FROM posts"))


def links(store: Store) -> set[tuple[frozenset[str], str]]:
    """Direct links as unordered pairs of post ids with their kind."""
    rows = store.conn.execute(
        "SELECT a.id, b.id, l.kind FROM dup_links l JOIN posts a ON a.rowid = l.post JOIN posts b ON b.rowid = l.other"
    )
    return {(frozenset((a, b)), kind) for a, b, kind in rows}


@pytest.mark.parametrize(
    ("original", "reworded", "other"),
    [(RU_ORIGINAL, RU_REWORDED, RU_OTHER_NEWSROOM), (EN_ORIGINAL, EN_REWORDED, EN_OTHER_NEWSROOM)],
    ids=["ru", "en"],
)
def test_a_reworded_copy_joins_the_group_and_other_coverage_stays_apart(
    db_target, preparer, original, reworded, other
):
    first = post("agency", 1, original)
    digest = post("digest", 7, reworded, DAY + timedelta(days=1, hours=3))
    newsroom = post("newsroom", 3, other, DAY + timedelta(hours=2))
    with open_store(db_target) as store:  # both stores: the rule lives in store/sql.py
        write(store, preparer, first, digest, newsroom)
        found = roots(store)
        assert found[digest.id] == first.id
        assert found[newsroom.id] == newsroom.id
        assert links(store) == {(frozenset((first.id, digest.id)), "reworded")}
        # The bigram MinHash alone does not see the retelling: the lemma rule is what links it.
        assert (
            store.conn.execute("SELECT count(*) FROM dup_links WHERE kind <> 'reworded'").fetchone()[0] == 0
        )
        exported = {row["id"]: row for row in store.iter_export()}
        assert exported[digest.id]["duplicate_of"] == first.id
        assert exported[digest.id]["duplicate_kind"] == "reworded"
        assert exported[first.id]["duplicate_kind"] is None
        detail = store.post_detail(digest.id)
        assert {m["id"]: m["link"] for m in detail["group"]["posts"]} == {
            first.id: "reworded",
            digest.id: "reworded",
        }


def test_a_channel_retelling_its_own_post_is_an_update_not_a_copy(tmp_path, preparer):
    first = post("agency", 1, RU_ORIGINAL)
    update = post("agency", 2, RU_REWORDED, DAY + timedelta(hours=5))
    elsewhere = post("digest", 7, RU_REWORDED, DAY + timedelta(hours=6))
    with Store.open(tmp_path / "own.db") as store:
        write(store, preparer, first, update)
        assert roots(store)[update.id] == update.id
        # The digest's identical retelling is an exact copy of the update and a retelling of the
        # original: one group, rooted at the original.
        write(store, preparer, elsewhere)
        found = roots(store)
        assert found[update.id] == found[elsewhere.id] == first.id
        assert links(store) == {
            (frozenset((elsewhere.id, update.id)), "exact"),
            (frozenset((elsewhere.id, first.id)), "reworded"),
        }


def test_the_same_retelling_outside_the_window_is_not_a_copy(tmp_path, preparer):
    first = post("agency", 1, RU_ORIGINAL)
    late = post("digest", 7, RU_REWORDED, DAY + timedelta(days=3, hours=1))
    with Store.open(tmp_path / "late.db") as store:
        write(store, preparer, first, late)
        assert roots(store)[late.id] == late.id
    # The window is an option of the store: a wider one takes the same pair in.
    with Store.open(tmp_path / "wide.db", reword_days=4) as store:
        write(store, preparer, first, late)
        assert roots(store)[late.id] == first.id


def test_other_actors_or_other_numbers_are_not_the_same_text(tmp_path, preparer):
    first = post("agency", 1, RU_ORIGINAL)
    other_partner = post("digest", 2, RU_REWORDED.replace("Китая", "Индии").replace("КНР", "Индии"))
    other_year = post("digest", 3, RU_REWORDED.replace("2025", "2026"))
    with Store.open(tmp_path / "a.db") as store:
        write(store, preparer, first, other_partner, other_year)
        # (the two variants are near copies of each other: one word apart)
        found = roots(store)
        assert found[first.id] == first.id
        assert found[other_partner.id] != first.id and found[other_year.id] != first.id
        assert {kind for _, kind in links(store)} == {"near"}


def test_ingest_order_does_not_matter_and_re_ingest_changes_nothing(tmp_path, preparer):
    original = post("agency", 1, RU_ORIGINAL)
    digest = post("digest", 7, RU_REWORDED, DAY + timedelta(days=1))
    forward = post("aggregator", 9, RU_REWORDED, DAY + timedelta(days=2))  # an exact copy of the retelling
    newsroom = post("newsroom", 3, RU_OTHER_NEWSROOM, DAY + timedelta(hours=2))
    results = []
    for n, order in enumerate(permutations([original, digest, forward, newsroom])):
        if n % 5:  # every fifth of the 24 orders, each post in its own batch (later arrivals re-root)
            continue
        with Store.open(tmp_path / f"o{n}.db") as store:
            for p in order:
                write(store, preparer, p)
            results.append((roots(store), links(store)))
    first_roots, first_links = results[0]
    assert first_roots[digest.id] == first_roots[forward.id] == original.id
    assert first_roots[newsroom.id] == newsroom.id
    assert {kind for _, kind in first_links} == {"exact", "reworded"}
    assert all(r == first_roots for r, _ in results)
    assert all(lk == first_links for _, lk in results)
    with Store.open(tmp_path / "o0.db") as store:
        counts = [
            store.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("dup_links", "reword_lsh")
        ]
        again = write(store, preparer, original, digest, forward, newsroom)
        assert (again.new, again.unchanged) == (0, 4)
        assert [
            store.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("dup_links", "reword_lsh")
        ] == counts
        assert roots(store) == first_roots


def test_an_edit_that_rewrites_the_copy_leaves_the_group(tmp_path, preparer):
    original = post("agency", 1, RU_ORIGINAL)
    digest = post("digest", 7, RU_REWORDED, DAY + timedelta(days=1))
    with Store.open(tmp_path / "e.db") as store:
        write(store, preparer, original, digest)
        assert roots(store)[digest.id] == original.id
        edited = post("digest", 7, RU_OTHER_NEWSROOM, DAY + timedelta(days=1))
        assert write(store, preparer, edited).updated == 1
        assert roots(store)[digest.id] == digest.id
        assert links(store) == set()


def test_another_writers_edit_is_what_a_retelling_is_compared_with(db_target, preparer):
    # Writer A stores a post and keeps its words for the reworded-copy checks; writer B, another
    # connection, rewrites that post; A's next retelling of the new text must meet the new words.
    first = post("agency", 1, RU_OTHER_NEWSROOM)
    digest = post("digest", 7, RU_REWORDED, DAY + timedelta(days=1))
    with open_store(db_target) as a:
        write(a, preparer, first)
        with open_store(db_target) as b:
            assert write(b, preparer, post("agency", 1, RU_ORIGINAL)).updated == 1
        write(a, preparer, digest)
        assert roots(a)[digest.id] == first.id
        assert links(a) == {(frozenset((first.id, digest.id)), "reworded")}


# ---- the look-ahead rule, with lemma strings written by hand -------------------------------
CORE = "посол граница вода дамба плотина урожай"
WORDS_A = CORE + " засуха фермер пастбище колодец овца зерно"
WORDS_B = CORE + " инженер турбина ремонт энергия подстанция кабель"


def prepared(channel: str, mid: int, lemmas: str, when: datetime) -> PreparedPost:
    p = Post(SOURCE_TELEGRAM, channel, str(mid), lemmas, date=when)
    annotation = Annotation(actors=["KZ", "UZ"], in_scope=True)
    return PreparedPost(p, revision(p), lemmas, annotation=annotation)


def test_a_later_retelling_that_bridges_two_reports_does_not_change_the_earlier_year(tmp_path):
    # Two reports of 2024 share half their content words: not copies of each other. A digest of
    # 2025 retells both at once and joins them in the store; the 2024 analysis must still see two.
    a = prepared("a", 1, WORDS_A, datetime(2024, 12, 30, 10))
    b = prepared("b", 2, WORDS_B, datetime(2024, 12, 31, 10))
    bridge = prepared(
        "c", 3, CORE + " засуха фермер пастбище инженер турбина ремонт", datetime(2025, 1, 1, 10)
    )
    assert not is_reworded(content_lemmas(WORDS_A), content_lemmas(WORDS_B), 24)
    with Store.open(tmp_path / "y.db") as store:
        store.write_batch([a, b, bridge])
        assert store.group_sizes() == {a.post.id: 3}
        assert sorted(store.content("2024-01-01", "2025-01-01").ids) == sorted([a.post.id, b.post.id])
        whole = store.content("2024-01-01", "2026-01-01")
        assert whole.ids == [a.post.id] and whole.copies.tolist() == [2]


# ---- the pure functions the stores share ------------------------------------------------------
def test_numbers_are_read_one_way():
    assert numbers("1 500 тонн, 2,50 млн и 0,5%; в 2024 году 150 человек") == {
        "1500",
        "2.5",
        "0.5",
        "2024",
        "150",
    }
    assert numbers("@news24 https://t.me/x/123 без чисел") == frozenset()


def test_the_rule_is_symmetric_and_needs_enough_words():
    a, b = content_lemmas(WORDS_A), content_lemmas(WORDS_B)
    assert reword_overlap(a, b) == reword_overlap(b, a) == 0.5
    assert reword_print("посол граница вода", "посол граница вода", ["KZ"]) is None
    one = reword_print(WORDS_A, "", ["UZ", "KZ"])
    same_other_order = reword_print(" ".join(reversed(WORDS_A.split())), "", ["KZ", "UZ"])
    assert one is not None and same_other_order is not None
    assert one.bands == same_other_order.bands and one.bucket == reword_bucket(["KZ", "UZ"], [])
    other_actors = reword_print(WORDS_A, "", ["KZ", "CN"])
    assert other_actors is not None and not set(other_actors.bands) & set(one.bands)


def test_annotating_posts_stored_without_annotation_finds_their_retellings(tmp_path, preparer):
    bare = Preparer(AnnotateOptions(enabled=False))
    original = post("agency", 1, RU_ORIGINAL)
    digest = post("digest", 7, RU_REWORDED, DAY + timedelta(days=1))
    with Store.open(tmp_path / "later.db") as store:
        write(store, bare, original, digest)
        assert roots(store)[digest.id] == digest.id  # no actors yet: nothing to compare
        rows = store.texts(store.ids_to_annotate())
        store.write_annotations(preparer.annotate_rows(rows), preparer.knowledge_fingerprint)
        assert roots(store)[digest.id] == original.id
        assert links(store) == {(frozenset((original.id, digest.id)), "reworded")}


def test_a_schema_3_database_gets_its_retellings_linked_when_migrated(tmp_path, preparer):
    import sqlite3

    path = tmp_path / "old.db"
    original = post("agency", 1, RU_ORIGINAL)
    digest = post("digest", 7, RU_REWORDED, DAY + timedelta(days=1))
    forward = post("news", 2, RU_ORIGINAL, DAY + timedelta(hours=1))
    with Store.open(path) as store:
        write(store, preparer, original, digest, forward)
    # Back to what schema 3 stored: no reworded links or keys, no link kinds.
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM dup_links WHERE kind = 'reworded'")
    conn.execute("UPDATE posts SET dup_root = id WHERE id = ?", (digest.id,))
    conn.execute("DROP TABLE reword_lsh")
    conn.execute("ALTER TABLE dup_links DROP COLUMN kind")
    for statement in BEFORE_SCHEMA_6:
        conn.execute(statement)
    conn.execute("UPDATE meta SET value='3' WHERE key='schema_version'")
    conn.commit()
    conn.close()
    with Store.open(tmp_path / "fresh.db") as fresh:
        write(fresh, preparer, forward, digest, original)
        expected = roots(fresh), links(fresh)
    with Store.open(path) as store:
        assert roots(store)[digest.id] == roots(store)[forward.id] == original.id
        # the same groups as a database that had the rule from the start, and the kinds of link
        assert roots(store) == expected[0]
        assert (frozenset((original.id, forward.id)), "exact") in links(store)
        assert {kind for pair, kind in links(store) if digest.id in pair} == {"reworded"}


def test_a_schema_4_database_keeps_its_keys_and_finds_retellings_across_a_week_boundary(tmp_path, preparer):
    """Schema 5 stores the reworded-copy keys by week: the keys of a schema 4 file move over, and a
    retelling two days after its original, in the next week, still joins it."""
    import sqlite3

    sunday = datetime(2024, 3, 3, 20, 0)  # 1970-01-01 was a Thursday: weeks here run Thursday to Wednesday
    original = post("agency", 1, RU_ORIGINAL, sunday - timedelta(days=4))
    digest = post("digest", 7, RU_REWORDED, sunday - timedelta(days=2))
    path = tmp_path / "v4.db"
    with Store.open(path) as store:
        write(store, preparer, original)
        keys = store.conn.execute("SELECT key, day, post FROM reword_lsh ORDER BY key").fetchall()
    assert keys and len({day for _, day, _ in keys}) == 1
    # Back to schema 4: the same keys in the (key, day, post) table.
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE reword_lsh")
    conn.execute(
        "CREATE TABLE reword_lsh (key INTEGER NOT NULL, day INTEGER NOT NULL, post INTEGER NOT NULL, "
        "PRIMARY KEY (key, day, post)) WITHOUT ROWID"
    )
    conn.executemany("INSERT INTO reword_lsh VALUES (?, ?, ?)", keys)
    for statement in BEFORE_SCHEMA_6:
        conn.execute(statement)
    conn.execute("UPDATE meta SET value='4' WHERE key='schema_version'")
    conn.commit()
    conn.close()
    day = keys[0][1]
    assert day // 7 != (day + 2) // 7  # the digest falls in the next week
    with Store.open(path) as store:
        moved = store.conn.execute("SELECT week, key, day, post FROM reword_lsh ORDER BY key").fetchall()
        assert moved == [(d // 7, k, d, p) for k, d, p in keys]
        write(store, preparer, digest)
        assert roots(store)[digest.id] == original.id
        assert {kind for pair, kind in links(store) if digest.id in pair} == {"reworded"}


def test_the_decision_is_the_overlap_threshold_and_the_shared_count_for_any_pair():
    # is_reworded takes its cheap length test first; for every pair it must still decide exactly
    # as the rule reads: channels apart, days apart, overlap and enough shared lemmas.
    rng = random.Random(5)
    vocabulary = [f"w{i}" for i in range(40)]
    for _ in range(3000):
        a = frozenset(rng.sample(vocabulary, rng.randint(0, 20)))
        # b: a with some words dropped and some added, so pairs near every edge of the rule occur.
        kept = rng.sample(sorted(a), rng.randint(0, len(a)))
        b = frozenset(kept + rng.sample(vocabulary, rng.randint(0, 8)))
        hours, same = rng.choice([0, 24, 71, 73]), rng.random() < 0.1
        expected = (
            not same and hours <= 72 and reword_overlap(a, b) >= 0.6 and len(a & b) >= REWORD_MIN_LEMMAS
        )
        assert is_reworded(a, b, hours, same, days=3, threshold=0.6) == expected, (sorted(a), sorted(b))
