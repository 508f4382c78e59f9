"""Partner balance: vector shares, entropy and HHI against hand computations."""

from __future__ import annotations

import math

import pytest

from multivector.analyze.balance import hhi, normalised_entropy
from multivector.report.build import build_balance
from multivector.store.sqlite import Store
from test_analyze_corpus import VECTORS, Corpus, lexicon


def test_entropy_and_hhi_of_known_shares():
    assert normalised_entropy([0.25] * 4) == pytest.approx(1.0)
    assert hhi([0.25] * 4) == pytest.approx(0.25)
    assert normalised_entropy([1.0, 0, 0, 0]) == 0.0
    assert hhi([1.0, 0, 0, 0]) == 1.0
    shares = [0.5, 0.25, 0.25]
    h = -(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25))
    assert normalised_entropy(shares, k=5) == pytest.approx(h / math.log(5))
    assert hhi(shares) == pytest.approx(0.375)
    assert normalised_entropy([1.0], k=1) == 0.0


def test_balance_of_a_constructed_year(tmp_path):
    with Store.open(tmp_path / "b.db") as store:
        c = Corpus(store)
        # 2024: RU in 4 posts (one with CN too, one via the EAEU), CN in 2, EU+FR in 1 post (europe
        # counts once), KZ alone in 1 (no vector), UZ in 1 off-topic post (not counted).
        c.add("a", "2024-01-10", actors=["RU", "KZ"], themes={"x": "торговля зерном"})
        c.add("a", "2024-02-10", actors=["RU", "CN"], themes={"x": "торговля зерном"})
        c.add("b", "2024-03-10", actors=["EAEU"], themes={"x": "торговля зерном"})
        c.add("b", "2024-03-11", actors=["RU"], themes={"x": "торговля зерном"})
        c.add("b", "2024-04-10", actors=["CN"], themes={"x": "торговля зерном"})
        c.add("c", "2024-05-10", actors=["EU", "FR"], themes={"x": "торговля зерном"})
        c.add("c", "2024-06-10", actors=["KZ"], themes={"x": "торговля зерном"})
        c.add("c", "2024-06-11", actors=["UZ"], in_scope=False)
        # 2023: only Russia and China, evenly
        c.add("a", "2023-03-10", actors=["RU"], themes={"x": "торговля зерном"})
        c.add("b", "2023-04-10", actors=["CN"], themes={"x": "торговля зерном"})
        c.flush()
        result = build_balance(store, lexicon(), 2024)
    shares = {p["vector"]: p["share"] for p in result["partners"]}
    expected = {"russia": 4 / 7, "china": 2 / 7, "europe": 1 / 7, "usa": 0.0, "central_asia": 0.0}
    assert shares == pytest.approx(expected, abs=1e-4)
    s = [4 / 7, 2 / 7, 1 / 7]
    expected_h = -sum(x * math.log(x) for x in s) / math.log(len(VECTORS))
    assert result["entropy"] == pytest.approx(expected_h, abs=1e-4)
    assert result["hhi"] == pytest.approx(sum(x * x for x in s), abs=1e-4)
    assert result["entropy_prev"] == pytest.approx(math.log(2) / math.log(len(VECTORS)), abs=1e-4)
    assert result["hhi_prev"] == pytest.approx(0.5, abs=1e-4)
    by = {p["vector"]: p for p in result["partners"]}
    assert by["russia"]["shift"] == pytest.approx(4 / 7 - 0.5, abs=1e-4)
    assert by["russia"]["posts"] == 4 and by["europe"]["posts"] == 1
    assert [p["vector"] for p in result["partners"]][:3] == ["russia", "china", "europe"]
    # per month the shares sum to 1 where there is any vote
    assert result["periods"][:2] == ["2024-01", "2024-02"]
    feb = [result["series"][v][1] for v in VECTORS]
    assert sum(feb) == pytest.approx(1.0) and result["series"]["russia"][1] == 0.5
