"""`multivector collect` end to end against a local feed server: exit codes, summary, --watch."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from multivector.collect import run_cli
from multivector.model import InputError
from multivector.pipeline import AnnotateOptions, IngestOptions
from test_collect_feeds import FAST_HTTP, ITEMS, Route, no_proxy, rss  # noqa: F401 - no_proxy is a fixture
from test_collect_feeds import server as server  # noqa: F401 - a fixture

EXE = Path(sys.executable).with_name("multivector")


def multivector(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("MULTIVECTOR_")
    }
    env["COLUMNS"] = "200"
    cmd = [str(EXE)] if EXE.exists() else [sys.executable, "-c", "from multivector.cli import main; main()"]
    return subprocess.run(
        [*cmd, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )


def test_collect_end_to_end(server, tmp_path):
    server.routes["/good.xml"] = Route(rss(ITEMS), etag='"v1"')
    server.routes["/broken.xml"] = Route(status=500)
    (tmp_path / "sources.yaml").write_text(
        FAST_HTTP
        + f"feeds:\n  - name: good\n    url: {server.url('/good.xml')}\n"
        + f"  - name: broken\n    url: {server.url('/broken.xml')}\n"
    )
    # Default --sources ./sources.yaml; annotated (without NER, to stay quick).
    r = multivector("--db", "t.db", "collect", "--no-ner", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert "HTTP 500 Internal Server Error (tried 3 times)" in r.stderr, r.stderr
    assert "2 sources: 3 new, 0 updated, 0 unchanged posts; 1 sources failed" in r.stderr
    con = sqlite3.connect(tmp_path / "t.db")
    assert con.execute("SELECT count(*) FROM posts WHERE channel='good'").fetchone()[0] == 3
    assert con.execute("SELECT count(*) FROM posts WHERE lang = 'en'").fetchone()[0] == 3  # prepared
    annotated = con.execute("SELECT count(*) FROM posts WHERE in_scope IS NOT NULL").fetchone()[0]
    assert annotated == 3

    r = multivector("--db", "t.db", "collect", "--only", "good", "--no-annotate", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "not modified" in r.stderr and "1 sources: 0 new" in r.stderr
    assert server.hits("/good.xml")[-1].headers["If-None-Match"] == '"v1"'


def test_bad_configuration_is_one_line_and_nothing_is_fetched(server, tmp_path):
    server.routes["/good.xml"] = Route(rss(ITEMS))
    sources = tmp_path / "mine.yaml"
    sources.write_text(
        f"feeds:\n  - name: good\n    url: {server.url('/good.xml')}\n    fetch_artcles: true\n"
    )
    r = multivector("--db", "t.db", "collect", "--sources", str(sources), cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"error: {sources}: line 4: feeds[1]: unknown key 'fetch_artcles' (did you mean 'fetch_articles'?)"
    ]
    assert server.log == [] and not (tmp_path / "t.db").exists()

    sources.write_text("telegram:\n  - channel: '@kzdiplomacy'\n")
    r = multivector("--db", "t.db", "collect", "--sources", str(sources), cwd=tmp_path)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "line 2" in r.stderr and "MULTIVECTOR_TG_API_ID" in r.stderr

    r = multivector("--db", "t.db", "collect", cwd=tmp_path)  # no ./sources.yaml
    assert r.returncode == 2 and "sources.yaml: no such file" in r.stderr


def test_watch_repeats_rereads_sources_and_stops_on_ctrl_c(server, tmp_path):
    server.routes["/a.xml"] = Route(rss(ITEMS[:2]))
    server.routes["/b.xml"] = Route(rss(ITEMS[2:]))
    sources = tmp_path / "sources.yaml"
    sources.write_text(FAST_HTTP + f"feeds:\n  - name: a\n    url: {server.url('/a.xml')}\n")
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 1:  # between rounds, the user adds a feed
            sources.write_text(sources.read_text() + f"  - name: b\n    url: {server.url('/b.xml')}\n")
        else:
            raise KeyboardInterrupt

    buffer = io.StringIO()
    code = run_cli(
        tmp_path / "t.db", sources, only=None, since=None, watch_minutes=0.5,
        ingest=IngestOptions(annotate=AnnotateOptions(enabled=False)),
        console=Console(file=buffer, width=200), sleep=sleep,
    )  # fmt: skip
    assert code == 0 and len(waits) == 2 and 0 < waits[0] <= 30
    output = buffer.getvalue()
    assert output.count("next collection at") == 2 and "stopped watching" in output
    assert len(server.hits("/a.xml")) == 2 and len(server.hits("/b.xml")) == 1
    assert sqlite3.connect(tmp_path / "t.db").execute("SELECT count(*) FROM posts").fetchone()[0] == 3

    with pytest.raises(InputError, match="--watch"):
        run_cli(
            tmp_path / "t.db",
            sources,
            only=None,
            since=None,
            watch_minutes=0,
            ingest=IngestOptions(),
            console=Console(file=buffer),
        )
