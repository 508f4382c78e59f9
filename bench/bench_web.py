"""Benchmark: dashboard pages and API calls on a large database, through a real server.

    .venv/bin/python bench/bench_web.py [--posts 200000] [--db /tmp/bench200k.db] [--year 2024] [--requests 60]

Makes the database with `bench/make_corpus.py` when it is missing (not timed), starts
`multivector serve --port 0` in a subprocess, waits until its background warm-up (overview,
the year's dashboard analysis and the default report) is done and reports how long that took,
then times each page and API call sequentially over one keep-alive HTTP connection on loopback:
a few untimed requests first, then `--requests` timed ones, cycling through different search
queries and post ids. Prints p50/p95/max per URL and the load average seen, as a Markdown
table for BENCHMARKS.md. Target: p95 <= 200 ms for the overview, search, trend and post pages
and their API calls.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Words of the synthetic corpus (bench/make_corpus.py) in several forms and languages, rare to
# very common, so the search figures are not those of one lucky query.
QUERIES = [
    "атомной", "АЭС", "ядерное топливо", '"Средний коридор"', "транзит грузов", "реактор", "уран*",
    "Китая", "Россией", "саммите", "нефти", "санкций", "ЕАЭС", "Қытаймен", "Орта дәліз", "ядролық",
    "nuclear fuel", "Middle Corridor", "uranium OR reactor", "Kazakhstan", "transit NOT oil",
]  # fmt: skip


def ensure_db(db: Path, posts: int) -> None:
    if db.exists():
        return
    print(f"making {db} with {posts} posts (bench/make_corpus.py, not timed)", file=sys.stderr)
    subprocess.run([sys.executable, str(HERE / "make_corpus.py"), str(posts), "--out", str(db)], check=True)


def start(db: Path) -> tuple[subprocess.Popen, str, str]:
    exe = Path(sys.executable).parent / "multivector"
    proc = subprocess.Popen(
        [str(exe), "--db", str(db), "serve", "--port", "0", "--no-ner"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    line = proc.stderr.readline()
    if "serving" not in line:
        proc.kill()
        sys.exit(f"the server did not start: {line}")
    url = urllib.parse.urlsplit(line.split(" on ", 1)[1].split()[0])
    return proc, url.hostname, str(url.port)


class Client:
    def __init__(self, host: str, port: str):
        self.conn = http.client.HTTPConnection(host, int(port), timeout=600)

    def get(self, path: str) -> tuple[int, bytes, float]:
        t = time.perf_counter()
        self.conn.request("GET", path)
        r = self.conn.getresponse()
        body = r.read()
        return r.status, body, time.perf_counter() - t


def wait_warm(client: Client, timeout: float = 1800) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        status, body, _ = client.get("/api/status")
        state = json.loads(body)
        if status == 200 and not state["computing"] and any(k["key"][0] == "report" for k in state["ready"]):
            return time.perf_counter() - t0
        time.sleep(1)
    sys.exit("the server did not finish warming up")


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * (len(s) - 1))))
    return s[k]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=200_000)
    ap.add_argument("--db", type=Path, default=Path("/tmp/bench200k.db"))
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--requests", type=int, default=60, help="timed requests per URL")
    args = ap.parse_args()
    ensure_db(args.db, args.posts)

    from multivector.store.sqlite import Store

    with Store.open(args.db, create=False) as store:
        n_posts = store.count_posts()
        ids = [r["id"] for r in store.search_page(None, limit=400)["results"]]
        ids += [r["id"] for r in store.search_page("Китая", limit=200)["results"]]
    rng = random.Random(7)
    rng.shuffle(ids)

    proc, host, port = start(args.db)
    try:
        client = Client(host, port)
        warm = wait_warm(client)
        print(
            f"{n_posts} posts; warm-up (overview, dashboard of {args.year}, default report): {warm:.1f} s",
            file=sys.stderr,
        )
        y = args.year

        def search(i: int, api: bool, filtered: bool) -> str:
            params = {"q": QUERIES[i % len(QUERIES)]}
            if filtered:
                params.update({"lang": "ru", "from": f"{y}-01-01", "to": f"{y}-12-31", "duplicates": "hide"})
            return ("/api/search?" if api else "/search?") + urllib.parse.urlencode(params)

        targets = [
            ("page /", lambda i: "/"),
            ("page /search (21 queries)", lambda i: search(i, False, False)),
            ("page /search + lang, dates, duplicates", lambda i: search(i, False, True)),
            (f"page /trends/{y}", lambda i: f"/trends/{y}"),
            ("page /posts/{id} (600 posts)", lambda i: f"/posts/{ids[i % len(ids)]}"),
            (f"page /events/{y}", lambda i: f"/events/{y}"),
            (f"page /events/{y}/1", lambda i: f"/events/{y}/1"),
            ("page /actors/CN", lambda i: "/actors/CN"),
            (f"page /report?year={y}", lambda i: f"/report?year={y}"),
            ("api /api/overview", lambda i: "/api/overview"),
            ("api /api/search (21 queries)", lambda i: search(i, True, False)),
            ("api /api/search + filters", lambda i: search(i, True, True)),
            (f"api /api/trends?year={y}", lambda i: f"/api/trends?year={y}"),
            ("api /api/posts/{id}", lambda i: f"/api/posts/{ids[i % len(ids)]}"),
            (f"api /api/events?year={y}", lambda i: f"/api/events?year={y}"),
            (f"api /api/balance?year={y}", lambda i: f"/api/balance?year={y}"),
            ("api /api/actors/CN", lambda i: "/api/actors/CN"),
        ]
        load_before = os.getloadavg()
        rows = []
        for name, make in targets:
            for i in range(3):  # untimed: first visits fill caches
                status, body, _ = client.get(make(i + 1000))
            times = []
            sizes = []
            for i in range(args.requests):
                status, body, dt = client.get(make(i))
                if status != 200:
                    sys.exit(f"{make(i)}: HTTP {status}: {body[:200]!r}")
                times.append(dt * 1000)
                sizes.append(len(body))
            rows.append(
                (name, statistics.median(times), pct(times, 95), max(times), statistics.mean(sizes) / 1024)
            )
            print(f"{name}: p50 {rows[-1][1]:.1f} ms, p95 {rows[-1][2]:.1f} ms", file=sys.stderr)
        load_after = os.getloadavg()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()

    print(
        f"\n{n_posts} posts, {args.requests} timed requests per URL, load average {load_before[0]:.1f} → {load_after[0]:.1f} (2 cores)\n"
    )
    print("| URL | p50 ms | p95 ms | max ms | KB |")
    print("|---|--:|--:|--:|--:|")
    for name, p50, p95, mx, kb in rows:
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {mx:.1f} | {kb:.0f} |")
    print(f"\nwarm-up after start: {warm:.1f} s")


if __name__ == "__main__":
    main()
