"""The mutation fuzzer of bench/fuzz in its CI mode: 1,500 mutated seed files ingested into real
databases by worker processes; none may crash or hang (bench/fuzz/run.py --long is the benchmark)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

RUNNER = Path(__file__).resolve().parents[1] / "bench" / "fuzz" / "run.py"


def test_the_quick_fuzz_run_finds_no_crash_and_no_hang(tmp_path):
    r = subprocess.run(
        [sys.executable, str(RUNNER), "--json", "--out", str(tmp_path / "failures")],
        capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    summary = json.loads(r.stdout)
    assert summary["failures"] == [], summary["failures"][:5]
    assert r.returncode == 0, r.stderr
    total = summary["total"]
    assert total["cases"] == 1500 and total["crashes"] == 0 and total["hangs"] == 0
    # The cases were real work: posts were read and problems reported, for every kind of seed.
    assert total["posts"] > 500 and total["problems"] > 500
    assert len(summary["by_seed"]) >= 13
    assert not (tmp_path / "failures").exists()
