"""The hand-worked example in shared/examples/worked must come out exactly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_the_cli_prints_the_expected_figures_exactly(shared: Path) -> None:
    worked = shared / "examples" / "worked"
    completed = subprocess.run(
        [sys.executable, "-m", "momentum", "audit", str(worked), "--json", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    printed = json.loads(completed.stdout)
    expected = json.loads((worked / "expected.json").read_text())
    assert {key: printed[key] for key in expected} == expected
    assert list(printed) == [
        "deals",
        "deals_with_first_meeting",
        "second_meeting",
        "close_rate_after_first_meeting",
        "close_rate_by_gap",
        "by_rep",
        "weekly",
        "findings",
        "findings_overlap",
        "as_of",
        "observation_business_days",
        "pending",
        "pending_by_week",
        "unknown",
        "left_out",
        "stages",
    ]
    assert printed["stages"] is None  # the worked example has no stage history
    # standard error holds only the notes on how the files were read
    assert completed.stderr.splitlines() == [
        "note: detected format: momentum (deals.csv, meetings.csv, reps.csv)"
    ]


def test_the_json_file_matches_stdout(shared: Path, tmp_path: Path) -> None:
    worked = shared / "examples" / "worked"
    out = tmp_path / "audit.json"
    subprocess.run(
        [sys.executable, "-m", "momentum", "audit", str(worked), "--json", str(out)],
        capture_output=True,
        check=True,
    )
    expected = json.loads((worked / "expected.json").read_text())
    written = json.loads(out.read_text())
    assert {key: written[key] for key in expected} == expected
