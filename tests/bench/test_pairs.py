"""The alternating-pairs harness: its ratios, medians and interval, and a whole run of it
comparing this checkout with itself."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from bench.measure import ROOT, Run
from bench.pairs import median_interval, summary


def _run(seconds: float, cpu: float, peak: float = 100.0) -> Run:
    return Run(["momentum"], seconds, peak, 0, "", cpu)


def test_each_pair_gives_a_ratio_and_the_verdict_is_their_median() -> None:
    pairs = [
        (_run(10, 20), _run(11, 21)),  # +10 % wall, +5 % CPU
        (_run(10, 20), _run(9, 18)),  # -10 %, -10 %
        (_run(20, 40), _run(21, 42)),  # +5 %, +5 %
    ]

    found = summary(pairs)

    assert found["pairs"] == 3
    assert found["wall"]["ratios"] == [0.1, -0.1, 0.05]
    assert found["wall"]["median_ratio"] == 0.05
    assert found["cpu"]["median_ratio"] == 0.05
    assert found["wall"]["base_median_s"] == 10
    assert found["wall"]["new_median_s"] == 11
    low, high = found["wall"]["interval95"]
    assert -0.1 <= low <= 0.05 <= high <= 0.1


def test_the_interval_needs_three_pairs_and_holds_the_median() -> None:
    assert median_interval([0.1, 0.2]) is None
    ratios = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.3]
    interval = median_interval(ratios)
    assert interval is not None
    assert interval[0] <= 0.04 <= interval[1]
    assert interval[1] < 0.3  # one outlier does not carry the median's interval


def test_a_checkout_compared_with_itself() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.pairs", "--base", str(ROOT), "--pairs", "1", "--", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stderr
    found = json.loads(completed.stdout.splitlines()[-1])
    assert found["benchmark"] == "pairs"
    assert found["command"] == ["--help"]
    assert found["pairs"] == 1
    assert found["cpu"]["base_median_s"] > 0
    assert found["peak_mib"]["new"] > 0


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--base", "/nonexistent", "--", "--help"], "is not a checkout of Momentum"),
        (["--base", str(ROOT)], "give the command to time"),
    ],
)
def test_a_wrong_call_is_refused_with_a_reason(arguments: list[str], said: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.pairs", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert completed.returncode == 2
    assert said in completed.stderr
