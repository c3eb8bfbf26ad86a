"""``momentum demo`` leaves logins behind: the admin, a manager per team lead, a rep login for
every other rep; running it again keeps them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from momentum.cli import app
from momentum.clock import SystemClock
from momentum.db.engine import Database
from momentum.demo.generator import generate
from momentum.demo.logins import ADMIN_EMAIL, DEMO_PASSWORD, create_demo_logins
from momentum.user.accounts import AccountService
from momentum.user.models import Role
from tests.web.conftest import POLICY


def test_the_demo_team_gets_a_login_per_rep_and_team(
    tmp_path: Path, sqlite_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "demo"
    generate(folder, deals=40, seed=7, as_of=date(2026, 11, 26))
    monkeypatch.setenv("MOMENTUM_DATABASE_URL", sqlite_database.url)
    result = CliRunner().invoke(app, ["import", str(folder)])
    assert result.exit_code == 0, result.output
    for _ in range(2):  # a second run leaves the logins as they are
        with sqlite_database.unit_of_work() as session:
            logins = create_demo_logins(session, clock=SystemClock(), policy=POLICY)
    roles = [login.role for login in logins]
    assert roles.count(Role.ADMIN) == 1 and roles.count(Role.MANAGER) == 3
    assert roles.count(Role.REP) == 9
    with sqlite_database.unit_of_work() as session:
        accounts = AccountService(session, clock=SystemClock(), policy=POLICY)
        users = accounts.list_users()
        assert len(users) == 13
        managers = {u.team for u in logins if u.role is Role.MANAGER}
        assert managers == {"Americas", "EMEA", "APAC"}
        signed = accounts.sign_in(email=ADMIN_EMAIL, password=DEMO_PASSWORD, client="test")
        assert signed.session_token is not None
