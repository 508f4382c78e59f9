"""Any country, any period, coverage and who speaks (issue 10, items 3-6), on constructed
corpora in a real SQLite file."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from helpers import multivector
from multivector.analyze.period import between, parse_period
from multivector.knowledge import load_knowledge
from multivector.knowledge.channels import guess_kind
from multivector.model import InputError
from multivector.report.build import ReportOptions, build_balance, build_events, build_report, build_trends
from multivector.report.render import render_markdown
from multivector.store.sqlite import Store
from test_analyze_corpus import Corpus, lexicon, monthly, off_topic_year_then_policy

CHANNELS = ["alpha", "beta", "gamma"]
NO_TOPICS = ReportOptions(topics=False)


@pytest.fixture(scope="module")
def knowledge():
    return load_knowledge()


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "t.db"


def _full_years(c: Corpus, years=(2023, 2024), per_month: int = 6) -> None:
    for y in years:
        monthly(c, y, per_month, CHANNELS, themes={"nuclear_energy": "атомная станция"}, actors=["RU"])
        monthly(c, y, 2, CHANNELS, themes={"trade": "товарооборот"}, actors=["CN", "UZ"])


# ---- any country --------------------------------------------------------------------------------


def test_every_country_has_a_profile_and_kazakhstan_keeps_its_own(knowledge):
    countries = [a.id for a in knowledge.actors.values() if a.kind == "country"]
    assert len(countries) > 150
    for code in countries:
        profile = knowledge.profile_for(code)
        assert profile.focus == code
        assert profile.vectors_of(code) == []  # the focus is never its own partner
        assert all(code not in ids for ids in profile.vectors.values())
    kz_file = Path(__file__).resolve().parents[1] / "src/multivector/knowledge/profiles/kz.yaml"
    expected = yaml.safe_load(kz_file.read_text(encoding="utf-8"))["vectors"]
    kz = knowledge.profile_for("KZ")
    assert {v: sorted(ids) for v, ids in kz.vectors.items()} == {
        v: sorted(ids) for v, ids in expected.items()
    }
    ru = knowledge.profile_for("RU")
    assert "russia" not in ru.vectors  # emptied by taking Russia out, so dropped
    assert ru.vector_of("BY") == ru.vector_of("EAEU") == "eurasian"
    assert knowledge.profile_for("UZ").vector_of("KZ") == "central_asia"


def test_unknown_or_wrong_country_is_one_clear_line(knowledge, db):
    with pytest.raises(InputError, match=r"--country XX: not a country"):
        knowledge.profile_for("XX")
    with pytest.raises(InputError, match=r"EU is an org, not a country"):
        knowledge.profile_for("EU")
    Store.open(db).close()
    run = multivector("--db", str(db), "trends", "--country", "XX")
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and "--country XX" in run.stderr, run.stderr


def test_a_second_country_has_its_own_partners_and_title(knowledge, db):
    with Store.open(db) as store:
        c = Corpus(store)
        for y in (2023, 2024):
            monthly(c, y, 3, CHANNELS, themes={"nuclear_energy": "атомная станция"}, actors=["RU"])
            monthly(c, y, 3, CHANNELS, themes={"trade": "товарооборот"}, actors=["KZ", "CN"])
        c.flush()
        kz = build_report(store, knowledge, 2024, "KZ", events=0, options=NO_TOPICS)
        uz = build_report(store, knowledge, 2024, "UZ", events=0, options=NO_TOPICS)
        ru = build_report(store, knowledge, 2024, "RU", events=0, options=NO_TOPICS)
    shares = {r["country"]: {p["vector"]: p["posts"] for p in r["balance"]["partners"]} for r in (kz, uz, ru)}
    # Kazakhstan's posts do not vote for Kazakhstan; for Uzbekistan they are Central Asia.
    assert shares["KZ"].get("central_asia", 0) == 0 and shares["UZ"]["central_asia"] == 36
    assert shares["KZ"]["russia"] == 36 and shares["UZ"]["russia"] == 36
    assert (
        "russia" not in shares["RU"] and shares["RU"]["central_asia"] == 36
    )  # Russia's own posts do not vote
    assert "eurasian" in shares["UZ"] and "eurasian" not in shares["KZ"]  # kz.yaml keeps them with Russia
    assert render_markdown(uz, "en").startswith("# Key foreign-policy trends of Uzbekistan, 2024")
    assert render_markdown(ru, "ru").startswith("# Ключевые тренды внешней политики России, 2024")
    assert render_markdown(uz, "kk").startswith("# Өзбекстан сыртқы саясатының")


# ---- coverage -----------------------------------------------------------------------------------


def test_a_full_year_has_no_coverage_warning(db):
    with Store.open(db) as store:
        c = Corpus(store)
        _full_years(c)
        c.flush()
        report = build_report(store, lexicon(), 2024, events=0, options=NO_TOPICS)
    cov = report["coverage"]
    assert cov["warnings"] == [], cov["warnings"]
    assert cov["first_date"].startswith("2023-01") and cov["last_date"].startswith("2024-12")
    assert cov["months"]["2024-03"] == 8 and len(cov["months"]) == 24


def test_a_partial_year_warns_at_the_top_of_the_report(db):
    with Store.open(db) as store:
        c = Corpus(store)
        _full_years(c, years=(2023,))
        monthly(
            c,
            2024,
            12,
            CHANNELS,
            months=range(1, 4),
            themes={"nuclear_energy": "атомная станция"},
            actors=["RU"],
        )
        c.flush()
        report = build_report(store, lexicon(), 2024, events=0, options=NO_TOPICS)
    cov = report["coverage"]
    assert [i["kind"] for i in cov["issues"]] == ["partial"], cov["issues"]
    assert cov["issues"][0]["which"] == "period" and cov["issues"][0]["last_date"].startswith("2024-03")
    assert "2024" in cov["warnings"][0] and "partial" in cov["warnings"][0]
    md = render_markdown(report, "en")
    assert md.index(cov["warnings"][0][:40]) < md.index("## Key trends")
    ru = render_markdown(report | {"coverage": {**cov, "warnings": []}}, "ru")
    assert "неполный" not in ru  # the words come from the report's JSON, in its language


def test_a_channel_that_starts_mid_year_warns(db):
    with Store.open(db) as store:
        c = Corpus(store)
        _full_years(c)
        monthly(
            c, 2024, 6, ["newcomer"], months=range(7, 13), themes={"trade": "товарооборот"}, actors=["CN"]
        )
        c.flush()
        report = build_trends(store, lexicon(), 2024, options=NO_TOPICS)
    issues = report["coverage"]["issues"]
    assert [(i["kind"], i["channel"]) for i in issues] == [("channel_starts", "newcomer")], issues
    assert issues[0]["date"].startswith("2024-07")
    (line,) = [w for w in report["coverage"]["warnings"] if "newcomer" in w]
    assert "posts posts" not in line and re.search(r"\(\d+ posts\)", line), line  # the count is worded once


def test_a_note_against_a_period_with_nothing_in_scope_claims_no_change(db, monkeypatch):
    """No share of the comparison period exists when none of its posts is in scope: the JSON
    says null (not 0), the note calls no trend "new this year" and names no partner's shift, in
    any language, and the terminal shows "—" for the earlier shares and the shifts."""
    with Store.open(db) as store:
        off_topic_year_then_policy(Corpus(store))
        report = build_report(store, lexicon(), 2024, events=0, options=NO_TOPICS)
    assert report["trends"] and all(
        tr["share_prev"] is None and tr["growth"] is None for tr in report["trends"]
    )
    partners = report["balance"]["partners"]
    assert partners and all(p["share_prev"] is None and p["shift"] is None for p in partners)
    assert partners[0]["share"] > 0 and report["balance"]["entropy_prev"] is None
    md = render_markdown(report, "en")
    assert "new this year" not in md and "largest shift" not in md
    assert "2023: no post in scope to compare with" in md
    assert re.search(r"\| — \| [\d.]+% \| — \|", md)  # the partners' balance: no 2023 share, no shift
    ru = render_markdown(report, "ru")
    assert "новая тема года" not in ru and "за 2023 нет постов по теме для сравнения" in ru
    import io

    from rich.console import Console

    from multivector import cli

    screen = io.StringIO()
    monkeypatch.setattr(cli, "out", Console(file=screen, width=100))
    cli.print_trends(report)
    assert "— → " in screen.getvalue() and "0.0% → " not in screen.getvalue()
    from typer.testing import CliRunner

    screen.seek(0)
    screen.truncate()  # the table goes to the console set above
    CliRunner().invoke(cli.app, ["--db", str(db), "balance", "--year", "2024"], catch_exceptions=False)
    shown = screen.getvalue()
    (row,) = [line for line in shown.splitlines() if line.startswith("│ china ")]
    assert [cell.strip() for cell in row.split("│")[2:5]] == ["—", "100.0%", "—"], shown
    assert "-0.000" not in shown and "— → 0.000" in shown, shown  # one vector takes all: entropy 0


def test_no_partner_shift_against_a_year_with_posts_in_scope_but_no_partner(db):
    """The year before holds in-scope posts, so its theme shares are real, but none names a
    partner: the partners' earlier shares are null and the note names no shift, where it used to
    report the whole of this year's share as a shift from 0."""
    with Store.open(db) as store:
        c = Corpus(store)
        for month in range(1, 13):
            c.add("alpha", date(2023, month, 5), themes={"trade": "товарооборот"})
            for day in (3, 17):
                c.add("alpha", date(2024, month, day), themes={"trade": "товарооборот"}, actors=["CN"])
        c.flush()
        report = build_report(store, lexicon(), 2024, events=0, options=NO_TOPICS)
    assert report["trends"][0]["share_prev"] == 1.0  # the theme was there: a share to compare with
    assert all(p["share_prev"] is None and p["shift"] is None for p in report["balance"]["partners"])
    md = render_markdown(report, "en")
    assert "largest shift" not in md and re.search(r"\| — \| [\d.]+% \| — \|", md)


