"""The `multivector` command: a thin shell over the library.

Exit codes: 0 success; 1 runtime failure; 2 bad usage or bad input, with one line per
problem on stderr naming the file and the place. No traceback reaches the user unless
MULTIVECTOR_DEBUG=1 is set.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from multivector import __version__
from multivector.model import InputError, Problem, one_line
from multivector.store import Store, open_store
from multivector.store.query import QueryError

app = typer.Typer(
    name="multivector",
    help="A foreign-policy observatory: ingest channels and feeds, find actors and themes, report trends.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)

MAX_PROBLEMS_SHOWN = 50


# Options several commands share.
NoNerOpt = Annotated[bool, typer.Option("--no-ner", help="Skip named-entity recognition (the fast path).")]
NoAnnotateOpt = Annotated[
    bool, typer.Option("--no-annotate", help="Store only; tag actors and themes later.")
]
ProfileOpt = Annotated[str, typer.Option("--profile", help="Country profile for in-scope decisions.")]
EngineOpt = Annotated[
    str,
    typer.Option(
        "--engine",
        help="Where the per-post work runs: local (a pool of processes here) or dask "
        "(a Dask cluster; needs pip install 'multivector[dask]').",
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="With --engine dask: the scheduler, e.g. tcp://host:8786 (default: a local cluster of --workers).",
    ),
]


class State:
    db: str = "multivector.db"  # a file path, or a postgresql:// URL
    knowledge: tuple[Path, ...] = ()


def _version(value: bool) -> None:
    if value:
        out.print(f"multivector {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database: an SQLite file, or postgresql://user@host:port/db. "
            "Default: $MULTIVECTOR_DB or ./multivector.db.",
        ),
    ] = None,
    knowledge: Annotated[
        list[Path] | None,
        typer.Option(
            "--knowledge",
            help="A folder of your own actors.yaml/themes.yaml/cues.yaml/profiles, merged over the built-in ones.",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    State.db = db or os.environ.get("MULTIVECTOR_DB", "multivector.db")
    State.knowledge = tuple(knowledge or ())


def _open(create: bool = False, write: bool = False) -> Store:
    """The database of --db. Commands that only read pass write=False: a database on read-only
    media is then opened read-only instead of refused."""
    return open_store(State.db, create=create, read_only=not (create or write))


def _check_out(path: Path) -> None:
    """Refuse, before any work, an --out that cannot be written: one line naming the path."""
    if path.is_dir():
        raise InputError(f"{_shown(path)}: is a folder; --out wants a file name")
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"{_shown(path)}: no such folder {_shown(folder)!r}; create it first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{_shown(path)}: cannot write here (the folder {_shown(folder)!r} is read-only)")
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"{_shown(path)}: cannot write here (the file is read-only)")


def _output_error(path: Path, exc: OSError) -> InputError:
    return InputError(f"{_shown(path)}: cannot write ({exc.strerror or exc})")


def _shown(path: Path) -> str:
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _problem_printer():
    shown = 0

    def show(p: Problem) -> None:
        nonlocal shown
        shown += 1
        if shown <= MAX_PROBLEMS_SHOWN:
            err.print(str(p), markup=False)
        elif shown == MAX_PROBLEMS_SHOWN + 1:
            err.print("... more problems follow; see the summary", markup=False)

    return show


def _parse_map(items: list[str]) -> dict[str, str]:
    mapping = {}
    for item in items:
        key, sep, column = item.partition("=")
        if not sep or not key or not column:
            raise InputError(f"--map {item!r}: expected FIELD=COLUMN, e.g. --map text=Body")
        mapping[key.strip()] = column.strip()
    return mapping


def run_ingest(store: Store, paths: list[Path], options) -> int:
    """Ingest with a progress bar and a summary; returns the exit code."""
    from multivector import pipeline

    show_problem = _problem_printer()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[posts]} posts"), TimeElapsedColumn(), console=err, transient=True,
        refresh_per_second=4,  # the bar's thread competes with the writer for the interpreter
    ) as bar:  # fmt: skip
        task = bar.add_task("reading", total=None, posts=0)
        done = {"posts": 0}

        def on_file(path: Path, index: int, total: int) -> None:
            bar.update(task, description=f"{path.name[:40]}", completed=index, total=total)

        def on_batch(n: int) -> None:
            done["posts"] += n
            bar.update(task, posts=done["posts"])

        progress = pipeline.Progress(on_file=on_file, on_batch=on_batch, on_problem=show_problem)
        try:
            report = pipeline.ingest(store, paths, options, progress)
        except KeyboardInterrupt:
            bar.stop()
            err.print("interrupted: every batch written so far is kept; run the same command again to finish")
            raise typer.Exit(130) from None
        bar.update(task, completed=report.files)
    err.print(
        f"{_n(report.files, 'file')}, {_n(report.read, 'post')} read: {report.new} new, {report.updated} updated, "
        f"{report.unchanged} unchanged; {_n(report.service, 'service message')} skipped; "
        f"{_n(len(report.problems), 'problem')}",
        markup=False,
    )
    return 2 if report.problems else 0


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to read.")],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="telegram-json | telegram-html | text | table | feed | parquet (default: detect)"
        ),
    ] = None,
    channel: Annotated[str | None, typer.Option(help="Channel name for posts whose file has none.")] = None,
    on_date: Annotated[
        str | None, typer.Option("--date", help="YYYY-MM-DD for posts whose file has no date.")
    ] = None,
    field_map: Annotated[
        list[str] | None, typer.Option("--map", help="FIELD=COLUMN for tables, e.g. text=Body.")
    ] = None,
    no_annotate: NoAnnotateOpt = False,
    no_ner: NoNerOpt = False,
    workers: Annotated[int, typer.Option(help="Worker processes (0: one per core for large inputs).")] = 0,
    profile: ProfileOpt = "kz",
    engine: EngineOpt = "local",
    scheduler: SchedulerOpt = None,
) -> None:
    """Read Telegram exports, pasted posts, tables, feeds and Parquet files into the database."""
    from multivector.pipeline import AnnotateOptions, IngestOptions
    from multivector.sources import FORMATS

    if fmt and fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    _check_engine(engine, scheduler)
    default_date = None
    if on_date:
        try:
            default_date = date.fromisoformat(on_date)
        except ValueError:
            raise InputError(f"--date {on_date!r}: expected YYYY-MM-DD") from None
    for p in paths:
        if not p.exists():
            raise InputError(f"{p}: no such file or folder")
    options = IngestOptions(
        fmt=fmt, channel=channel, default_date=default_date, field_map=_parse_map(field_map or []),
        annotate=AnnotateOptions(enabled=not no_annotate, ner=not no_ner, knowledge_dirs=State.knowledge, profile=profile),
        workers=workers, engine=engine, scheduler=scheduler,
    )  # fmt: skip
    with _open(create=True) as store:
        code = run_ingest(store, paths, options)
    raise typer.Exit(code)


def _check_engine(engine: str, scheduler: str | None) -> None:
    """Refuse a wrong engine, or a scheduler without Dask, before any work."""
    from multivector.pipeline import ENGINES

    if engine not in ENGINES:
        raise InputError(f"--engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if scheduler and engine != "dask":
        raise InputError("--scheduler is for --engine dask")


@app.command()
def annotate(
    since: Annotated[str | None, typer.Option(help="Only posts dated from YYYY-MM-DD.")] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Redo every post, not only those annotated with other knowledge.")
    ] = False,
    no_ner: NoNerOpt = False,
    workers: Annotated[int, typer.Option(help="Worker processes (0: one per core for large databases).")] = 0,
    profile: ProfileOpt = "kz",
    engine: EngineOpt = "local",
    scheduler: SchedulerOpt = None,
) -> None:
    """Tag stored posts again after actors.yaml/themes.yaml changed, without re-reading the sources."""
    from multivector.pipeline import AnnotateOptions, reannotate

    _check_engine(engine, scheduler)
    if since:
        try:
            date.fromisoformat(since)
        except ValueError:
            raise InputError(f"--since {since!r}: expected YYYY-MM-DD") from None
    options = AnnotateOptions(ner=not no_ner, knowledge_dirs=State.knowledge, profile=profile)
    with _open(write=True) as store:
        total = store.count_posts()
        with Progress(
            SpinnerColumn(), TextColumn("annotating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=err, transient=True,
        ) as bar:  # fmt: skip
            task = bar.add_task("annotating", total=total)
            try:
                n = reannotate(store, options, since=since, everything=everything, workers=workers,
                               on_batch=lambda k: bar.advance(task, k), engine=engine, scheduler=scheduler)  # fmt: skip
            except KeyboardInterrupt:
                bar.stop()
                err.print(
                    "interrupted: every batch written so far is kept; run the same command again to finish"
                )
                raise typer.Exit(130) from None
    err.print(f"{n} of {total} posts annotated (the rest were up to date with these knowledge files)")


def _snippet(text: str, lang: str | None, query: str, width: int = 160) -> str:
    from multivector.annotate.tokens import tokens
    from multivector.store.query import query_lemma_set

    wanted = query_lemma_set(query)
    hit = next((t for t in tokens(text, lang) if t.lemma in wanted), None)
    start = max(0, (hit.start if hit else 0) - width // 3)
    piece = text[start : start + width].replace("\n", " ")
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Words in any form; "a phrase", OR, NOT, prefix*.')],
    limit: Annotated[int, typer.Option(help="At most this many results.")] = 20,
    actor: Annotated[
        list[str] | None, typer.Option(help="Only posts mentioning this actor id (repeatable).")
    ] = None,
    theme: Annotated[list[str] | None, typer.Option(help="Only posts on this theme id (repeatable).")] = None,
    about: Annotated[
        bool,
        typer.Option(
            "--about", help="--actor and --theme match only posts about them, not a mention in passing."
        ),
    ] = False,
    lang: Annotated[
        list[str] | None, typer.Option(help="Only posts in this language: ru, kk, en ...")
    ] = None,
    channel: Annotated[
        list[str] | None, typer.Option(help="Only posts of this channel (repeatable).")
    ] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="From this date (YYYY-MM-DD).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Up to this date, inclusive.")] = None,
    voice: Annotated[
        str | None,
        typer.Option(
            "--voice", help="Only posts of channels of this kind: official, analyst, aggregator, media ..."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for scripts.")] = False,
) -> None:
    """Full-text search that understands Russian, Kazakh and English word forms.

    Best matches first; a query without filters ranks its 20,000 most recently stored matches.

    A filter or dates rank every match."""
    from multivector.store.base import SearchFilters

    for name, value in (("--from", date_from), ("--to", date_to)):
        if value:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise InputError(f"{name} {value!r}: expected YYYY-MM-DD") from None
    filters = SearchFilters(
        actors=actor or [], themes=theme or [], langs=lang or [], channels=channel or [],
        date_from=date_from, date_to=date_to,
    )  # fmt: skip
    with _open() as store:
        if voice:
            filters.channels = _voice_channels(store, voice, filters.channels)
        rows = store.search(query, limit, filters, about=about) if filters.channels or not voice else []
        ids = [r["id"] for r in rows]
        actors, themes = store.actors_of(ids), store.themes_of(ids)
    results = [
        {
            "id": r["id"],
            "channel": r["channel"],
            "date": r["date"],
            "lang": r["lang"],
            "duplicate_of": r["dup_root"] if r["dup_root"] != r["id"] else None,
            "score": round(r["score"], 4),
            "actors": actors[r["id"]],
            "themes": themes[r["id"]],
            "text": r["text"],
        }  # fmt: skip
        for r in rows
    ]
    if as_json:
        out.print_json(json.dumps(results, ensure_ascii=False))
        return
    if not results:
        err.print(f"no posts match {query!r}", markup=False)
        return
    table = Table(title=f"{len(results)} posts for {query!r}", show_lines=True)
    for col in ("date", "channel", "lang", "text"):
        table.add_column(col, overflow="fold")
    for r, row in zip(results, rows, strict=True):
        dup = " (copy)" if r["duplicate_of"] else ""
        table.add_row(
            (r["date"] or "—")[:10],
            Text(r["channel"] + dup) + Text("\n" + r["id"], style="dim"),
            r["lang"] or "",
            _snippet(row["text"], r["lang"], query),
        )
    out.print(table)


@app.command()
def explain(
    post_id: Annotated[
        str | None, typer.Argument(help="A stored post's id (search shows it under the channel).")
    ] = None,
    text: Annotated[
        str | None,
        typer.Option(
            "--text", help="Explain this text instead, as ingest would tag it ('-': standard input)."
        ),
    ] = None,
    profile: Annotated[str, typer.Option(help="With --text: the country profile to tag with.")] = "kz",
    as_json: Annotated[bool, typer.Option("--json", help="JSON for scripts.")] = False,
) -> None:
    """Why a post is tagged as it is: its scope with the reason, each actor's salience and
    spelling, each theme's score and the words that carried it.

    A stored post shows its tags as stored, corrections included; --text tags any text now."""
    from multivector.explain import explain_detail, explain_text
    from multivector.pipeline import AnnotateOptions

    if (post_id is None) == (text is None):
        raise InputError(
            "explain: give a post id or --text, not both" if post_id else "explain: give a post id or --text"
        )
    if text is not None:
        options = AnnotateOptions(ner=False, knowledge_dirs=State.knowledge, profile=profile)
        found = explain_text(sys.stdin.read() if text == "-" else text, options)
    else:
        with _open() as store:
            detail = store.post_detail(post_id)
        if detail is None:
            raise InputError(
                f"{store.location}: no post {post_id!r} (search shows post ids under the channel)"
            )
        found = explain_detail(detail, _knowledge())
    if as_json:
        out.print_json(json.dumps(found, ensure_ascii=False))
        return
    print_explanation(found)


def print_explanation(found: dict) -> None:
    head = [
        found["id"] or "text",
        found["channel"],
        (found["date"] or "")[:10],
        found["lang"],
        found["genre"],
    ]
    out.print(" · ".join(str(x) for x in head if x), markup=False, highlight=False)
    if found["scope_reason"]:
        out.print(found["scope_reason"], markup=False, highlight=False)
    else:
        scope = {True: "in scope", False: "out of scope", None: "not annotated"}[found["in_scope"]]
        out.print(scope, markup=False)
    snippet = " ".join(found["text"].split())
    out.print(Text(snippet[:300] + ("…" if len(snippet) > 300 else ""), style="dim"))
    _print_tags("Actors", found["actors"], "actor", "salience", "named_as", "named as")
    _print_tags("Themes", found["themes"], "theme", "score", "evidence", "words that carried it")
    for c in found["corrections"]:
        out.print(
            f"correction {c['id']}: {c['action']} {c['field']} {c['value']}"
            + (f" ({c['note']})" if c.get("note") else ""),
            markup=False,
        )


def _print_tags(title: str, rows: list[dict], key: str, weight: str, words: str, words_header: str) -> None:
    """One table of an explanation: the tags, subjects first, with their weight and words."""
    if not rows:
        out.print(f"{title}: none found", markup=False)
        return
    table = Table(title=f"{title}: what the post is about first, by {weight}")
    for col in (key, "name", "about", weight, words_header):
        table.add_column(col, overflow="fold")
    for r in rows:
        w = "—" if r[weight] is None else f"{r[weight]:.2f}"
        table.add_row(r[key], r["name"], "yes" if r["about"] else "no", w, ", ".join(r[words]))
    out.print(table)


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="JSON for scripts.")] = False,
    profile: ProfileOpt = "kz",
) -> None:
    """What the database holds: posts per channel, language and month; duplicates; actors, vectors, themes."""
    with _open() as store:
        s = _stats(store, profile)
    if as_json:
        s = {k: ([list(r) for r in v] if isinstance(v, list) else v) for k, v in s.items()}
        out.print_json(json.dumps(s, ensure_ascii=False))
        return
    print_stats(s)


def _stats(store: Store, profile: str = "kz") -> dict:
    """The store's figures plus posts per partner vector of the profile."""
    s = store.stats()
    resolver = _knowledge().profile(profile)
    known = store.known_actors()
    s["top_vectors"] = store.vector_counts({a: resolver.vectors_of(a) for a in known})
    return s


