"""The web app on a real store (SQLite and PostgreSQL), a fixed clock, and a small team with
a login per role: ``admin``, ``mgr`` (manager of ``ana``), ``ana`` and ``bo`` (reps)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.runtime import Engine
from momentum.user.accounts import AccountService
from momentum.user.models import Role
from momentum.web.app import create_app
from tests.engine.conftest import NOW, engine_settings
from tests.engine.world import World, make_world

PASSWORD = "correct horse battery"
USERS = {
    "admin": ("admin@seller.test", Role.ADMIN, None),
    "mgr": ("maya@seller.test", Role.MANAGER, "mgr"),
    "ana": ("ana@seller.test", Role.REP, "ana"),
    "bo": ("bo@seller.test", Role.REP, "bo"),
}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Site:
    app: FastAPI
    engine: Engine
    clock: FixedClock
    world: World

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


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def site(database: Database, clock: FixedClock) -> Site:
    engine = Engine(engine_settings(database), database=database, clock=clock)
    with database.unit_of_work() as session:
        world = make_world(session)
        accounts = AccountService(session, clock=clock)
        for email, role, rep in USERS.values():
            accounts.add_user(email=email, password=PASSWORD, role=role, rep_id=rep)
    app = create_app(engine.settings, engine=engine)
    return Site(app=app, engine=engine, clock=clock, world=world)
