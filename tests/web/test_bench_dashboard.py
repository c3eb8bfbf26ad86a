"""The dashboard benchmark's harness, on a few thousand meetings: it builds its store, serves
it with ``momentum serve``, times the first render and ten managers at once, and prints one
JSON line with every view answered."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_dashboard_benchmark_runs_small() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_dashboard", "--meetings", "3000", "--requests", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert result["meetings"] == 3000 and result["reps"] == 50 and result["managers"] == 10
    assert result["first_render_ok"] and result["first_render_seconds"] > 0
    assert result["errors"] == 0
    load = result["managers_ms"]
    assert load["requests"] == 30  # every manager's every view
    assert load["views"]["team"]["count"] > 0 and load["views"]["rep"]["count"] > 0
    assert load["views"]["team"]["count"] + load["views"]["rep"]["count"] == 30
    assert load["first_asked"]["count"] + load["asked_again"]["count"] == 30
    assert load["charts_after_page"]["count"] == 30
    for row in (load["all"], *load["views"].values()):
        assert 0 < row["p50"] <= row["p95"] <= row["p99"]
