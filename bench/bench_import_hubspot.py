"""Benchmark: a HubSpot-style meetings export (semicolons, BOM, day-first dates) imported into
SQLite; rows per second and peak memory, next to the same data as canonical CSVs.

    .venv/bin/python -m bench.bench_import_hubspot --rows 1000000

Each import runs in its own subprocess on a fresh SQLite store and reports its own peak
resident memory (``getrusage``, whole process: Python, Polars and SQLite included). Never run
from the tests.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.generate_hubspot import generate

CHILD = """
import json, resource, sys, time
from pathlib import Path
from momentum.clock import SystemClock
from momentum.db.engine import Database
from momentum.importers.canonical import ReadOptions
from momentum.importers.service import import_files

folder, store, fmt = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
database = Database(f"sqlite:///{store}")
began = time.perf_counter()
summary = import_files(
    database, [folder], format=fmt, options=ReadOptions(timezone="Europe/Berlin" if fmt == "hubspot" else None),
    clock=SystemClock(),
)
seconds = time.perf_counter() - began
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
print(json.dumps({"seconds": seconds, "meetings": summary.counts["meetings"]["read"],
                  "deals": summary.counts["deals"]["read"], "peak_rss_mib": peak / 1024}))
"""


def run_import(folder: Path, format: str, workdir: Path) -> dict[str, float]:
    store = workdir / f"{format}.db"
    store.unlink(missing_ok=True)
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), str(store), format],
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    rows = figures["meetings"] + figures["deals"]
    figures["rows_per_second"] = rows / figures["seconds"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="meetings in the export")
    parser.add_argument("--keep", type=Path, help="folder to write (and reuse) the files in")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="momentum-bench-") as scratch:
        folder = arguments.keep or Path(scratch)
        began = time.perf_counter()
        paths = generate(folder, meetings=arguments.rows)
        print(f"generated {arguments.rows:,} meetings in {time.perf_counter() - began:.1f}s")
        results = {}
        for name in ("canonical", "hubspot"):
            format = "momentum" if name == "canonical" else "hubspot"
            results[name] = run_import(paths[name], format, Path(scratch))
            figures = results[name]
            print(
                f"{name:>9}: {figures['meetings']:,.0f} meetings + {figures['deals']:,.0f} deals "
                f"in {figures['seconds']:.1f}s = {figures['rows_per_second']:,.0f} rows/s; "
                f"peak RSS {figures['peak_rss_mib']:,.0f} MiB"
            )
        ratio = results["canonical"]["rows_per_second"] / results["hubspot"]["rows_per_second"]
        print(f"hubspot takes {ratio:.2f}x the canonical import's time (target: at most 2x)")
        print(
            json.dumps(
                {
                    "rows": arguments.rows,
                    "ratio": round(ratio, 2),
                    **{
                        f"{name}_{key}": round(value, 2)
                        for name, figures in results.items()
                        for key, value in figures.items()
                    },
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
