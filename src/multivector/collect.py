"""Live collection: keep the database current from the feeds and channels in sources.yaml.

For each source, fetch what is new since its cursor (stored in the database), push it through
the same prepare/annotate/store path as `ingest` (`pipeline.Ingestor.add_posts`: idempotent by
post id, an edit updates the post), and only then move the cursor. One failing source never
stops the others: it becomes one line in the summary, and the run ends with exit code 2.

Time is bounded three ways (`limits:` in sources.yaml): each HTTP request, each source and the
whole run. A source that runs out of time keeps what it had stored ("partial"); sources not
reached when the run's time is up are reported "skipped". Both make the exit code 2.

Cursors (JSON in the `cursors` table):
- ``feed:<name>``: ``{"url", "etag", "modified", "checked", "article_retry": {post id: tries}}``.
  The ETag and Last-Modified of the last answer make the next request conditional; a 304
  stores nothing. With ``fetch_articles`` an item already stored is not fetched again, unless
  its article failed before (it is tried again, at most `ARTICLE_TRIES` times in all).
- ``telegram:<channel>``: ``{"min_id", "channel_id", "title"}``: the highest message id stored.
  It moves after every committed chunk, so an interrupted first run of a long channel resumes.

The terminal side (progress bar, summary table, `--watch`) is `run_cli` at the end.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from multivector.model import InputError, Post
from multivector.pipeline import IngestOptions, Ingestor
from multivector.pipeline import Progress as PipelineProgress
from multivector.sources.base import ReadContext
from multivector.sources.collect_config import (
    CollectConfig,
    FeedSource,
    TelegramSource,
    load_config,
)
from multivector.sources.feeds_http import (
    Deadline,
    ExtractorUnavailable,
    FetchError,
    HttpClient,
    extract_article,
    is_local_url,
    load_extractor,
)
from multivector.store import database_errors, open_store
from multivector.store.base import Store, WriteResult

ARTICLE_TRIES = 3
TELEGRAM_CHUNK = 500  # posts per commit-and-move-the-cursor step
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


@dataclass
class SourceResult:
    label: str
    kind: str  # "feed" | "telegram"
    status: str = "ok"  # ok | not modified | partial (stored some, not all) | skipped | failed
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)  # one line each; the first one is the failure
    seconds: float = 0.0
    articles: int = 0  # article pages whose text was taken
    article_fallbacks: int = 0  # ... and those that kept the feed's summary
    service: int = 0  # Telegram service messages skipped

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    @property
    def incomplete(self) -> bool:
        """Read in part (out of time, articles missing) or not at all (the run's time was up)."""
        return self.status in ("partial", "skipped")

    def add(self, result: WriteResult) -> None:
        self.new += result.new
        self.updated += result.updated
        self.unchanged += result.unchanged

    def fail(self, message: str) -> None:
        self.status = "failed"
        self.problems.insert(0, message)

    def partial(self, message: str) -> None:
        """What was read is stored, but not everything: the run must not look like a success."""
        if self.status != "failed":
            self.status = "partial"
        self.problems.insert(0, message)


@dataclass
class CollectReport:
    sources: list[SourceResult] = field(default_factory=list)

    @property
    def failed(self) -> list[SourceResult]:
        return [s for s in self.sources if s.failed]

    @property
    def incomplete(self) -> list[SourceResult]:
        return [s for s in self.sources if s.incomplete]

    @property
    def exit_code(self) -> int:
        return 2 if self.failed or self.incomplete else 0

    def total(self, attr: str) -> int:
        return sum(getattr(s, attr) for s in self.sources)


@dataclass
class CollectOptions:
    ingest: IngestOptions = field(default_factory=IngestOptions)
    since: datetime | None = None  # naive UTC; nothing dated before it is stored
    db_path: Path = Path("multivector.db")  # the Telegram session goes next to it by default
    interactive: bool | None = None  # Telegram login prompts; None: when stdin is a terminal


@dataclass
class CollectProgress:
    on_source: Callable[[str, int, int], None] = lambda label, index, total: None
    on_posts: Callable[[int], None] = lambda n: None
    on_note: Callable[[str], None] = lambda message: None  # retries, FloodWait ...
    on_done: Callable[[SourceResult], None] = lambda result: None


class _LazyIngestor:
    """Starts the Ingestor (and loads the annotation models) only when a post needs storing."""

    def __init__(self, store: Store, options: IngestOptions, progress: CollectProgress):
        self.store = store
        self.options = options
        self.progress = progress
        self._ingestor: Ingestor | None = None

    def add_posts(self, posts: Iterable[Post]) -> WriteResult:
        posts = list(posts)
        if not posts:
            return WriteResult()
        if self._ingestor is None:
            self._ingestor = Ingestor(
                self.store, self.options, PipelineProgress(on_batch=self.progress.on_posts)
            )
        return self._ingestor.add_posts(posts)

    def close(self) -> None:
        if self._ingestor is not None:
            self._ingestor.__exit__(None, None, None)
            self._ingestor = None


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def _load_cursor(store: Store, key: str) -> dict:
    raw = store.get_cursor(key)
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _save_cursor(store: Store, key: str, value: dict) -> None:
    store.set_cursor(key, json.dumps(value, ensure_ascii=False, sort_keys=True))


# ---- feeds --------------------------------------------------------------------------------------
def _split_title(text: str) -> tuple[str, str]:
    """feeds.py writes title + blank line + body; take the title off again."""
    head, sep, body = text.partition("\n\n")
    return (head, body) if sep else (text, "")


def collect_feed(
    source: FeedSource,
    store: Store,
    ingestor: _LazyIngestor,
    http: HttpClient,
    config: CollectConfig,
    options: CollectOptions,
    result: SourceResult,
    deadline: Deadline | None = None,
) -> None:
    from multivector.sources.feeds import parse_feed_bytes

    cursor = _load_cursor(store, source.cursor_key)
    same_url = cursor.get("url") == source.url
    # A feed on this machine or the LAN (its own URL says so) may stay there; any other may not
    # be redirected, nor link articles, to loopback, private or link-local addresses.
    allow_private = source.allow_private or is_local_url(source.url)
    try:
        response = http.get(
            source.url,
            max_bytes=config.http.max_feed_bytes,
            etag=cursor.get("etag") if same_url else None,
            modified=cursor.get("modified") if same_url else None,
            accept=FEED_ACCEPT,
            allow_private=allow_private,
            deadline=deadline,
        )
    except FetchError as e:
        result.fail(f"{source.url}: {e}")
        return
    if response.not_modified:
        result.status = "not modified"
        cursor["checked"] = _now()
        _save_cursor(store, source.cursor_key, cursor)
        return

    def item_problem(problem) -> None:
        where = f"{problem.place}: " if problem.place else ""
        result.problems.append(f"{source.url}: {where}{problem.message}")

    ctx = ReadContext(channel=source.name, on_problem=item_problem)
    try:
        posts = list(parse_feed_bytes(response.body, source.url, ctx, base_url=response.url))
    except InputError as e:
        message = str(e).removeprefix(f"{source.url}: ")
        if response.content_type and not response.content_type.endswith("xml"):
            message += f"; the server sent {response.content_type}"
        result.fail(f"{source.url}: {message}")
        return
    if options.since is not None:
        posts = [p for p in posts if p.date is None or p.date >= options.since]

    retry: dict[str, int] = dict(cursor.get("article_retry") or {}) if same_url else {}
    if source.fetch_articles:
        known = store.revisions(p.id for p in posts)
        todo = []
        for post in posts:
            if post.id in known and post.id not in retry:
                result.unchanged += 1  # stored with its article before: not fetched again
                continue
            todo.append(post)
        posts = todo
        _add_articles(posts, http, config, result, retry, allow_private, deadline)
        live = {p.id for p in posts}
        retry = {k: v for k, v in retry.items() if k in live or k in known}

    # The items parsed are stored even when their articles were not all fetched.
    result.add(ingestor.add_posts(posts))
    # A body read leniently (cut short, broken XML) may have lost items: no validators are kept,
    # so the next run asks for the whole feed again instead of getting a 304.
    lenient = any(p.place == "feed" or "cut short" in p.message for p in ctx.problems)
    _save_cursor(
        store,
        source.cursor_key,
        {
            "url": source.url,
            "etag": None if lenient else response.etag,
            "modified": None if lenient else response.last_modified,
            "checked": _now(),
            "article_retry": retry,
        },
    )


def _add_articles(
    posts: list[Post],
    http: HttpClient,
    config: CollectConfig,
    result: SourceResult,
    retry: dict[str, int],
    allow_private: bool,
    deadline: Deadline | None,
) -> None:
    """Fetch the article page of each post that links one; report a feed whose pages all fail.

    Items whose page was not even tried (no extractor, no time left) keep their summary and
    stay on the retry list without using up a try.
    """
    wanted = [p for p in posts if p.url]
    if not wanted:
        return
    try:
        load_extractor()
    except ExtractorUnavailable as e:
        for post in wanted:
            retry.setdefault(post.id, 0)
        result.article_fallbacks += len(wanted)
        result.partial(f"articles not fetched for {len(wanted)} items: {e}; kept the feed's summaries")
        return
    tried = taken = 0
    for index, post in enumerate(wanted):
        if deadline is not None and time.monotonic() >= deadline.at:
            left = wanted[index:]
            for rest in left:
                retry.setdefault(rest.id, 0)
            result.article_fallbacks += len(left)
            result.partial(
                f"articles not fetched for {len(left)} items: {deadline.reason} was reached; "
                "kept the feed's summaries; will try again next run"
            )
            break
        tried += 1
        if _add_article(post, http, config, result, retry, allow_private, deadline):
            taken += 1
    if tried and not taken:
        result.partial(f"no article page could be used ({tried} tried); kept the feed's summaries")


def _add_article(
    post: Post,
    http: HttpClient,
    config: CollectConfig,
    result: SourceResult,
    retry: dict[str, int],
    allow_private: bool = False,
    deadline: Deadline | None = None,
) -> bool:
    """Replace the feed's summary with the article's main text; keep the summary on failure.

    True when the page was fetched and read (its text taken, or a teaser the summary beats).
    """
    try:
        page = http.get(
            post.url or "",
            max_bytes=config.http.max_article_bytes,
            accept=HTML_ACCEPT,
            allow_private=allow_private,
            deadline=deadline,
        )
        article = extract_article(page)
    except FetchError as e:
        tries = retry.get(post.id, 0) + 1
        result.article_fallbacks += 1
        if tries < ARTICLE_TRIES:
            retry[post.id] = tries
            later = "; will try again next run"
        else:
            retry.pop(post.id, None)
            later = ""
        result.problems.append(f"article {post.url}: {e}; kept the feed's summary{later}")
        return False
    retry.pop(post.id, None)
    title, body = _split_title(post.text)
    if len(article) < len(body):
        # A teaser or a paywall: the feed said more than the page did.
        result.article_fallbacks += 1
        return True
    result.articles += 1
    post.text = article if not title or article.startswith(title) else f"{title}\n\n{article}"
    return True


# ---- Telegram -------------------------------------------------------------------------------------
class _OutOfTime(Exception):
    """A FloodWait would outlast the source's or the run's time limit."""

    def __init__(self, deadline: Deadline):
        super().__init__(deadline.reason)
        self.deadline = deadline


class _BoundedSleep:
    """The Telegram reader's sleep: a wait that would end past the current deadline stops the channel."""

    def __init__(self, sleep: Callable[[float], None]):
        self.sleep = sleep
        self.deadline: Deadline | None = None

    def __call__(self, seconds: float) -> None:
        if self.deadline is not None and time.monotonic() + seconds >= self.deadline.at:
            raise _OutOfTime(self.deadline)
        self.sleep(seconds)


def collect_channel(
    source: TelegramSource,
    store: Store,
    ingestor: _LazyIngestor,
    reader,
    options: CollectOptions,
    result: SourceResult,
    deadline: Deadline | None = None,
) -> None:
    from multivector.sources.telegram_live import ReadStats, TelegramError

    cursor = _load_cursor(store, source.cursor_key)
    min_id = int(cursor.get("min_id") or 0)
    stats = ReadStats()
    try:
        info = reader.resolve(source)
    except TelegramError as e:
        result.fail(str(e))
        return
    except _OutOfTime as e:
        result.fail(f"not read: {e.deadline.reason} was reached while Telegram asked to wait")
        return
    channel = source.name or info.title or f"@{source.channel}"
    committed = min_id
    chunk: list[Post] = []

    def flush() -> None:
        nonlocal committed
        result.add(ingestor.add_posts(chunk))
        chunk.clear()
        if stats.last_id > committed:
            committed = stats.last_id
            _save_cursor(
                store, source.cursor_key, {"min_id": committed, "channel_id": info.id, "title": info.title}
            )

    out_of_time: Deadline | None = None
    try:
        for post in reader.posts(info, channel, min_id=min_id, since=options.since, stats=stats):
            chunk.append(post)
            if len(chunk) >= TELEGRAM_CHUNK:
                flush()
            if deadline is not None and time.monotonic() >= deadline.at:
                out_of_time = deadline
                break
    except _OutOfTime as e:
        out_of_time = e.deadline
    except TelegramError as e:
        result.fail(str(e))
    except (OSError, ConnectionError) as e:
        result.fail(f"connection to Telegram lost ({type(e).__name__}: {e})")
    finally:
        result.service += stats.service
        flush()  # what was read before a failure is kept, and the cursor says so
    if out_of_time is not None:
        result.partial(
            f"stopped: {out_of_time.reason} was reached; what was read is stored and the next run "
            f"goes on after message {committed}"
        )


# ---- one round over every source --------------------------------------------------------------------
@contextmanager
def _contained(result: SourceResult) -> Iterator[None]:
    """An unexpected error in one source fails that source, not the run.

    Bad knowledge files (InputError) and database errors concern every source: they still stop.
    """
    try:
        yield
    except (InputError, *database_errors()):
        raise
    except Exception as e:  # noqa: BLE001 - one odd feed or channel must not stop the others
        if os.environ.get("MULTIVECTOR_DEBUG"):
            raise
        result.fail(f"unexpected error: {type(e).__name__}: {e} (set MULTIVECTOR_DEBUG=1 for details)")


class _Budget:
    """The run's and each source's time limits as deadlines (`limits:` in sources.yaml)."""

    def __init__(self, config: CollectConfig):
        self.limits = config.limits
        run = self.limits.run
        self.run = (
            Deadline(time.monotonic() + run, f"the run's time limit (limits.run: {run:g} s)") if run else None
        )

    def run_over(self) -> bool:
        return self.run is not None and time.monotonic() >= self.run.at

    def for_source(self) -> Deadline | None:
        limit = self.limits.source
        own = (
            Deadline(time.monotonic() + limit, f"the source's time limit (limits.source: {limit:g} s)")
            if limit
            else None
        )
        if own is None or (self.run is not None and self.run.at <= own.at):
            return self.run
        return own


def _skipped(result: SourceResult, budget: _Budget) -> SourceResult:
    assert budget.run is not None
    result.status = "skipped"
    result.problems.insert(0, f"not collected: {budget.run.reason} was reached before this source")
    return result


def collect(
    store: Store,
    config: CollectConfig,
    options: CollectOptions | None = None,
    progress: CollectProgress | None = None,
    *,
    http: HttpClient | None = None,
    telegram_client=None,
    sleep: Callable[[float], None] = time.sleep,
) -> CollectReport:
    """Collect every source of `config` once. `http`, `telegram_client` and `sleep` may be given (tests)."""
    options = options or CollectOptions()
    progress = progress or CollectProgress()
    report = CollectReport()
    budget = _Budget(config)
    http = http or HttpClient(
        config.http, sleep=sleep, notify=progress.on_note, request_deadline=config.limits.request
    )
    ingestor = _LazyIngestor(store, options.ingest, progress)
    sources = config.sources
    try:
        index = 0
        for source in config.feeds:
            progress.on_source(source.name, index, len(sources))
            index += 1
            result = SourceResult(source.name, "feed")
            if budget.run_over():
                report.sources.append(_skipped(result, budget))
                progress.on_done(result)
                continue
            started = time.monotonic()
            with _contained(result):
                collect_feed(source, store, ingestor, http, config, options, result, budget.for_source())
            result.seconds = time.monotonic() - started
            report.sources.append(result)
            progress.on_done(result)
        if config.telegram:
            _collect_telegram(
                config, store, ingestor, options, progress, report, telegram_client, sleep, index, budget
            )
    finally:
        ingestor.close()
    return report


def _collect_telegram(
    config, store, ingestor, options, progress, report, client, sleep, index, budget: _Budget
) -> None:
    from multivector.sources.telegram_live import ChannelReader, TelegramError, connect, session_path

    if budget.run_over():
        for source in config.telegram:
            result = _skipped(SourceResult(source.label, "telegram"), budget)
            report.sources.append(result)
            progress.on_done(result)
        return
    own_client = client is None
    if own_client:
        started = time.monotonic()
        try:
            client = connect(
                config.telegram_api, session_path(config.telegram_api, options.db_path), options.interactive
            )
        except TelegramError as e:
            for source in config.telegram:
                result = SourceResult(source.label, "telegram")
                result.fail(str(e))
                result.seconds = time.monotonic() - started
                report.sources.append(result)
                progress.on_done(result)
            return
    bounded = _BoundedSleep(sleep)
    reader = ChannelReader(client, config.telegram_api, sleep=bounded, notify=progress.on_note)
    try:
        for source in config.telegram:
            progress.on_source(source.label, index, len(config.sources))
            index += 1
            result = SourceResult(source.label, "telegram")
            if budget.run_over():
                report.sources.append(_skipped(result, budget))
                progress.on_done(result)
                continue
            started = time.monotonic()
            bounded.deadline = budget.for_source()
            with _contained(result):
                collect_channel(source, store, ingestor, reader, options, result, bounded.deadline)
            result.seconds = time.monotonic() - started
            report.sources.append(result)
            progress.on_done(result)
    finally:
        if own_client:
            client.disconnect()


# ---- the terminal side ---------------------------------------------------------------------------
def parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"--since {value!r}: expected YYYY-MM-DD") from None
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


