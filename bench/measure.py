"""Running one benchmarked command in a child process: wall time, CPU time and the child's peak
memory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MOMENTUM = [sys.executable, "-m", "momentum"]


@dataclass(frozen=True)
class Run:
    argv: list[str]
    seconds: float
    peak_mib: float
    returncode: int
    stderr: str
    cpu_seconds: float = 0.0  # user + system, all of the child's threads

    @property
    def command(self) -> str:
        shown = [Path(a).name if a == sys.executable else a for a in self.argv]
        return " ".join(shown)


def run(
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stdout: Path | None = None,
) -> Run:
    """Run ``argv`` (its standard output into the file ``stdout`` if given); its wall time, and
    its CPU time and peak resident memory from ``wait4`` (the whole child: Python, Polars,
    SQLite)."""
    began = time.perf_counter()
    with open(stdout, "w") if stdout else open(os.devnull, "w") as sink:
        child = subprocess.Popen(
            argv,
            env={**os.environ, **(env or {})},
            cwd=cwd or ROOT,
            stdout=sink,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stderr is not None
        stderr = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return Run(argv, seconds, usage.ru_maxrss / 1024, child.returncode, stderr, cpu)


def check(result: Run) -> Run:
    if result.returncode != 0:
        raise SystemExit(
            f"benchmark command failed ({result.returncode}): {result.command}\n{result.stderr}"
        )
    return result