def _n(count: int, noun: str, plural: str | None = None) -> str:
    """'1 post', '3 posts', '1 body' / '2 bodies' (with `plural`)."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def print_stats(s: dict) -> None:
    out.print(
        f"[bold]{_n(s['posts'], 'post')}[/] in {_n(s['channels'], 'channel')}, "
        f"{s['first_date'] or '—'} .. {s['last_date'] or '—'}; "
        f"{s['undated']} undated, {s['empty_text']} without text (media only)"
    )
    out.print(
        f"duplicates: {_n(s['duplicates'], 'post')} in {_n(s['duplicate_groups'], 'group')} "
        f"(largest {s['largest_group']}); {_n(s['forwards'], 'forward')}; "
        f"{_n(s['repeated_bodies'], 'body', 'bodies')} pasted twice; "
        f"{_n(s['service_messages'], 'service message')} skipped"
    )
    if s["annotated"]:
        out.print(f"annotated: {s['annotated']}; in scope {s['in_scope']}, off-topic {s['off_topic']}")
    for title, rows in (("channel", s["by_channel"]), ("language", s["by_lang"]), ("month", s["by_month"])):
        table = Table(title=f"posts by {title}")
        table.add_column(title)
        table.add_column("posts", justify="right")
        for key, n in rows:
            table.add_row(str(key), str(n))
        out.print(table)
    for title, rows in (
        ("actors", s["top_actors"]),
        ("vectors", s["top_vectors"]),
        ("themes", s["top_themes"]),
    ):
        if rows:
            table = Table(title=f"top {title}")
            table.add_column(title[:-1])
            table.add_column("posts", justify="right")
            for key, n in rows:
                table.add_row(str(key), str(n))
            out.print(table)


@app.command()
def export(
    fmt: Annotated[str, typer.Option("--format", help="jsonl | csv | parquet")] = "jsonl",
    out_path: Annotated[
        Path | None,
        typer.Option("--out", help="File to write (default: standard output; required for parquet)."),
    ] = None,
) -> None:
    """Every post with its actors, themes and mentions (the formats are in docs/contracts.md)."""
    from multivector.report.export import write_export

    if fmt not in ("jsonl", "csv", "parquet"):
        raise InputError(f"--format {fmt!r}: expected jsonl, csv or parquet")
    if fmt == "parquet" and out_path is None:
        raise InputError("--format parquet needs --out FILE")
    if out_path is not None:
        _check_out(out_path)
    with _open() as store:
        try:
            n = write_export(store, fmt, out_path)
        except OSError as e:
            if out_path is None:
                raise
            raise _output_error(out_path, e) from None
    err.print(f"{n} posts exported" + (f" to {out_path}" if out_path else ""))


DEMO_YEAR = 2024  # the bundled sample covers 2023 and 2024


def sample_dir() -> Path:
    from importlib.resources import files

    return Path(str(files("multivector") / "sample"))


@app.command()
def demo(
    folder: Annotated[Path, typer.Option("--dir", help="Where to put the demo database and report.")] = Path(
        "multivector-demo"
    ),
) -> None:
    """Build a fresh database from the bundled sample corpus and show what multivector does."""
    from multivector.pipeline import AnnotateOptions, IngestOptions

    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "multivector.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    State.db = str(db)
    out.print(f"[bold]multivector demo[/]: reading the bundled sample into {db}")
    with _open(create=True) as store:
        code = run_ingest(
            store, [sample_dir()], IngestOptions(annotate=AnnotateOptions(knowledge_dirs=State.knowledge))
        )
        print_stats(_stats(store))
        query = "ядерный OR nuclear OR ядролық"
        rows = store.search(query, 5)
    table = Table(title=f"search: {query}")
    for col in ("date", "channel", "text"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row((r["date"] or "")[:10], r["channel"], _snippet(r["text"], r["lang"], query, 120))
    out.print(table)

    from multivector.report import render
    from multivector.report.build import build_report

    year, country = DEMO_YEAR, "KZ"
    with _open() as store:
        data = build_report(store, _knowledge(), year, country)
    stem = folder / f"report-{year}-{country}"
    _dump_json(data, stem.with_suffix(".json"))
    stem.with_suffix(".md").write_text(render.render_markdown(data, "en"), encoding="utf-8")
    stem.with_suffix(".html").write_text(render.render_html(data, "en"), encoding="utf-8")
    print_trends(data)
    out.print(f"report written to {stem}.md, .html and .json (open the .html in a browser)")
    out.print(f"try: multivector --db {db} search 'Қытай' --limit 5")
    out.print(f"     multivector --db {db} report --year {year} --lang ru --format html --out report-ru.html")
    if code:
        raise typer.Exit(code)


@app.command()
def collect(
    sources: Annotated[
        Path, typer.Option("--sources", help="The list of feeds and channels (see docs/collect.md).")
    ] = Path("sources.yaml"),
    since: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD: store nothing older (a first run of a long channel).")
    ] = None,
    only: Annotated[list[str] | None, typer.Option(help="Only this source name (repeatable).")] = None,
    watch: Annotated[
        float | None, typer.Option(help="Collect again every MINUTES until Ctrl-C.", metavar="MINUTES")
    ] = None,
    no_annotate: NoAnnotateOpt = False,
    no_ner: NoNerOpt = False,
    profile: ProfileOpt = "kz",
) -> None:
    """Fetch what is new in the feeds and Telegram channels of sources.yaml (cron or --watch)."""
    from multivector.collect import run_cli
    from multivector.pipeline import AnnotateOptions, IngestOptions

    options = IngestOptions(
        annotate=AnnotateOptions(
            enabled=not no_annotate, ner=not no_ner, knowledge_dirs=State.knowledge, profile=profile
        )
    )
    code = run_cli(
        State.db, sources, only=only, since=since, watch_minutes=watch, ingest=options, console=err
    )
    raise typer.Exit(code)


# ---- analysis: trends, events, balance, report ----------------------------------------------
def _analysis_year(store: Store, year: int | None) -> int:
    """The year asked for, or the year of the latest dated post."""
    if year is not None:
        if not 1900 <= year <= 2999:
            raise InputError(f"--year {year}: expected a four-digit year")
        return year
    latest = store.latest_date()
    if not latest:
        raise InputError(f"{State.db}: no dated posts; ingest something first")
    return int(latest[:4])


def _analysis_period(
    store: Store, year: int | None, period: str | None = None, date_from: str | None = None,
    date_to: str | None = None,
):  # fmt: skip
    """The period asked for (--year, --period or --from/--to), or the year of the latest post."""
    from multivector.analyze.period import between, parse_period
    from multivector.analyze.period import year as year_period

    given = [
        name
        for name, v in (("--year", year), ("--period", period), ("--from/--to", date_from or date_to))
        if v
    ]
    if len(given) > 1:
        raise InputError(f"{' and '.join(given)}: give one of them (the period to analyse)")
    if period:
        try:
            return parse_period(period)
        except ValueError as e:
            raise InputError(f"--period {e}") from None
    if date_from or date_to:
        if not (date_from and date_to):
            raise InputError("--from and --to go together: --from 2024-03-01 --to 2024-05-15")
        try:
            return between(date_from, date_to)
        except ValueError as e:
            raise InputError(f"--from/--to {e}") from None
    return year_period(_analysis_year(store, year))


def _voice_channels(store: Store, voice: str, only: list[str]) -> list[str]:
    """The channels of the wanted voice (within `only`, when given); a note when there are none."""
    from multivector.analyze.voices import channel_voices
    from multivector.knowledge.channels import check_voice, voice_matches

    check_voice(voice)
    voices = channel_voices(store, _knowledge().channels)
    chosen = [ch for ch, v in voices.items() if voice_matches(voice, v.kind) and (not only or ch in only)]
    if not chosen:
        err.print(
            f"no channel has the voice {voice!r} (channels.yaml, or the guess from genres)", markup=False
        )
    return chosen


def _print_coverage(result: dict) -> None:
    for warning in (result.get("coverage") or {}).get("warnings") or []:
        err.print(f"warning: {warning}", markup=False)


def _labels(result: dict) -> tuple[str, str]:
    """The period and the one it is compared with, as labels (2024-Q3, 2024-Q2)."""
    cur = (result.get("period") or {}).get("label") or str(result.get("year"))
    prev = (result.get("period_prev") or {}).get("label") or str(int(result.get("year") or 1) - 1)
    return cur, prev


def _parse_weights(items: list[str] | None) -> dict[str, float] | None:
    if not items:
        return None
    from multivector.analyze.trends import check_weights

    weights: dict[str, float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            weights[key.strip()] = float(value)
        except ValueError:
            raise InputError(f"--weight {item!r}: expected NAME=NUMBER, e.g. --weight change=0.4") from None
        if not sep:
            raise InputError(f"--weight {item!r}: expected NAME=NUMBER, e.g. --weight change=0.4")
    try:
        return check_weights(weights)
    except ValueError as e:
        raise InputError(f"--weight: {e}") from None


_LOADED: dict = {}


def _knowledge():
    """The knowledge files of --knowledge, loaded once per command."""
    from multivector.knowledge import load_knowledge

    if State.knowledge not in _LOADED:
        _LOADED[State.knowledge] = load_knowledge(State.knowledge)
    return _LOADED[State.knowledge]


def _check_country(country: str, voice: str | None = None) -> None:
    """An unknown --country (or --voice) fails before any work, in one line."""
    from multivector.knowledge.channels import check_voice

    _knowledge().profile_for(country)
    if voice is not None:
        check_voice(voice)


def _check_lang(lang: str) -> None:
    from multivector.report.labels import LANGS

    if lang not in LANGS:
        raise InputError(f"--lang {lang!r}: expected {', '.join(LANGS)}")


def _dump_json(data: dict, path: Path | None = None) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if path is None:
        sys.stdout.write(text)
    else:
        _write_out(path, text)


def _write_out(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise _output_error(path, e) from None


def _pct(x: float | None) -> str:
    from multivector.report.render import fmt_pct

    return fmt_pct(x, "en")


YearOpt = Annotated[
    int | None, typer.Option("--year", help="The year to analyse (default: the latest year with posts).")
]
PeriodOpt = Annotated[
    str | None,
    typer.Option(
        "--period", help="The period to analyse: 2024, 2024-Q3 or 2024-07 (against the one before)."
    ),
]
FromOpt = Annotated[str | None, typer.Option("--from", help="Analyse from this day (YYYY-MM-DD), with --to.")]
ToOpt = Annotated[str | None, typer.Option("--to", help="... up to this day, inclusive.")]
VoiceOpt = Annotated[
    str | None,
    typer.Option(
        "--voice",
        help="Only posts of channels of this kind: official, state_media, independent_media, analyst, "
        "aggregator, foreign_media, or media (every newsroom).",
    ),
]
CountryOpt = Annotated[
    str, typer.Option("--country", help="Focus country (ISO code of actors.yaml: KZ, RU, UZ ...).")
]
LangOpt = Annotated[str, typer.Option("--lang", help="Language of labels: en, ru or kk.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON for scripts.")]
WeightOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--weight",
        help="Trend score weight NAME=NUMBER (salience, persistence, breadth, reflection, concentration, "
        "change; defaults 0.2, 0.2, 0.2, 0.15, 0.15, 0.1); repeatable.",
    ),
]


@app.command()
def trends(
    year: YearOpt = None,
    country: CountryOpt = "KZ",
    top: Annotated[int, typer.Option("--top", help="How many trends.")] = 10,
    weight: WeightOpt = None,
    lang: LangOpt = "en",
    as_json: JsonOpt = False,
    period: PeriodOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    voice: VoiceOpt = None,
) -> None:
    """Key trends of a period: themes and topics ranked against the period before, with their parts."""
    from multivector.report.build import build_trends

    _check_lang(lang)
    weights = _parse_weights(weight)
    _check_country(country, voice)
    with _open() as store:
        p = _analysis_period(store, year, period, date_from, date_to)
        result = build_trends(store, _knowledge(), p, country, top, weights, lang, voice=voice)
    if as_json:
        _dump_json(result)
        return
    _print_coverage(result)
    print_trends(result)


# The score components' column heads in the "why" table: short, so that the table fits an
# 80-column terminal beside the longest theme id; the caption spells them out.
COMPONENT_HEADS = {
    "salience": "sal.", "persistence": "pers.", "breadth": "breadth", "reflection": "refl.",
    "concentration": "conc.", "change": "chg.",
}  # fmt: skip


def print_trends(result: dict, _year: int | None = None) -> None:
    """The trends of a report (or of `build_trends`) as Rich tables: the ranking, why each trend
    scored as it did, and its key terms. Figures never wrap: the words take what width is left."""
    y, y0 = _labels(result)
    if not result["trends"]:
        err.print(f"no trends for {y}: no in-scope posts with themes in that period", markup=False)
        return
    unit = (result.get("period") or {}).get("unit") or "month"
    table = Table(title=f"Key trends of {y} ({result['country']}), against {y0}")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("trend (partners)")
    for col in ("score", "posts", f"share {y0}\n→ {y}", "channels", f"{unit}s"):
        table.add_column(col, justify="right", no_wrap=True)
    for tr in result["trends"]:
        partners = ", ".join(f"{p['vector']} {100 * p['share']:.0f}%" for p in tr["partners"][:3])
        label = Text(tr["label"])
        if partners:
            label.append("\n" + partners, style="dim")
        table.add_row(
            str(tr["rank"]),
            label,
            f"{tr['score']:.3f}",
            str(tr["posts"]),
            f"{_pct(tr['share_prev'])} → {_pct(tr['share'])}",
            str(tr["sources"]),
            f"{tr['months']}/{tr['months_total']}",
        )
    out.print(table)
    names = [k for k in COMPONENT_HEADS if k in result["trends"][0]["components"]]
    legend = ", ".join(f"{COMPONENT_HEADS[k]} {k}" for k in names if COMPONENT_HEADS[k] != k)
    parts = Table(
        title="Why: the score's components",
        caption=f"{legend}; concentration enters the score as 1 − concentration",
    )
    parts.add_column("#", justify="right", no_wrap=True)
    parts.add_column("id", no_wrap=True)
    for k in names:
        parts.add_column(COMPONENT_HEADS[k], justify="right", no_wrap=True)
    terms = Table(title="Key terms")
    terms.add_column("#", justify="right", no_wrap=True)
    terms.add_column("terms")
    for tr in result["trends"]:
        c = tr["components"]
        parts.add_row(str(tr["rank"]), tr["theme"], *(f"{c[k]:.2f}" for k in names))
        terms.add_row(str(tr["rank"]), ", ".join(tr["terms"][:4]))
    out.print(parts)
    out.print(terms)
    if result["bursts"]:
        out.print(
            "[dim]single bursts, left to the events list: "
            + ", ".join(b["theme"] for b in result["bursts"])
            + "[/]"
        )
    if result.get("domestic"):
        out.print(
            "[dim]not foreign policy (too few posts about a foreign actor): "
            + ", ".join(f"{d['theme']} ({100 * d['foreign_share']:.0f}%)" for d in result["domestic"])
            + "[/]"
        )


@app.command()
def events(
    year: YearOpt = None,
    country: CountryOpt = "KZ",
    top: Annotated[int, typer.Option("--events", "--top", help="How many events.")] = 10,
    lang: LangOpt = "en",
    as_json: JsonOpt = False,
    period: PeriodOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    voice: VoiceOpt = None,
) -> None:
    """Top events of a period: bursts of posts about one happening, ranked by importance."""
    from multivector.report.build import build_events

    _check_lang(lang)
    _check_country(country, voice)
    with _open() as store:
        p = _analysis_period(store, year, period, date_from, date_to)
        result = build_events(store, _knowledge(), p, country, top, lang, voice=voice)
    if as_json:
        _dump_json(result)
        return
    _print_coverage(result)
    y, _ = _labels(result)
    if not result["events"]:
        err.print(f"no events found in {y}", markup=False)
        return
    table = Table(title=f"Top events of {y} ({result['country']})", show_lines=True)
    for col, justify in (("#", "right"), ("dates", "left"), ("event", "left"), ("posts", "right"),
                         ("sources", "right"), ("actors", "left"), ("score", "right")):  # fmt: skip
        table.add_column(col, justify=justify, overflow="fold")
    for ev in result["events"]:
        dates = (
            ev["date_start"]
            if ev["date_start"] == ev["date_end"]
            else f"{ev['date_start']}\n{ev['date_end']}"
        )
        table.add_row(
            str(ev["rank"]), dates, ev["title"], str(ev["posts"]), str(ev["sources"]),
            ", ".join(ev["actors"][:6]), f"{ev['score']:.3f}",
        )  # fmt: skip
    out.print(table)


@app.command()
def balance(
    year: YearOpt = None,
    country: CountryOpt = "KZ",
    period: PeriodOpt = None,
    series: Annotated[
        str | None, typer.Option("--series", help="month or week: the unit of the series of shares.")
    ] = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    voice: VoiceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Partner balance: each vector's share of attention, entropy and HHI, against the period before."""
    from multivector.report.build import build_balance

    if period in ("month", "week"):  # --period used to name the series' unit
        if series and series != period:
            raise InputError(
                f"--period {period} --series {series}: --period names the period analysed (2024, 2024-Q3, "
                "2024-07); the series' unit is --series"
            )
        err.print(
            f"note: --period {period} now reads as --series {period}; --period names the period analysed "
            "(2024, 2024-Q3, 2024-07)",
            markup=False,
        )
        series, period = period, None
    series = series or "month"
    if series not in ("month", "week"):
        raise InputError(f"--series {series!r}: expected month or week")
    _check_country(country, voice)
    with _open() as store:
        p = _analysis_period(store, year, period, date_from, date_to)
        result = build_balance(store, _knowledge(), p, country, series, voice=voice)
    if as_json:
        _dump_json(result)
        return
    _print_coverage(result)
    y, y0 = _labels(result)
    if not result["partners"] or not result["votes"]:
        err.print(f"no partner mentions in in-scope posts of {y}", markup=False)
        return
    table = Table(title=f"Partner balance of {result['country']}, {y} against {y0}")
    for col, justify in (("vector", "left"), (f"share {y0}", "right"), (f"share {y}", "right"),
                         ("shift", "right"), (f"posts {y}", "right")):  # fmt: skip
        table.add_column(col, justify=justify)
    for p in result["partners"]:
        shift = p["shift"]  # None: the comparison period holds no partner vote
        color = "dim" if shift is None or abs(shift) <= 0.005 else ("green" if shift > 0 else "red")
        table.add_row(
            p["vector"],
            _pct(p["share_prev"]),
            _pct(p["share"]),
            f"[{color}]{'—' if shift is None else f'{100 * shift:+.1f} pp'}[/]",
            str(p["posts"]),
        )
    out.print(table)

    def fmt(x: float | None) -> str:
        return "—" if x is None else f"{x:.3f}"

    out.print(
        f"entropy (1 = evenly spread over {result['vectors_in_profile']} vectors): {fmt(result['entropy_prev'])} → "
        f"{fmt(result['entropy'])};  HHI (1 = one vector takes all): {fmt(result['hhi_prev'])} → {fmt(result['hhi'])}"
    )
    by = Table(title=f"vector shares by {series}")
    by.add_column(series)
    top_vectors = [p["vector"] for p in result["partners"][:6]]
    for v in top_vectors:
        by.add_column(v, justify="right")
    for i, label in enumerate(result["periods"]):
        by.add_row(label, *(_pct(result["series"][v][i]) for v in top_vectors))
    out.print(by)


