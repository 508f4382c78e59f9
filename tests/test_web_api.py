"""The JSON API and the server's guard rails, against a real `multivector serve` on loopback."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from helpers import multivector
from multivector.store import open_store
from multivector.store.base import SearchFilters
from web_support import EVIL_CHANNEL, TOKEN, copy_db, sample_db, start_server, stop_server  # noqa: F401


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request, sample_db, tmp_path_factory):  # noqa: F811
    """The dashboard over a copy of the sample: an SQLite file, then the same moved into PostgreSQL."""
    db = copy_db(sample_db, tmp_path_factory.mktemp("api"))
    if request.param == "postgres":
        from pg_support import new_schema

        url = new_schema(request.getfixturevalue("postgres_run_db"))
        done = multivector("--db", str(db), "migrate", "--to", url)
        assert done.returncode == 0, done.stderr
        db = url
    srv = start_server(db)
    srv.wait_warm()
    yield srv
    stop_server(srv)


def q(path: str, **params) -> str:
    return path + "?" + urllib.parse.urlencode(params, doseq=True)


def test_search_returns_the_contract_and_the_posts_the_store_finds(server):
    found = server.json(q("/api/search", q="саммитах", lang="ru", **{"from": "2024-01-01"}, per_page=5))
    assert set(found) >= {"results", "total", "total_exact", "page", "per_page", "pages", "query"}
    with open_store(server.db, create=False) as s:
        expected = s.search_page("саммитах", SearchFilters(langs=["ru"], date_from="2024-01-01"), limit=500)
    assert found["total"] == expected["total"] > 5
    assert found["pages"] == -(-found["total"] // 5)
    assert [r["id"] for r in found["results"]] == [r["id"] for r in expected["results"][:5]]
    for r in found["results"]:
        assert r["lang"] == "ru" and r["date"] >= "2024-01-01"
        assert set(r) >= {"id", "channel", "date", "text", "actors", "themes", "about", "duplicate_of"}
    page2 = server.json(
        q("/api/search", q="саммитах", lang="ru", **{"from": "2024-01-01"}, per_page=5, page=2)
    )
    assert not {r["id"] for r in page2["results"]} & {r["id"] for r in found["results"]}


def test_search_understands_kazakh_inflection_and_filters_by_actor(server):
    found = server.json(q("/api/search", q="Қытаймен", lang="kk", per_page=50))
    assert found["total"] > 0
    assert all("CN" in r["actors"] or "қытай" in r["text"].lower() for r in found["results"])
    by_actor = server.json(q("/api/search", actor="CN", duplicates="hide", per_page=100))
    assert by_actor["total"] > 0 and all(
        "CN" in r["actors"] and r["duplicate_of"] is None for r in by_actor["results"]
    )


@pytest.mark.parametrize("query", ['"unbalanced', "a OR", "NOT x", "(x", "x)"])
def test_malformed_search_is_a_400_with_a_message(server, query):
    status, headers, body = server.get(q("/api/search", q=query))
    assert status == 400
    assert json.loads(body)["detail"].startswith("search syntax:")
    status, headers, body = server.get(q("/search", q=query))
    assert status == 400 and b"search syntax" in body and headers["content-type"].startswith("text/html")


def test_paging_is_bounded(server):
    assert server.get(q("/api/search", q="Казахстан", per_page=500))[0] == 422
    status, _, body = server.get(q("/api/search", q="Казахстан", page=1000, per_page=100))
    assert status == 400 and b"narrow the search" in body
    assert server.get(q("/api/search", q="x", **{"from": "2024-13-45"}))[0] == 400


def test_post_has_the_export_fields_spans_and_group(server):
    with open_store(server.db, create=False) as s:
        copy = next(r for r in s.iter_export() if r["duplicate_of"])
    post = server.json(f"/api/posts/{copy['id']}")
    assert post["id"] == copy["id"] and post["text"] == copy["text"]
    assert post["duplicate_of"] == copy["duplicate_of"]
    assert sorted(a["actor"] for a in post["actors"]) == copy["actors"]
    assert post["group"]["root"] == copy["duplicate_of"] and post["group"]["size"] >= 2
    for m in post["mentions"]:
        assert post["text"][m["start"] : m["end"]] == m["text"]
    assert server.get("/api/posts/0123456789abcdef")[0] == 404
    assert server.get("/api/posts/nothex")[0] == 422


def test_report_api_is_byte_for_byte_the_command_line_report(server, tmp_path):
    status, _, body = server.get(q("/api/report", year=2024, country="KZ"))
    assert status == 200
    out = tmp_path / "r.json"
    done = multivector(
        "--db", str(server.db), "report", "--year", "2024", "--format", "json", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    assert body == out.read_bytes()


def test_trends_events_balance_match_the_report(server):
    report = server.json(q("/api/report", year=2024))
    trends = server.json("/api/trends")  # the latest complete year by default
    assert trends["year"] == 2024
    assert [t["theme"] for t in trends["trends"][:5]] == [t["theme"] for t in report["trends"]]
    assert trends["trends"][0] == {
        **trends["trends"][0],
        **{k: report["trends"][0][k] for k in ("score", "posts", "share")},
    }
    assert len(trends["trends"]) >= len(report["trends"])
    assert set(trends["series"]["trends"]) == {t["theme"] for t in trends["trends"]}
    events = server.json(q("/api/events", year=2024))
    assert [e["title"] for e in events["events"][:10]] == [e["title"] for e in report["events"]]
    balance = server.json(q("/api/balance", year=2024))
    assert balance["partners"] == report["balance"]["partners"]
    assert balance["series"]["periods"] == report["series"]["periods"]
    assert server.get(q("/api/trends", year=1999))[0] == 404
    assert server.get(q("/api/trends", year=2024, country="ZZ"))[0] == 400


def test_the_dashboard_answers_for_any_country(server):
    uz = server.json(q("/api/balance", year=2024, country="UZ"))
    kz = server.json(q("/api/balance", year=2024))
    assert uz["country"] == "UZ" and kz["country"] == "KZ"
    vectors_uz = {p["vector"] for p in uz["partners"]}
    assert "eurasian" in vectors_uz and "eurasian" not in {p["vector"] for p in kz["partners"]}
    report = server.json(q("/api/report", year=2024, country="UZ"))
    assert report["coverage"]["months"] and report["voices"]["channels"]


def test_actor_and_channel_figures(server):
    cn = server.json("/api/actors/CN")
    with open_store(server.db, create=False) as s:
        posts = s.search_page(None, SearchFilters(actors=["CN"]))["total"]
    assert cn["posts"] == posts and cn["name"] == "China"
    assert sum(m["posts"] for m in cn["months"]) <= posts
    assert cn["themes"] and all(t["posts"] > 0 for t in cn["themes"])
    evil = server.json("/api/channels/" + urllib.parse.quote(EVIL_CHANNEL, safe=""))
    assert evil["posts"] == 3
    assert server.get("/api/actors/NOPE_NOT_AN_ACTOR")[0] == 404


def test_every_response_carries_the_security_headers(server):
    for path in ("/", "/search?q=x", "/api/overview", "/openapi.json", "/static/style.css"):
        status, headers, _ = server.get(path)
        assert status == 200, path
        csp = headers["content-security-policy"]
        script = next((d for d in csp.split(";") if d.strip().startswith(("script-src", "default-src"))), "")
        assert "unsafe-inline" not in script and "unsafe-eval" not in csp, (path, csp)
        assert headers["x-content-type-options"] == "nosniff"


def test_no_url_reaches_the_file_system(server):
    for path in (
        "/static/../cli.py",
        "/static/%2e%2e%2fcli.py",
        "/static/..%2F..%2Fpyproject.toml",
        "/static/",
        "/static/templates/base.html",
        "/etc/passwd",
        "/static/%2Fetc%2Fpasswd",
    ):
        status, _, body = server.get(path)
        assert status == 404, (path, status)
        assert b"import" not in body and b"root:" not in body


def test_requests_for_another_host_name_are_refused(server):
    assert server.get("/api/overview", headers={"Host": "evil.example"})[0] == 400


def test_corrections_need_the_token_and_a_same_site_origin(server):
    with open_store(server.db, create=False) as s:
        post = next(r for r in s.iter_export() if "RU" in r["actors"])
    body = json.dumps(
        {"post": post["id"], "field": "actor", "value": "RU", "action": "remove", "author": "api"}
    ).encode()
    json_type = {"Content-Type": "application/json"}
    assert server.send("POST", "/api/corrections", body, json_type)[0] == 401
    assert (
        server.send("POST", "/api/corrections", body, {**json_type, "Authorization": "Bearer wrong-token"})[0]
        == 401
    )
    evil_origin = {**json_type, "Authorization": f"Bearer {TOKEN}", "Origin": "http://evil.example"}
    assert server.send("POST", "/api/corrections", body, evil_origin)[0] == 403
    # a form post from a page that did not get our CSRF token
    form = urllib.parse.urlencode({"field": "actor", "value": "RU", "action": "remove"}).encode()
    status, _, _ = server.send(
        "POST",
        f"/posts/{post['id']}/corrections",
        form,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 403
    with open_store(server.db, create=False) as s:
        assert s.corrections() == []
    unknown = json.dumps(
        {"post": post["id"], "field": "actor", "value": "NOT_AN_ACTOR", "action": "add"}
    ).encode()
    assert (
        server.send("POST", "/api/corrections", unknown, {**json_type, "Authorization": f"Bearer {TOKEN}"})[0]
        == 400
    )

    status, _, made = server.send(
        "POST", "/api/corrections", body, {**json_type, "Authorization": f"Bearer {TOKEN}"}
    )
    assert status == 201, made
    made = json.loads(made)
    assert made["author"] == "api" and made["value"] == "RU"
    assert all(a["actor"] != "RU" for a in server.json(f"/api/posts/{post['id']}")["actors"])
    listed = server.json(q("/api/corrections", post=post["id"]))
    assert [c["id"] for c in listed] == [made["id"]]
    status, _, _ = server.send(
        "DELETE", f"/api/corrections/{made['id']}", None, {"Authorization": f"Bearer {TOKEN}"}
    )
    assert status == 200
    assert any(a["actor"] == "RU" for a in server.json(f"/api/posts/{post['id']}")["actors"])


def test_a_server_without_token_is_read_only_and_listens_on_loopback(sample_db, tmp_path):  # noqa: F811
    srv = start_server(copy_db(sample_db, tmp_path), token=None, extra=("--no-warm",))
    try:
        assert srv.url.startswith("http://127.0.0.1:")
        body = json.dumps(
            {"post": "0123456789abcdef", "field": "scope", "value": "true", "action": "set"}
        ).encode()
        status, _, answer = srv.send(
            "POST",
            "/api/corrections",
            body,
            {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
        )
        assert status == 403 and b"editing is off" in answer
        assert srv.get("/login")[0] == 403
        assert srv.json("/api/status")["editing"] is False
    finally:
        stop_server(srv)


def test_serve_refuses_a_short_token_and_a_busy_port(sample_db, tmp_path):  # noqa: F811
    done = multivector("--db", str(sample_db), "serve", "--edit-token", "short")
    assert done.returncode == 2 and "at least 8 characters" in done.stderr
    srv = start_server(copy_db(sample_db, tmp_path), token=None, extra=("--no-warm",))
    try:
        port = srv.url.rsplit(":", 1)[1]
        done = multivector("--db", str(sample_db), "serve", "--port", port, timeout=60)
        assert done.returncode == 2 and "cannot listen there" in done.stderr
    finally:
        stop_server(srv)
    missing = multivector("--db", str(tmp_path / "none.db"), "serve")
    assert missing.returncode == 2 and "no such database" in missing.stderr


@pytest.mark.parametrize("offset", [0, 3])
def test_a_filtered_search_ranks_as_the_unfiltered_one_does(server, monkeypatch, offset):
    """The fast path (filter the index's best matches) gives the page the full ranking gives."""
    import multivector.store.sqlite as sqlite_store

    with open_store(server.db, create=False) as s:
        everything = s.search_page("саммит", limit=500)["results"]
        expected = [r["id"] for r in everything if r["lang"] == "ru" and r["duplicate_of"] is None][
            offset : offset + 4
        ]
        monkeypatch.setattr(sqlite_store, "PROBE_SLACK", 0)  # take the fast path on a small corpus
        fast = s.search_page("саммит", SearchFilters(langs=["ru"]), duplicates="hide", limit=4, offset=offset)
        monkeypatch.setattr(sqlite_store, "PROBE_SLACK", 10**9)  # and the slow one
        slow = s.search_page("саммит", SearchFilters(langs=["ru"]), duplicates="hide", limit=4, offset=offset)
    assert [r["id"] for r in fast["results"]] == [r["id"] for r in slow["results"]] == expected


def test_a_change_made_by_another_process_reaches_the_served_report(server):
    """The server notices commits from other connections (here the command line) by SQLite's
    data_version and recomputes; the next report answer has the change."""
    before = server.json("/api/report?year=2024")
    trend = before["trends"][1]
    post = trend["evidence"][0]["post_id"]
    done = multivector(
        "--db", str(server.db), "corrections", "add", post, "scope", "set", "false", "--author", "cli"
    )
    assert done.returncode == 0, done.stderr
    after = server.json("/api/report?year=2024")
    moved = [t for t in after["trends"] if t["theme"] == trend["theme"]]
    assert not moved or moved[0]["posts"] == trend["posts"] - 1  # one post fewer, or out of the top
    assert after != before
    assert server.json(f"/api/posts/{post}")["in_scope"] is False


def test_relevance_pages_go_as_deep_as_what_was_ranked(sample_db):  # noqa: F811
    from multivector.web.search import SearchQuery, run_search
    from multivector.web.site import Site, WebConfig

    site = Site(WebConfig(db=str(sample_db), warm=False))
    try:
        whole = run_search(site, SearchQuery(q="Казахстан", per_page=5))
        assert whole["total"] > 40 and "ranked" not in whole and whole["pages"] == -(-whole["total"] // 5)
        site.store().rank_window = 12  # as a large store ranks only its newest matches
        ranked = run_search(site, SearchQuery(q="Казахстан", per_page=5))
        assert (ranked["total"], ranked["ranked"], ranked["pages"]) == (whole["total"], 12, 3)
    finally:
        site.close()


def test_pages_show_no_earlier_share_against_a_year_with_nothing_in_scope(tmp_path):
    """2023 holds only off-topic posts: the overview and the trends page show "—" for its shares
    and shifts instead of 0.0% and a jump to this year's whole share."""
    from multivector.store.sqlite import Store
    from test_analyze_corpus import Corpus, off_topic_year_then_policy

    db = tmp_path / "it_then_policy.db"
    with Store.open(db) as store:
        off_topic_year_then_policy(Corpus(store), "trade_investment")
    server = start_server(db)
    try:
        server.wait_warm()
        for path in ("/trends/2024", "/"):
            status, _, body = server.get(path)
            page = body.decode()
            assert status == 200 and "— → " in page and "0.0% → " not in page, path
    finally:
        stop_server(server)
