"""The report dict: no look-ahead, determinism, verbatim evidence, topics, the CLI, the sample."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from multivector.analyze.topics import TopicOptions
from multivector.analyze.trends import DEFAULT_WEIGHTS
from multivector.report.build import ReportOptions, build_report
from multivector.store.sqlite import Store
from test_analyze_corpus import Corpus, lexicon, monthly

CHANNELS = ["alpha", "beta", "gamma", "delta"]
HIDDEN = ["центр обработки данных", "искусственный интеллект", "облачные сервисы"]


def rich_corpus(c: Corpus, shuffle_seed: int | None = None) -> None:
    """Two years: steady, growing, declining themes, a burst, a subject no theme names."""
    monthly(c, 2023, 2, CHANNELS, themes={"water": "водные ресурсы"}, actors=["UZ", "KG"])
    monthly(c, 2024, 2, CHANNELS, themes={"water": "водные ресурсы"}, actors=["UZ", "KG"])
    monthly(c, 2023, 1, CHANNELS, themes={"nuclear": "атомная станция"}, actors=["RU"])
    monthly(c, 2024, 3, CHANNELS, themes={"nuclear": "атомная станция"}, actors=["RU", "CN"])
    monthly(c, 2023, 3, CHANNELS, themes={"sanctions": "вторичные санкции"}, actors=["US", "EU"])
    monthly(c, 2024, 1, CHANNELS, themes={"sanctions": "вторичные санкции"}, actors=["US"])
    monthly(c, 2024, 1, CHANNELS, themes={"trade": "товарооборот"}, actors=["CN"],
            extra=["атомная станция"])  # fmt: skip
    for i in range(14):
        c.add(CHANNELS[i % 4], date(2024, 9, 3) + timedelta(days=i % 3), themes={"summit": "саммит ШОС"},
              actors=["CN", "RU"], extra=["Си Цзиньпин прибыл в Астану", "подписана Астанинская декларация"])  # fmt: skip
    for i in range(40):
        c.add(CHANNELS[i % 4], date(2024, 1 + i % 12, 5 + i % 20), actors=["US"],
              extra=[HIDDEN[i % 3], HIDDEN[(i + 1) % 3]])  # fmt: skip
    for i in range(10):
        c.add(CHANNELS[i % 4], date(2024, 2 + i, 10), in_scope=False)


def rich_db(path):
    """A database holding the rich corpus, at `path`."""
    with Store.open(path) as store:
        c = Corpus(store)
        rich_corpus(c)
        c.flush()
    return path


@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    return rich_db(tmp_path_factory.mktemp("rich") / "r.db")


OPTS = ReportOptions(topic=TopicOptions(n_topics=6))


def _json(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2)


def _report(path: Path, year: int = 2024, **kw) -> dict:
    with Store.open(path, create=False) as store:
        return build_report(store, lexicon(), year, top=5, events=5, options=OPTS, **kw)


def test_shape_of_the_report(rich):
    r = _report(rich)
    assert r["year"] == 2024 and r["country"] == "KZ"
    assert set(r) >= {"generated_from", "trends", "events", "balance", "series", "parameters"}
    assert (
        r["generated_from"]["first_date"] == "2023-01-01" and r["generated_from"]["last_date"] <= "2024-12-31"
    )
    assert len(r["trends"]) == 5 and [t["rank"] for t in r["trends"]] == [1, 2, 3, 4, 5]
    for t in r["trends"]:
        assert set(t) >= {"theme", "label", "score", "posts", "share", "share_prev", "growth", "sources",
                          "partners", "terms", "evidence", "components", "channels", "languages", "months", "kind"}  # fmt: skip
        assert set(t["components"]) == set(DEFAULT_WEIGHTS)  # the parts of the score, each reported
        assert t["foreign_share"] == 1.0 and t["genres"] == {}  # every post about a partner; genres unknown
        assert 2 <= len(t["evidence"]) <= 3
        assert abs(sum(p["share"] for p in t["partners"]) - 1) < 1e-3
    scores = [t["score"] for t in r["trends"]]
    assert scores == sorted(scores, reverse=True)
    ranks = {t["theme"]: t["rank"] for t in r["trends"]}
    # nuclear tripled its share, all year, everywhere; water stayed; sanctions fell by two thirds
    assert ranks["nuclear"] < ranks["water"] < ranks.get("sanctions", 99)
    assert "summit" not in [t["theme"] for t in r["trends"]]
    assert r["events"] and "summit" in r["events"][0]["themes"]
    assert r["series"]["periods"][0] == "2023-01" and r["series"]["periods"][-1] == "2024-12"
    for values in (*r["series"]["vectors"].values(), *r["series"]["trends"].values()):
        assert len(values) == len(r["series"]["periods"])
    assert set(r["series"]["trends"]) == {t["theme"] for t in r["trends"]}
    assert r["parameters"]["weights"] == DEFAULT_WEIGHTS and r["domestic"] == []


def test_a_subject_no_theme_names_surfaces_as_a_topic(rich):
    r = _report(rich)
    kept = [t for t in r["topics"] if t["theme"]]
    assert any({"интеллект", "обработка", "облачный"} & set(t["terms"][:5]) for t in kept), r["topics"]
    topic_trends = [t for t in r["trends"] if t["kind"] == "topic"]
    assert topic_trends and topic_trends[0]["theme"].startswith("topic:")
    # topics that merely restate a theme are dropped, with the reason
    assert all(t["dropped"] for t in r["topics"] if not t["theme"])


def test_evidence_quotes_are_verbatim_with_post_channel_and_date(rich):
    r = _report(rich)
    with Store.open(rich, create=False) as store:
        rows = {
            pid: (ch, d[:10], text)
            for pid, ch, d, text in store.conn.execute("SELECT id, channel, date, text FROM posts")
        }
    items = [*r["trends"], *r["events"]]
    assert sum(len(i["evidence"]) for i in items) >= 10
    for item in items:
        channels = [e["channel"] for e in item["evidence"]]
        available = {rows[p][0] for p in item["post_ids"]} if "post_ids" in item else set(CHANNELS)
        assert len(set(channels)) == min(
            len(channels), len(available)
        )  # different channels while any are left
        for e in item["evidence"]:
            channel, day, text = rows[e["post_id"]]
            assert e["quote"] in text and e["channel"] == channel and e["date"] == day
    for ev in r["events"]:
        assert ev["title"] and any(ev["title"] in rows[p][2] for p in ev["post_ids"])


def test_theme_evidence_contains_the_matched_span(rich):
    r = _report(rich)
    water = next(t for t in r["trends"] if t["theme"] == "water")
    assert all("водные ресурсы" in e["quote"] for e in water["evidence"])


def test_posts_of_the_next_year_do_not_change_the_report(rich, tmp_path):
    before = _json(_report(rich))
    later = tmp_path / "later.db"
    later.write_bytes(rich.read_bytes())
    with Store.open(later) as store:
        c = Corpus(store, seed=99)
        first_2024 = store.conn.execute(
            "SELECT id, text, channel FROM posts WHERE date >= '2024-11' LIMIT 1"
        ).fetchone()
        monthly(c, 2025, 6, CHANNELS, themes={"nuclear": "атомная станция"}, actors=["CN"])
        monthly(c, 2025, 3, CHANNELS, themes={"newcomer": "новая тема"}, actors=["EU"])
        c.add("omega", "2025-01-02", text=first_2024[1])  # a 2024 post reposted in 2025
        c.flush()
        assert (
            store.conn.execute("SELECT count(*) FROM posts WHERE dup_root = ?", (first_2024[0],)).fetchone()[
                0
            ]
            == 2
        )
    assert _json(_report(later)) == before


def test_the_same_input_gives_byte_identical_json_whatever_the_ingestion_order(rich, tmp_path):
    first = _json(_report(rich))
    assert _json(_report(rich)) == first
    # the same posts written in reverse order: other rowids, same report
    other = tmp_path / "reversed.db"
    with Store.open(rich, create=False) as src, Store.open(other) as dst:
        c = Corpus(dst)
        rich_corpus(c)
        c.pending.reverse()
        c.flush()
        assert src.count_posts() == dst.count_posts()
    assert _json(_report(other)) == first


def test_an_empty_year_gives_an_empty_report(rich):
    r = _report(rich, year=2030)
    assert r["trends"] == [] and r["events"] == [] and r["series"]["periods"] == []
    assert r["balance"]["votes"] == 0 and all(p["share"] == 0 for p in r["balance"]["partners"])
    json.dumps(r)


# ---- the CLI -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    """The bundled sample corpus, ingested as `multivector demo` does."""
    from multivector.cli import sample_dir
    from multivector.pipeline import IngestOptions, ingest

    if not any(sample_dir().rglob("*.*")):
        pytest.skip("the sample corpus is not bundled yet")
    path = tmp_path_factory.mktemp("sample") / "s.db"
    with Store.open(path) as store:
        ingest(store, [sample_dir()], IngestOptions())
    return path


def _cli(*args: str):
    from multivector.cli import app

    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_report_on_the_sample_has_trends_with_quotes_events_and_balance(sample_db, tmp_path):
    out1, out2 = tmp_path / "r1.json", tmp_path / "r2.json"
    for out in (out1, out2):
        result = _cli(
            "--db", str(sample_db), "report", "--year", "2024", "--format", "json", "--out", str(out)
        )
        assert result.exit_code == 0, result.output
    assert out1.read_bytes() == out2.read_bytes()
    r = json.loads(out1.read_text())
    assert len(r["trends"]) == 5 and r["events"] and r["balance"]["partners"]
    with Store.open(sample_db, create=False) as store:
        texts = dict(store.conn.execute("SELECT id, text FROM posts"))
    for item in (*r["trends"], *r["events"]):
        if item in r["trends"]:
            assert len(item["evidence"]) >= 2
        for e in item["evidence"]:
            assert e["quote"] in texts[e["post_id"]]
    assert r["names"]  # display names from the knowledge files, for the renderer


def test_cli_commands_print_tables_and_json(sample_db):
    for command in ("trends", "events", "balance"):
        table = _cli("--db", str(sample_db), command, "--year", "2024")
        assert table.exit_code == 0, table.output
        data = _cli("--db", str(sample_db), command, "--year", "2024", "--json")
        assert data.exit_code == 0
        parsed = json.loads(data.stdout)
        assert parsed["year"] == 2024
    assert "Key trends of 2024" in _cli("--db", str(sample_db), "trends", "--year", "2024").stdout
    weeks = json.loads(
        _cli("--db", str(sample_db), "balance", "--year", "2024", "--period", "week", "--json").stdout
    )
    assert weeks["periods"][0] == "2024-W01"


def test_trend_tables_fit_an_80_column_terminal_without_breaking_ids_or_figures(sample_db, monkeypatch):
    import io

    from rich.console import Console

    from multivector import cli

    result = json.loads(_cli("--db", str(sample_db), "trends", "--year", "2024", "--json").stdout)
    assert result["trends"]
    screen = io.StringIO()
    monkeypatch.setattr(cli, "out", Console(file=screen, width=80, highlight=False))
    cli.print_trends(result)
    lines = screen.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    text = "\n".join(lines)
    for tr in result["trends"]:
        # A theme id, a score and a share change are read whole, never folded over two lines.
        assert tr["theme"] in text
        assert f"{tr['score']:.3f}" in text
        assert f"{cli._pct(tr['share_prev'])} → {cli._pct(tr['share'])}" in text


def test_cli_bad_options_are_usage_errors(sample_db):
    from multivector.cli import main

    for args in (
        ["report", "--year", "2024", "--format", "pdf"],
        ["trends", "--year", "2024", "--weight", "salience"],
        ["trends", "--year", "2024", "--weight", "nonsense=1"],
        ["balance", "--year", "2024", "--period", "day"],
        ["report", "--year", "2024", "--lang", "fr"],
    ):
        with pytest.raises(SystemExit) as e:
            import sys

            argv = sys.argv
            sys.argv = ["multivector", "--db", str(sample_db), *args]
            try:
                main()
            finally:
                sys.argv = argv
        assert e.value.code == 2, args
