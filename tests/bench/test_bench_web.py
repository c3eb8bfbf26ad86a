"""The web benchmark on a tiny store: it serves the app in a child process, signs users in
concurrently and reports every page without an error (a server that does not answer fails)."""

from __future__ import annotations

import pytest
from bench.bench_web import run

pytestmark = pytest.mark.slow

PAGES = {
    "today",
    "calendar week",
    "deal page",
    "lock-in form",
    "lock-in POST",
    "manager today",
    "manager calendar week",
    "manager team week",
    "manager deal page",
}


def test_every_page_is_served_without_an_error_on_a_tiny_store() -> None:
    result = run("sqlite", 300, users=4, rounds=2, seconds=120, think=0, reps=50)

    assert set(result["pages_ms"]) == PAGES
    for page, row in result["pages_ms"].items():
        assert row["requests"] > 0, page
        assert row["errors"] == 0, (page, row)
        assert 0 < row["p50"] <= row["p95"] <= row["p99"], (page, row)
    assert result["errors"] == 0
    assert result["meetings"] > result["deals"]
