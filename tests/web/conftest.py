"""The web app on a real store (SQLite and PostgreSQL), a fixed clock, and a small team with
a login per role: ``admin``, ``mgr`` (manager of ``ana``), ``ana`` and ``bo`` (reps)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.flag.models import Severity
from momentum.flag.repository import FlagRepository
from momentum.runtime import Engine
from momentum.task.models import Task, TaskStatus
from momentum.task.repository import TaskRepository
from momentum.user.accounts import AccountService, SignInPolicy
from momentum.user.models import Role
from momentum.user.passwords import Passwords
from momentum.web.app import create_app
from tests.engine.conftest import NOW, engine_settings
from tests.engine.world import World, make_world
from tests.factories import T0, make_meeting

PASSWORD = "correct horse battery"
# argon2id still, with a cheap cost: the default's 64 MiB and three passes take most of a
# second per sign-in on a loaded machine (tests/web/test_auth.py checks the default).
POLICY = SignInPolicy(
    passwords=Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
)
USERS = {
    "admin": ("admin@seller.test", Role.ADMIN, None),
    "mgr": ("maya@seller.test", Role.MANAGER, "mgr"),
    "ana": ("ana@seller.test", Role.REP, "ana"),
    "bo": ("bo@seller.test", Role.REP, "bo"),
}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


# Each rep's things, by the path parameter that names them: (ana's, bo's). Ana reports to the
# manager; bo to nobody, so only bo and the admin see bo's.
OWNED = {
    "ana": {"deal_id": "D1", "meeting_id": "M-ana"},
    "bo": {"deal_id": "D2", "meeting_id": "M-bo"},
}


@dataclass
class Site:
    app: FastAPI
    engine: Engine
    clock: FixedClock
    world: World
    ids: dict[str, dict[str, str]]

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://testserver", follow_redirects=False)

    def signed_in(self, who: str) -> TestClient:
        client = self.client()
        sign_in(client, USERS[who][0])
        return client

    def accounts(self, session: Any) -> AccountService:
        return AccountService(session, clock=self.clock, policy=self.app.state.sign_in_policy)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_of(page.text)}
    )
    return response


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's Chromium, for Playwright (never a downloaded browser); the test skips, saying
    why, where it is not installed, and fails where MOMENTUM_REQUIRE_BROWSER is set."""
    if not CHROMIUM.exists():
        reason = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("MOMENTUM_REQUIRE_BROWSER"):
            pytest.fail(f"browser tests are required: {reason}")
        pytest.skip(f"browser tests skipped: {reason}")
    return CHROMIUM


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def site(database: Database, clock: FixedClock) -> Site:
    engine = Engine(engine_settings(database), database=database, clock=clock)
    with database.unit_of_work() as session:
        world = make_world(session)
        ids: dict[str, dict[str, str]] = {}
        for rep, deal in (("ana", world.deal), ("bo", world.other_deal)):
            make_meeting(
                session, deal=deal, id=f"M-{rep}", start=NOW - timedelta(hours=2), booked_at=T0
            )
            task = TaskRepository(session).add(
                Task(
                    deal_id=deal.id,
                    owner_id=rep,
                    title=f"Call {deal.account}",
                    due_at=NOW + timedelta(days=1),
                    status=TaskStatus.OPEN,
                    created_at=T0,
                )
            )
            ids[rep] = {**OWNED[rep], "task_id": str(task.id)}
        FlagRepository(session).insert_many(
            [("D1", "gap_too_long", "meeting two is 8 business days out", Severity.WARNING)],
            raised_at=NOW,
        )
        accounts = AccountService(session, clock=clock, policy=POLICY)
        for email, role, rep in USERS.values():
            accounts.add_user(email=email, password=PASSWORD, role=role, rep_id=rep)
    app = create_app(engine.settings, engine=engine, policy=POLICY)
    return Site(app=app, engine=engine, clock=clock, world=world, ids=ids)
