"""``momentum demo``."""

from __future__ import annotations

import shlex
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from momentum.cli.audit import audit_options, audit_store, show
from momentum.cli.common import app_errors, console, load_settings, read_options
from momentum.cli.importing import print_summary, run_import
from momentum.errors import OutputError

if TYPE_CHECKING:
    from momentum.config import Settings
    from momentum.demo.generator import DemoFiles
    from momentum.demo.logins import DemoLogin


def _as_of(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _generate(out: Path, *, deals: int, seed: int, as_of: date) -> DemoFiles:
    """The demo's CSVs in ``out``; a folder that cannot be made or written is an output
    error naming it, not a traceback."""
    from momentum.demo.generator import generate

    try:
        return generate(out, deals=deals, seed=seed, as_of=as_of)
    except FileExistsError:
        raise OutputError(f"cannot write to {out}: it is a file, not a folder") from None
    except OSError as exc:
        raise OutputError(f"cannot write to {out}: {exc.strerror or exc}") from None


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_command(
        deals: Annotated[int, typer.Option("--deals", min=1, help="How many deals.")] = 800,
        seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 7,
        out: Annotated[Path, typer.Option("--out", help="Folder for the CSVs.")] = Path(
            "momentum-demo"
        ),
        as_of: Annotated[
            str | None,
            typer.Option(
                "--as-of",
                help="The demo's today (YYYY-MM-DD); history ends here and "
                "later meetings are upcoming. Default: today.",
                show_default=False,
            ),
        ] = None,
    ) -> None:
        """Write a realistic demo team (12 reps in 12 time zones, six months of deals and
        meetings) as canonical CSVs, import it into the store, and audit it (terminal report,
        and an HTML report in the --out folder). The same --seed and --as-of give the same
        files."""
        from momentum.clock import SystemClock

        with app_errors(on_bad_input="nothing was imported; the store is unchanged"):
            today = _as_of(as_of) or SystemClock().now().date()
            files = _generate(out, deals=deals, seed=seed, as_of=today)
            console.print(
                f"wrote {files.reps} reps, {files.deals:,} deals and "
                f"{files.meetings:,} meetings to {files.folder}/"
            )
            print_summary(run_import([out], "momentum"))
            report = out / "audit.html"
            settings = load_settings()
            # as of the demo's today when it is given, so the audit agrees with the files'
            options = audit_options(settings, as_of=files.now if as_of else None)
            show(audit_store(settings, options), html_out=report)
            console.print(
                f"\nThe demo team's audit is above; the HTML report is {report}", soft_wrap=True
            )
            # after the audit, and outside the folder it read: today's meetings are not history
            _add_today(settings, out / "today")
            _print_sign_in(_demo_logins(settings), serve=_serve_command(settings))


def _add_today(settings: Settings, folder: Path) -> None:
    """For every demo rep, a meeting one that has just ended (relative to the wall clock),
    imported from ``folder`` as any export is; its buyer; and the value-asset library."""
    from momentum.clock import SystemClock
    from momentum.db.engine import Database
    from momentum.demo.today import add_buyers_and_library, just_ended, write_just_ended
    from momentum.importers.service import import_files

    clock = SystemClock()
    meetings = just_ended(clock.now())
    try:
        write_just_ended(folder, meetings)
    except OSError as exc:
        raise OutputError(f"cannot write to {folder}: {exc.strerror or exc}") from None
    database = Database(settings.database_url)
    try:
        options = read_options(settings)
        import_files(database, [folder], format="momentum", options=options, clock=clock)
        with database.unit_of_work() as session:
            buyers, assets = add_buyers_and_library(session, meetings, clock=clock)
    finally:
        database.dispose()
    library = f"; {assets} value assets added to the library" if assets else ""
    console.print(
        f"\nFor the web app: {buyers} meetings one that have just ended, one per rep, await "
        f"their outcome on Today (from {folder}/), each with a buyer to invite to meeting "
        f"two{library}",
        soft_wrap=True,
    )


def _demo_logins(settings: Settings) -> list[DemoLogin]:
    from momentum.clock import SystemClock
    from momentum.db.engine import Database
    from momentum.demo.logins import create_demo_logins

    database = Database(settings.database_url)
    with database.unit_of_work() as session:
        logins = create_demo_logins(session, clock=SystemClock())
    database.dispose()
    return logins


def _momentum_command() -> list[str]:
    """This very ``momentum``, by an absolute path: the script that is running, else (``python
    -m momentum``, or a test's runner) this Python with ``-m momentum``."""
    script = Path(sys.argv[0])
    if script.name == "momentum" and script.is_file():
        return [str(script.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "momentum"]


def _serve_command(settings: Settings) -> str:
    """The command that serves the store the demo just filled, from any folder: this
    ``momentum`` by its absolute path, and the store's URL with a SQLite file's path made
    absolute. A URL with a password is not printed: the command then says to set
    ``MOMENTUM_DATABASE_URL`` as it is now."""
    from momentum.db.engine import parse_url, sqlite_file

    url = parse_url(settings.database_url)
    if (path := sqlite_file(url)) is not None:
        url = url.set(database=str(path.resolve()))
    serve = shlex.join([*_momentum_command(), "serve"])
    if url.password is not None:
        shown = url.render_as_string(hide_password=True)
        return f"{serve} (with MOMENTUM_DATABASE_URL set as now, for {shown})"
    store = shlex.quote(url.render_as_string(hide_password=False))
    return f"MOMENTUM_DATABASE_URL={store} {serve}"


def _print_sign_in(logins: list[DemoLogin], *, serve: str) -> None:
    from momentum.demo.logins import DEMO_PASSWORD

    admin = next(login for login in logins if login.role == "admin")
    managers = [login for login in logins if login.role == "manager"]
    reps = [login for login in logins if login.role == "rep"]
    console.print(
        "\n[bold]The web app[/]: start it with\n"
        f"  {escape(serve)}\n"
        f"open http://127.0.0.1:8000/ and sign in with the password [bold]{DEMO_PASSWORD}[/] as",
        soft_wrap=True,
    )
    console.print(f"  {admin.email}  (admin: everything)", soft_wrap=True)
    for login in managers:
        console.print(f"  {login.email}  (manager of {login.team or 'a team'})", soft_wrap=True)
    if reps:
        console.print(
            f"  {reps[0].email}  (rep; and {len(reps) - 1} more, one per demo rep: "
            "momentum user list)",
            soft_wrap=True,
        )
