"""`fetch_articles` when the extractor cannot run: the real reason, and a run that does not pass."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from multivector.sources.feeds_http import ExtractorUnavailable, load_extractor
from test_collect_feeds import ARTICLE, FAST_HTTP, ITEMS, Route, no_proxy, rss  # noqa: F401 - a fixture
from test_collect_feeds import server as server  # noqa: F401 - a fixture

EXE = Path(sys.executable).with_name("multivector")


def multivector(*args: str, cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("MULTIVECTOR_")
    }
    env["COLUMNS"] = "250"
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    cmd = [str(EXE)] if EXE.exists() else [sys.executable, "-c", "from multivector.cli import main; main()"]
    return subprocess.run(
        [*cmd, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL
    )


def test_a_broken_trafilatura_install_is_reported_as_it_is_and_fails_the_run(server, tmp_path):
    """The install the issue saw: lxml >= 5.2 without lxml_html_clean, so trafilatura cannot import."""
    base = server.url("/news/")
    server.routes["/feed.xml"] = Route(rss(ITEMS[:2], link_base=base))
    for guid, title, lead in ITEMS[:2]:
        server.routes[f"/news/{guid}"] = Route(
            ARTICLE.format(title=title, lead=lead).encode(), content_type="text/html"
        )
    (tmp_path / "sources.yaml").write_text(
        FAST_HTTP + f"feeds:\n  - name: news\n    url: {server.url('/feed.xml')}\n    fetch_articles: true\n"
    )
    # A package of that name that fails to import shadows the real one, as if it were missing.
    shadow = tmp_path / "shadow"
    (shadow / "lxml_html_clean").mkdir(parents=True)
    (shadow / "lxml_html_clean" / "__init__.py").write_text(
        "raise ImportError('no module named lxml_html_clean')\n"
    )

    r = multivector("--db", "t.db", "collect", "--no-annotate", cwd=tmp_path, pythonpath=shadow)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert "trafilatura is installed but cannot be imported" in r.stderr, r.stderr
    assert "lxml_html_clean" in r.stderr and "needs trafilatura" not in r.stderr
    assert "1 incomplete" in r.stderr
    assert not [h for h in server.log if h.path.startswith("/news/")]  # no page fetched for nothing
    con = sqlite3.connect(tmp_path / "t.db")
    texts = [t for (t,) in con.execute("SELECT text FROM posts ORDER BY message_id")]
    assert len(texts) == 2 and "Kazatomprom signed" in texts[1]  # the feed's summaries are kept

    # Repaired install: the next run fetches the pages of the items it could not before.
    r = multivector("--db", "t.db", "collect", "--no-annotate", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    texts = [t for (t,) in con.execute("SELECT text FROM posts")]
    assert len(texts) == 2 and all("fifteen years" in t for t in texts)


def test_a_missing_trafilatura_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # as if it were not installed
    with pytest.raises(
        ExtractorUnavailable, match=r"fetch_articles needs trafilatura: pip install -c constraints.txt"
    ):
        load_extractor()


def test_a_feed_whose_article_pages_all_fail_is_not_a_success(server, tmp_path):
    base = server.url("/news/")
    server.routes["/feed.xml"] = Route(rss(ITEMS[:2], link_base=base))  # both pages are 404
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        FAST_HTTP + f"feeds:\n  - name: news\n    url: {server.url('/feed.xml')}\n    fetch_articles: true\n"
    )
    from test_collect_feeds import run as collect_once

    db = tmp_path / "t.db"
    result = collect_once(db, sources).sources[0]
    assert result.status == "partial" and result.new == 2 and result.article_fallbacks == 2
    assert result.problems[0] == "no article page could be used (2 tried); kept the feed's summaries"
    assert sum("HTTP 404" in p for p in result.problems) == 2
