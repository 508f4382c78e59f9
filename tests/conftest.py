"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import CORPORA  # real public corpora live beside the repository, never inside it

SOURCES_DATA = Path(__file__).resolve().parent / "data" / "sources"


@pytest.fixture
def corpora() -> Path:
    """The shared corpora folder; the test is skipped when it is absent (a fresh clone)."""
    if not CORPORA.is_dir():
        pytest.skip(f"real corpora not found at {CORPORA}")
    return CORPORA


@pytest.fixture
def sources_data() -> Path:
    """Small hand-written fixtures for the source readers."""
    return SOURCES_DATA
