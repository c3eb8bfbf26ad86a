"""The ``momentum`` command: a thin Typer app; each command hands off to the layers below.

Exit codes: 0 success; 65 the input has problems (each printed as ``file:row:column: reason``);
66 a named thing does not exist; 78 the configuration is wrong; 1 any other refusal.
"""

from __future__ import annotations

import sys

import typer

from momentum import __version__
from momentum.cli import audit as audit_commands
from momentum.cli import demo as demo_commands
from momentum.cli import exporting as export_commands
from momentum.cli import importing as import_commands
from momentum.cli import serve as serve_commands
from momentum.cli import users as user_commands
from momentum.cli import worker as worker_commands
from momentum.cli.common import app_errors

app = typer.Typer(
    name="momentum",
    help="Momentum: find where deals die between meeting one and meeting two, and fix it.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"momentum {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Momentum: find where deals die between meeting one and meeting two, and fix it."""


import_commands.register(app)
audit_commands.register(app)
demo_commands.register(app)
export_commands.register(app)
worker_commands.register(app)
serve_commands.register(app)
user_commands.register(app)


def main() -> None:
    with app_errors():
        app()
    sys.exit(0)