@app.command()
def report(
    year: YearOpt = None,
    country: CountryOpt = "KZ",
    top: Annotated[int, typer.Option("--top", help="How many trends.")] = 5,
    n_events: Annotated[int, typer.Option("--events", help="How many events.")] = 10,
    fmt: Annotated[str, typer.Option("--format", help="md | html | json")] = "md",
    out_path: Annotated[
        Path | None,
        typer.Option("--out", help="File to write, e.g. report-2024-Q3-UZ.html (default: standard output)."),
    ] = None,
    lang: LangOpt = "en",
    weight: WeightOpt = None,
    period: PeriodOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    voice: VoiceOpt = None,
) -> None:
    """The analyst's note of a period (a year by default): key trends, top events and partner
    balance, with quotes, against the period before."""
    from multivector.report.build import build_report

    if fmt not in ("md", "html", "json"):
        raise InputError(f"--format {fmt!r}: expected md, html or json")
    _check_lang(lang)
    if top < 1 or n_events < 0:
        raise InputError("--top must be at least 1 and --events at least 0")
    weights = _parse_weights(weight)
    if out_path is not None:
        _check_out(out_path)
    _check_country(country, voice)
    with _open() as store:
        p = _analysis_period(store, year, period, date_from, date_to)
        data = build_report(store, _knowledge(), p, country, top, n_events, weights, lang, voice=voice)
    if fmt == "json":
        _dump_json(data, out_path)
    else:
        from multivector.report import render

        text = render.render_markdown(data, lang) if fmt == "md" else render.render_html(data, lang)
        if out_path is None:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        else:
            _write_out(out_path, text)
    if out_path is not None:
        err.print(f"report for {p.label} ({data['country']}) written to {out_path}", markup=False)


