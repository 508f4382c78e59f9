"""The optional extras really import, and constraints.txt pins everything pyproject.toml asks for.

`pip install '.[articles]'` once gave a trafilatura that could not be imported (lxml 6 without
its HTML cleaner): these tests catch that kind of install before a user does.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    """'pymorphy3[fast]>=2.0' -> 'pymorphy3'; names compared the way pip does (PEP 503)."""
    name = re.match(r"[A-Za-z0-9._-]+", requirement.strip())
    assert name, requirement
    return re.sub(r"[-_.]+", "-", name.group(0)).lower()


def _pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep and version, f"constraints.txt: {line!r} is not pinned with =="
            pins[_name(name)] = version
    return pins


def test_the_telegram_extra_imports():
    import telethon
    from telethon import TelegramClient, errors  # noqa: F401 - what telegram_live.py uses

    assert telethon.__version__


def test_the_articles_extra_imports_and_extracts_text():
    import lxml.html.clean  # lxml >= 5.2 forwards this to lxml_html_clean, or fails to import
    import lxml_html_clean
    import trafilatura

    assert lxml.html.clean.Cleaner is lxml_html_clean.Cleaner
    html = (
        "<html><body><nav>Home | World</nav><article><h1>Uranium deal</h1><p>Kazatomprom signed a "
        "fifteen-year supply contract with a Chinese utility, officials in Astana said on Monday, "
        "adding that the first deliveries are planned for next spring.</p></article>"
        "<footer>Copyright</footer></body></html>"
    )
    text = trafilatura.extract(html) or ""
    assert "fifteen-year supply contract" in text and "Copyright" not in text


def test_the_articles_extra_is_usable_by_collect():
    from multivector.sources.feeds_http import load_extractor

    assert load_extractor().__name__ == "trafilatura"


def test_the_dev_extra_imports_playwright():
    from playwright.sync_api import sync_playwright

    assert callable(sync_playwright)


def test_constraints_pin_every_dependency_and_extra():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = _pins()
    wanted = {"runtime": project["dependencies"], **project["optional-dependencies"]}
    missing = {
        group: [r for r in requirements if _name(r) not in pins] for group, requirements in wanted.items()
    }
    assert not any(missing.values()), f"not in constraints.txt: {missing} (run: bash tools/lock.sh)"
    # The cleaner trafilatura needs is named directly: pip < 24 drops `lxml[html_clean]`.
    assert "lxml-html-clean" in {_name(r) for r in project["optional-dependencies"]["articles"]}
    assert "multivector" not in pins
