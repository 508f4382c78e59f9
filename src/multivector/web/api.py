"""The JSON API under /api/: the same data as the pages, for scripts and notebooks.

Report-shaped answers (trends, events, balance, the report) are the contracts of DESIGN.md and
docs/contracts.md, taken from the same cached build as the pages. The schema is at
/openapi.json; the answers' models below name the fields scripts rely on and allow more, since
the analysis adds fields over time (never renames them).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from multivector.model import InputError
from multivector.web.cache import Computing
from multivector.web.search import parse_search, run_search
from multivector.web.site import HTTPProblem, Site, json_bytes

POST_ID = r"^[0-9a-f]{16}$"


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Post(_Open):
    id: str
    channel: str
    date: str | None = None
    lang: str | None = None
    text: str
    duplicate_of: str | None = None
    in_scope: bool | None = None
    actors: list[str]
    themes: list[str]
    about: dict[str, list[str]]


class SearchResult(_Open):
    results: list[Post]
    total: int
    total_exact: bool
    ranked: int | None = None  # set when relevance ranked only this many of the matches
    page: int
    per_page: int
    pages: int
    query: str


class PostDetail(_Open):
    id: str
    channel: str
    text: str
    actors: list[dict[str, Any]]
    themes: list[dict[str, Any]]
    mentions: list[dict[str, Any]]
    group: dict[str, Any]
    corrections: list[dict[str, Any]]


class Trends(_Open):
    year: int
    country: str
    trends: list[dict[str, Any]]


class Events(_Open):
    year: int
    country: str
    events: list[dict[str, Any]]


class Balance(_Open):
    year: int
    country: str
    partners: list[dict[str, Any]]


class Report(_Open):
    year: int
    country: str
    trends: list[dict[str, Any]]
    events: list[dict[str, Any]]
    balance: dict[str, Any]


class Entity(_Open):
    posts: int
    months: list[dict[str, Any]]
    themes: list[dict[str, Any]]
    actors: list[dict[str, Any]]


class Correction(BaseModel):
    id: int
    post: str
    field: str
    value: str
    action: str
    author: str | None = None
    created_at: str
    note: str | None = None


class NewCorrection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    post: str = Field(pattern=POST_ID)
    field: str = Field(pattern=r"^(actor|theme|scope)$")
    value: str = Field(min_length=1, max_length=80)
    action: str = Field(pattern=r"^(add|remove|set)$")
    author: str | None = Field(default=None, max_length=80)
    note: str | None = Field(default=None, max_length=1000)


class Problem(BaseModel):
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "Bad parameters: the reason in `detail`"},
    404: {"model": Problem, "description": "No such post, actor, channel or year"},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    401: {"model": Problem, "description": "No or wrong edit token"},
    403: {"model": Problem, "description": "Editing is off (the server was started without an edit token)"},
}

Year = Annotated[int | None, Query(ge=1900, le=2999, description="Default: the latest complete year")]
Country = Annotated[
    str | None, Query(max_length=8, description="Focus country (ISO code); default: the server's")
]
Lang = Annotated[str, Query(pattern="^(en|ru)$", description="Language of labels")]


def _json(data: Any, status: int = 200) -> Response:
    return Response(json_bytes(data), status_code=status, media_type="application/json")


def _site(request: Request) -> Site:
    return request.app.state.site


def _analysis(site: Site, fn, *args):
    try:
        return fn(*args, wait=site.config.api_wait)
    except Computing:
        raise HTTPProblem(503, "the analysis is still being computed; try again in a minute") from None
    except InputError as e:
        raise HTTPProblem(400, str(e)) from None


def make_router() -> APIRouter:
    api = APIRouter(prefix="/api", tags=["api"])

    @api.get("/status", summary="Database state and what the server has computed")
    def status(request: Request) -> dict[str, Any]:
        site = _site(request)
        return {"editing": site.guard.editing, "database": site.config.database_name, **site.cache.status()}

    @api.get(
        "/overview", summary="Corpus size, dates, coverage by month and language, channels", responses=ERRORS
    )
    def overview(request: Request) -> Response:
        return _json(_site(request).overview())

    @api.get(
        "/search", response_model=SearchResult, responses=ERRORS, summary="Lemma-aware search with filters"
    )
    def search(
        request: Request,
        q: Annotated[
            str, Query(max_length=500, description='Words in any form, "phrases", OR, NOT, prefix*')
        ] = "",
        date_from: Annotated[str | None, Query(alias="from", description="YYYY-MM-DD")] = None,
        date_to: Annotated[str | None, Query(alias="to", description="YYYY-MM-DD, inclusive")] = None,
        lang: Annotated[list[str] | None, Query()] = None,
        channel: Annotated[list[str] | None, Query()] = None,
        actor: Annotated[list[str] | None, Query()] = None,
        theme: Annotated[list[str] | None, Query()] = None,
        duplicates: Annotated[str, Query(pattern="^(show|hide|only)$")] = "show",
        about: Annotated[bool, Query(description="actor/theme filters match only posts about them")] = False,
        sort: Annotated[str | None, Query(pattern="^(relevance|newest|oldest)$")] = None,
        page: Annotated[int, Query(ge=1)] = 1,
        per_page: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> Response:
        sq = parse_search(q, date_from, date_to, lang, channel, actor, theme, duplicates, "1" if about else "0",
                          sort, page, per_page)  # fmt: skip
        return _json(run_search(_site(request), sq))

    @api.get(
        "/posts/{post_id}",
        response_model=PostDetail,
        responses=ERRORS,
        summary="A post with its tags, spans, duplicates and corrections",
    )
    def post(request: Request, post_id: Annotated[str, Path(pattern=POST_ID)]) -> Response:
        found = _site(request).store().post_detail(post_id)
        if found is None:
            raise HTTPProblem(404, f"no post {post_id}")
        return _json(found)

    @api.get("/trends", response_model=Trends, responses=ERRORS, summary="Every trend and topic of a year")
    def trends(request: Request, year: Year = None, country: Country = None, lang: Lang = "en") -> Response:
        site = _site(request)
        y, c = site.check_year(year), site.check_country(country)
        report = _analysis(site, site.dashboard, y, c, lang)["report"]
        series = report.get("series") or {}
        return _json({
            "year": report["year"], "country": report["country"], "trends": report["trends"],
            "bursts": report.get("bursts", []), "topics": report.get("topics", []),
            "series": {"periods": series.get("periods", []), "trends": series.get("trends", {})},
            "parameters": report.get("parameters", {}), "names": report.get("names", {}),
        })  # fmt: skip

    @api.get("/events", response_model=Events, responses=ERRORS, summary="The ranked events of a year")
    def events(request: Request, year: Year = None, country: Country = None, lang: Lang = "en") -> Response:
        site = _site(request)
        y, c = site.check_year(year), site.check_country(country)
        report = _analysis(site, site.dashboard, y, c, lang)["report"]
        return _json({"year": report["year"], "country": report["country"], "events": report["events"],
                      "names": report.get("names", {})})  # fmt: skip

    @api.get(
        "/balance",
        response_model=Balance,
        responses=ERRORS,
        summary="Partner balance of a year, with monthly series",
    )
    def balance(request: Request, year: Year = None, country: Country = None) -> Response:
        site = _site(request)
        y, c = site.check_year(year), site.check_country(country)
        report = _analysis(site, site.dashboard, y, c, "en")["report"]
        series = report.get("series") or {}
        return _json({
            "year": report["year"], "country": report["country"], **(report.get("balance") or {"partners": []}),
            "series": {k: series.get(k) for k in ("periods", "vectors", "entropy", "posts") if k in series},
        })  # fmt: skip

    @api.get(
        "/report",
        response_model=Report,
        responses=ERRORS,
        summary="The year's report, as `multivector report --format json`",
    )
    def report(
        request: Request, year: Year = None, country: Country = None, lang: Lang = "en",
        top: Annotated[int, Query(ge=1, le=50)] = 5, events: Annotated[int, Query(ge=0, le=50)] = 10,
    ) -> Response:  # fmt: skip
        site = _site(request)
        y, c = site.check_year(year), site.check_country(country)
        built = _analysis(site, site.report, y, c, lang, top, events)
        return Response(built["json"].encode("utf-8"), media_type="application/json")

    @api.get(
        "/actors/{actor_id}",
        response_model=Entity,
        responses=ERRORS,
        summary="Attention to an actor over time, its themes and partners",
    )
    def actor(
        request: Request, actor_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_:.\-]{0,79}$")]
    ) -> Response:
        site = _site(request)
        data = _analysis(site, site.entity, "actor", actor_id)
        if not data["posts"] and not site.names.known_actor(actor_id):
            raise HTTPProblem(404, f"no actor {actor_id}")
        return _json({"id": actor_id, "name": site.names.actor(actor_id), **data})

    @api.get(
        "/channels/{name:path}",
        response_model=Entity,
        responses=ERRORS,
        summary="A channel's posts over time, languages, themes and actors",
    )
    def channel(request: Request, name: Annotated[str, Path(max_length=300)]) -> Response:
        site = _site(request)
        data = _analysis(site, site.entity, "channel", name)
        if not data["posts"]:
            raise HTTPProblem(404, f"no channel {name!r}")
        return _json({"channel": name, **data})

    @api.get(
        "/corrections",
        response_model=list[Correction],
        responses=ERRORS,
        summary="Corrections, of one post or all",
    )
    def corrections(request: Request, post: Annotated[str | None, Query(pattern=POST_ID)] = None) -> Response:
        return _json(_site(request).store().corrections(post))

    @api.post("/corrections", status_code=201, response_model=Correction, responses=WRITE_ERRORS,
              summary="Correct a post's tags (needs `Authorization: Bearer EDIT_TOKEN`)")  # fmt: skip
    def add_correction(
        request: Request, body: Annotated[NewCorrection, Body()],
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:  # fmt: skip
        site = _site(request)
        _authorise(site, authorization)
        if body.field in ("actor", "theme"):
            site.check_correction_value(body.field, body.value)
        store = site.store()
        if store.post_detail(body.post) is None:
            raise HTTPProblem(404, f"no post {body.post}")
        try:
            cid = store.add_correction(body.post, body.field, body.value, body.action, body.author, body.note)
        except InputError as e:
            raise HTTPProblem(400, str(e)) from None
        site.cache.changed()
        made = next(c for c in store.corrections(body.post) if c["id"] == cid)
        return _json(made, status=201)

    @api.delete("/corrections/{correction_id}", response_model=Correction, responses=WRITE_ERRORS,
                summary="Withdraw a correction; the post's machine tags come back")  # fmt: skip
    def delete_correction(
        request: Request, correction_id: Annotated[int, Path(ge=1, le=2**62)],
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:  # fmt: skip
        site = _site(request)
        _authorise(site, authorization)
        gone = site.store().delete_correction(correction_id)
        if gone is None:
            raise HTTPProblem(404, f"no correction {correction_id}")
        site.retag(gone["post"])
        site.cache.changed()
        return _json(gone)

    return api


def _authorise(site: Site, authorization: str | None) -> None:
    if not site.guard.editing:
        raise HTTPProblem(
            403, "editing is off: start the server with --edit-token or $MULTIVECTOR_EDIT_TOKEN"
        )
    if not site.guard.bearer_ok(authorization):
        raise HTTPProblem(401, "send the edit token as `Authorization: Bearer TOKEN`")
