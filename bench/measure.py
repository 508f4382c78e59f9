"""Run a command and report its wall time and peak memory, children included.

Peak RSS is sampled from /proc every 50 ms as the sum over the process and all its
descendants (worker processes count: the laptop has to hold all of them at once). CPU time
(user + system, the process and every descendant it waited for) is what a shared machine
changes least: beside a wall time measured under load it says what the work itself costs.
The command's own share of it (sampled like the memory) tells a writer from its workers.
"""

from __future__ import annotations

import os
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Measurement:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stderr: str
    cpu_seconds: float = 0.0
    own_cpu_seconds: float = 0.0  # the command's own process, without its workers (last sample)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    kids = [int(x) for x in text.split()]
    return kids + [g for k in kids for g in _children(k)]


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _own_cpu(pid: int) -> float | None:
    """User + system seconds of the process itself, from /proc/PID/stat (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(cmd: list[str], env: dict | None = None) -> Measurement:
    start = time.perf_counter()
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})}
    )
    peak = 0
    own = 0.0
    while proc.poll() is None:
        peak = max(peak, sum(_rss_kb(p) for p in [proc.pid, *_children(proc.pid)]))
        own = _own_cpu(proc.pid) or own
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - used.ru_utime) + (after.ru_stime - used.ru_stime)
    return Measurement(
        seconds, peak / 1024, proc.returncode, proc.stderr.read() if proc.stderr else "", cpu, own
    )


def machine_probe(rounds: int = 5) -> float:
    """Milliseconds this machine takes for a fixed pure-Python workload of the kind the
    annotator does (splitting words, folding case, dict look-ups and counts), the median of
    `rounds`. The machines these benchmarks run on differ by a factor of two or more between
    sessions; a figure printed beside this one can be compared with another session's."""
    words = [f"слово{i % 997}" if i % 3 else f"Word{i % 211}" for i in range(20_000)]
    text = " ".join(words)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(10):
            counts: dict[str, int] = {}
            for w in text.split():
                k = w.lower()
                counts[k] = counts.get(k, 0) + 1
            sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        times.append(time.perf_counter() - t0)
    times.sort()
    return 1000 * times[len(times) // 2]
