"""The command line as a user meets it: exit codes, one-line errors, resumable ingest, demo."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from helpers import corpus, multivector

TOPICS = ["нефть", "уран", "транзит", "пшеница", "санкции", "инвестиции", "вода", "выборы"]


def write_table(path: Path, n: int) -> None:
    """A JSONL table of n distinct posts (distinct enough not to be near-duplicates)."""
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            words = " ".join(f"{TOPICS[(i * 7 + k) % len(TOPICS)]}{(i * 31 + k) % 997}" for k in range(12))
            row = {
                "id": i,
                "channel": f"канал {i % 5}",
                "date": f"2024-{i % 12 + 1:02d}-{i % 27 + 1:02d}T10:00:00",
                "text": f"Пост номер {i}: {words}",
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def ingest_notes(path: Path) -> str:
    """Ingest a file of pasted posts as channel "notes" into a new database beside it."""
    db = str(path.with_suffix(".db"))
    r = multivector("--db", db, "ingest", str(path), "--channel", "notes")
    assert r.returncode == 0, r.stderr
    return db


def test_good_and_bad_files_in_one_folder(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_table(folder / "good.jsonl", 20)
    (folder / "empty.txt").write_text("")
    (folder / "binary.json").write_bytes(b"\x00\x01\x02garbage" * 100)
    (folder / "bad_row.jsonl").write_text(
        '{"id": 1, "channel": "x", "date": "2024-01-02", "text": "Казахстан и Китай обсудили транзит грузов через Каспий"}\n'
        '{"id": 2, "channel": "x", "date": "вчера", "text": "дата не в формате ISO, эта запись должна быть пропущена"}\n'
        "{broken json\n",
        encoding="utf-8",
    )
    db = tmp_path / "t.db"
    r = multivector("--db", str(db), "ingest", str(folder), "--no-annotate")
    assert r.returncode == 2, r.stderr
    lines = r.stderr.splitlines()
    assert any("empty.txt" in line and "empty" in line for line in lines)
    assert any("binary.json" in line for line in lines)
    assert any("bad_row.jsonl" in line and "line 2" in line for line in lines)
    assert any("bad_row.jsonl" in line and "line 3" in line for line in lines)
    assert "Traceback" not in r.stderr
    (n,) = sqlite3.connect(db).execute("SELECT count(*) FROM posts").fetchone()
    assert n == 21  # 20 good rows + the one good row of bad_row.jsonl


def test_missing_path_and_bad_options_exit_2_with_one_line(tmp_path):
    r = multivector("--db", str(tmp_path / "t.db"), "ingest", str(tmp_path / "nope.json"))
    assert r.returncode == 2 and "nope.json" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = multivector("--db", str(tmp_path / "t.db"), "ingest", str(tmp_path), "--date", "01.02.2024")
    assert r.returncode == 2 and "--date" in r.stderr
    r = multivector("--db", str(tmp_path / "none.db"), "search", "Китай")
    assert r.returncode == 2 and "none.db" in r.stderr


def test_same_file_twice_adds_nothing(tmp_path):
    write_table(tmp_path / "t.jsonl", 50)
    db = str(tmp_path / "t.db")
    assert multivector("--db", db, "ingest", str(tmp_path / "t.jsonl"), "--no-annotate").returncode == 0
    r = multivector("--db", db, "ingest", str(tmp_path / "t.jsonl"), "--no-annotate")
    assert r.returncode == 0
    assert "0 new" in r.stderr and "50 unchanged" in r.stderr


def test_killed_ingest_loses_nothing_and_rerun_completes(tmp_path):
    n = 12000
    source = tmp_path / "big.jsonl"
    write_table(source, n)
    db = tmp_path / "t.db"
    exe = Path(sys.executable).parent / "multivector"
    proc = subprocess.Popen(
        [str(exe), "--db", str(db), "ingest", str(source), "--no-annotate", "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    committed = 0
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        try:
            committed = sqlite3.connect(db, timeout=5).execute("SELECT count(*) FROM posts").fetchone()[0]
        except sqlite3.Error:
            committed = 0
        if committed >= 1000:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 0 < committed < n, "the ingest finished before it could be killed; make the input larger"
    conn = sqlite3.connect(db)
    after_kill = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
    assert after_kill >= committed and after_kill % 2000 == 0  # whole transactions only (pipeline.WRITE_SIZE)
    assert conn.execute("SELECT count(*) FROM posts_fts").fetchone()[0] == after_kill
    conn.close()
    r = multivector("--db", str(db), "ingest", str(source), "--no-annotate")
    assert r.returncode == 0, r.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*), count(DISTINCT id) FROM posts").fetchone() == (n, n)
    assert conn.execute("SELECT count(*) FROM posts_fts").fetchone()[0] == n


def test_export_jsonl_follows_the_contract(tmp_path):
    write_table(tmp_path / "t.jsonl", 5)
    db = str(tmp_path / "t.db")
    multivector("--db", db, "ingest", str(tmp_path / "t.jsonl"), "--no-annotate")
    r = multivector("--db", db, "export", "--format", "jsonl")
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(rows) == 5
    keys = {"id", "source", "channel", "message_id", "author", "date", "url", "lang", "text", "forwarded_from",
            "duplicate_of", "duplicate_kind", "in_scope", "about", "actors", "themes", "mentions"}  # fmt: skip
    assert all(set(row) == keys for row in rows)
    assert rows[0]["message_id"] == "0" and rows[0]["channel"] == "канал 0"
    csv_out = tmp_path / "t.csv"
    parquet_out = tmp_path / "t.parquet"
    assert multivector("--db", db, "export", "--format", "csv", "--out", str(csv_out)).returncode == 0
    assert len(csv_out.read_text(encoding="utf-8").splitlines()) == 6
    assert multivector("--db", db, "export", "--format", "parquet", "--out", str(parquet_out)).returncode == 0
    import pyarrow.parquet as pq

    assert pq.read_table(parquet_out).num_rows == 5


def test_search_json_and_malformed_query(tmp_path):
    write_table(tmp_path / "t.jsonl", 30)
    db = str(tmp_path / "t.db")
    multivector("--db", db, "ingest", str(tmp_path / "t.jsonl"), "--no-annotate")
    r = multivector("--db", db, "search", "пост", "--json", "--limit", "3")
    assert r.returncode == 0 and len(json.loads(r.stdout)) == 3
    r = multivector("--db", db, "search", '"unbalanced')
    assert r.returncode == 2 and "unbalanced quote" in r.stderr and "Traceback" not in r.stderr


def test_counts_of_one_are_singular(tmp_path):
    (tmp_path / "one.txt").write_text("Один пост о погоде в Алматы.\n", encoding="utf-8")
    db = str(tmp_path / "one.db")
    r = multivector("--db", db, "ingest", str(tmp_path / "one.txt"), "--no-annotate")
    assert r.returncode == 0 and "1 file, 1 post read" in r.stderr and "0 service messages" in r.stderr
    stats = multivector("--db", db, "stats").stdout
    assert "1 post in 1 channel," in stats and "0 bodies pasted twice" in stats


def test_search_about_keeps_the_posts_about_an_actor_not_those_naming_it_in_passing(tmp_path):
    (tmp_path / "visits.txt").write_text(
        "Президент Франции Эммануэль Макрон прибыл в Астану с официальным визитом. Токаев и Макрон "
        "обсудили поставки урана, авиасообщение и логистику в обход России. Стороны подписали "
        "соглашения о сотрудничестве в энергетике.\n---\n"
        "Президент России Владимир Путин прибыл в Астану с государственным визитом. Путин и Токаев "
        "подписали соглашения о строительстве ТЭЦ, о газоснабжении и о сотрудничестве в атомной "
        "энергетике.\n",
        encoding="utf-8",
    )
    db = ingest_notes(tmp_path / "visits.txt")

    def found(*options: str) -> list[str]:
        r = multivector("--db", db, "search", "визит", "--actor", "RU", "--json", *options)
        assert r.returncode == 0, r.stderr
        return sorted(hit["text"].split()[1] for hit in json.loads(r.stdout))

    assert found() == ["России", "Франции"]  # both name Russia
    assert found("--about") == ["России"]  # only Putin's visit is about it


def test_news_set_ingests_with_no_options_and_finds_duplicates(tmp_path):
    raw = corpus("tg_news_ru_nktkln", "raw")
    db = str(tmp_path / "news.db")
    r = multivector("--db", db, "ingest", str(raw), "--no-annotate")
    assert r.returncode == 0, r.stderr[-3000:]
    stats = json.loads(multivector("--db", db, "stats", "--json").stdout)
    assert stats["posts"] == 22099 and stats["channels"] >= 20
    # The set holds channels and their "+"/"Live" twins that repost the same news.
    assert stats["duplicate_groups"] > 100
    conn = sqlite3.connect(db)
    cross = conn.execute(
        "SELECT count(*) FROM posts p JOIN posts r ON r.id = p.dup_root WHERE p.id <> p.dup_root AND p.channel <> r.channel"
    ).fetchone()[0]
    assert cross > 50


def test_user_knowledge_added_then_annotate_shows_it_in_search_and_stats(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.txt").write_text(
        "Date: 2024-05-01\n\nКазахстан и Монако подписали меморандум о сотрудничестве в области аквакультуры.",
        encoding="utf-8",
    )
    (notes / "b.txt").write_text(
        "Date: 2024-05-02\n\nВ Астане прошёл концерт симфонического оркестра.", encoding="utf-8"
    )
    db = str(tmp_path / "t.db")
    assert multivector("--db", db, "ingest", str(notes), "--no-ner").returncode == 0
    assert (
        json.loads(multivector("--db", db, "search", "меморандум", "--json", "--theme", "aquaculture").stdout)
        == []
    )

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "themes.yaml").write_text(
        "- id: aquaculture\n"
        "  label: {ru: Аквакультура, en: Aquaculture}\n"
        "  description: Fish farming.\n"
        "  patterns:\n"
        "    ru: [аквакультура]\n",
        encoding="utf-8",
    )
    (mine / "actors.yaml").write_text(
        "- id: ACME_FISH\n  kind: company\n  names: {ru: Акме Фиш, en: Acme Fish}\n  country: MC\n",
        encoding="utf-8",
    )
    r = multivector("--db", db, "--knowledge", str(mine), "annotate", "--no-ner")
    assert r.returncode == 0, r.stderr
    hits = json.loads(
        multivector("--db", db, "search", "меморандум", "--json", "--theme", "aquaculture").stdout
    )
    assert len(hits) == 1 and "aquaculture" in hits[0]["themes"] and "MC" in hits[0]["actors"]
    stats = json.loads(multivector("--db", db, "stats", "--json").stdout)
    assert ["aquaculture", 1] in stats["top_themes"]
    assert ["europe", 1] in stats["top_vectors"]  # Monaco, through the profile
    # Nothing changed since: a second run has nothing to redo.
    again = multivector("--db", db, "--knowledge", str(mine), "annotate", "--no-ner")
    assert again.returncode == 0 and "0 of 2 posts annotated" in again.stderr


def test_broken_knowledge_file_is_one_line_naming_the_line(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "themes.yaml").write_text(
        "- id: fish\n  label: {ru: Рыба, en: Fish}\n  paterns: [рыба]\n", encoding="utf-8"
    )
    write_table(tmp_path / "t.jsonl", 3)
    r = multivector(
        "--db", str(tmp_path / "t.db"), "--knowledge", str(mine), "ingest", str(tmp_path / "t.jsonl")
    )
    assert r.returncode == 2
    assert "themes.yaml" in r.stderr and "line 3" in r.stderr and "Traceback" not in r.stderr


def test_a_command_on_an_sqlite_file_never_loads_the_server_driver(tmp_path):
    # The CLI's `except` clauses run for the SystemExit every command ends with: naming the
    # server driver's errors there must not import it (a tenth of a second a command).
    write_table(tmp_path / "in.jsonl", 5)
    code = (
        "import sys, multivector.cli as cli\n"
        f"sys.argv = ['multivector', '--db', {str(tmp_path / 't.db')!r}, 'ingest', {str(tmp_path / 'in.jsonl')!r}, '--no-ner']\n"
        "try:\n    cli.main()\nexcept SystemExit as e:\n    code = e.code\n"
        "print('exit', code, 'psycopg' in sys.modules, file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.stderr.strip().splitlines()[-1] == "exit 0 False", out.stderr[-2000:]


def test_python_dash_m_runs_the_same_command():
    r = subprocess.run(
        [sys.executable, "-m", "multivector", "--help"], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0 and "ingest" in r.stdout and "Usage:" in r.stdout, r.stderr[-2000:]


def test_explain_shows_why_a_stored_post_and_a_pasted_text_are_tagged(tmp_path):
    (tmp_path / "visit.txt").write_text(
        "Президент России Владимир Путин прибыл в Астану с государственным визитом. Путин и Токаев "
        "подписали соглашения о строительстве ТЭЦ и о сотрудничестве в атомной энергетике, "
        "а также обсудили логистику в обход Китая.\n",
        encoding="utf-8",
    )
    db = ingest_notes(tmp_path / "visit.txt")
    (post,) = json.loads(multivector("--db", db, "search", "визит", "--json").stdout)

    r = multivector("--db", db, "explain", post["id"], "--json")
    assert r.returncode == 0, r.stderr
    found = json.loads(r.stdout)
    assert found["id"] == post["id"] and found["in_scope"] is True
    assert found["scope_reason"].startswith("in scope (")
    # Subjects first, each with the words that name it; China, named in passing, comes after them.
    about = [a["actor"] for a in found["actors"] if a["about"]]
    assert {"putin", "tokayev"} <= set(about) and "CN" not in about
    assert [a["about"] for a in found["actors"]] == sorted(
        (a["about"] for a in found["actors"]), reverse=True
    )
    named = {a["actor"]: a["named_as"] for a in found["actors"]}
    assert named["putin"] == ["Владимир Путин", "Путин"] and named["CN"] == ["Китая"]
    nuclear = next(t for t in found["themes"] if t["theme"] == "nuclear_energy")
    assert nuclear["about"] and nuclear["evidence"]

    # A correction is applied to the stored tags and listed with them.
    fix = multivector("--db", db, "corrections", "add", post["id"], "actor", "add", "CN", "--note", "transit")
    assert fix.returncode == 0, fix.stderr
    r = multivector("--db", db, "explain", post["id"])
    assert r.returncode == 0, r.stderr
    assert post["id"] in r.stdout and "Владимир Путин" in r.stdout
    assert "correction 1: add actor CN (transit)" in r.stdout
    assert next(a for a in json.loads(multivector("--db", db, "explain", post["id"], "--json").stdout)["actors"]
                if a["actor"] == "CN")["about"]  # fmt: skip

    # Any text, from standard input, tagged now as ingest would tag it.
    exe = Path(sys.executable).parent / "multivector"
    pasted = subprocess.run(
        [str(exe), "explain", "--text", "-", "--json"], input=post["text"], capture_output=True, text=True
    )
    assert pasted.returncode == 0, pasted.stderr
    fresh = json.loads(pasted.stdout)
    assert fresh["id"] is None and fresh["lang"] == "ru"
    assert [a["actor"] for a in fresh["actors"] if a["about"]] == about  # the machine's tags, no correction

    for args, message in [
        ((), "give a post id or --text"),
        (("x", "--text", "y"), "not both"),
        (("nosuch",), "no post 'nosuch'"),
        (("--text", "  "), "the text is empty"),
    ]:
        r = multivector("--db", db, "explain", *args)
        assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
