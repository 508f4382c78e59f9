"""Corrections: stored with who and when, applied at once and over every later annotation,
moved between databases as JSONL, and felt by the next report."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from helpers import multivector
from multivector.model import Annotation, InputError, Mention, Post, PreparedPost, ThemeHit
from multivector.store import open_store
from multivector.store.sqlite import Store
from web_support import copy_db, sample_db  # noqa: F401 - a fixture


def _post(
    n: int, text: str, actors: list[tuple[str, int, int]], themes: list[tuple[str, int, int]]
) -> PreparedPost:
    post = Post("telegram", "chan", str(n), text, date=datetime(2024, 3, n), lang="ru")
    ann = Annotation(
        mentions=[Mention(s, e, text[s:e], a, "country") for a, s, e in actors],
        themes=[ThemeHit(t, s, e, text[s:e]) for t, s, e in themes],
        actors=sorted({a for a, _, _ in actors}),
        theme_ids=sorted({t for t, _, _ in themes}),
        in_scope=True,
        about_actors=sorted({a for a, _, _ in actors}),
        about_themes=sorted({t for t, _, _ in themes}),
    )
    return PreparedPost(post, f"r{n}", text.lower(), f"h{n}", None, annotation=ann, annotated_with="test")


TEXT = "Россия и Казахстан обсудили атомную станцию"


@pytest.fixture
def store(db_target):
    s = open_store(db_target)
    s.write_batch([_post(1, TEXT, [("RU", 0, 6), ("KZ", 9, 18)], [("nuclear_energy", 28, 43)])])
    yield s
    s.close()


def _only(store: Store) -> dict:
    return next(store.iter_export())


def test_removing_and_adding_actors_and_themes_changes_tags_and_about(store):
    pid = _only(store)["id"]
    store.add_correction(pid, "actor", "RU", "remove", author="aigerim", note="not about Russia")
    store.add_correction(pid, "actor", "CN", "add", author="aigerim")
    store.add_correction(pid, "theme", "nuclear_energy", "remove", author="aigerim")
    store.add_correction(pid, "theme", "sanctions", "add", author="aigerim")
    row = _only(store)
    assert row["actors"] == ["CN", "KZ"]
    assert row["about"] == {"actors": ["CN", "KZ"], "themes": ["sanctions"]}
    assert row["themes"] == ["sanctions"]
    assert all(m["actor"] != "RU" for m in row["mentions"])  # the wrong span is gone too
    detail = store.post_detail(pid)
    assert detail["theme_hits"] == []
    made = store.corrections(pid)
    assert [(c["field"], c["action"], c["value"], c["author"]) for c in made] == [
        ("actor", "remove", "RU", "aigerim"), ("actor", "add", "CN", "aigerim"),
        ("theme", "remove", "nuclear_energy", "aigerim"), ("theme", "add", "sanctions", "aigerim"),
    ]  # fmt: skip
    assert made[0]["note"] == "not about Russia" and datetime.fromisoformat(made[0]["created_at"])


def test_scope_correction_sets_in_scope_both_ways(store):
    pid = _only(store)["id"]
    store.add_correction(pid, "scope", "false", "set")
    assert _only(store)["in_scope"] is False
    assert store.post_detail(pid)["scope_reason"] == "set by a correction"
    store.add_correction(pid, "scope", "true", "set")
    assert _only(store)["in_scope"] is True


def test_the_latest_word_on_a_tag_wins(store):
    pid = _only(store)["id"]
    store.add_correction(pid, "actor", "CN", "add")
    store.add_correction(pid, "actor", "CN", "remove")
    assert "CN" not in _only(store)["actors"]
    store.add_correction(pid, "actor", "RU", "remove")
    store.add_correction(pid, "actor", "RU", "add")
    assert "RU" in _only(store)["about"]["actors"]


def test_corrections_are_applied_again_after_reannotation(store):
    pid = _only(store)["id"]
    store.add_correction(pid, "actor", "RU", "remove")
    store.add_correction(pid, "theme", "sanctions", "add")
    machine = _post(1, TEXT, [("RU", 0, 6), ("KZ", 9, 18)], [("nuclear_energy", 28, 43)]).annotation
    store.write_annotations([(pid, machine, "lemmas")], "test2")  # what `multivector annotate` does
    row = _only(store)
    assert "RU" not in row["actors"] and "sanctions" in row["themes"]
    assert "nuclear_energy" in row["themes"]  # the rest of the machine's tags are kept


def test_a_correction_waits_for_its_post_and_applies_when_it_is_ingested(db_target):
    s = open_store(db_target)
    coming = _post(2, TEXT, [("RU", 0, 6)], [])
    s.import_corrections([{"post": coming.post.id, "field": "actor", "value": "RU", "action": "remove",
                           "author": "a", "created_at": "2024-05-01T10:00:00", "note": None}])  # fmt: skip
    s.write_batch([coming])
    assert _only(s)["actors"] == []
    s.close()


def test_bad_corrections_are_refused_with_a_reason(store):
    pid = _only(store)["id"]
    with pytest.raises(InputError, match="16 hex"):
        store.add_correction("nope", "actor", "RU", "remove")
    with pytest.raises(InputError, match="field"):
        store.add_correction(pid, "colour", "RU", "remove")
    with pytest.raises(InputError, match="add or remove"):
        store.add_correction(pid, "actor", "RU", "set")
    with pytest.raises(InputError, match="true or false"):
        store.add_correction(pid, "scope", "maybe", "set")
    assert store.corrections() == []


def test_delete_marks_the_post_for_annotation(store):
    pid = _only(store)["id"]
    cid = store.add_correction(pid, "actor", "RU", "remove")
    gone = store.delete_correction(cid)
    assert gone["value"] == "RU" and store.corrections() == []
    assert store.delete_correction(cid) is None
    assert store.ids_to_annotate(only_stale="test")  # `multivector annotate` will redo it


# ---- the command line ---------------------------------------------------------------------------


def _sample(sample_db, tmp_path) -> Path:  # noqa: F811
    return copy_db(sample_db, tmp_path)


def _some_post(db: Path, actor: str) -> dict:
    with Store.open(db, create=False) as s:
        return next(r for r in s.iter_export() if actor in r["actors"] and r["duplicate_of"] is None)


def test_export_import_round_trip_and_import_twice_adds_nothing(sample_db, tmp_path):  # noqa: F811
    a = _sample(sample_db, tmp_path / "a")
    post = _some_post(a, "CN")
    done = multivector(
        "--db",
        str(a),
        "corrections",
        "add",
        post["id"],
        "actor",
        "remove",
        "CN",
        "--author",
        "erlan",
        "--note",
        "метафора",
    )
    assert done.returncode == 0, done.stderr
    out = tmp_path / "corr.jsonl"
    done = multivector("--db", str(a), "corrections", "export", "--out", str(out))
    assert done.returncode == 0 and "1 corrections exported" in done.stderr
    line = json.loads(out.read_text(encoding="utf-8"))
    assert line == {
        **line,
        "post": post["id"],
        "field": "actor",
        "value": "CN",
        "action": "remove",
        "author": "erlan",
        "note": "метафора",
    }
    assert "id" not in line

    b = _sample(sample_db, tmp_path / "b")
    first = multivector("--db", str(b), "corrections", "import", str(out))
    assert first.returncode == 0, first.stderr
    assert "1 corrections added, 0 already there" in first.stderr
    again = multivector("--db", str(b), "corrections", "import", str(out))
    assert "0 corrections added, 1 already there" in again.stderr
    with Store.open(b, create=False) as s:
        assert len(s.corrections()) == 1
        assert all(a["actor"] != "CN" for a in s.post_detail(post["id"])["actors"])


def test_import_reports_bad_lines_with_file_and_line_and_keeps_the_rest(sample_db, tmp_path):  # noqa: F811
    db = _sample(sample_db, tmp_path)
    post = _some_post(db, "RU")
    good = {
        "post": post["id"],
        "field": "actor",
        "value": "RU",
        "action": "remove",
        "author": "a",
        "created_at": "2024-01-02T03:04:05",
    }
    f = tmp_path / "mixed.jsonl"
    f.write_text(
        "\n".join([
            json.dumps(good),
            "{not json",
            json.dumps({**good, "field": "colour"}),
            json.dumps({**good, "post": "123"}),
            json.dumps({**good, "created_at": "yesterday"}),
            json.dumps({**good, "value": "CN", "colour": "red"}),
            json.dumps({"post": post["id"], "field": "scope", "value": False, "action": "set"}),
        ]) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    done = multivector("--db", str(db), "corrections", "import", str(f))
    assert done.returncode == 2
    lines = [x for x in done.stderr.splitlines() if "mixed.jsonl" in x]
    assert [x.split(": ")[1] for x in lines] == ["line 2", "line 3", "line 4", "line 5", "line 6"]
    assert "not JSON" in lines[0] and "field" in lines[1] and "16 hex" in lines[2] and "ISO 8601" in lines[3]
    assert "2 corrections added" in done.stderr
    with Store.open(db, create=False) as s:
        detail = s.post_detail(post["id"])
    assert detail["in_scope"] is False and all(a["actor"] != "RU" for a in detail["actors"])


def test_annotate_keeps_corrections(sample_db, tmp_path):  # noqa: F811
    db = _sample(sample_db, tmp_path)
    post = _some_post(db, "CN")
    multivector("--db", str(db), "corrections", "add", post["id"], "actor", "remove", "CN")
    multivector("--db", str(db), "corrections", "add", post["id"], "theme", "add", "digital_technology")
    done = multivector("--db", str(db), "annotate", "--all", "--no-ner")
    assert done.returncode == 0, done.stderr
    with Store.open(db, create=False) as s:
        detail = s.post_detail(post["id"])
    assert all(a["actor"] != "CN" for a in detail["actors"])
    assert {"theme": "digital_technology", "about": True, "score": None} in detail["themes"]


def test_withdrawing_a_correction_gives_back_the_machine_tags(sample_db, tmp_path):  # noqa: F811
    db = _sample(sample_db, tmp_path)
    post = _some_post(db, "CN")
    multivector("--db", str(db), "corrections", "add", post["id"], "actor", "remove", "CN")
    with Store.open(db, create=False) as s:
        cid = s.corrections(post["id"])[0]["id"]
        assert all(a["actor"] != "CN" for a in s.post_detail(post["id"])["actors"])
    done = multivector("--db", str(db), "corrections", "delete", str(cid), "--no-ner")
    assert done.returncode == 0, done.stderr
    with Store.open(db, create=False) as s:
        assert any(a["actor"] == "CN" for a in s.post_detail(post["id"])["actors"])
        assert s.corrections() == []
    missing = multivector("--db", str(db), "corrections", "delete", str(cid))
    assert missing.returncode == 2 and f"no correction {cid}" in missing.stderr


def test_a_correction_changes_the_next_report(sample_db, tmp_path):  # noqa: F811
    from multivector.report.build import build_report

    db = _sample(sample_db, tmp_path)
    with Store.open(db, create=False) as s:
        before = build_report(s, None, 2024, "KZ")
        trend = before["trends"][0]
        evidence = trend["evidence"][0]["post_id"]
        s.add_correction(evidence, "theme", trend["theme"], "remove", author="analyst")
        after = build_report(s, None, 2024, "KZ")
    moved = next(
        t
        for t in after["trends"] + [{"theme": trend["theme"], "posts": None}]
        if t["theme"] == trend["theme"]
    )
    assert moved["posts"] is None or moved["posts"] == trend["posts"] - 1
    assert all(
        e["post_id"] != evidence
        for t in after["trends"]
        if t["theme"] == trend["theme"]
        for e in t["evidence"]
    )
