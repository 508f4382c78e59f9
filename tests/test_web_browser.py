"""The dashboard in Debian's Chromium, driven by Playwright, against a real server on loopback.

Every request that would leave 127.0.0.1 is aborted and recorded; console errors (a Content-
Security-Policy violation is one), page errors and dialogs fail the test. Set
MULTIVECTOR_SCREENSHOT_DIR to keep a screenshot of each page (docs/screenshots/ is made so).
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from pathlib import Path

import pytest

from multivector.store.base import SearchFilters
from multivector.store.sqlite import Store
from web_support import EVIL_CHANNEL, TOKEN, copy_db, sample_db, start_server, stop_server  # noqa: F401

CHROMIUM = Path(os.environ.get("MULTIVECTOR_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]  # fmt: skip
SHOTS = os.environ.get("MULTIVECTOR_SCREENSHOT_DIR")


@pytest.fixture(scope="module")
def server(sample_db, tmp_path_factory):  # noqa: F811
    srv = start_server(copy_db(sample_db, tmp_path_factory.mktemp("browser")))
    srv.wait_warm()
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"no system Chromium at {CHROMIUM} (bin/install-browser installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


class Tab:
    """A page whose requests may only go to the server, with what went wrong recorded."""

    def __init__(self, browser, server):
        self.server = server
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def _route(self, route):
        if route.request.url.startswith(self.server.url + "/"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def go(self, path: str, status: int = 200):
        response = self.page.goto(self.server.url + path, wait_until="load")
        assert response is not None and response.status == status, (path, response and response.status)
        return response

    def shot(self, name: str) -> None:
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            height = min(2200, self.page.evaluate("() => document.documentElement.scrollHeight"))
            self.page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True,
                                 clip={"x": 0, "y": 0, "width": 1280, "height": height})  # fmt: skip

    def clean(self) -> None:
        assert self.blocked == [], f"requests left the server: {self.blocked}"
        assert self.errors == [], f"console or page errors: {self.errors}"
        assert self.dialogs == [], f"dialogs opened: {self.dialogs}"

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser, server):
    t = Tab(browser, server)
    yield t
    t.close()


def _count(tab: Tab, selector: str) -> int:
    return tab.page.locator(selector).count()


def _svg_drawn(tab: Tab, selector: str) -> dict:
    return tab.page.evaluate(
        """(sel) => { const svg = document.querySelector(sel + ' svg'); if (!svg) return null;
             const b = svg.getBoundingClientRect();
             return {w: b.width, h: b.height, marks: svg.querySelectorAll('path, rect, polyline, circle').length}; }""",
        selector,
    )


def test_every_page_renders_with_its_charts(tab, server):
    report = server.json("/api/trends?year=2024")
    events = server.json("/api/events?year=2024")
    overview = server.json("/api/overview")
    post = report["trends"][0]["evidence"][0]["post_id"]
    channel = overview["top_channels"][0]["channel"]
    checks = [
        ("/", "overview", ["#chart-posts", "#chart-vectors"]),
        ("/search?q=" + urllib.parse.quote("саммит"), "search", []),
        (f"/posts/{post}", "post", []),
        ("/trends/2024", "trends", ["#chart-trends"]),
        ("/events/2024", "events", []),
        ("/events/2024/1", "event", ["#chart-timeline"]),
        ("/actors/CN", "actor", ["#chart-attention"]),
        ("/channels/" + urllib.parse.quote(channel, safe=""), "channel", ["#chart-attention"]),
        ("/report?year=2024", "report", []),
    ]
    for path, name, charts in checks:
        tab.go(path)
        for sel in charts:
            drawn = _svg_drawn(tab, sel)
            assert drawn and drawn["w"] > 300 and drawn["h"] > 100 and drawn["marks"] > 5, (path, sel, drawn)
        if name == "overview":
            # the partner vectors: a stacked area of the top vectors (report/charts.py)
            assert _count(tab, "#chart-vectors svg g.mark-area path") >= 5
            assert _count(tab, "table.balance tbody tr") >= 5
            assert _count(tab, "ol.trends-top li a") == 5
        elif name == "search":
            assert _count(tab, "#results .result") == 20 and _count(tab, "#results mark") >= 20
        elif name == "post":
            assert _count(tab, "#post-text span.actor") >= 1
        elif name == "trends":
            assert _count(tab, "article.trend") == len(report["trends"])
            assert _count(tab, "article.trend .curve svg polyline") == len(report["trends"])
        elif name == "events":
            assert _count(tab, "table.events tbody tr") == len(events["events"])
        elif name == "event":
            assert _count(tab, ".result") == len(set(events["events"][0]["post_ids"]))
        elif name == "report":
            frame = tab.page.frame_locator("#report-preview")
            assert "2024" in frame.locator("h1").inner_text()
            assert frame.locator("#chart-vectors svg").count() == 1
        tab.shot(name)
    tab.clean()


def test_search_with_filters_returns_the_expected_posts(tab, server):
    tab.go("/search")
    tab.page.fill("form.filters input[name=q]", "саммитах")
    tab.page.fill("input[name=from]", "2024-01-01")
    tab.page.select_option("select[name=lang]", "ru")  # sends the form (data-autosubmit)
    tab.page.wait_for_url(re.compile(r".*lang=ru.*"))
    tab.page.select_option("select[name=duplicates]", "hide")
    tab.page.wait_for_url(re.compile(r".*duplicates=hide.*"))
    shown = tab.page.locator("#results .result").evaluate_all("els => els.map(e => e.dataset.post)")
    with Store.open(server.db, create=False) as s:
        expected = s.search_page(
            "саммитах", SearchFilters(langs=["ru"], date_from="2024-01-01"), duplicates="hide"
        )
    assert shown == [r["id"] for r in expected["results"]] and shown
    marks = tab.page.locator("#results mark").all_inner_texts()
    assert marks and all(m.lower().startswith("саммит") for m in marks)
    assert f"{expected['total']} posts" in tab.page.locator("#total").inner_text()
    metas = tab.page.locator("#results .meta").all_inner_texts()
    assert all(" · ru" in m for m in metas)
    tab.clean()


def test_from_a_trend_to_a_post(tab, server):
    tab.go("/trends/2024")
    first = tab.page.locator("article.trend").first
    quote = first.locator("blockquote").first
    text = quote.evaluate("q => q.firstChild.textContent")
    quote.locator("a").click()
    tab.page.wait_for_url(re.compile(r".*/posts/[0-9a-f]{16}$"))
    body = tab.page.locator("#post-text").inner_text()
    assert " ".join(text.split()) in " ".join(body.split())
    tab.clean()


def test_a_correction_made_in_the_browser_changes_the_next_report(tab, server):
    before = server.json("/api/report?year=2024")
    trend = before["trends"][0]
    post = trend["evidence"][0]["post_id"]
    tab.go(f"/login?next=/posts/{post}")
    tab.page.fill("input[name=author]", "Айгерим")
    tab.page.fill("input[name=token]", TOKEN)
    tab.page.click("form.stack button[type=submit]")
    tab.page.wait_for_url(re.compile(rf".*/posts/{post}$"))
    row = tab.page.locator(f"#themes tr[data-theme='{trend['theme']}']")
    assert row.count() == 1
    row.locator("button", has_text="wrong").click()
    tab.page.wait_for_selector("#done")
    assert tab.page.locator(f"#themes tr[data-theme='{trend['theme']}']").count() == 0
    assert "Айгерим" in tab.page.locator("#correction-list").inner_text()

    tab.go("/report?year=2024")
    changed = tab.page.locator(f".report-trend[data-theme='{trend['theme']}']")
    changed.wait_for(timeout=90_000)
    assert int(changed.get_attribute("data-posts")) == trend["posts"] - 1
    after = server.json("/api/report?year=2024")
    moved = next(t for t in after["trends"] if t["theme"] == trend["theme"])
    assert moved["posts"] == trend["posts"] - 1
    assert post not in [e["post_id"] for e in moved["evidence"]]
    with Store.open(server.db, create=False) as s:
        made = s.corrections(post)
    assert [(c["field"], c["action"], c["value"], c["author"]) for c in made] == [
        ("theme", "remove", trend["theme"], "Айгерим")
    ]
    tab.clean()


def _evil_posts(server) -> list[dict]:
    with Store.open(server.db, create=False) as s:
        found = s.search_page(None, SearchFilters(channels=[EVIL_CHANNEL]), limit=10)["results"]
    assert len(found) == 3
    return found


def _no_script_ran(tab: Tab) -> None:
    tab.page.wait_for_timeout(300)
    assert tab.page.evaluate("() => window.__pwned") is None
    assert tab.dialogs == []
    assert _count(tab, "main script") == 0 and _count(tab, "main img") == 0
    assert _count(tab, "a[href^='javascript' i]") == 0
    # the channel name "Evil <b>channel</b>" stays text: no element was made of it
    assert (
        tab.page.evaluate(
            "() => [...document.querySelectorAll('b')].filter(b => b.textContent === 'channel').length"
        )
        == 0
    )


def test_hostile_posts_render_as_text_on_the_post_page(tab, server):
    for post in _evil_posts(server):
        tab.go(f"/posts/{post['id']}")
        _no_script_ran(tab)
        shown = tab.page.locator("#post-text").inner_text()
        assert shown == post["text"]  # verbatim, tags and all
        assert EVIL_CHANNEL in tab.page.locator("h1").inner_text()
    blocked_by_csp = [e for e in tab.errors if "Content Security Policy" in e]
    assert blocked_by_csp == []  # nothing even tried to run: the text never became markup
    tab.clean()


def test_hostile_posts_render_as_text_in_search_results(tab, server):
    query = urllib.parse.urlencode({"q": "транзит OR урана OR соглашение", "channel": EVIL_CHANNEL})
    tab.go(f"/search?{query}")
    _no_script_ran(tab)
    texts = " ".join(tab.page.locator("#results .text").all_inner_texts())
    assert "<script>window.__pwned=1;alert(1)</script>" in texts or "<img src=x onerror=" in texts
    assert tab.page.locator("#results .result").count() >= 2
    tab.go("/channels/" + urllib.parse.quote(EVIL_CHANNEL, safe=""))
    _no_script_ran(tab)
    tab.clean()


def test_csv_and_jsonl_downloads_hold_every_result(tab, server):
    query = urllib.parse.urlencode({"q": "саммит", "per_page": 5})
    tab.go(f"/search?{query}")
    total = int(re.sub(r"\D", "", tab.page.locator("#total").inner_text()))
    with tab.page.expect_download() as got:
        tab.page.click("text=JSONL")
    rows = [json.loads(x) for x in Path(got.value.path()).read_text(encoding="utf-8").splitlines()]
    assert len(rows) == total > 5
    with tab.page.expect_download() as got:
        tab.page.click("text=CSV")
    lines = Path(got.value.path()).read_text(encoding="utf-8")
    assert lines.startswith("id,date,channel") and all(r["id"] in lines for r in rows)
    tab.clean()
