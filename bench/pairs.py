"""A ``momentum`` command timed against another checkout's code, in alternating pairs.

    git worktree add --detach ../base f685268
    .venv/bin/python -m bench.pairs --base ../base --pairs 8 -- \\
        audit bench/data/canonical-10000000-s1-by-time --json /tmp/audit.json

This machine's speed drifts within minutes, so one run of each version says little. The two
run in turn (the base, this checkout, the base, ...), with the same virtualenv and each
version's ``src`` first on ``PYTHONPATH``; each pair gives a ratio (this checkout / the base),
and the verdict is the median ratio, with a 95 % bootstrap interval of that median (scipy).
CPU is user + system of all the child's threads, from ``wait4`` like its peak memory
(:mod:`bench.measure`). One JSON line ends the output.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from bench.measure import MOMENTUM, ROOT, Run, check, run


def timed(source: Path, command: list[str]) -> Run:
    """``momentum COMMAND`` with the code of the checkout whose ``src`` is ``source``."""
    return check(run([*MOMENTUM, *command], env={"PYTHONPATH": str(source)}))


def median_interval(ratios: list[float]) -> tuple[float, float] | None:
    """The 95 % bootstrap interval of the median of ``ratios`` (None for fewer than 3)."""
    if len(ratios) < 3:
        return None
    interval = stats.bootstrap(
        (np.array(ratios),),
        np.median,
        confidence_level=0.95,
        method="percentile",
        rng=np.random.default_rng(0),
    ).confidence_interval
    return float(interval.low), float(interval.high)


def summary(pairs: list[tuple[Run, Run]]) -> dict[str, Any]:
    """Per measure (wall, CPU): each pair's ratio − 1, their median and its interval; and
    the medians of both versions' figures."""
    found: dict[str, Any] = {"pairs": len(pairs)}
    for name, of in (("wall", lambda r: r.seconds), ("cpu", lambda r: r.cpu_seconds)):
        ratios = [of(new) / of(base) - 1 for base, new in pairs]
        interval = median_interval(ratios)
        found[name] = {
            "ratios": [round(r, 4) for r in ratios],
            "median_ratio": round(statistics.median(ratios), 4),
            "interval95": None if interval is None else [round(x, 4) for x in interval],
            "base_median_s": round(statistics.median(of(base) for base, _ in pairs), 2),
            "new_median_s": round(statistics.median(of(new) for _, new in pairs), 2),
        }
    found["peak_mib"] = {
        "base": round(max(base.peak_mib for base, _ in pairs), 1),
        "new": round(max(new.peak_mib for _, new in pairs), 1),
    }
    return found


def _percent(ratio: float) -> str:
    return f"{ratio:+.1%}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--base", type=Path, required=True, help="a checkout of the code to compare with"
    )
    parser.add_argument("--pairs", type=int, default=6, help="alternating pairs (default 6)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then momentum's arguments")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    base_source = args.base.resolve() / "src"
    if not (base_source / "momentum").is_dir():
        parser.error(f"--base: {args.base} is not a checkout of Momentum (no src/momentum)")
    if not command:
        parser.error("give the command to time after --, e.g. -- audit FOLDER --json FILE")
    if args.pairs < 1:
        parser.error("--pairs: at least 1")
    pairs = []
    for n in range(1, args.pairs + 1):
        base = timed(base_source, command)
        new = timed(ROOT / "src", command)
        pairs.append((base, new))
        print(
            f"pair {n}: base {base.seconds:.2f} s (CPU {base.cpu_seconds:.2f}), "
            f"this {new.seconds:.2f} s (CPU {new.cpu_seconds:.2f})",
            flush=True,
        )
    found = summary(pairs)
    for name in ("wall", "cpu"):
        row = found[name]
        interval = row["interval95"]
        shown = (
            "" if interval is None else f" (95 % interval {' to '.join(map(_percent, interval))})"
        )
        print(
            f"{name}: median ratio {_percent(row['median_ratio'])}{shown}; medians "
            f"{row['base_median_s']} s (base) and {row['new_median_s']} s (this checkout)"
        )
    print(f"peak: {found['peak_mib']['base']} MiB (base), {found['peak_mib']['new']} MiB")
    print(json.dumps({"benchmark": "pairs", "command": command, **found}))


if __name__ == "__main__":
    main()