def summary_table(report: CollectReport):
    from rich.table import Table

    table = Table(title=f"collected at {datetime.now().strftime('%Y-%m-%d %H:%M')}")
    table.add_column("source", overflow="fold")
    table.add_column("kind")
    table.add_column("status", no_wrap=True)
    for name in ("new", "updated", "unchanged", "problems", "time"):
        table.add_column(name, justify="right", no_wrap=True)
    for s in report.sources:
        status = s.status
        if s.kind == "feed" and (s.articles or s.article_fallbacks):
            status += f" ({s.articles} articles, {s.article_fallbacks} summaries kept)"
        style = "red" if s.failed else "yellow" if s.incomplete else None
        table.add_row(
            s.label, s.kind, status, str(s.new), str(s.updated), str(s.unchanged), str(len(s.problems)),
            f"{s.seconds:.1f} s", style=style,
        )  # fmt: skip
    return table


def run_cli(
    db_path: Path,
    sources_path: Path,
    *,
    only: list[str] | None,
    since: str | None,
    watch_minutes: float | None,
    ingest: IngestOptions,
    console,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """`multivector collect`: check the configuration, collect with a progress bar, print a summary.

    Bad configuration raises InputError before anything is fetched. With `watch_minutes`, runs
    again every that many minutes (re-reading sources.yaml each time) until Ctrl-C.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    if watch_minutes is not None and watch_minutes <= 0:
        raise InputError(f"--watch {watch_minutes:g}: expected a number of minutes above 0")
    options = CollectOptions(ingest=ingest, since=parse_since(since), db_path=db_path)
    config = load_config(sources_path, only)
    for warning in config.warnings:
        console.print(f"warning: {warning}", markup=False)

    def one_round(config: CollectConfig, store: Store) -> int:
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[posts]} posts"), TimeElapsedColumn(), console=console, transient=True,
            disable=not console.is_terminal,
        ) as bar:  # fmt: skip
            task = bar.add_task("collecting", total=len(config.sources), posts=0)
            done = {"posts": 0}

            def on_posts(n: int) -> None:
                done["posts"] += n
                bar.update(task, posts=done["posts"])

            progress = CollectProgress(
                on_source=lambda label, i, total: bar.update(task, description=label[:40], completed=i),
                on_posts=on_posts,
                on_note=lambda message: console.print(message, markup=False, style="dim"),
                on_done=lambda result: bar.advance(task),
            )
            report = collect(store, config, options, progress)
        console.print(summary_table(report))
        for s in report.sources:
            for problem in s.problems:
                style = "red" if s.failed else "yellow" if s.incomplete else None
                console.print(f"{s.label}: {problem}", markup=False, style=style)
        console.print(
            f"{len(report.sources)} sources: {report.total('new')} new, {report.total('updated')} updated, "
            f"{report.total('unchanged')} unchanged posts; {len(report.failed)} sources failed"
            + (f", {len(report.incomplete)} incomplete" if report.incomplete else ""),
            markup=False,
        )
        return report.exit_code

    with open_store(db_path, create=True) as store:
        if watch_minutes is None:
            return one_round(config, store)
        while True:
            started = time.monotonic()
            one_round(config, store)
            wait = max(0.0, watch_minutes * 60 - (time.monotonic() - started))
            next_at = datetime.now().astimezone().timestamp() + wait
            console.print(
                f"next collection at {datetime.fromtimestamp(next_at).strftime('%H:%M')} "
                f"(every {watch_minutes:g} min); Ctrl-C stops",
                markup=False,
            )
            try:
                sleep(wait)
            except KeyboardInterrupt:
                console.print("stopped watching", markup=False)
                return 0
            try:
                config = load_config(sources_path, only)
            except InputError as e:
                console.print(f"error: {e}; keeping the previous sources", markup=False)
