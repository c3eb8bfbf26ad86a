"""docs/reference/cli.md, generated from ``--help`` (``make docs`` writes it; a test checks it)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from typer.core import TyperGroup
from typer.testing import CliRunner

from momentum.cli import app


def _help(args: list[str]) -> str:
    result = CliRunner().invoke(
        app,
        [*args, "--help"],
        env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"},
        terminal_width=100,
    )
    assert result.exit_code == 0, result.output
    return "\n".join(line.rstrip() for line in result.output.strip("\n").splitlines())


def render() -> str:
    import typer.main

    parts = [
        "# Command-line reference",
        "",
        "Generated from `momentum --help` by `make docs`; a test fails when it is stale.",
        "",
        "```text",
        _help([]),
        "```",
        "",
    ]
    return "\n".join(parts + _sections(typer.main.get_command(app), []))


def _sections(group: Any, path: list[str]) -> list[str]:
    """Each command of ``group`` with its help, and each of a group's commands under it."""
    parts: list[str] = []
    for name in sorted(group.commands):
        command, args = group.commands[name], [*path, name]
        heading = "#" * (len(args) + 1)
        parts += [f"{heading} momentum {' '.join(args)}", "", "```text", _help(args), "```", ""]
        if isinstance(command, TyperGroup):
            parts += _sections(command, args)
    return parts


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/reference/cli.md")
    target.write_text(render())
