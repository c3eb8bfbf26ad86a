"""Run ``momentum`` as a separate process, as a user would, optionally as an unprivileged user
(so a folder or store made read-only with chmod is read-only to it even when the tests run as
root)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

NOBODY = 65534
AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def momentum(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    unprivileged: bool = False,
    timeout: float = 120,
) -> Run:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MOMENTUM_")},
        "COLUMNS": "200",
        **(env or {}),
    }
    command = [sys.executable, "-m", "momentum", *args]
    if unprivileged and os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root, and setpriv (util-linux) is not there to drop it")
        if not _unprivileged_can_run():
            pytest.skip(
                "an unprivileged user cannot run Momentum from this checkout: its folder, its "
                "virtualenv or a folder above them is not readable by others"
            )
        command = [*AS_NOBODY, *command]
    done = subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout
    )
    return Run(done.returncode, done.stdout, done.stderr)


@functools.cache
def _unprivileged_can_run() -> bool:
    probe = [*AS_NOBODY, sys.executable, "-c", "import momentum"]
    return subprocess.run(probe, capture_output=True, cwd="/", timeout=60).returncode == 0


@contextmanager
def shared_folder() -> Iterator[Path]:
    """A fresh folder that an unprivileged user may enter and write (pytest's own temporary
    folders are private to the user running the tests)."""
    with tempfile.TemporaryDirectory(prefix="momentum-cli-") as name:
        folder = Path(name)
        folder.chmod(0o777)
        try:
            yield folder
        finally:
            for path in [folder, *folder.rglob("*")]:
                if path.is_dir() and not path.is_symlink():
                    path.chmod(0o777)