def test_many_channels_that_start_mid_year_make_one_warning(db):
    """A folder of channels collected at different times: each start stays an issue, and the
    warnings name them in one sentence, the largest first, instead of one line each."""
    with Store.open(db) as store:
        c = Corpus(store)
        _full_years(c)
        late = [f"late{k}" for k in range(8)]
        for k, channel in enumerate(late):
            monthly(
                c, 2024, 6 + k % 3, [channel], months=range(7 + k % 3, 13), themes={"trade": "товарооборот"}
            )
        c.flush()
        report = build_trends(store, lexicon(), 2024, options=NO_TOPICS)
    issues = report["coverage"]["issues"]
    assert sorted(i["channel"] for i in issues if i["kind"] == "channel_starts") == late
    warnings = [w for w in report["coverage"]["warnings"] if "late" in w]
    assert len(warnings) == 1 and warnings[0].startswith("8 channels begin only after")
    assert warnings[0].count("“late") == 6 and "and 2 more" in warnings[0]
    assert "“late2”" not in warnings[0] and "“late5”" not in warnings[0]  # the two smallest


def test_thin_volumes_warn(db):
    with Store.open(db) as store:
        c = Corpus(store)
        for y in (2023, 2024):
            for m in (1, 6, 12):
                c.add("alpha", date(y, m, 2), themes={"trade": "товарооборот"}, actors=["CN"])
                c.add("alpha", date(y, m, 28), themes={"trade": "товарооборот"}, actors=["CN"])
        c.flush()
        report = build_events(store, lexicon(), 2024)
    kinds = {(i["kind"], i.get("which")) for i in report["coverage"]["issues"]}
    assert ("thin", "period") in kinds and ("thin", "comparison") in kinds
    assert ("gap", None) in kinds  # months with no posts at all inside the data's span


