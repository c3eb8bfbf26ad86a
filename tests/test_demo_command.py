"""`momentum demo` as a user runs it: --out somewhere that cannot hold its folder is one line
and exit 73, not a traceback, and the store is left alone; --as-of is the audit's today."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from momentum.cli import app

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
