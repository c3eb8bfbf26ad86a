"""`momentum demo` as a user runs it: --out somewhere that cannot hold its folder is one line
and exit 73, not a traceback, and the store is left alone; --as-of is the audit's today; it
ends with a command that serves its store from any folder."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from momentum.cli import app
from momentum.db.engine import Database
from momentum.user.models import User

OUTPUT = 73


@pytest.mark.parametrize("where", ["a file", "under a file"])
def test_the_demo_into_a_place_that_is_not_a_folder_is_refused(tmp_path: Path, where: str) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("mine")
    out = blocker if where == "a file" else blocker / "demo"
    store = tmp_path / "store.db"
    result = CliRunner().invoke(
        app,
        ["demo", "--deals", "20", "--as-of", "2026-06-30", "--out", str(out)],
        env={"MOMENTUM_DATABASE_URL": f"sqlite:///{store}"},
    )
    assert result.exit_code == OUTPUT, result.output
    assert result.output.startswith(f"error: cannot write to {out}: ")
    assert "Traceback" not in result.output
    assert blocker.read_text() == "mine"
    assert not store.exists()


def test_the_demo_s_audit_is_as_of_its_today(tmp_path: Path) -> None:
    """The store's audit took the wall clock's today, the files' audit the demo's: they
    disagreed on which deals were still pending."""
    result = CliRunner().invoke(
        app,
        ["demo", "--deals", "60", "--as-of", "2026-06-30", "--out", str(tmp_path / "demo")],
        env={"MOMENTUM_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"},
    )
    assert result.exit_code == 0, result.output
    assert "outcomes as of 2026-06-30" in result.output


def test_the_demo_says_how_to_serve_its_store_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a relative store URL (sqlite:///store.db), the command it printed served another,
    empty store from any other folder: it names the store and this momentum absolutely."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    result = CliRunner().invoke(
        app,
        ["demo", "--deals", "20", "--as-of", "2026-06-30"],
        env={"MOMENTUM_DATABASE_URL": "sqlite:///store.db"},
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index("The web app: start it with")
    setting, *command = shlex.split(lines[start + 1])
    name, _, url = setting.partition("=")
    assert (name, url) == ("MOMENTUM_DATABASE_URL", f"sqlite:///{here.resolve() / 'store.db'}")
    assert Path(command[0]).is_absolute() and Path(command[0]).is_file()
    assert command[-1] == "serve"
    assert lines[start + 2].startswith("open http://127.0.0.1:8000/ and sign in")
    # from another folder, the printed URL is the demo's store, with its logins
    monkeypatch.chdir(tmp_path)
    database = Database(url)
    try:
        with database.unit_of_work(write=False) as session:
            emails = {user.email for user in session.scalars(select(User))}
    finally:
        database.dispose()
    assert "admin@momentum-demo.example" in emails
