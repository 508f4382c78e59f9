"""What every page and API call shares: the database, the knowledge, the cached analyses.

The analyses are the report builder's (`report/build.py`): the web layer only asks for them and
keeps the results. A "dashboard" result is one `build_report` with every trend and many events
(the trend and event pages show them all) plus its charts drawn once; a "report" result is the
report exactly as `multivector report` writes it, in the three formats, for the /report page.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from multivector.store import Store, open_store
from multivector.web.cache import ResultCache, Stores
from multivector.web.security import Guard
from multivector.web.views import Names, latest_complete_year, years_of

DASHBOARD_TRENDS = 60  # "every trend": more than the themes and topics a year ever ranks
DASHBOARD_EVENTS = 30
REPORT_LANGS = ("en", "ru")
_UNSAFE_SVG = re.compile(
    r"<\s*(script|foreignobject|iframe|object|embed|image|use)\b|<[^>]*(\son[a-z]+\s*=|javascript:|href\s*=\s*\"(?!#))",
    re.I,
)


class HTTPProblem(Exception):
    """A request that cannot be served, with the status and the one line a person reads."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class WebConfig:
    db: str  # an SQLite file or a postgresql:// URL
    knowledge_dirs: tuple[Path, ...] = ()
    country: str = "KZ"
    profile: str = "kz"
    edit_token: str | None = None
    warm: bool = True
    ner: bool = True  # re-tagging a post whose correction was withdrawn
    page_wait: float = 8.0  # seconds a page waits for an analysis before saying "computing"
    api_wait: float = 120.0
    allowed_hosts: list[str] = field(default_factory=lambda: ["127.0.0.1", "localhost", "::1", "[::1]"])

    @property
    def database_name(self) -> str:
        """What the status shows of the database: a file's name, a server's database name
        (never a password or a host)."""
        return self.db.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]


def safe_svg(svg: str) -> Markup | None:
    """Charts go into pages as markup: anything but plain drawing is refused."""
    return None if _UNSAFE_SVG.search(svg) else Markup(svg)


