"""``momentum user …`` and ``momentum token …``: web app logins and personal API tokens."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from momentum.cli.common import app_errors, console, load_settings, removed_if_failed
from momentum.errors import InputError

if TYPE_CHECKING:
    from momentum.runtime import Engine

user_app = typer.Typer(
    help="Web app users: add, list, disable, set passwords.", no_args_is_help=True
)
token_app = typer.Typer(help="Personal API tokens: create, list, revoke.", no_args_is_help=True)

PASSWORD_STDIN = typer.Option(
    "--password-stdin", help="Read the password from standard input (its first line)."
)


@contextmanager
def _engine(*, existing: bool = True) -> Iterator[Engine]:
    """The engine for one command, closed however the command ends. A SQLite store that is
    not there is refused (a mistyped path would make an empty one) unless the command may
    start one (``existing=False``: adding the first user)."""
    from momentum.cli.common import open_store
    from momentum.runtime import Engine

    settings = load_settings()
    engine = Engine(settings, database=open_store(settings, existing=existing))
    try:
        yield engine
    finally:
        engine.close()


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        raise InputError("no password: pass it on standard input with --password-stdin")
    if not password:
        raise InputError("the password is empty")
    return password


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Option("--email", help="The login (an email address).")],
    role: Annotated[str, typer.Option("--role", help="rep, manager or admin.")],
    rep: Annotated[
        str | None,
        typer.Option(
            "--rep", help="The rep this user is (required for rep and manager).", show_default=False
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Their name (optional).", show_default=False)
    ] = None,
    password_stdin: Annotated[bool, PASSWORD_STDIN] = False,
) -> None:
    """Add a user who can sign in to the web app. A rep sees their own deals, a manager those
    of every rep who reports to them (directly or not), an admin everything."""
    from momentum.user.accounts import AccountService
    from momentum.user.models import Role

    with app_errors():
        if role not in {r.value for r in Role}:
            raise InputError(f"unknown role {role!r}: use rep, manager or admin")
        password = _password(password_stdin)
        # the first user may start the store; a refused one leaves no empty store behind
        with removed_if_failed(load_settings()), _engine(existing=False) as engine:
            with engine.database.unit_of_work() as session:
                user = AccountService(session, clock=engine.clock).add_user(
                    email=email, password=password, role=Role(role), rep_id=rep, name=name
                )
            console.print(
                f"added {user.role} {escape(user.email)}" + (f" (rep {escape(rep)})" if rep else "")
            )


@user_app.command("list")
def user_list() -> None:
    """Every user, with role, rep and whether they may sign in."""
    from momentum.user.accounts import AccountService

    with app_errors(), _engine() as engine:
        with engine.database.unit_of_work(write=False) as session:
            users = AccountService(session, clock=engine.clock).list_users()
        table = Table(title=f"{len(users)} users", title_justify="left")
        for column in ("email", "role", "rep", "name", "active"):
            table.add_column(column)
        for user in users:
            table.add_row(
                escape(user.email),
                user.role,
                escape(user.rep_id or ""),
                escape(user.name or ""),
                "yes" if user.active else "no",
            )
        console.print(table)


_LOGIN = "The user's login (their email address)."


@user_app.command("disable")
def user_disable(email: Annotated[str, typer.Option("--email", help=_LOGIN)]) -> None:
    """Stop a user from signing in: their sessions end and their tokens stop working."""
    from momentum.user.accounts import AccountService

    with app_errors(), _engine() as engine:
        with engine.database.unit_of_work() as session:
            user = AccountService(session, clock=engine.clock).disable(email)
        console.print(f"disabled {escape(user.email)}; their sessions ended")


@user_app.command("enable")
def user_enable(email: Annotated[str, typer.Option("--email", help=_LOGIN)]) -> None:
    """Let a disabled user sign in again."""
    from momentum.user.accounts import AccountService

    with app_errors(), _engine() as engine:
        with engine.database.unit_of_work() as session:
            user = AccountService(session, clock=engine.clock).enable(email)
        console.print(f"enabled {escape(user.email)}")


@user_app.command("set-password")
def user_set_password(
    email: Annotated[str, typer.Option("--email", help=_LOGIN)],
    password_stdin: Annotated[bool, PASSWORD_STDIN] = False,
) -> None:
    """Set a user's password; every session they had ends."""
    from momentum.user.accounts import AccountService

    with app_errors():
        password = _password(password_stdin)
        with _engine() as engine:
            with engine.database.unit_of_work() as session:
                user = AccountService(session, clock=engine.clock).set_password(email, password)
            console.print(f"password set for {escape(user.email)}; their sessions ended")


@token_app.command("create")
def token_create(
    email: Annotated[str, typer.Option("--email", help="Whose token: it acts as this user.")],
    name: Annotated[
        str | None, typer.Option("--name", help="What it is for.", show_default=False)
    ] = None,
) -> None:
    """Create a personal API token; it is printed once (only its hash is stored). Send it as
    ``Authorization: Bearer <token>``."""
    from momentum.user.accounts import AccountService

    with app_errors(), _engine() as engine:
        with engine.database.unit_of_work() as session:
            view, secret = AccountService(session, clock=engine.clock).create_token(
                email, name=name
            )
        console.print(
            f"token {view.id} for {escape(view.email)} (shown once, keep it safe):",
            soft_wrap=True,
        )
        typer.echo(secret)


@token_app.command("list")
def token_list(
    email: Annotated[
        str | None, typer.Option("--email", help="Only this user's tokens.", show_default=False)
    ] = None,
) -> None:
    """Tokens (never their secrets), with whose they are and whether revoked."""
    from momentum.user.accounts import AccountService

    with app_errors(), _engine() as engine:
        with engine.database.unit_of_work(write=False) as session:
            tokens = AccountService(session, clock=engine.clock).tokens(email)
        table = Table(title=f"{len(tokens)} tokens", title_justify="left")
        for column in ("id", "user", "name", "starts with", "created", "revoked"):
            table.add_column(column)
        for token in tokens:
            table.add_row(
                str(token.id),
                escape(token.email),
                escape(token.name or ""),
                token.prefix + "…",
                f"{token.created_at:%Y-%m-%d %H:%M}",
                f"{token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "",
            )
        console.print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (token list).")],
) -> None:
    """Revoke a token: it stops working at once."""
    from momentum.user.accounts import AccountService

    with app_errors(), _engine() as engine:
        with engine.database.unit_of_work() as session:
            view = AccountService(session, clock=engine.clock).revoke_token(token_id)
        console.print(f"revoked token {view.id} of {escape(view.email)}")


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