def test_a_comparison_period_with_posts_but_none_in_scope_is_named(db):
    """Posts were collected in 2023 (an IT channel before the foreign-policy ones came), none in
    scope: every share of 2023 is empty, so the report says that no change can be measured, and
    a month of 2024 with posts but none in scope is thin like a month with one."""
    with Store.open(db) as store:
        c = Corpus(store)
        for m in range(1, 13):
            c.add("it", date(2023, m, 5), in_scope=False)
            c.add("it", date(2024, m, 5), in_scope=False)
            if m > 1:
                for d in (3, 10, 17, 24, 28):
                    c.add("alpha", date(2024, m, d), themes={"trade": "товарооборот"}, actors=["CN"])
        c.flush()
        report = build_events(store, lexicon(), 2024)
    issues = report["coverage"]["issues"]
    (none,) = [i for i in issues if i["kind"] == "none_in_scope"]
    assert (none["which"], none["label"], none["posts"]) == ("comparison", "2023", 12)
    (thin,) = [i for i in issues if i["kind"] == "thin_months"]
    assert thin["months"] == ["2024-01"]
    assert any("12 posts, none of them in scope" in w for w in report["coverage"]["warnings"])


# ---- any period ---------------------------------------------------------------------------------


def test_periods_and_the_ones_before_them():
    assert parse_period("2024-Q3").previous().label == "2024-Q2"
    assert parse_period("2024-Q1").previous().label == "2023-Q4"
    assert parse_period("2024-01").previous().label == "2023-12"
    assert parse_period("2024").previous().label == "2023"
    r = between("2024-03-10", "2024-04-09")
    assert (r.kind, r.days, r.previous().start, r.previous().last.isoformat()) == (
        "range",
        31,
        "2024-02-08",
        "2024-03-09",
    )
    assert between("2024-07-01", "2024-09-30").label == "2024-Q3"
    assert parse_period("2024-Q3").unit == "week" and parse_period("2024").unit == "month"
    for bad in ("2024-Q5", "2024-13", "24", "2024-07-01"):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_a_quarter_is_compared_with_the_quarter_before(db):
    with Store.open(db) as store:
        c = Corpus(store)
        _full_years(c, years=(2024,), per_month=4)
        # trade: 1 extra post a month in Q2, 5 in Q3
        monthly(c, 2024, 1, CHANNELS, months=range(4, 7), themes={"trade": "товарооборот"}, actors=["CN"])
        monthly(c, 2024, 5, CHANNELS, months=range(7, 10), themes={"trade": "товарооборот"}, actors=["CN"])
        c.flush()
        q3 = build_trends(store, lexicon(), "2024-Q3", options=NO_TOPICS)
        balance = build_balance(store, lexicon(), parse_period("2024-Q3"))
    assert q3["period"]["label"] == "2024-Q3" and q3["period_prev"]["label"] == "2024-Q2"
    assert q3["period"]["unit"] == "week"
    trade = next(t for t in q3["trends"] if t["theme"] == "trade")
    assert (trade["posts"], trade["posts_prev"]) == (3 * 2 + 15, 3 * 2 + 3)
    assert trade["months_total"] >= 12  # persistence counted in the quarter's weeks
    assert balance["period"]["label"] == "2024-Q3" and balance["periods"][0] == "2024-07"
    assert sum(p["posts_prev"] for p in balance["partners"]) > 0


