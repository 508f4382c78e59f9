"""Inputs that used to end a whole `ingest` (or hang it), each beside a good file that must still
be stored in the same run: lone surrogates, file names that are not UTF-8, deep nesting, a
huge message, feed dates outside years 1-9999, blank message ids, and a reader that fails."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from helpers import multivector
from multivector import pipeline, sources
from multivector.model import SOURCE_TABLE, Post
from multivector.pipeline import AnnotateOptions, IngestOptions, Ingestor, ingest
from multivector.sources.base import Limits, ReadContext, check_post, shown
from multivector.store.sqlite import Store

GOOD_TEXT = "Астана и Ташкент подписали соглашение о воде и транзите грузов через Каспий."


def good_file(folder: Path) -> Path:
    """A pasted post that every run below must store, whatever its neighbours do."""
    path = folder / "zz_good.txt"
    path.write_text(f"Date: 2024-05-01\n\n{GOOD_TEXT}\n", encoding="utf-8")
    return path


def run_ingest(db: Path, *paths: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return multivector("--db", str(db), "ingest", "--no-annotate", *map(str, paths), env=env)


def texts(db: Path) -> dict[str, str]:
    """message_id -> text of every stored post."""
    return dict(sqlite3.connect(db).execute("SELECT message_id, text FROM posts"))


def chat(messages: list[dict], name: str = "Канал") -> dict:
    return {"name": name, "type": "public_channel", "id": 77, "messages": messages}


def message(mid: object, text: object = "Текст сообщения о переговорах.", **more) -> dict:
    return {"id": mid, "type": "message", "date": "2024-03-01T10:00:00", "text": text, **more}


def assert_one_line_problems(stderr: str) -> None:
    assert "Traceback" not in stderr
    for line in filter(None, stderr.splitlines()):
        assert ": " in line or line.startswith(tuple("0123456789")), line


# ---- 1. lone surrogates and file names ------------------------------------------------------------


def test_lone_surrogates_in_json_jsonl_and_arrays_are_replaced_and_counted(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    # Written by hand: json.dumps would refuse the lone surrogate, a hostile file does not.
    (folder / "a_chat.json").write_text(
        '{"name": "Канал \\udc80", "type": "public_channel", "id": 1, "messages": ['
        '{"id": 1, "type": "message", "date": "2024-03-01T10:00:00", "text": "до \\udc80 после"},'
        '{"id": 2, "type": "message", "date": "2024-03-02T10:00:00", "text": "эмодзи \\ud83d\\ude00 целое"}]}',
        encoding="utf-8",
    )
    (folder / "b_lines.jsonl").write_text(
        '{"id": "j1", "channel": "лента\\ud800", "date": "2024-03-03", "text": "строка \\udfff один"}\n'
        '{"id": "j2", "channel": "лента", "date": "2024-03-04", "text": "строка два"}\n',
        encoding="utf-8",
    )
    (folder / "c_array.json").write_text(
        '[{"id": "r1", "date": "2024-03-05", "text": "массив \\udc80"}, {"id": "r2", "text": "массив два"}]',
        encoding="utf-8",
    )
    good_file(folder)
    db = tmp_path / "t.db"
    r = run_ingest(db, folder)
    assert r.returncode == 2, r.stderr
    assert_one_line_problems(r.stderr)
    stored = texts(db)
    assert stored["zz_good.txt"] == GOOD_TEXT
    assert stored["1"] == "до \ufffd после" and stored["2"] == "эмодзи \U0001f600 целое"
    assert stored["j1"] == "строка \ufffd один" and stored["j2"] == "строка два"
    assert stored["r1"] == "массив \ufffd" and stored["r2"] == "массив два"
    channels = {c for (c,) in sqlite3.connect(db).execute("SELECT DISTINCT channel FROM posts")}
    assert {"Канал \ufffd", "лента\ufffd", "лента"} <= channels
    assert any("a_chat.json" in line and "2 invalid characters" in line for line in r.stderr.splitlines())
    assert any("b_lines.jsonl: line 1" in line and "U+FFFD" in line for line in r.stderr.splitlines())


def test_a_file_name_that_is_not_utf8_is_read_and_shown_escaped(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    odd = Path(os.fsdecode(bytes(folder) + b"/caf\xe9 \xff.txt"))
    odd.write_text("Date: 2024-05-02\n\nЗаметка из архива с чужой кодировкой имён.", encoding="utf-8")
    (folder / "broken.json").write_bytes(b"\x00\x01binary")  # a problem line names a file too
    good_file(folder)
    db = tmp_path / "t.db"
    r = run_ingest(db, folder)
    assert r.returncode == 2, r.stderr  # for broken.json only
    assert_one_line_problems(r.stderr)
    stored = texts(db)
    assert stored["zz_good.txt"] == GOOD_TEXT
    assert stored["caf\\xe9 \\xff.txt"].startswith("Заметка из архива")
    (channel,) = (
        sqlite3.connect(db).execute("SELECT channel FROM posts WHERE message_id LIKE 'caf%'").fetchone()
    )
    assert channel == "caf\\xe9 \\xff"
    files = [p for (p,) in sqlite3.connect(db).execute("SELECT path FROM files")]
    assert any(p.endswith("caf\\xe9 \\xff.txt") for p in files)


def test_shown_escapes_odd_bytes_and_control_characters_only():
    assert shown(Path("plain/имя.txt")) == "plain/имя.txt"
    assert shown(os.fsdecode(b"a\xe9.txt")) == "a\\xe9.txt"
    assert shown("new\nline.txt") == "new\\x0aline.txt"


# ---- 2. nesting, and one enormous message ---------------------------------------------------------


def html_page(messages: str) -> str:
    return (
        '<html><body><div class="page_header"><div class="text bold">Глубокий канал</div></div>'
        f'<div class="history">{messages}</div></body></html>'
    )


def html_message(mid: int, inner: str, day: int = 1) -> str:
    return (
        f'<div class="message default clearfix" id="message{mid}"><div class="body">'
        f'<div class="pull_right date details" title="0{day}.03.2024 10:00:00 UTC+05:00">10:00</div>'
        f'<div class="from_name">Автор</div><div class="text">{inner}</div></div></div>'
    )


def rss(items: str) -> str:
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Лента</title>{items}</channel></rss>'


def rss_item(guid: str, description: str, date: str = "Mon, 06 May 2024 09:00:00 GMT") -> str:
    return f"<item><guid>{guid}</guid><title>Item {guid}</title><pubDate>{date}</pubDate><description>{description}</description></item>"


def test_a_thousand_nested_tags_in_html_and_feeds_keep_their_text(tmp_path):
    folder = tmp_path / "in"
    (folder / "html").mkdir(parents=True)
    deep = "<b>" * 1000 + "глубоко" + "</b>" * 1000
    (folder / "html" / "messages.html").write_text(
        html_page(html_message(1, deep) + html_message(2, "обычное сообщение", day=2)), encoding="utf-8"
    )
    escaped = ("&lt;div&gt;" * 1000) + "вложенный текст" + ("&lt;/div&gt;" * 1000)
    (folder / "feed.xml").write_text(
        rss(rss_item("deep", escaped) + rss_item("plain", "простой")), encoding="utf-8"
    )
    good_file(folder)
    db = tmp_path / "t.db"
    r = run_ingest(db, folder)
    assert r.returncode == 2, r.stderr
    assert_one_line_problems(r.stderr)
    stored = texts(db)
    assert stored["1"] == "глубоко" and stored["2"] == "обычное сообщение"
    assert stored["deep"] == "Item deep\n\nвложенный текст" and "простой" in stored["plain"]
    assert stored["zz_good.txt"] == GOOD_TEXT
    lines = r.stderr.splitlines()
    assert any("messages.html" in line and "nested deeper than 200 levels" in line for line in lines)
    assert any("feed.xml: item 1" in line and "nested deeper" in line for line in lines)


def test_two_hundred_thousand_nested_divs_are_flattened_not_parsed_for_minutes(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    deep = "<div>" * 200_000 + "на дне" + "</div>" * 200_000  # 2.2 MB
    (folder / "messages.html").write_text(
        html_page(html_message(5, deep) + html_message(6, "сосед", day=2)), encoding="utf-8"
    )
    db = tmp_path / "t.db"
    r = run_ingest(db, folder, good_file(tmp_path))
    assert r.returncode == 2, r.stderr
    stored = texts(db)
    assert stored["5"].strip() == "на дне" and stored["6"] == "сосед"
    assert stored["zz_good.txt"] == GOOD_TEXT


def test_one_enormous_telegram_message_is_skipped_and_the_others_kept(tmp_path):
    path = tmp_path / "result.json"
    huge = " ".join(f"Фраза {i} о переговорах." for i in range(100_000))  # 2.5 million characters
    path.write_text(
        json.dumps(chat([message(1, "первое"), message(2, huge), message(3, "третье")]), ensure_ascii=False),
        encoding="utf-8",
    )
    db = tmp_path / "t.db"
    r = run_ingest(db, path, good_file(tmp_path))
    assert r.returncode == 2, r.stderr
    assert (
        f"result.json: message 2: text is {len(huge):,} characters long, over the limit of 1,000,000"
        in r.stderr
    )
    stored = texts(db)
    assert stored["1"] == "первое" and stored["3"] == "третье" and "2" not in stored
    assert stored["zz_good.txt"] == GOOD_TEXT
    # The limit is the user's to raise.
    r = run_ingest(db, path, env={"MULTIVECTOR_MAX_POST_CHARS": "3000000"})
    assert r.returncode == 0, r.stderr
    assert texts(db)["2"] == huge


def test_a_json_record_over_the_size_limit_is_skipped_while_streaming(tmp_path):
    path = tmp_path / "posts.json"
    big = {"id": "big", "text": [{"type": "plain", "text": "кусок "} for _ in range(30_000)]}
    path.write_text(
        json.dumps([{"id": "a", "text": "до"}, big, {"id": "b", "text": "после"}]), encoding="utf-8"
    )
    ctx = ReadContext(limits=Limits(max_record_bytes=200_000))
    posts = list(sources.read_path(path, ctx))
    assert [p.message_id for p in posts] == ["a", "b"]
    assert [(p.place, p.message) for p in ctx.problems] == [
        ("item 2", "record larger than 195.312 KB; skipped")
    ]


# ---- 3. feed dates ---------------------------------------------------------------------------------


def test_feed_dates_outside_the_calendar_skip_only_their_items(tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title>'
        "<entry><id>year0</id><title>Year zero</title><updated>0000-01-01T00:00:00Z</updated></entry>"
        "<entry><id>year10000</id><title>Past 9999</title><updated>9999-12-31T23:59:59-05:00</updated></entry>"
        "<entry><id>year1</id><title>Year one</title><updated>0001-01-01T00:00:00Z</updated></entry>"
        "<entry><id>fine</id><title>A fine entry</title><updated>2024-05-01T10:00:00Z</updated></entry>"
        "</feed>",
        encoding="utf-8",
    )
    db = tmp_path / "t.db"
    r = run_ingest(db, feed, good_file(tmp_path))
    assert r.returncode == 2, r.stderr
    lines = r.stderr.splitlines()
    for guid in ("year0", "year10000", "year1"):
        assert any(f"feed.xml: item {guid}: date is out of range" in line for line in lines), (guid, lines)
    assert set(texts(db)) == {"fine", "zz_good.txt"}


def test_dates_are_checked_in_every_reader():
    for value in ("0000-01-01", "10000-01-01", "1850-01-01", "1e20", 10**13, "9" * 70):
        with pytest.raises(ValueError):
            sources.base.parse_date(value)
    assert sources.base.parse_date("2024-05-01T10:00:00+05:00") == datetime(2024, 5, 1, 5, 0)


# ---- 4. message ids ---------------------------------------------------------------------------------


def test_telegram_messages_with_blank_or_odd_ids_are_reported_and_skipped(tmp_path):
    path = tmp_path / "result.json"
    messages = [
        message(""),
        message("   "),
        message({"x": 1}),
        message([1]),
        message(True),
        message(7, "седьмое"),
    ]
    path.write_text(json.dumps(chat(messages), ensure_ascii=False), encoding="utf-8")
    db = tmp_path / "t.db"
    r = run_ingest(db, path, good_file(tmp_path))
    assert r.returncode == 2, r.stderr
    assert_one_line_problems(r.stderr)
    assert r.stderr.count("result.json: item") == 5
    assert texts(db) == {"7": "седьмое", "zz_good.txt": GOOD_TEXT}


def test_check_post_refuses_blank_ids_and_fixes_what_it_can():
    ctx = ReadContext(file="f")
    blank = Post(SOURCE_TABLE, "c", "  ", "text", origin="f: row 2")
    assert check_post(blank, ctx) is None
    odd = Post(SOURCE_TABLE, "c\udc80", "1", "t\ud800", url="java\tscript:alert(1)",
               links=["https://ok.example", "data:text/html,x"], views=2**70, origin="f: row 3")  # fmt: skip
    fixed = check_post(odd, ctx)
    assert fixed is not None
    assert (fixed.channel, fixed.text, fixed.url, fixed.links, fixed.views) == (
        "c\ufffd", "t\ufffd", None, ["https://ok.example"], None,
    )  # fmt: skip
    assert [p.place for p in ctx.problems] == ["row 2", "row 3", "row 3", "row 3"]


# ---- the ingest loop itself -------------------------------------------------------------------------


def failing_reader(path: Path, ctx: ReadContext):
    """A reader with a bug: it yields three posts, then meets something it did not expect."""
    for i in range(3):
        yield Post(
            SOURCE_TABLE, "ch", f"{path.name}-{i}", f"Сообщение {i} о транзите", origin=f"{ctx.file}: row {i}"
        )
    raise ZeroDivisionError("a bug in a reader")


def test_an_unexpected_reader_error_is_a_problem_of_its_file_and_keeps_what_was_read(tmp_path, monkeypatch):
    monkeypatch.delenv("MULTIVECTOR_DEBUG", raising=False)
    monkeypatch.setitem(sources.READERS, "text", failing_reader)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("anything", encoding="utf-8")
    (folder / "b.csv").write_text("id,text\n1,Вторая таблица после сбоя\n", encoding="utf-8")
    options = IngestOptions(annotate=AnnotateOptions(enabled=False), batch_size=500)
    with Store.open(tmp_path / "t.db") as store:
        report = ingest(store, [folder], options)
        stored = dict(store.conn.execute("SELECT message_id, text FROM posts"))
    assert {"a.txt-0", "a.txt-1", "a.txt-2", "1"} == set(stored)  # the batch in flight was written
    (problem,) = report.problems
    assert problem.file.endswith("a.txt") and problem.place == ""
    assert "unexpected error while reading: ZeroDivisionError: a bug in a reader" in problem.message
    assert "3 posts read before it are kept" in problem.message
    assert report.files == 2


def test_files_flow_through_one_stream_and_each_is_accounted_for_alone(tmp_path, monkeypatch):
    # The executor's stream runs across file ends: the workers go on with the next file while the
    # writer stores the last one's tail. Each file still gets its own counts in the files table.
    calls = []
    original = pipeline._Executor.map

    def counted(self, method, batches):
        calls.append(method)
        return original(self, method, batches)

    monkeypatch.setattr(pipeline._Executor, "map", counted)
    folder = tmp_path / "in"
    folder.mkdir()
    rows = {"a.csv": 5, "b.csv": 0, "c.csv": 2}
    for name, n in rows.items():
        lines = "".join(f"{name}-{i},Сообщение {i} из {name} о транзите\n" for i in range(n))
        (folder / name).write_text("id,text\n" + lines, encoding="utf-8")
    options = IngestOptions(annotate=AnnotateOptions(enabled=False), batch_size=2)
    with Store.open(tmp_path / "t.db") as store:
        first = ingest(store, [folder], options)
        (folder / "c.csv").write_text(
            "id,text\nc.csv-0,Сообщение 0 изменено\nc.csv-1,Сообщение 1 из c.csv о транзите\n"
        )
        again = ingest(store, [folder], options)
        files = {Path(p).name: (n, new, upd) for p, n, new, upd in store.conn.execute(
            "SELECT path, posts, new, updated FROM files")}  # fmt: skip
    assert calls == ["prepare", "prepare"]  # one stream a run, not one a file
    assert (first.read, first.new, first.files) == (7, 7, 3)
    assert (again.new, again.updated, again.unchanged) == (0, 1, 6)
    assert files == {"a.csv": (5, 0, 0), "b.csv": (0, 0, 0), "c.csv": (2, 0, 1)}


def test_with_debug_on_the_reader_error_shows_its_traceback(tmp_path):
    (tmp_path / "a.txt").write_text("anything", encoding="utf-8")
    script = (
        "import sys, test_hardening_inputs as t\n"
        "from multivector import cli, sources\n"
        "sources.READERS['text'] = t.failing_reader\n"
        "sys.argv = ['multivector', '--db', sys.argv[1], 'ingest', '--no-annotate', sys.argv[2]]\n"
        "cli.main()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    base = [sys.executable, "-c", script, str(tmp_path / "t.db"), str(tmp_path / "a.txt")]
    quiet = subprocess.run(
        base, capture_output=True, text=True, env={**env, "MULTIVECTOR_DEBUG": ""}, timeout=300
    )
    assert quiet.returncode == 2 and "Traceback" not in quiet.stderr
    assert "a.txt: unexpected error while reading: ZeroDivisionError" in quiet.stderr
    loud = subprocess.run(
        base, capture_output=True, text=True, env={**env, "MULTIVECTOR_DEBUG": "1"}, timeout=300
    )
    assert loud.returncode == 1
    assert "Traceback" in loud.stderr and "ZeroDivisionError: a bug in a reader" in loud.stderr


def test_a_post_that_cannot_be_stored_is_left_out_and_its_batch_kept(tmp_path):
    # A collector that hands over a post no reader checked: its lone surrogate cannot be stored.
    posts = [
        Post(SOURCE_TABLE, "live", str(i), f"Пост {i} о саммите в Астане", origin=f"live: message {i}")
        for i in range(5)
    ]
    posts[2].text = "сломанный \udc80 текст"
    options = IngestOptions(annotate=AnnotateOptions(enabled=False))
    with Store.open(tmp_path / "t.db") as store, Ingestor(store, options) as ingestor:
        result = ingestor.add_posts(posts)
        stored = {m for (m,) in store.conn.execute("SELECT message_id FROM posts")}
    assert stored == {"0", "1", "3", "4"} and result.new == 4
    (problem,) = ingestor.report.problems
    assert (problem.file, problem.place) == ("live", "message 2")
    assert problem.message.startswith("could not be stored (")


def test_a_full_database_stops_the_run_instead_of_skipping_every_file(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        (folder / f"t{i}.jsonl").write_text(
            "".join(
                json.dumps({"id": f"{i}-{k}", "text": f"Пост {k} " + "слово " * 400}) + "\n"
                for k in range(200)
            ),
            encoding="utf-8",
        )
    with Store.open(tmp_path / "t.db") as store:
        store.conn.execute("PRAGMA max_page_count = 60")  # SQLite's own "database or disk is full"
        with pytest.raises(sqlite3.OperationalError) as info:
            ingest(store, [folder], IngestOptions(annotate=AnnotateOptions(enabled=False)))
    assert info.value.sqlite_errorcode == sqlite3.SQLITE_FULL
    from multivector.store.sqlite import describe_error, storage_failure

    assert storage_failure(info.value)
    message = describe_error(info.value, tmp_path / "t.db")
    assert message.startswith(f"{tmp_path / 't.db'}: database or disk is full")


def test_limits_come_from_the_environment_and_ignore_nonsense():
    limits = Limits.from_env({"MULTIVECTOR_MAX_POST_CHARS": "500", "MULTIVECTOR_MAX_RECORD_MB": "2",
                              "MULTIVECTOR_MAX_FILE_MB": "-3", "MULTIVECTOR_READ_SECONDS": "many"})  # fmt: skip
    assert limits.max_post_chars == 500 and limits.max_record_bytes == 2 << 20
    assert limits.max_file_bytes == Limits().max_file_bytes and limits.read_seconds == Limits().read_seconds


def test_a_reader_over_its_time_budget_stops_and_keeps_what_it_read(tmp_path):
    path = tmp_path / "many.jsonl"
    path.write_text(
        "".join(json.dumps({"id": i, "text": f"запись {i}"}) + "\n" for i in range(20_000)), encoding="utf-8"
    )
    ctx = ReadContext(limits=Limits(read_seconds=0.0001, read_seconds_per_mb=0.0))
    posts = list(sources.read_path(path, ctx))
    assert len(posts) < 20_000
    (problem,) = ctx.problems
    assert problem.place == "" and "reading took longer than" in problem.message
    kept = f"the {len(posts)} posts read before are kept" if posts else "no post was read"
    assert kept in problem.message
    assert [p.message_id for p in posts] == [str(i) for i in range(len(posts))]  # what was read is whole


def test_the_budget_stops_a_parser_in_the_middle_of_its_own_loop(tmp_path):
    # Tag soup costs feedparser (pure Python) time per tag; its one parse call would run on
    # for seconds. The budget's watchdog stops it inside the call: no entry was read at all.
    soup = b"<div><span>" * 60_000
    feed = tmp_path / "soup.xml"
    feed.write_bytes(b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
                     b"<entry><id>1</id><title type='html'>x " + soup + b"</title></entry></feed>")  # fmt: skip
    ctx = ReadContext(limits=Limits(read_seconds=0.2, read_seconds_per_mb=0.0))
    assert list(sources.read_path(feed, ctx)) == []
    (problem,) = ctx.problems
    assert "reading took longer than 0.2 s" in problem.message and "no post was read" in problem.message
    # collect parses a downloaded feed without sources.read_path: the same budget holds.
    from multivector.sources.feeds import parse_feed_bytes

    collected = ReadContext(limits=Limits(read_seconds=0.2, read_seconds_per_mb=0.0))
    assert list(parse_feed_bytes(feed.read_bytes(), "http://127.0.0.1:9/soup.xml", collected)) == []
    assert [p.message for p in collected.problems] == [problem.message]
    # Nothing of the watchdog is left to go off later in the caller's code.
    total = sum(i * i for i in range(2_000_000))
    assert total > 0
    good = tmp_path / "good.txt"
    good.write_text(GOOD_TEXT, encoding="utf-8")
    assert [p.text for p in sources.read_path(good, ReadContext())] == [GOOD_TEXT]
