"""Fuzz the readers with mutated copies of the seed corpus, through a real ingest.

    python bench/fuzz/run.py            # CI mode: 1,500 cases, about a minute on two cores
    python bench/fuzz/run.py --long     # benchmark mode: 30,000 cases, larger amplifications
    python bench/fuzz/run.py --cases 5000 --seed 7 --workers 2 --json

Each case is a seed file of bench/fuzz/corpus/ (and of any --seeds folder) after one to six
byte or token mutations (mutate.py), sometimes under a file name that is not UTF-8 or with
a forced --format. A worker process ingests it into its own SQLite database (worker.py); a
case that takes longer than --hang seconds plus 4 s per MB of input is a hang (the readers'
own budget, in the worker, is 10 s plus 1 s per MB): its worker is killed and replaced.

Counts: cases, posts read, problems, whole-file errors, crashes (an exception escaped
`ingest` or the feed parser of `collect`), hangs, slow cases (over 2 s). Crashing and hanging
inputs are saved to --out (bench/out/fuzz/) with their mutations and traceback, to replay with
`multivector ingest`. Exit code 1 when any case crashed or hung.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from multiprocessing.connection import wait
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from mutate import Case, Mutator, load_seeds  # noqa: E402
from worker import serve  # noqa: E402

QUICK = {"cases": 1500, "scale": 3_000, "hang": 30.0}
LONG = {"cases": 30_000, "scale": 100_000, "hang": 60.0}
SLOW = 2.0
HANG_PER_MB = 4.0


class Worker:
    def __init__(self, ctx, workdir: Path, index: int):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=serve, args=(child, str(workdir / f"w{index}")), daemon=True)
        self.process.start()
        child.close()
        if self.conn.recv() != "ready":
            raise RuntimeError("fuzz worker did not start")
        self.case: Case | None = None
        self.started = 0.0
        self.allowed = 0.0

    def give(self, case: Case) -> None:
        self.case = case
        self.started = time.monotonic()
        self.allowed = HANG_PER_MB * len(case.data) / (1 << 20)
        self.conn.send((case.name, case.data, case.fmt))

    def stop(self) -> None:
        try:
            self.conn.send(None)
            self.process.join(10)
        except (OSError, EOFError, BrokenPipeError):
            pass
        if self.process.is_alive():
            self.process.kill()

    def kill(self) -> None:
        self.process.kill()
        self.process.join()


def run(cases: int, seed: int, workers: int, scale: int, hang: float, out: Path, extra: list[Path]) -> dict:
    seeds = load_seeds(extra)
    mutator = Mutator(seeds, random.Random(seed), scale=scale)
    ctx = multiprocessing.get_context("spawn")
    tally: dict[str, Counter] = defaultdict(Counter)
    worst: dict[str, float] = defaultdict(float)
    failures: list[dict] = []
    slowest: list[tuple[float, int, str, int, str]] = []  # (seconds, case, seed, bytes, mutations)
    load_before = os.getloadavg()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mv-fuzz-") as tmp:
        pool = [Worker(ctx, Path(tmp), i) for i in range(workers)]
        made = 0
        done = 0
        spawned = workers

        def record(case: Case, outcome: dict | None, hung: bool) -> None:
            kind = case.seed_name
            t = tally[kind]
            t["cases"] += 1
            if hung:
                t["hangs"] += 1
                failures.append(_save(out, case, "hang", f"no answer within {hang:.0f} s"))
                return
            assert outcome is not None
            t["posts"] += outcome["read"]
            t["problems"] += outcome["problems"]
            t["file_errors"] += int(outcome["file_error"])
            t["silent"] += int(outcome["read"] == 0 and outcome["problems"] == 0)
            t["slow"] += int(outcome["seconds"] > SLOW)
            worst[kind] = max(worst[kind], outcome["seconds"])
            slowest.append((outcome["seconds"], case.number, kind, len(case.data), ",".join(case.mutations)))
            slowest.sort(reverse=True)
            del slowest[5:]
            if outcome["crash"]:
                t["crashes"] += 1
                failures.append(_save(out, case, "crash", outcome["crash"]))

        while done < cases:
            for w in pool:
                if w.case is None and made < cases:
                    w.give(mutator.case(made))
                    made += 1
            busy = [w for w in pool if w.case is not None]
            ready = wait([w.conn for w in busy], timeout=0.5)
            now = time.monotonic()
            for i, w in enumerate(pool):
                if w.case is None:
                    continue
                if w.conn in ready:
                    try:
                        outcome = w.conn.recv()
                    except EOFError:  # the worker died (a crash below Python)
                        outcome = {"read": 0, "problems": 0, "file_error": False, "seconds": 0.0,
                                   "crash": f"worker process died (exit code {w.process.exitcode})"}  # fmt: skip
                        record(w.case, outcome, hung=False)
                        w.kill()
                        pool[i] = Worker(ctx, Path(tmp), spawned)
                        spawned += 1
                        done += 1
                        continue
                    record(w.case, outcome, hung=False)
                    w.case = None
                    done += 1
                elif now - w.started > hang + w.allowed:
                    record(w.case, None, hung=True)
                    w.kill()
                    pool[i] = Worker(ctx, Path(tmp), spawned)
                    spawned += 1
                    done += 1
            if sys.stderr.isatty():
                print(f"\r{done}/{cases} cases", end="", file=sys.stderr)
        for w in pool:
            w.stop()
    total = Counter()
    for t in tally.values():
        total.update(t)
    return {
        "cases": cases,
        "seed": seed,
        "workers": workers,
        "scale": scale,
        "hang_seconds": hang,
        "seconds": round(time.monotonic() - started, 1),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
        "total": {
            k: total[k]
            for k in ("cases", "posts", "problems", "file_errors", "silent", "crashes", "hangs", "slow")
        },
        "by_seed": {
            k: {**{f: t[f] for f in ("cases", "crashes", "hangs", "slow")}, "max_seconds": round(worst[k], 2)}
            for k, t in sorted(tally.items())
        },
        "slowest": [
            {"seconds": round(sec, 2), "case": n, "seed": k, "bytes": size, "mutations": m}
            for sec, n, k, size, m in slowest
        ],
        "failures": failures,
    }


def _save(out: Path, case: Case, kind: str, detail: str) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{kind}-{case.number:06d}-{case.seed_name}"
    (out / f"{stem}.bin").write_bytes(case.data)
    (out / f"{stem}.txt").write_text(
        f"seed: {case.seed_name}\nname: {case.name!r}\nformat: {case.fmt}\nmutations: {', '.join(case.mutations)}\n\n{detail}\n",
        encoding="utf-8",
    )
    return {"kind": kind, "case": case.number, "seed": case.seed_name, "file": str(out / f"{stem}.bin"),
            "detail": detail.strip().splitlines()[-1][:300]}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--long", action="store_true", help="benchmark mode: 30,000 cases, bigger inputs")
    parser.add_argument("--cases", type=int, help="how many cases (default 1,500; 30,000 with --long)")
    parser.add_argument(
        "--seed", type=int, default=20241205, help="random seed: the same seed, the same cases"
    )
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--scale", type=int, help="largest repeat of an amplified piece")
    parser.add_argument("--hang", type=float, help="seconds after which a case counts as a hang")
    parser.add_argument("--seeds", type=Path, action="append", default=[], help="more seed files or folders")
    parser.add_argument(
        "--out", type=Path, default=HERE.parent / "out" / "fuzz", help="where failing cases go"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--save", type=int, metavar="N", help="only write case N (of this seed and scale) to --out"
    )
    args = parser.parse_args(argv)
    mode = LONG if args.long else QUICK
    if args.save is not None:
        mutator = Mutator(load_seeds(args.seeds), random.Random(args.seed), scale=args.scale or mode["scale"])
        case = next(c for c in (mutator.case(i) for i in range(args.save + 1)) if c.number == args.save)
        print(_save(args.out, case, "case", "saved with --save")["file"])
        return 0
    summary = run(
        cases=args.cases or mode["cases"], seed=args.seed, workers=max(1, args.workers),
        scale=args.scale or mode["scale"], hang=args.hang or mode["hang"], out=args.out, extra=args.seeds,
    )  # fmt: skip
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=1))
    else:
        t = summary["total"]
        print(
            f"{t['cases']} cases in {summary['seconds']} s ({summary['workers']} workers, load "
            f"{summary['load_before'][0]} -> {summary['load_after'][0]} on {summary['cpus']} cores): "
            f"{t['posts']} posts, {t['problems']} problems, {t['file_errors']} whole-file errors, "
            f"{t['crashes']} crashes, {t['hangs']} hangs, {t['slow']} slow (> {SLOW:g} s)"
        )
        for name, row in summary["by_seed"].items():
            print(f"  {name:24} {row['cases']:6} cases  {row['crashes']} crashes  {row['hangs']} hangs  "
                  f"{row['slow']} slow  max {row['max_seconds']} s")  # fmt: skip
        for row in summary["slowest"]:
            print(
                f"  slowest: case {row['case']} ({row['seed']}, {row['bytes']:,} bytes): {row['seconds']} s [{row['mutations']}]"
            )
        for f in summary["failures"][:20]:
            print(f"  {f['kind']}: case {f['case']} ({f['seed']}): {f['detail']}  [{f['file']}]")
    return 1 if summary["total"]["crashes"] or summary["total"]["hangs"] else 0


if __name__ == "__main__":
    sys.exit(main())
