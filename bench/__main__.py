"""``make bench``: every benchmark of the project, one after another, each in child processes.

    .venv/bin/python -m bench              # full sizes (several minutes; needs ~12 GB free)
    .venv/bin/python -m bench --quick      # small sizes, to check the harness

Results are printed as a table and written to bench/results/latest.json. Targets come from the
issues; they are reported, never asserted in tests.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"

# name -> (module, full-size arguments, quick arguments)
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "import": ("bench.bench_import", ["--meetings", "1000000"], ["--meetings", "100000"]),
    "import-hubspot": ("bench.bench_import_hubspot", ["--rows", "1000000"], ["--rows", "100000"]),
    "audit": ("bench.bench_audit", ["--meetings", "1000000", "10000000"], ["--meetings", "100000"]),
    "dispatch": ("bench.bench_dispatch", [], ["--reminders", "1000"]),
    "rules": ("bench.bench_rules", [], ["--deals", "10000"]),
    "web": (
        "bench.bench_web",
        ["--workers", "2"],
        ["--deals", "2000", "--reps", "50", "--rounds", "3"],
    ),
    "dashboard": ("bench.bench_dashboard", [], ["--meetings", "20000", "--requests", "5"]),
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument(
        "names", nargs="*", choices=[*BENCHMARKS, []], help="which to run (default: all)"
    )
    args = parser.parse_args()
    results: dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "quick": args.quick}
    for name in args.names or BENCHMARKS:
        module, full, quick = BENCHMARKS[name]
        if importlib.util.find_spec(module) is None:
            print(f"== {name}: {module} is not part of this checkout", flush=True)
            continue
        argv = [sys.executable, "-m", module, *(quick if args.quick else full)]
        print(f"== {name}: {' '.join(argv[1:])}", flush=True)
        completed = subprocess.run(argv, capture_output=True, text=True)
        if completed.returncode != 0:
            print(completed.stdout + completed.stderr, flush=True)
            raise SystemExit(f"benchmark {name} failed")
        print(completed.stdout, end="", flush=True)
        results[name] = [
            json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")
        ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=1) + "\n")
    print(f"results written to {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    main()
