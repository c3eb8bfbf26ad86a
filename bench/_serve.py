"""``momentum serve`` for the web benchmarks: a real process on a free loopback port, and
clients signed in to it as a browser would (CSRF token from the sign-in page)."""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.measure import MOMENTUM

PASSWORD = "bench horse battery staple"  # every benchmark login's
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p95 and p99 of one sample or more, rounded to 0.1."""
    if len(samples) == 1:
        return dict.fromkeys(("p50", "p95", "p99"), round(samples[0], 1))
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {
        "p50": round(statistics.median(samples), 1),
        "p95": round(cuts[94], 1),
        "p99": round(cuts[98], 1),
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(
    database_url: str, folder: Path, *, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[tuple[str, Path]]:
    """``momentum serve --no-worker --workers N`` on ``database_url``, configured through the
    environment (plus ``env``) as an operator would, run in ``folder`` (no stray .env is read)
    for as long as the block runs: its base URL and its log. Always stopped."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MOMENTUM_")}
    environment |= {"MOMENTUM_DATABASE_URL": database_url, **(env or {})}
    log_path = folder / "serve.log"
    command = ["serve", "--no-worker", "--workers", str(workers), "--port", str(port)]
    with log_path.open("wb") as log:
        child = subprocess.Popen(
            [*MOMENTUM, *command, "--host", "127.0.0.1"],
            cwd=folder,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(base, child, log_path)
            yield base, log_path
        finally:
            child.terminate()
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _wait_until_up(base: str, child: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(
                f"momentum serve exited with {child.returncode}:\n{log_path.read_text()[-3000:]}"
            )
        try:
            if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"momentum serve did not answer within 120 s:\n{log_path.read_text()[-3000:]}"
    )


def signed_in(base: str, email: str, *, timeout: float = 60) -> httpx.Client:
    """A client signed in as ``email`` (password ``PASSWORD``), its session cookie kept."""
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=timeout)
    page = client.get("/login")
    token = CSRF.search(page.text)
    if token is None:
        raise RuntimeError("no CSRF token on the sign-in page")
    answer = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    if answer.status_code != 303:
        raise RuntimeError(f"signing in as {email} failed: {answer.status_code}")
    return client