# ---- the dashboard, and corrections to the machine's tags -------------------------------------
EDIT_TOKEN_ENV = "MULTIVECTOR_EDIT_TOKEN"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.command()
def migrate(
    to: Annotated[
        str, typer.Option("--to", help="The PostgreSQL database to fill: postgresql://user@host:5432/db.")
    ],
) -> None:
    """Copy the --db SQLite file into an empty PostgreSQL database: every post, tag, duplicate
    group and correction as it is (see docs/deploy.md)."""
    from multivector.store import is_server_url
    from multivector.store.migrate import TABLES
    from multivector.store.migrate import migrate as copy_database
    from multivector.store.postgres import shown_url

    if not is_server_url(to):
        raise InputError(f"--to {to!r}: expected a PostgreSQL URL such as postgresql://user@host:5432/db")
    if is_server_url(State.db):
        raise InputError(f"--db {shown_url(str(State.db))}: migrate reads an SQLite file (--db FILE)")
    with _open() as source, Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err, transient=True,
    ) as bar:  # fmt: skip
        tasks = {t: bar.add_task(t, total=None) for t in TABLES}

        def on_rows(table: str, done: int, total: int) -> None:
            bar.update(tasks[table], completed=done, total=total)

        try:
            report = copy_database(source, to, on_rows)
        except KeyboardInterrupt:
            bar.stop()
            err.print("interrupted: nothing was kept on the server; run the same command again")
            raise typer.Exit(130) from None
    rows = ", ".join(f"{n} {t}" for t, n in report.rows.items() if n)
    err.print(f"copied {report.posts} posts into {shown_url(to)} ({rows})", markup=False)


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on. Anything but loopback exposes the database.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free port; the URL is printed).")] = 8000,
    edit_token: Annotated[
        str | None,
        typer.Option(
            "--edit-token", help=f"Allow corrections to whoever gives this token (or set ${EDIT_TOKEN_ENV})."
        ),
    ] = None,
    country: CountryOpt = "KZ",
    profile: ProfileOpt = "kz",
    allow_host: Annotated[
        list[str] | None,
        typer.Option("--allow-host", help="Another Host name the server answers to (repeatable)."),
    ] = None,
    no_warm: Annotated[
        bool, typer.Option("--no-warm", help="Do not compute the latest year's analysis at start.")
    ] = False,
    no_ner: Annotated[
        bool,
        typer.Option("--no-ner", help="Re-tag posts whose correction is withdrawn without NER (faster)."),
    ] = False,
) -> None:
    """The dashboard and JSON API in a browser: search, trends, events, posts, corrections."""
    import socket

    token = edit_token or os.environ.get(EDIT_TOKEN_ENV) or None
    if token is not None and len(token) < 8:
        raise InputError("--edit-token: use at least 8 characters (a long random string is best)")
    if not 0 <= port <= 65535:
        raise InputError(f"--port {port}: expected 0 to 65535")
    open_store(State.db, create=False).close()  # a missing or foreign database fails here, in one line
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Connections inherit it: without it a small answer on a kept-alive connection waits 40 ms
    # for the client's delayed ACK (headers and body go out as two writes).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise InputError(
            f"--host {host} --port {port}: cannot listen there ({e.strerror or e}); choose another --port"
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    bound = sock.getsockname()[1]
    loopback = host in LOOPBACK or host.startswith("127.")
    hosts = ["*"] if not loopback and not allow_host else [*LOOPBACK, "[::1]", host, *(allow_host or [])]
    serve_dashboard(
        sock, host, bound, token, country, profile, hosts, warm=not no_warm, ner=not no_ner, loopback=loopback
    )


