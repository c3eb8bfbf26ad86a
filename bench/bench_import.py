"""Benchmark: ``momentum import FOLDER`` of 1M meetings and 400K deals into a fresh SQLite
store (targets: ≤ 60 s and ≤ 600 MiB peak memory on this 2-core machine).

    .venv/bin/python -m bench.bench_import --meetings 1000000

The data is generated in a child process of its own. A child started here inherits this
process's high-water mark of resident memory (Linux keeps ``ru_maxrss`` across the fork and
exec that start it), so generating 1M meetings in this process (about 1 GB) would be reported
as the import's peak. ``harness_peak_mib`` is this process's own peak: the floor under every
figure measured from it.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.generate import folder_for
from bench.measure import MOMENTUM, check, run


def bench(meetings: int) -> dict[str, Any]:
    generator = [sys.executable, "-m", "bench.generate", "--meetings", str(meetings)]
    check(run(generator))
    folder = folder_for(meetings, seed=1)
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
        "harness_peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
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
