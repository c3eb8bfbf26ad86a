"""Benchmark: ``momentum audit FOLDER --json -`` end to end (parse, validate, compute, JSON)
on canonical folders of 1M and 10M meetings, against the pandas baseline, whose figures must
be identical.

    .venv/bin/python -m bench.bench_audit --meetings 1000000 10000000

Targets (issue 3, on this 2-core machine): 10M meetings in ≤ 30 s with peak memory ≤ 4 GB,
and ≥ 5× faster than the baseline. Each run is a child process measured whole.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.generate import folder_for
from bench.measure import MOMENTUM, check, run

COMPARED = (
    "deals",
    "deals_with_first_meeting",
    "second_meeting",
    "close_rate_after_first_meeting",
    "close_rate_by_gap",
    "by_rep",
    "weekly",
)


def bench(meetings: int, *, baseline: bool = True) -> dict[str, Any]:
    # generated in a child: a child inherits its parent's high-water mark of resident memory,
    # so generating here would be reported as the audit's peak
    check(run([sys.executable, "-m", "bench.generate", "--meetings", str(meetings)]))
    folder = folder_for(meetings, seed=1)
    with tempfile.TemporaryDirectory() as temp:
        ours_json, theirs_json = Path(temp) / "momentum.json", Path(temp) / "pandas.json"
        ours = check(run([*MOMENTUM, "audit", str(folder), "--json", "-"], stdout=ours_json))
        result: dict[str, Any] = {
            "meetings": meetings,
            "command": ours.command,
            "seconds": round(ours.seconds, 2),
            "peak_mib": round(ours.peak_mib),
        }
        if baseline:
            theirs = check(
                run(
                    [
                        sys.executable,
                        "-m",
                        "bench.baseline_pandas",
                        str(folder),
                        "--json",
                        str(theirs_json),
                    ]
                )
            )
            mine, other = json.loads(ours_json.read_text()), json.loads(theirs_json.read_text())
            result.update(
                {
                    "baseline_seconds": round(theirs.seconds, 2),
                    "baseline_peak_mib": round(theirs.peak_mib),
                    "speedup": round(theirs.seconds / ours.seconds, 2),
                    "identical_figures": all(mine[key] == other[key] for key in COMPARED),
                }
            )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--meetings", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    for size in args.meetings:
        print(json.dumps(bench(size, baseline=not args.no_baseline)), flush=True)


if __name__ == "__main__":
    main()