def serve_dashboard(sock, host: str, port: int, token: str | None, country: str, profile: str, hosts: list[str],
                    *, warm: bool, ner: bool, loopback: bool) -> None:  # fmt: skip
    import uvicorn

    from multivector.web.app import create_app
    from multivector.web.site import WebConfig

    config = WebConfig(
        db=State.db, knowledge_dirs=State.knowledge, country=country, profile=profile, edit_token=token,
        warm=warm, ner=ner, allowed_hosts=hosts,
    )  # fmt: skip
    application = create_app(config)
    shown = f"[{host}]" if ":" in host else host
    mode = "corrections on (edit token required)" if token else "read-only"
    err.print(
        f"multivector: serving {State.db} on http://{shown}:{port}/ ({mode}); Ctrl-C stops", markup=False
    )
    if not loopback:
        err.print(
            f"warning: listening on {host}: anyone who can reach this machine can read the database",
            markup=False,
        )
    sys.stderr.flush()
    server = uvicorn.Server(uvicorn.Config(application, log_level="warning", access_log=False, lifespan="on"))
    server.run(sockets=[sock])


corrections_app = typer.Typer(
    help="An analyst's corrections of actors, themes and scope: list, add, withdraw, export, import.",
    no_args_is_help=True,
)
app.add_typer(corrections_app, name="corrections")