def test_from_to_on_the_command_line(db):
    with Store.open(db) as store:
        c = Corpus(store)
        _full_years(c)
        c.flush()
        inside = store.conn.execute(
            "SELECT count(*) FROM posts p JOIN post_themes t ON t.post = p.rowid "
            "WHERE t.theme = 'nuclear_energy' AND p.date >= '2024-03-10' AND p.date < '2024-04-10'"
        ).fetchone()[0]
    run = multivector("--db", str(db), "trends", "--from", "2024-03-10", "--to", "2024-04-09", "--json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["period"] == {"label": "2024-03-10..2024-04-09", "kind": "range", "start": "2024-03-10",
                                "end": "2024-04-09", "unit": "week"}  # fmt: skip
    assert result["period_prev"]["end"] == "2024-03-09"
    nuclear = next(t for t in result["trends"] if t["theme"] == "nuclear_energy")
    assert nuclear["posts"] == inside > 0
    run = multivector("--db", str(db), "trends", "--from", "2024-03-10")
    assert run.returncode == 2 and "--to" in run.stderr
    run = multivector("--db", str(db), "trends", "--year", "2024", "--period", "2024-Q1")
    assert run.returncode == 2 and "give one of them" in run.stderr
    run = multivector("--db", str(db), "balance", "--period", "week", "--json")
    assert run.returncode == 0 and "--series week" in run.stderr
    assert json.loads(run.stdout)["series_by"] == "week"


# ---- who speaks ---------------------------------------------------------------------------------


def _voices_corpus(store) -> None:
    c = Corpus(store)
    for y in (2023, 2024):
        monthly(
            c, y, 3, ["Wire One", "Wire Two"], themes={"trade": "товарооборот"}, actors=["CN"], genre="news"
        )
        monthly(c, y, 2, ["Степной аналитик"], themes={"nuclear_energy": "атомная станция"}, actors=["RU"],
                genre="analysis")  # fmt: skip
        monthly(
            c, y, 1, ["Unlisted Thinker"], themes={"trade": "товарооборот"}, actors=["RU"], genre="analysis"
        )
    c.flush()


@pytest.fixture
def voices_dir(tmp_path) -> Path:
    d = tmp_path / "kn"
    d.mkdir()
    (d / "channels.yaml").write_text(
        '"Степной аналитик": {kind: analyst, country: KZ}\n'
        '"@wire_one": {kind: state_media, country: KZ, names: ["Wire One"]}\n',
        encoding="utf-8",
    )
    return d


def test_voice_filter_restricts_what_is_counted(db, voices_dir):
    k = load_knowledge([voices_dir])
    with Store.open(db) as store:
        _voices_corpus(store)
        every = build_trends(store, k, 2024, options=NO_TOPICS)
        analysts = build_trends(store, k, 2024, options=NO_TOPICS, voice="analyst")
        events = build_events(store, k, 2024, voice="analyst")
    by = {v["channel"]: (v["kind"], v["source"]) for v in every["voices"]["channels"]}
    assert by == {
        "Wire One": ("state_media", "registry"),
        "Wire Two": ("media", "guess"),  # news reports: a newsroom, ownership unknown
        "Степной аналитик": ("analyst", "registry"),
        "Unlisted Thinker": ("analyst", "guess"),
    }
    posts = {t["theme"]: t["posts"] for t in analysts["trends"]}
    assert posts == {"nuclear_energy": 24, "trade": 12}  # only the two analysts' posts
    assert {t["theme"]: t["posts"] for t in every["trends"]}["trade"] == 36 + 12
    trade = next(t for t in every["trends"] if t["theme"] == "trade")
    assert set(trade["voices"]) == {"state_media", "media", "analyst"}
    assert analysts["voice"] == "analyst"
    assert all(
        set(e["post_ids"]) <= _ids_of(db, ["Степной аналитик", "Unlisted Thinker"]) for e in events["events"]
    )


