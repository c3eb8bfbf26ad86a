"""Two ``momentum serve`` processes on one PostgreSQL store behave as one: a session opened
on one works on the other and ends on both at sign-out; failed sign-ins count across them.
Logins and tokens made with the real CLI. Also what ``momentum serve`` does as a process:
several leave the dispatcher to its own command, and an idle connection stays open."""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from momentum.clock import SystemClock
from momentum.db.engine import Database
from momentum.user.accounts import AccountService
from momentum.user.models import Role
from tests.engine.world import make_world
from tests.web.live import momentum, momentum_env, serving

PASSWORD = "a long enough password"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _sign_in(client: httpx.Client, base: str, email: str, password: str) -> httpx.Response:
    page = client.get(f"{base}/login")
    return client.post(
        f"{base}/login",
        data={"email": email, "password": password, "csrf_token": _csrf(page.text)},
    )


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_serve_processes_share_sessions_and_the_sign_in_limit(
    database_url: str, tmp_path: Path
) -> None:
    database = Database(database_url, migrate=False)
    with database.unit_of_work() as session:
        make_world(session)
        AccountService(session, clock=SystemClock()).add_user(
            email="bo@seller.test", password=PASSWORD, role=Role.REP, rep_id="bo"
        )
    env = momentum_env(database_url, MOMENTUM_SIGN_IN_MAX_FAILURES="3")
    momentum(
        ["user", "add", "--email", "Ana@Seller.test", "--role", "rep", "--rep", "ana",
         "--password-stdin"],
        env=env, cwd=tmp_path, stdin=PASSWORD + "\n",
    )  # fmt: skip
    token = momentum(["token", "create", "--email", "ana@seller.test"], env=env, cwd=tmp_path)
    secret = token.strip().splitlines()[-1]
    with serving(env=env, cwd=tmp_path) as one, serving(env=env, cwd=tmp_path) as two:
        with httpx.Client(follow_redirects=False, timeout=20) as browser:
            assert _sign_in(browser, one, "ana@seller.test", PASSWORD).status_code == 303
            page = browser.get(f"{two}/deals")  # the cookie is for 127.0.0.1, any port
            assert page.status_code == 200 and "Acme rollout" in page.text
            assert "Globex" not in page.text
            out = browser.post(f"{two}/logout", data={"csrf_token": _csrf(page.text)})
            assert out.status_code == 303
            browser.cookies.clear()
        # the signed-out cookie, replayed on the first process
        with httpx.Client(follow_redirects=False, timeout=20) as replay:
            replay.cookies.set("momentum_session", "x")
            assert replay.get(f"{one}/deals").status_code == 303
        # failed sign-ins on one process count on the other
        for base in (one, two, one):
            with httpx.Client(timeout=20) as client:
                assert _sign_in(client, base, "bo@seller.test", "wrong!!!").status_code == 401
        with httpx.Client(timeout=20) as client:
            assert _sign_in(client, two, "bo@seller.test", PASSWORD).status_code == 429
        # the token made by the CLI works on both, and stops on both when revoked
        headers = {"Authorization": f"Bearer {secret}"}
        for base in (one, two):
            me = httpx.get(f"{base}/api/v1/me", headers=headers, timeout=20)
            assert me.json()["rep_id"] == "ana"
        with database.unit_of_work() as session:
            AccountService(session, clock=SystemClock()).revoke_token(1)
        database.dispose()
        for base in (one, two):
            assert httpx.get(f"{base}/api/v1/me", headers=headers, timeout=20).status_code == 401


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_one_serve_command_with_several_processes(database_url: str, tmp_path: Path) -> None:
    database = Database(database_url, migrate=False)
    with database.unit_of_work() as session:
        make_world(session)
        AccountService(session, clock=SystemClock()).add_user(
            email="ana@seller.test", password=PASSWORD, role=Role.REP, rep_id="ana"
        )
    database.dispose()
    env = momentum_env(database_url)
    with (
        serving(env=env, cwd=tmp_path, options=("--workers", "2")) as base,
        httpx.Client(follow_redirects=False, timeout=20) as browser,
    ):
        assert _sign_in(browser, base, "ana@seller.test", PASSWORD).status_code == 303
        for _ in range(6):  # whichever process answers knows the session
            page = browser.get(f"{base}/deals")
            assert page.status_code == 200 and "Acme rollout" in page.text
    started = re.findall(r"Started server process \[(\d+)\]", _logs(tmp_path))
    assert len(set(started)) == 2


def _logs(folder: Path) -> str:
    return "".join(path.read_text() for path in folder.glob("serve-*.log"))


def test_several_processes_leave_the_dispatcher_to_its_own_command(tmp_path: Path) -> None:
    env = momentum_env(f"sqlite:///{tmp_path / 'store.db'}")
    done = subprocess.run(
        [sys.executable, "-m", "momentum", "serve", "--workers", "2"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "add --no-worker and run the dispatcher apart" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_idle_connection_stays_open_past_uvicorns_five_seconds(
    database_url: str, tmp_path: Path
) -> None:
    """A proxy in front reuses its connections for up to 60 s: a request on one the server
    closed at 5 s would fail (http.client, unlike a browser, does not retry it)."""
    with serving(env=momentum_env(database_url), cwd=tmp_path) as base:
        connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=20)
        try:
            for pause in (0, 6):
                time.sleep(pause)
                connection.request("GET", "/login")
                answer = connection.getresponse()
                answer.read()
                assert answer.status == 200
        finally:
            connection.close()
