"""Benchmark: ``momentum import FOLDER`` of 1M meetings and 400K deals into a fresh SQLite
store (issue 2's target: ≤ 60 s and ≤ 1 GB peak memory on this 2-core machine).

    .venv/bin/python -m bench.bench_import --meetings 1000000
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from bench.generate import generate
from bench.measure import MOMENTUM, check, run


def bench(meetings: int) -> dict[str, Any]:
    folder = generate(meetings)
    with tempfile.TemporaryDirectory() as temp:
        store = Path(temp) / "momentum.db"
        env = {"MOMENTUM_DATABASE_URL": f"sqlite:///{store}"}
        first = check(run([*MOMENTUM, "import", str(folder)], env=env))
        again = check(run([*MOMENTUM, "import", str(folder)], env=env))  # every row an upsert
        with sqlite3.connect(store) as connection:
            stored = connection.execute("SELECT count(*) FROM meeting").fetchone()[0]
            deals = connection.execute("SELECT count(*) FROM deal").fetchone()[0]
    return {
        "meetings": stored,
        "deals": deals,
        "command": first.command,
        "seconds": round(first.seconds, 2),
        "peak_mib": round(first.peak_mib),
        "rows_per_second": round((stored + deals) / first.seconds),
        "reimport_seconds": round(again.seconds, 2),
        "reimport_peak_mib": round(again.peak_mib),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--meetings", type=int, default=1_000_000)
    args = parser.parse_args()
    print(json.dumps(bench(args.meetings)), flush=True)


if __name__ == "__main__":
    main()