@corrections_app.command("export")
def corrections_export(
    out_path: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: standard output).")
    ] = None,
) -> None:
    """Every correction as JSONL, one per line (the format is in docs/contracts.md)."""
    from multivector.corrections import write_jsonl

    with _open() as store:
        if out_path is None:
            n = write_jsonl(store.iter_corrections(), sys.stdout)
        else:
            out_path.parent.mkdir(parents=True, exist_ok=True)
            with out_path.open("w", encoding="utf-8") as fh:
                n = write_jsonl(store.iter_corrections(), fh)
    err.print(f"{n} corrections exported" + (f" to {out_path}" if out_path else ""), markup=False)


@corrections_app.command("import")
def corrections_import(
    path: Annotated[Path, typer.Argument(help="A JSONL file of corrections (from `corrections export`).")],
) -> None:
    """Add corrections made elsewhere; bad lines are reported and skipped, known ones skipped."""
    from multivector.corrections import read_jsonl

    if not path.exists():
        raise InputError(f"{path}: no such file")
    problems: list[Problem] = []
    show = _problem_printer()

    def on_problem(p: Problem) -> None:
        problems.append(p)
        show(p)

    with _open() as store:
        records = list(read_jsonl(path, on_problem))
        added, skipped = store.import_corrections(records)
        posts = {r["post"] for r in records}
        missing = len(posts) - len(store.posts_brief(posts, 1))
    note = (
        f"; {missing} of the posts are not in this database yet (applied when they are ingested)"
        if missing
        else ""
    )
    err.print(
        f"{added} corrections added, {skipped} already there, {len(problems)} bad lines skipped{note}",
        markup=False,
    )
    raise typer.Exit(2 if problems else 0)


