"""The HTML report in a real headless Chromium with the network off: the charts must draw."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("MULTIVECTOR_CHROMIUM", "/usr/bin/chromium"))
FIXTURE = Path(__file__).parent / "data" / "report_example.json"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"no system Chromium at {CHROMIUM} (bin/install-browser installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def _open_offline(browser, path: Path):
    """Open `path` with every request other than the file itself aborted and logged."""
    context = browser.new_context(viewport={"width": 1100, "height": 900}, java_script_enabled=True)
    context.set_offline(True)
    page = context.new_page()
    own = path.as_uri()
    seen: dict[str, list[str]] = {"blocked": [], "console": [], "dialogs": []}

    def route(r):
        if r.request.url == own:
            r.continue_()
        else:
            seen["blocked"].append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda msg: seen["console"].append(f"{msg.type}: {msg.text}"))
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.goto(own, wait_until="load")
    return context, page, seen


def _chart_stats(page, selector: str) -> dict:
    return page.evaluate(
        """(sel) => {
            const svg = document.querySelector(sel + ' svg');
            if (!svg) return null;
            const box = svg.getBoundingClientRect();
            const marks = [...svg.querySelectorAll('g.mark-line path, g.mark-area path, g.mark-symbol path')];
            const drawn = marks.filter(p => { const b = p.getBBox(); return b.width > 0 && b.height > 0; });
            return {width: box.width, height: box.height, marks: marks.length, drawn: drawn.length,
                    lines: svg.querySelectorAll('g.mark-line path').length,
                    areas: svg.querySelectorAll('g.mark-area path').length,
                    legend: svg.querySelectorAll('g.role-legend-label text').length,
                    texts: svg.querySelectorAll('text').length};
        }""",
        selector,
    )


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_charts_render_offline(browser, tmp_path, lang):
    from multivector.report.charts import MAX_VECTORS
    from multivector.report.render import render_html

    report = json.loads(FIXTURE.read_text(encoding="utf-8"))
    page_file = tmp_path / f"report-{lang}.html"
    page_file.write_text(render_html(report, lang), encoding="utf-8")
    context, page, seen = _open_offline(browser, page_file)
    try:
        for selector in ("#chart-vectors", "#chart-trends"):
            stats = _chart_stats(page, selector)
            assert stats is not None, f"{selector}: no SVG in the page"
            assert stats["width"] > 300 and stats["height"] > 150, (selector, stats)
            assert stats["drawn"] >= 5, (selector, stats)
            assert stats["texts"] > 10, (selector, stats)  # axis labels, legend, panel titles
        # a band per top vector plus "Other", each named in the legend
        vectors = _chart_stats(page, "#chart-vectors")
        bands = min(len(report["series"]["vectors"]), MAX_VECTORS + 1)
        assert vectors["areas"] == bands and vectors["legend"] == bands, vectors
        # a panel with a line per ranked trend
        assert _chart_stats(page, "#chart-trends")["lines"] == len(report["series"]["trends"])
        heading = page.locator("h1").inner_text()
        assert str(report["year"]) in heading
        assert page.locator("article.trend").count() == len(report["trends"])
        assert page.locator("table.events tbody tr").count() == len(report["events"])
        shot = tmp_path / f"report-{lang}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 20_000
        keep = os.environ.get("MULTIVECTOR_SCREENSHOT_DIR")
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            (Path(keep) / shot.name).write_bytes(shot.read_bytes())
        assert seen["blocked"] == [], f"requests left the page: {seen['blocked']}"
        assert seen["dialogs"] == []
    finally:
        context.close()


def test_injected_script_does_not_run(browser, tmp_path):
    from multivector.report.render import render_html

    report = json.loads(FIXTURE.read_text(encoding="utf-8"))
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    report["trends"][0]["evidence"][0]["quote"] = evil
    report["trends"][0]["label"] = evil
    report["events"][0]["title"] = evil
    page_file = tmp_path / "evil.html"
    page_file.write_text(render_html(report, "en"), encoding="utf-8")
    context, page, seen = _open_offline(browser, page_file)
    try:
        page.wait_for_timeout(200)
        assert seen["dialogs"] == []
        assert page.locator("script").count() == 0
        assert page.locator("main img").count() == 0
        # the text is shown as text, verbatim
        assert evil in page.locator("article.trend").first.inner_text()
        assert seen["blocked"] == []
    finally:
        context.close()
