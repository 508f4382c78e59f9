"""The HTML pages: server-rendered with Jinja2 (autoescaped), charts as inline SVG, plain forms.

Every page works without JavaScript; /static/app.js only submits filter forms when a select
changes and asks before a correction is withdrawn.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections import Counter
from collections.abc import Iterator
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from multivector.model import InputError
from multivector.web import svg
from multivector.web.cache import Computing
from multivector.web.search import check_query, parse_search, run_search
from multivector.web.security import CSRF_COOKIE, SESSION_COOKIE, SESSION_SECONDS
from multivector.web.site import HTTPProblem, Site
from multivector.web.views import color_of, segments, snippet, wanted_terms

POST_ID_LEN = 16
DOWNLOAD_COLUMNS = ("id", "date", "channel", "lang", "duplicate_of", "forwarded_from", "in_scope", "actors", "themes", "about_actors", "about_themes", "url", "score", "text")  # fmt: skip


def _site(request: Request) -> Site:
    return request.app.state.site


def render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    site = _site(request)
    session = site.guard.read_session(request.cookies.get(SESSION_COOKIE))
    browser = getattr(request.state, "browser_id", None) or request.cookies.get(CSRF_COOKIE) or ""
    html = request.app.state.templates.get_template(template).render(
        request=request, site=site, names=site.names, session=session, editing=site.guard.editing,
        csrf=site.guard.csrf_token(browser) if browser else "", svg=svg, **context,
    )  # fmt: skip
    return HTMLResponse(html, status_code=status)


def computing_page(request: Request, what: str, started: float) -> HTMLResponse:
    waited = max(0, int(time.monotonic() - started))
    return render(
        request, "computing.html", status=200, what=what, waited=waited, refresh=4, title="Computing"
    )


def _wait(site: Site) -> float:
    return site.config.page_wait


def _year_or_404(site: Site, year: int | None) -> int:
    return site.check_year(year)


def _link(path: str, params: list[tuple[str, str]] | dict) -> str:
    query = urlencode(
        params if isinstance(params, list) else [(k, v) for k, v in params.items() if v not in (None, "")]
    )
    return f"{path}?{query}" if query else path


def make_router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    # ---- overview -------------------------------------------------------------------------
    @pages.get("/", response_class=HTMLResponse)
    def overview(request: Request):
        site = _site(request)
        data = site.overview(wait=_wait(site) * 4)
        year = data["latest_year"]
        dash, computing = None, None
        if year is not None:
            try:
                dash = site.dashboard(year, site.config.country.upper(), "en", wait=_wait(site))
            except Computing as c:
                computing = c
        months = data["months"]
        posts_chart = svg.bar_chart(
            [m["month"] for m in months], [m["content"] for m in months], label="posts per month (one per duplicate group)"
        ) if months else None  # fmt: skip
        return render(
            request, "index.html", title="Overview", data=data, year=year, dash=dash,
            report=dash["report"] if dash else None, posts_chart=posts_chart,
            refresh=4 if computing else None, computing=computing,
        )  # fmt: skip

    # ---- search ---------------------------------------------------------------------------
    def _search_query(request: Request):
        p = request.query_params
        return parse_search(
            p.get("q"), p.get("from"), p.get("to"), p.getlist("lang"), p.getlist("channel"), p.getlist("actor"),
            p.getlist("theme"), p.get("duplicates") or None, p.get("about"), p.get("sort") or None,
            p.get("page"), p.get("per_page"),
        )  # fmt: skip

    @pages.get("/search", response_class=HTMLResponse)
    def search(request: Request):
        site = _site(request)
        sq = _search_query(request)
        found = None
        if not sq.empty:
            found = run_search(site, sq)
            wanted = wanted_terms(sq.q)
            for r in found["results"]:
                r["snippet"] = snippet(r["text"], r["lang"], wanted)
        overview = site.overview(wait=_wait(site) * 4)
        return render(
            request, "search.html", title=f"Search: {sq.q}" if sq.q else "Search", sq=sq, found=found,
            overview=overview, link=_link,
        )  # fmt: skip

    def _download(request: Request, fmt: str) -> StreamingResponse:
        site = _site(request)
        sq = _search_query(request)
        check_query(sq)
        store = site.stores.open_private()  # the stream outlives this thread's turn

        def rows() -> Iterator[str]:
            try:
                found = store.iter_search(
                    sq.q or None, sq.filters(), duplicates=sq.duplicates, about=sq.about, sort=sq.sort
                )
                if fmt == "csv":
                    buf = io.StringIO()
                    writer = csv.writer(buf)
                    writer.writerow(DOWNLOAD_COLUMNS)
                    for n, r in enumerate(found):
                        writer.writerow(_flat(r))
                        if n % 200 == 199:
                            yield buf.getvalue()
                            buf.seek(0)
                            buf.truncate()
                    yield buf.getvalue()
                else:
                    for r in found:
                        yield json.dumps(r, ensure_ascii=False) + "\n"
            finally:
                store.close()

        name = "multivector-search." + fmt
        media = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson; charset=utf-8"
        return StreamingResponse(
            rows(), media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )

    @pages.get("/search.csv")
    def search_csv(request: Request):
        return _download(request, "csv")

    @pages.get("/search.jsonl")
    def search_jsonl(request: Request):
        return _download(request, "jsonl")

    # ---- a post ---------------------------------------------------------------------------
    @pages.get("/posts/{post_id}", response_class=HTMLResponse)
    def post(request: Request, post_id: str):
        site = _site(request)
        if len(post_id) != POST_ID_LEN or not all(c in "0123456789abcdef" for c in post_id):
            raise HTTPProblem(404, f"no post {post_id!r}: a post id is 16 hex characters")
        found = site.store().post_detail(post_id)
        if found is None:
            raise HTTPProblem(404, f"no post {post_id}")
        parts = segments(found["text"], found["mentions"], found["theme_hits"])
        return render(
            request, "post.html", title=f"Post {post_id}", post=found, parts=parts,
            actor_choices=site.names.actor_choices(), theme_choices=site.names.theme_choices(),
            message=request.query_params.get("done"),
        )  # fmt: skip

    @pages.post("/posts/{post_id}/corrections")
    def add_correction(
        request: Request, post_id: str,
        field: Annotated[str, Form()], value: Annotated[str, Form()] = "", action: Annotated[str, Form()] = "",
        note: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "",
    ):  # fmt: skip
        site = _site(request)
        session = _editor(request, csrf)
        value = value.strip()
        if field == "scope":
            action = "set"
        if field in ("actor", "theme"):
            site.check_correction_value(field, value)
        store = site.store()
        if store.post_detail(post_id) is None:
            raise HTTPProblem(404, f"no post {post_id}")
        try:
            store.add_correction(post_id, field, value, action, session.author, note.strip()[:1000] or None)
        except InputError as e:
            raise HTTPProblem(400, str(e)) from None
        site.cache.changed()
        return RedirectResponse(f"/posts/{post_id}?done=saved#corrections", status_code=303)

    @pages.post("/posts/{post_id}/corrections/{correction_id}/delete")
    def delete_correction(
        request: Request, post_id: str, correction_id: int, csrf: Annotated[str, Form()] = ""
    ):
        site = _site(request)
        _editor(request, csrf)
        store = site.store()
        mine = [c for c in store.corrections(post_id) if c["id"] == correction_id]
        if not mine:
            raise HTTPProblem(404, f"post {post_id} has no correction {correction_id}")
        store.delete_correction(correction_id)
        site.retag(post_id)
        site.cache.changed()
        return RedirectResponse(f"/posts/{post_id}?done=withdrawn#corrections", status_code=303)

    def _editor(request: Request, csrf: str):
        site = _site(request)
        if not site.guard.editing:
            raise HTTPProblem(
                403, "corrections are off: start the server with --edit-token or $MULTIVECTOR_EDIT_TOKEN"
            )
        if not site.guard.csrf_ok(request.cookies.get(CSRF_COOKIE), csrf):
            raise HTTPProblem(
                403, "the form has expired or came from another page: reload the page and try again"
            )
        session = site.guard.read_session(request.cookies.get(SESSION_COOKIE))
        if session is None:
            raise HTTPProblem(401, "log in with the edit token to make corrections")
        return session

    # ---- trends and events ------------------------------------------------------------------
    @pages.get("/trends", response_class=HTMLResponse)
    def trends_latest(request: Request):
        return RedirectResponse(f"/trends/{_year_or_404(_site(request), None)}", status_code=307)

    @pages.get("/events", response_class=HTMLResponse)
    def events_latest(request: Request):
        return RedirectResponse(f"/events/{_year_or_404(_site(request), None)}", status_code=307)

    def _dashboard(request: Request, year: int, what: str):
        site = _site(request)
        y = _year_or_404(site, year)
        country = site.check_country(request.query_params.get("country"))
        lang = site.check_lang(request.query_params.get("lang"))
        try:
            return site.dashboard(y, country, lang, wait=_wait(site)), lang
        except Computing as c:
            return computing_page(request, f"the {what} of {y}", c.started), lang
        except InputError as e:
            raise HTTPProblem(400, str(e)) from None

    @pages.get("/trends/{year}", response_class=HTMLResponse)
    def trends(request: Request, year: int):
        dash, lang = _dashboard(request, year, "trends")
        if isinstance(dash, HTMLResponse):
            return dash
        report = dash["report"]
        periods = (report.get("series") or {}).get("periods") or []
        curves = {}
        for tr in report["trends"]:
            values = ((report.get("series") or {}).get("trends") or {}).get(tr["theme"])
            if values:
                curves[tr["theme"]] = svg.line_chart(
                    periods, [(tr.get("label") or tr["theme"], values, "#1b6ca8")], width=520, height=150,
                    mark=f"{report['year']}-01", label=f"monthly share of {tr.get('label')}",
                )  # fmt: skip
        return render(
            request, "trends.html", title=f"Trends {report['year']}", report=report, charts=dash["charts"],
            curves=curves, lang=lang, years=_site(request).overview()["years"], color_of=color_of,
        )  # fmt: skip

    @pages.get("/events/{year}", response_class=HTMLResponse)
    def events(request: Request, year: int):
        dash, lang = _dashboard(request, year, "events")
        if isinstance(dash, HTMLResponse):
            return dash
        report = dash["report"]
        return render(
            request, "events.html", title=f"Events {report['year']}", report=report, lang=lang,
            years=_site(request).overview()["years"],
        )  # fmt: skip

    @pages.get("/events/{year}/{rank}", response_class=HTMLResponse)
    def event(request: Request, year: int, rank: int):
        dash, lang = _dashboard(request, year, "events")
        if isinstance(dash, HTMLResponse):
            return dash
        report = dash["report"]
        found = [e for e in report["events"] if e.get("rank") == rank]
        if not found:
            raise HTTPProblem(404, f"{report['year']} has {len(report['events'])} ranked events, not {rank}")
        ev = found[0]
        posts = _site(request).store().posts_brief(ev.get("post_ids") or [])
        ordered = sorted(posts.values(), key=lambda p: (p["date"] or "", p["id"]))
        days = Counter((p["date"] or "")[:10] for p in ordered if p["date"])
        timeline = None
        if days:
            from datetime import date, timedelta

            # three days either side: an event is a burst against its quiet neighbours
            first = date.fromisoformat(min(days)) - timedelta(3)
            last = date.fromisoformat(max(days)) + timedelta(3)
            span = [(first + timedelta(d)).isoformat() for d in range((last - first).days + 1)]
            timeline = svg.bar_chart(
                span,
                [days.get(d, 0) for d in span],
                height=140,
                label="posts per day",
                label_of=lambda d: d[5:],
            )
        by_day: dict[str, list[dict]] = {}
        for p in ordered:
            by_day.setdefault((p["date"] or "undated")[:10], []).append(p)
        return render(
            request, "event.html", title=ev.get("title") or f"Event {rank}", report=report, ev=ev,
            by_day=by_day, timeline=timeline, lang=lang,
        )  # fmt: skip

    # ---- actors and channels ----------------------------------------------------------------
    def _entity(request: Request, kind: str, ident: str):
        site = _site(request)
        try:
            return site.entity(kind, ident, wait=_wait(site))
        except Computing as c:
            return computing_page(request, f"the figures of {ident}", c.started)

    def _months_chart(data: dict, label: str):
        months = data["months"]
        if not months:
            return None
        return svg.bar_chart([m["month"] for m in months], [m["content"] for m in months], label=label)

    @pages.get("/actors/{actor_id}", response_class=HTMLResponse)
    def actor(request: Request, actor_id: str):
        site = _site(request)
        if len(actor_id) > 80:
            raise HTTPProblem(404, "no such actor")
        data = _entity(request, "actor", actor_id)
        if isinstance(data, HTMLResponse):
            return data
        known = site.knowledge.actors.get(actor_id)
        if not data["posts"] and known is None:
            raise HTTPProblem(404, f"no actor {actor_id!r} in the knowledge files or the posts")
        profile_vectors = site.knowledge.profile_for(site.config.country).vectors_of(actor_id)
        latest = site.store().posts_brief(data["latest"], 300)
        about_series = None
        if data["months"] and any(m.get("about") for m in data["months"]):
            about_series = [m["about"] for m in data["months"]]
        return render(
            request, "entity.html", title=site.names.actor(actor_id), kind="actor", ident=actor_id, known=known,
            data=data, chart=_months_chart(data, f"posts mentioning {actor_id} per month"),
            about_chart=svg.bar_chart([m["month"] for m in data["months"]], about_series, color="#e69f00",
                                      label=f"posts about {actor_id} per month") if about_series else None,
            vectors=profile_vectors, latest=[latest[i] for i in data["latest"] if i in latest], color_of=color_of,
        )  # fmt: skip

    @pages.get("/channels/{name:path}", response_class=HTMLResponse)
    def channel(request: Request, name: str):
        site = _site(request)
        if len(name) > 300:
            raise HTTPProblem(404, "no such channel")
        data = _entity(request, "channel", name)
        if isinstance(data, HTMLResponse):
            return data
        if not data["posts"]:
            raise HTTPProblem(404, f"no channel {name!r}")
        latest = site.store().posts_brief(data["latest"], 300)
        return render(
            request, "entity.html", title=name, kind="channel", ident=name, known=None, data=data,
            chart=_months_chart(data, "posts per month"), about_chart=None, vectors=[],
            latest=[latest[i] for i in data["latest"] if i in latest], color_of=color_of,
        )  # fmt: skip

    # ---- the report -------------------------------------------------------------------------
    def _report_args(request: Request) -> dict:
        site = _site(request)
        p = request.query_params
        try:
            year = int(p["year"]) if p.get("year") else None
            top = int(p.get("top") or 5)
            n_events = int(p.get("events") or 10)
        except ValueError:
            raise HTTPProblem(400, "year, top and events are whole numbers") from None
        if not 1 <= top <= 50 or not 0 <= n_events <= 50:
            raise HTTPProblem(400, "top is 1 to 50 and events 0 to 50")
        return {
            "year": site.check_year(year), "country": site.check_country(p.get("country")),
            "lang": site.check_lang(p.get("lang")), "top": top, "events": n_events,
        }  # fmt: skip

    def _built(request: Request, args: dict):
        site = _site(request)
        try:
            return site.report(
                args["year"], args["country"], args["lang"], args["top"], args["events"], wait=_wait(site)
            )
        except InputError as e:
            raise HTTPProblem(400, str(e)) from None

    @pages.get("/report", response_class=HTMLResponse)
    def report(request: Request):
        site = _site(request)
        args = _report_args(request)
        query = urlencode(args)
        try:
            built = _built(request, args)
        except Computing as c:
            return computing_page(request, f"the report of {args['year']}", c.started)
        return render(
            request, "report.html", title=f"Report {args['year']}", args=args, query=query, built=built,
            years=site.overview()["years"], countries=site.countries,
        )  # fmt: skip

    @pages.get("/report/view", response_class=HTMLResponse)
    def report_view(request: Request):
        try:
            built = _built(request, _report_args(request))
        except Computing as c:
            return computing_page(request, "the report", c.started)
        return HTMLResponse(built["html"])

    @pages.get("/report/download")
    def report_download(request: Request, format: Annotated[str, Query()] = "md"):  # noqa: A002 - the URL's word
        if format not in ("md", "html", "json"):
            raise HTTPProblem(400, f"format {format!r}: expected md, html or json")
        args = _report_args(request)
        site = _site(request)
        try:
            built = site.report(
                args["year"],
                args["country"],
                args["lang"],
                args["top"],
                args["events"],
                wait=site.config.api_wait,
            )
        except Computing:
            raise HTTPProblem(503, "the report is still being computed; try again in a minute") from None
        media = {"md": "text/markdown", "html": "text/html", "json": "application/json"}[format]
        name = f"report-{args['year']}-{args['country']}-{args['lang']}.{format}"
        return Response(
            built[format].encode("utf-8"), media_type=f"{media}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )  # fmt: skip

    # ---- logging in to correct ----------------------------------------------------------------
    @pages.get("/login", response_class=HTMLResponse)
    def login_form(request: Request):
        site = _site(request)
        if not site.guard.editing:
            raise HTTPProblem(
                403, "corrections are off: start the server with --edit-token or $MULTIVECTOR_EDIT_TOKEN"
            )
        return render(
            request, "login.html", title="Log in", next=_safe_next(request.query_params.get("next"))
        )

    @pages.post("/login")
    def login(
        request: Request, token: Annotated[str, Form()] = "", author: Annotated[str, Form()] = "",
        csrf: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/",  # noqa: A002
    ):  # fmt: skip
        site = _site(request)
        if not site.guard.editing:
            raise HTTPProblem(403, "corrections are off: start the server with --edit-token")
        if not site.guard.csrf_ok(request.cookies.get(CSRF_COOKIE), csrf):
            raise HTTPProblem(403, "the form has expired: reload the page and try again")
        author = " ".join(author.split())[:80]
        if not author:
            return render(
                request,
                "login.html",
                status=400,
                title="Log in",
                next=_safe_next(next),
                error="Give your name: it is saved with every correction you make.",
            )
        if not site.guard.token_ok(token):
            time.sleep(0.5)  # guessing tokens through this form is slow
            return render(
                request,
                "login.html",
                status=401,
                title="Log in",
                next=_safe_next(next),
                error="Wrong edit token.",
            )
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            site.guard.new_session(author),
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            path="/",
        )
        return response

    @pages.post("/logout")
    def logout(request: Request, csrf: Annotated[str, Form()] = ""):
        site = _site(request)
        if not site.guard.csrf_ok(request.cookies.get(CSRF_COOKIE), csrf):
            raise HTTPProblem(403, "the form has expired: reload the page and try again")
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return pages


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _cell(value: str | None) -> str:
    """A text cell a spreadsheet will not run: a leading =, +, -, @ gets a quote before it."""
    text = value or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _flat(r: dict) -> list:
    return [
        r["id"], r["date"] or "", _cell(r["channel"]), r["lang"] or "", r["duplicate_of"] or "",
        _cell(r["forwarded_from"]), "" if r["in_scope"] is None else str(r["in_scope"]).lower(),
        ";".join(r["actors"]), ";".join(r["themes"]), ";".join(r["about"]["actors"]), ";".join(r["about"]["themes"]),
        _cell(r["url"]), "" if r["score"] is None else r["score"], _cell(r["text"]),
    ]  # fmt: skip


def path_quote(value: str) -> str:
    return quote(value, safe="")