@corrections_app.command("list")
def corrections_list(
    post: Annotated[str | None, typer.Option("--post", help="Only this post's corrections.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The corrections, oldest first."""
    with _open() as store:
        rows = store.corrections(post)
    if as_json:
        out.print_json(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        err.print("no corrections", markup=False)
        return
    table = Table(title=f"{len(rows)} corrections")
    for col in ("id", "post", "field", "action", "value", "author", "created_at", "note"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            *(
                str(r[k] or "")
                for k in ("id", "post", "field", "action", "value", "author", "created_at", "note")
            )
        )
    out.print(table)


@corrections_app.command("add")
def corrections_add(
    post: Annotated[str, typer.Argument(help="The post id.")],
    field: Annotated[str, typer.Argument(help="actor, theme or scope.")],
    action: Annotated[str, typer.Argument(help="add or remove (scope: set).")],
    value: Annotated[str, typer.Argument(help='The actor or theme id; for scope "true" or "false".')],
    author: Annotated[str | None, typer.Option(help="Who makes it (default: $USER).")] = None,
    note: Annotated[str | None, typer.Option(help="Why.")] = None,
) -> None:
    """Correct one post's tags; applied at once and kept over later annotation."""
    with _open() as store:
        if not store.posts_brief([post], 1):
            raise InputError(f"post {post}: not in {State.db}")
        cid = store.add_correction(post, field, value, action, author or os.environ.get("USER"), note)
    err.print(f"correction {cid} saved and applied to post {post}", markup=False)


@corrections_app.command("delete")
def corrections_delete(
    correction_id: Annotated[int, typer.Argument(help="The correction's id (see `corrections list`).")],
    no_ner: NoNerOpt = False,
    profile: ProfileOpt = "kz",
) -> None:
    """Withdraw a correction; the post is tagged again by the machine."""
    from multivector.corrections import Retagger

    with _open() as store:
        gone = store.delete_correction(correction_id)
        if gone is None:
            raise InputError(f"no correction {correction_id} in {State.db}")
        Retagger(State.knowledge, profile, ner=not no_ner).retag(store, [gone["post"]])
    err.print(f"correction {correction_id} withdrawn; post {gone['post']} tagged again", markup=False)


def _spawn_workers_without_the_cli() -> None:
    """A spawned worker process first re-runs its parent's main module. For the console script
    that is this whole CLI (typer, rich, the store, the readers): 0.07 s of every worker's
    start, for nothing a worker uses. Named as a package's `__main__`, as under `python -m`,
    the main module is left alone in the workers (multiprocessing.spawn), which then import
    only what their work needs (preparer.py)."""
    main_module = sys.modules.get("__main__")
    if main_module is not None and getattr(main_module, "__spec__", None) is None:
        import importlib.util

        main_module.__spec__ = importlib.util.find_spec("multivector.__main__")


def main() -> None:
    from multivector.store import database_errors, describe_database_error

    _spawn_workers_without_the_cli()
    try:
        app()
    except (InputError, QueryError) as e:
        err.print(f"error: {one_line(str(e))}", markup=False)  # a newline in a file name stays one line
        sys.exit(2)
    except database_errors() as e:  # the database or the disk: full, read-only, locked, damaged
        if os.environ.get("MULTIVECTOR_DEBUG"):
            raise
        err.print(f"error: {describe_database_error(e, State.db)}", markup=False)
        sys.exit(1)
    except BrokenPipeError:  # `multivector export | head`: the reader has all it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - Python flushes stdout again at exit
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 - the last line of defence: one line, no traceback
        if os.environ.get("MULTIVECTOR_DEBUG"):
            raise
        err.print(f"error: {type(e).__name__}: {e} (set MULTIVECTOR_DEBUG=1 for details)", markup=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
