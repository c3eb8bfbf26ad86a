"""``momentum serve`` as a real process on loopback, and logins made with the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.engine.conftest import free_port


def momentum_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOMENTUM_")}
    env["MOMENTUM_DATABASE_URL"] = database_url
    env.update(extra)
    return env


def momentum(args: list[str], *, env: dict[str, str], cwd: Path, stdin: str = "") -> str:
    """Run the CLI; its standard output (fails the test on a non-zero exit)."""
    done = subprocess.run(
        [sys.executable, "-m", "momentum", *args],
        input=stdin,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@contextmanager
def serving(
    *, env: dict[str, str], cwd: Path, worker: bool = False, options: tuple[str, ...] = ()
) -> Iterator[str]:
    """A ``momentum serve`` process; yields its base URL and stops it (SIGTERM) at the end."""
    port = free_port()
    log = (cwd / f"serve-{port}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "momentum", "serve", "--port", str(port), *options]
        + ([] if worker else ["--no-worker"]),
        env=env,
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (cwd / f"serve-{port}.log").read_text()
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "momentum serve did not start within 60 s"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