class Site:
    def __init__(self, config: WebConfig):
        from multivector.knowledge import load_knowledge

        self.config = config
        self.knowledge = load_knowledge(config.knowledge_dirs)
        self.countries = self.knowledge.countries  # every country of actors.yaml has a profile
        self.knowledge.profile_for(config.country)  # an unknown code fails here, in one line
        self.names = Names(self.knowledge, config.country)
        open_store(config.db, create=False).close()  # a missing or foreign file fails here, at start
        self.stores = Stores(lambda: open_store(config.db, create=False))
        self.cache = ResultCache(self.stores)
        self.guard = Guard(config.edit_token)
        self._retagger = None
        self._retag_lock = threading.Lock()

    def close(self) -> None:
        self.cache.close()
        self.stores.close()

    def store(self) -> Store:
        return self.stores.get()

    # ---- whole-corpus figures -------------------------------------------------------------
    def overview(self, wait: float | None = None) -> dict:
        def compute(store: Store) -> dict:
            data = store.dashboard_overview()
            data["years"] = years_of(data["months"])
            data["latest_year"] = latest_complete_year(data["months"])
            return data

        return self.cache.get(("overview",), compute, kind="light", wait=wait or self.config.api_wait)

    def check_year(self, year: int | None) -> int:
        """The year asked for if the database has posts in it; the latest complete year if none."""
        data = self.overview()
        years = data["years"]
        if not years:
            raise HTTPProblem(404, "the database has no dated posts yet: ingest something first")
        if year is None:
            return data["latest_year"]
        if year not in years:
            raise HTTPProblem(404, f"no posts dated in {year}: the database covers {years[0]}–{years[-1]}")
        return year

    def check_country(self, country: str | None) -> str:
        code = (country or self.config.country).upper()
        if code not in self.countries:
            raise HTTPProblem(
                400,
                f"country {country!r}: not a country of the knowledge files (an ISO code such as KZ, RU or UZ)",
            )
        return code

    @staticmethod
    def check_lang(lang: str | None) -> str:
        lang = lang or "en"
        if lang not in REPORT_LANGS:
            raise HTTPProblem(400, f"lang {lang!r}: expected {' or '.join(REPORT_LANGS)}")
        return lang

    # ---- analyses -------------------------------------------------------------------------
    def dashboard(self, year: int, country: str, lang: str, wait: float) -> dict:
        """Every trend, many events, the balance and the series of `year`, with charts."""
        return self.cache.get(*self._dashboard_recipe(year, country, lang), wait=wait)

    def _dashboard_recipe(self, year: int, country: str, lang: str):
        def compute(store: Store) -> dict:
            from multivector.report.build import build_report
            from multivector.report.charts import render_charts

            report = build_report(
                store, self.knowledge, year, country, top=DASHBOARD_TRENDS, events=DASHBOARD_EVENTS, lang=lang
            )
            # The big chart shows the five leading trends, as the report does; each trend's own
            # curve is on its card.
            top = report["trends"][:5]
            series = dict(report.get("series") or {})
            series["trends"] = {t["theme"]: (series.get("trends") or {}).get(t["theme"]) for t in top}
            series["trends"] = {k: v for k, v in series["trends"].items() if v is not None}
            charts = {}
            for name, svg in render_charts({**report, "trends": top, "series": series}, lang).items():
                safe = safe_svg(svg)
                if safe is not None:
                    charts[name] = safe
            return {"report": report, "charts": charts}

        return ("dashboard", year, country, lang), compute

    def report(self, year: int, country: str, lang: str, top: int, events: int, wait: float) -> dict:
        """The report as the command line writes it: {"json", "md", "html"} texts and the dict."""
        return self.cache.get(*self._report_recipe(year, country, lang, top, events), wait=wait)

    def _report_recipe(self, year: int, country: str, lang: str, top: int, events: int):
        def compute(store: Store) -> dict:
            from multivector.report import render
            from multivector.report.build import build_report

            data = build_report(store, self.knowledge, year, country, top, events, None, lang)
            return {
                "report": data,
                "json": json.dumps(data, ensure_ascii=False, indent=2) + "\n",
                "md": render.render_markdown(data, lang),
                "html": render.render_html(data, lang),
            }

        return ("report", year, country, lang, top, events), compute

    def entity(self, kind: str, ident: str, wait: float) -> dict:
        """An actor's or a channel's figures (aggregates over all its posts: cached)."""

        def compute(store: Store) -> dict:
            return store.actor_overview(ident) if kind == "actor" else store.channel_overview(ident)

        return self.cache.get((kind, ident), compute, kind="light", wait=wait)

    def warm(self) -> None:
        """Compute what the first visitor will ask for, in the background."""

        def start() -> None:
            try:
                year = self.overview().get("latest_year")
            except Exception:  # noqa: BLE001 - the page that needs it will say what is wrong
                return
            if year is not None:
                country = self.config.country.upper()
                self.cache.warm(*self._dashboard_recipe(year, country, "en"))
                self.cache.warm(*self._report_recipe(year, country, "en", 5, 10))

        threading.Thread(target=start, name="mv-warm", daemon=True).start()

    # ---- corrections ----------------------------------------------------------------------
    def check_correction_value(self, field_: str, value: str) -> None:
        if field_ == "actor" and not self.names.known_actor(value):
            raise HTTPProblem(
                400, f"unknown actor {value!r}: use an id from the knowledge files, e.g. RU or tokayev"
            )
        if field_ == "theme" and not self.names.known_theme(value):
            raise HTTPProblem(400, f"unknown theme {value!r}: use a theme id such as nuclear_energy")

    def retag(self, post_id: str) -> None:
        """Put back the machine's tags of a post whose correction was withdrawn."""
        from multivector.corrections import Retagger

        with self._retag_lock:
            if self._retagger is None:
                self._retagger = Retagger(
                    self.config.knowledge_dirs, self.config.profile, ner=self.config.ner
                )
            self._retagger.retag(self.store(), [post_id])


def json_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
