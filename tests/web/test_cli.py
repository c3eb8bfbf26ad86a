"""``momentum user …`` and ``momentum token …`` on a real store."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from momentum.cli import app
from momentum.db.engine import Database
from tests.engine.world import make_world


@pytest.fixture
def run(database: Database, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        make_world(session)
    monkeypatch.setenv("MOMENTUM_DATABASE_URL", database.url)
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None) -> tuple[int, str]:
        result = runner.invoke(app, list(args), input=stdin)
        return result.exit_code, result.output

    return invoke


def test_users_are_added_listed_disabled_and_given_new_passwords(run) -> None:  # type: ignore[no-untyped-def]
    code, out = run(
        "user", "add", "--email", "Maya@Seller.test", "--role", "manager", "--rep", "mgr",
        "--password-stdin", stdin="a fine password\n",
    )  # fmt: skip
    assert code == 0 and "added manager maya@seller.test" in out
    code, out = run("user", "list")
    assert code == 0 and "maya@seller.test" in out and "manager" in out and "yes" in out
    code, out = run("user", "disable", "--email", "maya@seller.test")
    assert code == 0 and "disabled" in out
    assert "no " in run("user", "list")[1]
    code, out = run("user", "enable", "--email", "maya@seller.test")
    assert code == 0
    code, out = run(
        "user", "set-password", "--email", "maya@seller.test", "--password-stdin",
        stdin="another fine one\n",
    )  # fmt: skip
    assert code == 0 and "sessions ended" in out


def test_bad_user_input_is_refused_with_a_clear_message(run) -> None:  # type: ignore[no-untyped-def]
    add = ("user", "add", "--email", "x@seller.test", "--password-stdin")
    code, out = run(*add, "--role", "boss", stdin="a fine password\n")
    assert code == 65 and "unknown role 'boss'" in out
    code, out = run(*add, "--role", "rep", stdin="a fine password\n")
    assert code == 65 and "must be linked to a rep" in out
    code, out = run(*add, "--role", "rep", "--rep", "nobody", stdin="a fine password\n")
    assert code == 66 and "no rep 'nobody'" in out
    code, out = run(*add, "--role", "admin", stdin="short\n")
    assert code == 65 and "at least 8 characters" in out
    code, out = run("user", "add", "--email", "x@seller.test", "--role", "admin", stdin="")
    assert code == 65 and "--password-stdin" in out
    code, out = run("user", "disable", "--email", "ghost@seller.test")
    assert code == 66 and "no user ghost@seller.test" in out
    assert "Traceback" not in out


def test_tokens_are_shown_once_listed_without_secrets_and_revoked(run) -> None:  # type: ignore[no-untyped-def]
    run("user", "add", "--email", "admin@seller.test", "--role", "admin", "--password-stdin",
        stdin="a fine password\n")  # fmt: skip
    code, out = run("token", "create", "--email", "admin@seller.test", "--name", "ci")
    assert code == 0
    secret = out.strip().splitlines()[-1]
    assert secret.startswith("mtm_") and len(secret) > 40
    code, listed = run("token", "list")
    assert code == 0 and secret not in listed and secret[:12] in listed and "ci" in listed
    code, out = run("token", "revoke", "1")
    assert code == 0 and "revoked token 1" in out
    assert run("token", "revoke", "99")[0] == 66


def test_a_refused_first_user_leaves_no_store_behind(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "new" / "momentum.db"
    monkeypatch.setenv("MOMENTUM_DATABASE_URL", f"sqlite:///{store}")
    add = ["user", "add", "--email", "a@seller.test", "--role", "admin", "--password-stdin"]
    refused = CliRunner().invoke(app, add, input="short\n")
    assert refused.exit_code == 65 and "at least 8 characters" in refused.output
    assert not (tmp_path / "new").exists()
    added = CliRunner().invoke(app, add, input="a fine password\n")
    assert added.exit_code == 0 and store.exists()  # the first user may start the store
