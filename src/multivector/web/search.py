"""The search form's parameters, checked once for the page, the API and the downloads."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from multivector.store.base import SearchFilters
from multivector.store.query import QueryError
from multivector.web.site import HTTPProblem, Site

MAX_PER_PAGE = 100
MAX_OFFSET = 10_000  # deeper pages: narrow the search or download the results
DUPLICATES = ("show", "hide", "only")
SORTS = ("relevance", "newest", "oldest")
_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_:.\-]{0,79}")


@dataclass
class SearchQuery:
    q: str = ""
    date_from: str | None = None
    date_to: str | None = None
    langs: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    duplicates: str = "show"
    about: bool = False
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20

    def filters(self) -> SearchFilters:
        return SearchFilters(
            actors=self.actors, themes=self.themes, langs=self.langs, channels=self.channels,
            date_from=self.date_from, date_to=self.date_to,
        )  # fmt: skip

    def params(self, **override) -> list[tuple[str, str]]:
        """The query string of this search (defaults left out), with some values replaced."""
        values = {
            "q": self.q, "from": self.date_from or "", "to": self.date_to or "", "lang": self.langs,
            "channel": self.channels, "actor": self.actors, "theme": self.themes,
            "duplicates": "" if self.duplicates == "show" else self.duplicates, "about": "1" if self.about else "",
            "sort": "" if self.sort == "relevance" else self.sort, "page": "" if self.page == 1 else str(self.page),
            "per_page": "" if self.per_page == 20 else str(self.per_page),
        }  # fmt: skip
        values.update(override)
        out: list[tuple[str, str]] = []
        for key, value in values.items():
            for v in value if isinstance(value, list) else [value]:
                if v not in ("", None):
                    out.append((key, str(v)))
        return out

    @property
    def empty(self) -> bool:
        return not (
            self.q.strip()
            or self.langs
            or self.channels
            or self.actors
            or self.themes
            or self.date_from
            or self.date_to
        )


def _date(name: str, value: str | None) -> str | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise HTTPProblem(400, f"{name} {value!r}: expected a date YYYY-MM-DD") from None


def _list(values: list[str] | None) -> list[str]:
    return [v.strip() for v in values or [] if v and v.strip()]


def parse_search(
    q: str | None = None, date_from: str | None = None, date_to: str | None = None,
    lang: list[str] | None = None, channel: list[str] | None = None, actor: list[str] | None = None,
    theme: list[str] | None = None, duplicates: str | None = None, about: str | None = None,
    sort: str | None = None, page: int | str | None = None, per_page: int | str | None = None,
) -> SearchQuery:  # fmt: skip
    sq = SearchQuery(q=(q or "").strip()[:500])
    sq.date_from, sq.date_to = _date("from", date_from), _date("to", date_to)
    if sq.date_from and sq.date_to and sq.date_from > sq.date_to:
        raise HTTPProblem(400, f"from {sq.date_from} is after to {sq.date_to}")
    sq.langs, sq.channels = _list(lang), _list(channel)
    sq.actors, sq.themes = _list(actor), _list(theme)
    for name, values in (("actor", sq.actors), ("theme", sq.themes), ("lang", sq.langs)):
        for v in values:
            if not _ID.fullmatch(v):
                raise HTTPProblem(400, f"{name} {v!r}: not an id")
    sq.duplicates = duplicates or "show"
    if sq.duplicates not in DUPLICATES:
        raise HTTPProblem(400, f"duplicates {duplicates!r}: expected {', '.join(DUPLICATES)}")
    if about not in (None, "", "0", "1", "true", "false", "on"):
        raise HTTPProblem(400, f"about {about!r}: expected 1 or 0")
    sq.about = about in ("1", "true", "on")
    sq.sort = sort or "relevance"  # without words to rank by, relevance lists the newest first
    if sq.sort not in SORTS:
        raise HTTPProblem(400, f"sort {sort!r}: expected {', '.join(SORTS)}")
    try:
        sq.page = int(page or 1)
        sq.per_page = int(per_page or 20)
    except ValueError:
        raise HTTPProblem(400, "page and per_page are whole numbers") from None
    if sq.page < 1 or not 1 <= sq.per_page <= MAX_PER_PAGE:
        raise HTTPProblem(400, f"page starts at 1; per_page is 1 to {MAX_PER_PAGE}")
    if (sq.page - 1) * sq.per_page >= MAX_OFFSET:
        raise HTTPProblem(
            400, f"only the first {MAX_OFFSET:,} results are paged: narrow the search or download the results"
        )
    return sq


def run_search(site: Site, sq: SearchQuery) -> dict:
    """{results, total, total_exact, [ranked,] page, per_page, pages, query}; a malformed query is a 400."""
    try:
        found = site.store().search_page(
            sq.q or None, sq.filters(), duplicates=sq.duplicates, about=sq.about, sort=sq.sort,
            limit=sq.per_page, offset=(sq.page - 1) * sq.per_page,
        )  # fmt: skip
    except QueryError as e:
        raise HTTPProblem(400, f"search syntax: {e}") from None
    # Relevance pages go as deep as what was ranked (a store ranks only the newest matches).
    deepest = min(found["total"], found.get("ranked", found["total"]))
    pages = max(1, min(-(-deepest // sq.per_page), MAX_OFFSET // sq.per_page))
    return {**found, "page": sq.page, "per_page": sq.per_page, "pages": pages, "query": sq.q}


def check_query(sq: SearchQuery) -> None:
    """Raise the 400 for a malformed query before a download starts streaming."""
    if sq.q:
        from multivector.store.query import to_fts

        try:
            to_fts(sq.q)
        except QueryError as e:
            raise HTTPProblem(400, f"search syntax: {e}") from None