def _ids_of(db: Path, channels: list[str]) -> set[str]:
    with Store.open(db) as store:
        q = f"SELECT id FROM posts WHERE channel IN ({','.join('?' * len(channels))})"
        return {r[0] for r in store.conn.execute(q, channels)}


def test_voice_on_the_command_line_and_in_the_report(db, voices_dir):
    with Store.open(db) as store:
        _voices_corpus(store)
    kn = ("--db", str(db), "--knowledge", str(voices_dir))
    run = multivector(*kn, "search", "товарооборот", "--voice", "analyst", "--limit", "100", "--json")
    assert run.returncode == 0, run.stderr
    assert {r["channel"] for r in json.loads(run.stdout)} == {"Unlisted Thinker"}
    run = multivector(*kn, "search", "товарооборот", "--voice", "media", "--limit", "200", "--json")
    assert {r["channel"] for r in json.loads(run.stdout)} == {"Wire One", "Wire Two"}
    run = multivector(*kn, "report", "--year", "2024", "--format", "json", "--events", "0")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert {r["theme"] for r in report["voices"]["trends"]} == {"trade", "nuclear_energy"}
    md = render_markdown(report, "en")
    assert "## Who speaks" in md and "| Trend | " in md and "guessed from its posts" in md
    run = multivector(*kn, "trends", "--voice", "pundit")
    assert run.returncode == 2 and "--voice 'pundit'" in run.stderr


def test_a_channel_is_guessed_from_the_genres_of_its_posts():
    assert guess_kind({"analysis": 6, "news": 3}) == "analyst"
    assert guess_kind({"official": 5, "news": 4}) == "official"
    assert guess_kind({"digest": 4, "news": 2, "other": 2}) == "aggregator"
    assert guess_kind({"news": 9, "analysis": 1}) == "media"
    assert guess_kind({"analysis": 2}) == ""  # too few posts to tell
    assert guess_kind({"other": 8, "news": 2}) == ""  # no genre holds enough of them


@pytest.mark.parametrize(
    "text, line, words",
    [
        ('"A": {kind: analyst}\n"B": {kind: pundit}\n', 2, "unknown kind 'pundit'"),
        ('"A": {kind: analyst, country: XX}\n', 1, "country 'XX'"),
        ('"A": {kind: analyst}\n"@a": {kind: official}\n', 2, "listed already at line 1"),
        ('"A": {knd: analyst}\n', 1, "unknown key 'knd'"),
    ],
)
def test_a_bad_channels_file_is_one_line_with_its_place(tmp_path, text, line, words):
    d = tmp_path / "kn"
    d.mkdir()
    (d / "channels.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_knowledge([d])
    msg = str(info.value)
    assert f"channels.yaml: line {line}:" in msg and words in msg and "\n" not in msg, msg
    run = multivector("--knowledge", str(d), "--db", str(tmp_path / "x.db"), "trends")
    assert run.returncode == 2 and f"channels.yaml: line {line}:" in run.stderr


def test_regions_can_be_changed_and_are_checked(tmp_path):
    d = tmp_path / "kn"
    d.mkdir()
    (d / "regions.yaml").write_text("turkic:\n  members: [UZ]\n", encoding="utf-8")
    k = load_knowledge([d])
    assert k.profile_for("KG").vector_of("UZ") == "turkic"  # moved out of central_asia
    assert k.profile_for("KZ").vector_of("UZ") == "central_asia"  # kz.yaml lists its own
    (d / "regions.yaml").write_text("turkic:\n  members: [UZ, tokayev]\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"regions.yaml: line 2: region 'turkic': 'tokayev' is a person"):
        load_knowledge([d])


def test_channel_and_region_files_do_not_change_the_fingerprint(tmp_path):
    d = tmp_path / "kn"
    d.mkdir()
    (d / "channels.yaml").write_text('"A": {kind: analyst}\n', encoding="utf-8")
    assert load_knowledge([d]).fingerprint == load_knowledge().fingerprint
