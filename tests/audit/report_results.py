"""AuditResults for the report tests: the audit itself (``momentum.audit.service``) run on the
worked example and on the demo team, and copies of the worked example with hostile text."""

from __future__ import annotations

import functools
import shutil
import tempfile
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from momentum.audit.result import AuditOptions, AuditResult, Finding, Group, Rate
from momentum.audit.service import audit, read_files
from momentum.demo.generator import generate
from momentum.importers.canonical import ReadOptions

HOSTILE = "<img src=x onerror=alert('hi') />"
MARKUP = "[bold red]Eve[/] & <b>Mallory</b>"
COMPARE_AT = date(2026, 3, 9)  # the worked example: d1, d2, d5, d9 before; d3, d4, d7, d8 after


def audited(folder: Path, **options: Any) -> AuditResult:
    data = read_files([folder], format=None, read=ReadOptions())
    return audit(data, AuditOptions(**options), sources=[str(folder)])


AS_OF = datetime(2027, 6, 1, tzinfo=UTC)  # every outcome of the worked example is known


def worked_result(folder: Path) -> AuditResult:
    """The worked example (or a copy of it), split before and after 9 March 2026, with its
    outcomes known (as of 2027)."""
    return audited(folder, compare_at=COMPARE_AT, as_of=AS_OF)


def empty_scope(folder: Path) -> AuditResult:
    """The worked example narrowed to a period without deals (meeting one from 2030 on)."""
    return audited(folder, since=date(2030, 1, 1))


def with_findings(result: AuditResult, findings: list[Finding]) -> AuditResult:
    return replace(result, findings=findings)


@functools.cache
def demo_result() -> AuditResult:
    """The demo team's audit (12 reps, 800 deals, as of 26 November 2026), made once per run;
    don't change it, replace() it."""
    with tempfile.TemporaryDirectory() as root:
        folder = Path(root) / "momentum-demo"
        generate(folder, deals=800, seed=7, as_of=date(2026, 11, 26))
        result = audited(folder)
    return replace(result, sources=["momentum-demo"])


def hostile_copy(worked: Path, root: Path) -> Path:
    """The worked example in a folder named like an attack, its reps renamed to the hostile
    strings found in real CRM exports (and Rich markup, and mathtext)."""
    folder = root / f"{HOSTILE.replace('/', '_')}"
    shutil.copytree(worked, folder)
    reps = (folder / "reps.csv").read_text(encoding="utf-8")
    reps = (
        reps.replace("Ann Lee", f'"{HOSTILE}"')
        .replace("Bo Krause", f'"{MARKUP}"')
        .replace("Kei Ito", "Kei $\\frac{1}{0}$ Ito")
    )
    (folder / "reps.csv").write_text(reps, encoding="utf-8")
    return folder


HOSTILE_FINDING = Finding(
    id="rep_stalls",
    rank=99,
    text=f"{HOSTILE} lost the only deal whose meeting two was rescheduled",
    kind="rep",
    step="rescheduled",
    metric="meeting two rescheduled",
    practice=f"coaching {MARKUP}",
    playbook="sell_the_next_meeting",
    group=Group(HOSTILE, Rate(1, 1)),
    reference=Group("the rest of the team", Rate(0, 5)),
    left_out=MARKUP,
    ci95=(0.1, 0.9),
    higher_is_better=False,
    p_value=0.01,
    adjusted_p_value=0.01,
    established=True,
    impact=1.0,
    impact_unit="fewer second meetings rescheduled",
    money=(),
    deal_ids=pl.Series([HOSTILE]),
    rep_id="r1",
)
