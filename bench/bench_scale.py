"""Scale benchmarks (issue 12): ingest with each engine, the year report and search, at N posts.

    # inputs: the Parquet export of a make_corpus.py database, and even slices of it
    .venv/bin/python bench/make_corpus.py 1000000 --out /tmp/mvscale/corpus-1000000.db
    .venv/bin/python bench/bench_scale.py inputs --db /tmp/mvscale/corpus-1000000.db --sizes 100000 300000
    # the first 150,000 posts by date: a small input at the whole corpus's posts per day
    .venv/bin/python bench/bench_scale.py inputs --db /tmp/mvscale/corpus-1000000.db --first 150000
    # ingest one input into a fresh database (a subprocess; peak RSS over it and its workers)
    .venv/bin/python bench/bench_scale.py ingest /tmp/mvscale/posts-100000.parquet --engine dask --workers 2
    # search latency over a database (--pages: the dashboard's page, with its total)
    .venv/bin/python bench/bench_scale.py search --db /tmp/mvscale/ingest-100000-local.db
    .venv/bin/python bench/bench_scale.py search --db postgresql://postgres@127.0.0.1:5432/mv --pages
    # the single writer alone, into a fresh file or a copy of a large database
    .venv/bin/python bench/bench_scale.py writer /tmp/mvscale/posts-100000.parquet --into big.db

Every figure line carries the machine's load average at the start and the end of the run (the
machine is shared; a loaded machine explains a slow figure). The ingest runs
`multivector ingest ... --no-ner`: actors by the gazetteer and themes, as the ingest benchmark of
issue 2 measures (NER is the optional slow path; see BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import run  # noqa: E402

EXE = str(Path(sys.executable).parent / "multivector")
# Words the synthetic corpus is made of (make_corpus.py): partners and theme phrases in ru/kk/en,
# alone, in pairs, with OR, as phrases and as prefixes.
QUERY_WORDS = [
    "Китай", "Россия", "Казахстан", "Қытай", "Ресей", "China", "Russia", "Rosatom", "Росатом", "АЭС",
    "уран", "коридор", "транзит", "Актау", "нефть", "санкции", "ЕАЭС", "ШОС", "Токаев", "Тоқаев",
    "Turkey", "Азербайджан", "вода", "выборы", "reactor", "corridor", "данные", "инвестиции", "EU", "Узбекистан",
]  # fmt: skip


def load() -> str:
    return "load " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def inputs(db: Path, sizes: list[int], out: Path, first: Sequence[int] = ()) -> None:
    """Export `db` to Parquet, then write even slices of it (every k-th row, dates spread as in
    the whole) of each size in `sizes`, and the first rows of each size in `first` (make_corpus.py
    writes in date order: the whole's posts per day, fewer days). Streamed a record batch at a time."""

    from multivector.report.export import write_export
    from multivector.store import open_store

    out.mkdir(parents=True, exist_ok=True)
    with open_store(db, create=False, read_only=True) as store:
        n = store.count_posts()
        whole = out / f"posts-{n}.parquet"
        if not whole.exists():
            t = time.perf_counter()
            write_export(store, "parquet", whole)
            print(f"exported {n} posts to {whole} in {time.perf_counter() - t:.0f} s")
    for size in sizes:
        path = out / f"posts-{size}.parquet"
        if not path.exists():
            # Every row i with floor(i*size/n) > floor((i-1)*size/n): `size` rows evenly spread.
            kept = _write_rows(
                whole, path, lambda row, m, kept, size=size: [
                    i for i in range(m) if ((row + i + 1) * size) // n > ((row + i) * size) // n
                ],
            )  # fmt: skip
            print(f"wrote {kept} posts to {path}")
    for size in first:
        path = out / f"posts-first-{size}.parquet"
        if not path.exists():
            kept = _write_rows(
                whole,
                path,
                lambda row, m, kept, size=size: list(range(min(m, size - kept))) if kept < size else None,
            )
            print(f"wrote the first {kept} posts to {path}")


def _write_rows(whole: Path, path: Path, pick) -> int:
    """Stream `whole` into `path` a record batch at a time, keeping the rows that
    `pick(first row of the batch, rows in it, rows kept so far)` lists (None: stop). Returns
    the rows written."""
    import pyarrow.parquet as pq

    source = pq.ParquetFile(whole)
    writer = pq.ParquetWriter(path, source.schema_arrow)
    row = kept = 0
    for batch in source.iter_batches(batch_size=20_000):
        take = pick(row, batch.num_rows, kept)
        if take is None:
            break
        row += batch.num_rows
        if take:
            writer.write_batch(batch.take(take))
            kept += len(take)
    writer.close()
    return kept


def ingest(path: Path, engine: str, workers: int, db: Path | None, ner: bool) -> None:
    import pyarrow.parquet as pq

    n = pq.ParquetFile(path).metadata.num_rows
    tag = f"{engine}{workers if engine == 'dask' else ''}"
    db = db or path.with_name(f"ingest-{n}-{tag}.db")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    cmd = [EXE, "--db", str(db), "ingest", str(path), "--engine", engine, "--workers", str(workers)]
    if not ner:
        cmd.append("--no-ner")
    print("command:", " ".join(cmd))
    before = load()
    m = run(cmd)
    after = load()
    if m.returncode != 0:
        sys.exit(f"ingest failed ({m.returncode}): {m.stderr[-2000:]}")
    print(m.stderr.strip().splitlines()[-1])
    print(
        f"ingest {n} posts, engine {engine}, workers {workers}: {m.seconds:.1f} s, {n / m.seconds:.0f} posts/s, "
        f"CPU {m.cpu_seconds:.0f} s ({n / max(m.cpu_seconds, 1e-9):.0f} posts per CPU-second), "
        f"peak RSS {m.peak_rss_mb:.0f} MB ({'with' if ner else 'without'} NER); {before} -> {after}"
    )


def cpu(path: Path, posts: int, warm: int) -> None:
    """CPU seconds per post of prepare + annotation (no NER) in this process, one core, after
    `warm` posts have filled the caches: a figure the machine's load does not change much."""
    from multivector.pipeline import AnnotateOptions, Preparer, revision
    from multivector.sources import read_path
    from multivector.sources.base import ReadContext

    t = time.process_time()
    preparer = Preparer(AnnotateOptions(ner=False))
    setup = time.process_time() - t
    batch, done, spent = [], 0, 0.0
    for post in read_path(path, ReadContext()):
        batch.append((post, revision(post)))
        if len(batch) == 500:
            t = time.process_time()
            preparer.prepare(batch)
            if done >= warm:
                spent += time.process_time() - t
            done += len(batch)
            batch = []
            if done >= warm + posts:
                break
    print(
        f"prepare + annotate (no NER), one process: setup {setup:.1f} s CPU; {posts} posts after {warm} warm-up: "
        f"{spent:.1f} s CPU, {posts / spent:.0f} posts per CPU-second; {load()}"
    )


def writer(path: Path, posts: int, into: Path | None, batch: int) -> None:
    """CPU seconds per post of the single writer alone: `posts` posts of `path` prepared first,
    then written in batches of `batch` into a fresh file, or into a copy of the database `into`
    (the writer's lookups grow with what it holds). The posts get new ids, so none is known."""
    import shutil
    import tempfile

    from multivector.pipeline import AnnotateOptions, Preparer, revision
    from multivector.sources import read_path
    from multivector.sources.base import ReadContext
    from multivector.store import open_store

    preparer = Preparer(AnnotateOptions(ner=False))
    items, todo = [], []
    for post in read_path(path, ReadContext()):
        post.message_id = "writer-" + post.message_id
        todo.append((post, revision(post)))
        if len(todo) == 500 or len(items) + len(todo) >= posts:
            items += preparer.prepare(todo)
            todo = []
        if len(items) >= posts:
            break
    with tempfile.TemporaryDirectory(dir=(into or path).parent) as tmp:
        db = Path(tmp) / "writer.db"
        if into is not None:
            shutil.copy(into, db)
        with open_store(db) as store:
            before, t = load(), time.process_time()
            for i in range(0, len(items), batch):
                store.write_batch(items[i : i + batch])
            spent = time.process_time() - t
        held = f"a copy of {into}" if into else "a fresh file"
        print(
            f"writer: {len(items)} posts in batches of {batch} into {held}: {spent:.1f} s CPU, "
            f"{spent / len(items) * 1000:.2f} ms a post; {before} -> {load()}"
        )


def search(db: str, queries: int, pages: bool = False) -> None:
    """Latency of `queries` searches: `store.search` (a ranked list, as `multivector search`
    gives it), or with `pages` the dashboard's page, which also counts its matches."""
    from multivector.store import open_store

    rng = random.Random(7)
    qs = []
    for _ in range(queries):
        words = rng.sample(QUERY_WORDS, rng.choice([1, 1, 2]))
        kind = rng.random()
        if len(words) == 2 and kind < 0.4:
            qs.append(" OR ".join(words))
        elif len(words) == 2 and kind < 0.6:
            qs.append('"' + " ".join(words) + '"')
        elif len(words) == 1 and kind < 0.2:
            qs.append(words[0][:4] + "*")
        else:
            qs.append(" ".join(words))
    before = load()
    with open_store(db, create=False, read_only=True) as store:
        n = store.count_posts()
        store.search(qs[0])  # warm the page cache once, as a running dashboard would be
        times = []
        for q in qs:
            t = time.perf_counter()
            if pages:
                store.search_page(q, limit=20)
            else:
                store.search(q, 20)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p95 = times[int(0.95 * len(times)) - 1]
    what = "dashboard pages of 20 with their totals" if pages else "20 hits"
    print(
        f"search over {n} posts, {len(times)} queries, {what}: p50 {statistics.median(times):.1f} ms, "
        f"p95 {p95:.1f} ms, max {times[-1]:.1f} ms; {before} -> {load()}"
    )


def same(first: Path, others: list[Path]) -> None:
    """Do ingested databases hold the same results? Per database: posts, duplicate groups,
    direct links, actor links and posts in scope; then, against the first, how many posts have
    another group root and whether the direct links are the same."""
    import sqlite3

    def results(path: Path) -> tuple[dict[str, str], set[tuple[str, str, str]], int, int]:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        roots = dict(conn.execute("SELECT id, dup_root FROM posts"))
        links = set(
            conn.execute(
                "SELECT a.id, b.id, l.kind FROM dup_links l JOIN posts a ON a.rowid = l.post "
                "JOIN posts b ON b.rowid = l.other"
            )
        )
        actors = conn.execute("SELECT count(*) FROM post_actors").fetchone()[0]
        scope = conn.execute("SELECT coalesce(sum(in_scope), 0) FROM posts").fetchone()[0]
        conn.close()
        return roots, links, actors, scope

    base = results(first)
    for path in [first, *others]:
        roots, links, actors, scope = base if path == first else results(path)
        groups = len({r for pid, r in roots.items() if pid != r})
        moved = sum(1 for pid in roots if roots[pid] != base[0].get(pid))
        print(
            f"{path}: {len(roots)} posts, {groups} groups, {len(links)} links, {actors} actor links, "
            f"{scope} in scope; roots differing from the first: {moved}; links equal: {links == base[1]}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    a = sub.add_parser("inputs", help="Parquet inputs from a make_corpus.py database")
    a.add_argument("--db", type=Path, required=True)
    a.add_argument("--sizes", type=int, nargs="*", default=[])
    a.add_argument("--first", type=int, nargs="*", default=[], help="slices of the first N posts by date")
    a.add_argument("--out", type=Path, default=None, help="default: the database's folder")
    b = sub.add_parser("ingest", help="ingest one Parquet input into a fresh database")
    b.add_argument("input", type=Path)
    b.add_argument("--engine", default="local", choices=("local", "dask"))
    b.add_argument("--workers", type=int, default=0)
    b.add_argument("--db", type=Path, default=None, help="default: ingest-<N>-<engine>.db beside the input")
    b.add_argument("--ner", action="store_true")
    c = sub.add_parser("search", help="search latency over a database")
    c.add_argument("--db", required=True, help="an SQLite file or a postgresql:// URL")
    c.add_argument("--queries", type=int, default=300)
    c.add_argument("--pages", action="store_true", help="the dashboard's page (with its total) instead")
    d = sub.add_parser("cpu", help="CPU seconds per post of prepare + annotation, one process")
    d.add_argument("input", type=Path)
    d.add_argument("--posts", type=int, default=5000)
    d.add_argument("--warm", type=int, default=5000)
    e = sub.add_parser("writer", help="CPU seconds per post of the writer alone")
    e.add_argument("input", type=Path)
    e.add_argument("--posts", type=int, default=10_000)
    e.add_argument("--into", type=Path, default=None, help="write into a copy of this database")
    e.add_argument("--batch", type=int, default=500)
    f = sub.add_parser("same", help="compare the groups and tags of ingested SQLite databases")
    f.add_argument("first", type=Path)
    f.add_argument("others", type=Path, nargs="+")
    args = ap.parse_args()
    if args.what == "same":
        same(args.first, args.others)
    elif args.what == "writer":
        writer(args.input, args.posts, args.into, args.batch)
    elif args.what == "cpu":
        cpu(args.input, args.posts, args.warm)
    elif args.what == "inputs":
        inputs(args.db, args.sizes, args.out or args.db.parent, args.first)
    elif args.what == "ingest":
        ingest(args.input, args.engine, args.workers, args.db, args.ner)
    else:
        search(args.db, args.queries, args.pages)


if __name__ == "__main__":
    main()
