"""No figure may depend on the order of rows, or on how a table is split into files."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.audit.helpers import report

DEMO_ROWS = 120  # deals in the generated team: enough for every definition to matter


def _split_rows(text: str) -> tuple[str, list[str]]:
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    lines = []
    for row in body:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(row)
        lines.append(buffer.getvalue())
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(header)
    return out.getvalue(), lines


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The generated team and its audit, made once for every example."""
    from datetime import date

    from momentum.demo.generator import generate

    folder = tmp_path_factory.mktemp("demo")
    generate(folder, deals=DEMO_ROWS, seed=3, as_of=date(2026, 11, 26))
    return folder, report(folder)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1), cut=st.floats(0.0, 1.0))
def test_reordering_and_splitting_files_changes_nothing(
    tmp_path_factory: pytest.TempPathFactory,
    demo: tuple[Path, dict[str, Any]],
    seed: int,
    cut: float,
) -> None:
    folder, baseline = demo
    shuffled = tmp_path_factory.mktemp("shuffled")
    rng = random.Random(seed)
    for name in ("reps.csv", "deals.csv", "meetings.csv"):
        header, lines = _split_rows((folder / name).read_text())
        rng.shuffle(lines)
        if name == "reps.csv":
            (shuffled / name).write_text(header + "".join(lines))
            continue
        at = int(len(lines) * cut)
        (shuffled / f"{name[:-4]}-part1.csv").write_text(header + "".join(lines[:at]))
        (shuffled / f"{name[:-4]}-part2.csv").write_text(header + "".join(lines[at:]))
    parts = sorted(shuffled.iterdir())
    rng.shuffle(parts)
    reps_first = sorted(parts, key=lambda p: p.name != "reps.csv")
    assert report(reps_first) == baseline
