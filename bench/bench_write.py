"""Benchmark: the writer alone — the database side of an ingest, without reading or preparing.

    .venv/bin/python bench/bench_write.py [--corpus ../shared/corpora/tg_news_ru_nktkln/raw] [--repeat 3]

Prepares every post of the corpus once (as `ingest --no-ner` does, in worker processes), then
writes them into a fresh SQLite file `--repeat` times, WRITE_SIZE posts a transaction as the
ingest does, and prints the CPU and wall time of each write. The main process of an ingest
spends most of its time here; measured apart, the writer's figure is not mixed with the
workers' competing for the same cores. An older checkout is measured with
`PYTHONPATH=/tmp/old/src .venv/bin/python bench/bench_write.py`.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from multivector.pipeline import BATCH_SIZE, WRITE_SIZE, revision
from multivector.preparer import AnnotateOptions, Preparer
from multivector.sources import iter_input_files, read_path
from multivector.sources.base import ReadContext
from multivector.store.sqlite import SqliteStore

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "tg_news_ru_nktkln" / "raw"
_preparer: Preparer | None = None


def prepare(batch):
    global _preparer
    if _preparer is None:
        _preparer = Preparer(AnnotateOptions(ner=False))
    return _preparer.prepare(batch)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    if not args.corpus.exists():
        sys.exit(f"{args.corpus}: corpus not found")
    posts = [
        p for path in iter_input_files([args.corpus]) for p in read_path(path, ReadContext(file=str(path)))
    ]
    batches = [
        [(p, revision(p)) for p in posts[i : i + BATCH_SIZE]] for i in range(0, len(posts), BATCH_SIZE)
    ]
    with ProcessPoolExecutor(args.workers) as pool:
        prepared = [item for done in pool.map(prepare, batches) for item in done]
    print(f"{len(prepared)} posts prepared")
    gc.freeze()  # the prepared posts stay for the whole run: the collector need not walk them
    for n in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            store = SqliteStore.open(Path(tmp) / "bench.db")
            cpu, wall = time.process_time(), time.perf_counter()
            for i in range(0, len(prepared), WRITE_SIZE):
                store.write_batch(prepared[i : i + WRITE_SIZE])
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            store.close()
        print(f"write {n + 1}: CPU {cpu:.2f} s, wall {wall:.2f} s, {len(prepared) / wall:.0f} posts/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
