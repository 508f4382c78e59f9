"""The FastAPI application: pages, the JSON API, static files, security headers, errors.

`create_app(WebConfig(db=...))` is what `multivector serve` runs under uvicorn; tests start it
the same way on a free loopback port.
"""

from __future__ import annotations

import sys
import traceback
from contextlib import asynccontextmanager
from importlib.resources import files

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from multivector import __version__
from multivector.report.render import fmt_pct, fmt_pp
from multivector.web import api, pages
from multivector.web.cache import Computing
from multivector.web.security import CSRF_COOKIE, Guard, same_origin, security_headers
from multivector.web.site import HTTPProblem, Site, WebConfig

STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _static_files() -> dict[str, tuple[bytes, str]]:
    """Every static file, read once at start: a URL names an entry here, never a path on disk."""
    out = {}
    for entry in files("multivector.web").joinpath("static").iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1] if "." in entry.name else ""
        if entry.is_file() and suffix in STATIC_TYPES:
            out[entry.name] = (entry.read_bytes(), STATIC_TYPES[suffix])
    return out


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("multivector.web", "templates"),
        autoescape=True,  # every value is escaped; no template marks post text as safe
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # The dashboard speaks English; numbers are written as the English report writes them.
    env.filters["pct"] = lambda x: fmt_pct(x, "en")
    env.filters["pp"] = lambda x: fmt_pp(x, "en")
    env.filters["num"] = lambda n: "—" if n is None else f"{n:,}"
    env.filters["path"] = pages.path_quote
    env.filters["safe_url"] = _safe_url
    env.filters["day"] = lambda d: (d or "")[:10] or "undated"
    env.globals["version"] = __version__
    return env


def _safe_url(url: str | None) -> str | None:
    """Only web links become links: a `javascript:` or `data:` URL in a post stays text."""
    if url and url.lower().startswith(("https://", "http://")) and not any(c in url for c in "\"'<> \n"):
        return url
    return None


def create_app(config: WebConfig) -> FastAPI:
    site = Site(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if config.warm:
            site.warm()
        site.cache.start_watching()
        try:
            yield
        finally:
            site.close()

    app = FastAPI(
        title="multivector",
        version=__version__,
        description="A foreign-policy observatory: search posts, see the year's trends, events and partner balance, correct the machine's tags.",
        docs_url=None,  # the interactive docs load scripts from a CDN: the schema is at /openapi.json
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.site = site
    app.state.templates = _templates()
    app.state.templates.globals["names"] = site.names  # macros see globals, not the page's context
    static = _static_files()

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if request.method in UNSAFE_METHODS and not same_origin(
            request.headers.get("origin"), request.headers.get("host"), request.url.scheme
        ):
            response: Response = JSONResponse({"detail": "cross-site request refused"}, status_code=403)
        else:
            browser_id = request.cookies.get(CSRF_COOKIE)
            fresh = None
            if not browser_id:
                fresh = browser_id = Guard.new_browser_id()
            request.state.browser_id = browser_id
            response = await call_next(request)
            if fresh and not request.url.path.startswith(("/api/", "/static/")):
                response.set_cookie(CSRF_COOKIE, fresh, httponly=True, samesite="strict", path="/")
        for key, value in security_headers(request.url.path, response.headers.get("content-type")).items():
            response.headers.setdefault(key, value)
        if request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "public, max-age=3600"
        elif request.method == "GET":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    if config.allowed_hosts and "*" not in config.allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=config.allowed_hosts)

    def problem(request: Request, status: int, message: str) -> Response:
        headers = {"Retry-After": "30"} if status == 503 else None
        if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
            return JSONResponse({"detail": message}, status_code=status, headers=headers)
        return pages.render(
            request, "error.html", status=status, title=f"Error {status}", code=status, message=message
        )

    @app.exception_handler(HTTPProblem)
    async def on_problem(request: Request, exc: HTTPProblem):
        return problem(request, exc.status, exc.message)

    @app.exception_handler(Computing)
    async def on_computing(request: Request, exc: Computing):
        if request.url.path.startswith("/api/"):
            return problem(request, 503, "the analysis is still being computed; try again in a minute")
        return pages.computing_page(request, "the figures", exc.started)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException):
        message = "no such page" if exc.status_code == 404 else str(exc.detail)
        return problem(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()) if x not in ("query", "path", "body"))
        message = (
            f"{where}: {first.get('msg', 'invalid value')}"
            if where
            else str(first.get("msg", "invalid request"))
        )
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": message, "errors": jsonable(exc.errors())}, status_code=422)
        return problem(request, 400, message)

    @app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception):
        print(
            f"multivector serve: {request.method} {request.url.path}: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        traceback.print_exception(exc, file=sys.stderr)
        return problem(request, 500, "internal error: the server log has the details")

    @app.get("/static/{name}", include_in_schema=False)
    def static_file(name: str):
        found = static.get(name)
        if found is None:
            return problem_404()
        return Response(found[0], media_type=found[1])

    def problem_404() -> Response:
        return JSONResponse({"detail": "no such file"}, status_code=404)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        return (
            Response(static["favicon.svg"][0], media_type="image/svg+xml")
            if "favicon.svg" in static
            else problem_404()
        )

    app.include_router(api.make_router())
    app.include_router(pages.make_router())
    return app


def jsonable(errors: list) -> list:
    """Validation errors with the input left out (it may be anything) and the rest as text."""
    return [
        {
            "loc": [str(x) for x in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in errors
    ]
