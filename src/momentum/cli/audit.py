"""``momentum audit``."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from momentum import defaults
from momentum.cli.common import (
    DateOrderOption,
    FormatOption,
    MappingOption,
    TimezoneOption,
    app_errors,
    console,
    load_settings,
    open_store,
    print_notes,
    read_options,
    reader_may_stop,
)

if TYPE_CHECKING:
    from momentum.audit.result import AuditOptions, AuditResult
    from momentum.canonical import Dataset
    from momentum.config import Settings
    from momentum.importers.canonical import ReadOptions


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


def audit_options(
    settings: Settings,
    *,
    target_days: int | None = None,
    grace_minutes: int | None = None,
    since: date | None = None,
    until: date | None = None,
    compare_at: date | None = None,
    as_of: datetime | None = None,
    observation_days: int = defaults.OBSERVATION_BUSINESS_DAYS,
    min_difference: float = defaults.MIN_DIFFERENCE_POINTS,
) -> AuditOptions:
    """The audit's options: what the command line says, else what the settings say."""
    from momentum.audit.result import AuditOptions

    return AuditOptions(
        target_days=settings.target_business_days if target_days is None else target_days,
        grace=timedelta(
            minutes=settings.on_the_spot_grace_minutes if grace_minutes is None else grace_minutes
        ),
        since=since,
        until=until,
        compare_at=compare_at,
        default_timezone=settings.default_timezone,
        as_of=as_of,
        observation_days=observation_days,
        min_difference=min_difference / 100,
    )


def _instant(value: str | None) -> datetime | None:
    """``--as-of``: a date (its end, UTC) or an ISO 8601 time (UTC when it has no offset)."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time.max, tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date or time (YYYY-MM-DD or ISO 8601)", param_hint="--as-of"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def audit_store(
    settings: Settings, options: AuditOptions, *, team: str | None = None, rep: str | None = None
) -> AuditResult:
    """The store's audit, of one team's or rep's deals when asked: the dashboard's code path
    (``momentum.review.dashboard.store_audit``), so both give the same figures."""
    from momentum.review.dashboard import store_audit
    from momentum.review.scope import resolve_scope
    from momentum.user.schemas import Actor

    database = open_store(settings, existing=True)
    url = database.engine.url.render_as_string(hide_password=True)
    try:
        with database.unit_of_work(write=False) as session:
            scope = resolve_scope(session, Actor.system(), team=team, rep_id=rep)
            return store_audit(session, scope, options, sources=[url])
    finally:
        database.dispose()  # its connections closed now, not whenever they are collected


def show(result: AuditResult, *, html_out: Path | None = None, terminal: bool = True) -> None:
    """The HTML report into ``html_out`` if given (replaced whole, before anything is
    printed), then the terminal report."""
    if html_out is not None:
        from momentum.export.files import OutputFiles

        with OutputFiles() as outputs:
            outputs.reserve(html_out).write_text(html_report(result))
            outputs.commit()
    if terminal:
        print_report(result, html_written=html_out)


def html_report(result: AuditResult) -> str:
    from momentum.audit.html import render_html

    return render_html(result)


def print_report(result: AuditResult, *, html_written: Path | None) -> None:
    """The terminal report, once its files are in place (a reader may stop early)."""
    from momentum.audit.terminal import render_terminal

    if html_written is not None:
        console.print(f"HTML report written to {html_written}", soft_wrap=True)
    render_terminal(result, console)


def _not_read(targets: list[Path], paths: list[Path]) -> None:
    """Refuse report files that would replace a file the audit reads (an export given as
    ``--json deals.csv`` was lost; a mapping file), or each other."""
    from momentum.errors import OutputError
    from momentum.importers.sources import CALENDAR_SUFFIXES, TABLE_SUFFIXES

    read = {path.resolve() for path in paths if path.is_file()}
    folders = {path.resolve() for path in paths if path.is_dir()}
    seen: set[Path] = set()
    for target in targets:
        where = target.resolve()
        if where in seen:
            raise OutputError(f"cannot write {target}: --json and --html name the same file")
        seen.add(where)
        in_folder = where.parent in folders and where.is_file()
        if where in read or (
            in_folder and where.suffix.lower() in TABLE_SUFFIXES | CALENDAR_SUFFIXES
        ):
            raise OutputError(f"cannot write {target}: it is one of the files being audited")


def _read_noting(paths: list[Path], format: str | None, read: ReadOptions) -> Dataset:
    """The files' data; the notes on how they were read (the format found, files skipped,
    rows that are not meetings) on standard error, as ``momentum import`` prints them: they
    are what explains a report with fewer deals than the files seem to hold."""
    from momentum.audit.service import read_files

    data = read_files(paths, format=format, read=read)
    print_notes(data.notes)
    return data


def register(app: typer.Typer) -> None:
    @app.command("audit")
    def audit_command(
        paths: Annotated[
            list[Path] | None,
            typer.Argument(
                help="Folders or files to audit directly (nothing is imported). Without paths, "
                "the store is audited.",
                show_default=False,
                readable=False,
            ),
        ] = None,
        format: FormatOption = None,
        mapping: MappingOption = None,
        date_order: DateOrderOption = None,
        timezone: TimezoneOption = None,
        json_out: Annotated[
            str | None,
            typer.Option(
                "--json",
                help="Write the figures as JSON to FILE (replaced once complete), or to standard "
                "output with '-'.",
                metavar="FILE|-",
                show_default=False,
            ),
        ] = None,
        html_out: Annotated[
            Path | None,
            typer.Option(
                "--html",
                help="Write a self-contained HTML report with charts (works offline) to FILE. "
                "An existing FILE is replaced once the report is complete; its folder must exist.",
                metavar="FILE",
                show_default=False,
            ),
        ] = None,
        since: Annotated[
            str | None,
            typer.Option(
                "--since",
                help="Only deals whose first meeting is on or after this date.",
                metavar="YYYY-MM-DD",
                show_default=False,
            ),
        ] = None,
        until: Annotated[
            str | None,
            typer.Option(
                "--until",
                help="Only deals whose first meeting is on or before this date.",
                metavar="YYYY-MM-DD",
                show_default=False,
            ),
        ] = None,
        target_days: Annotated[
            int | None,
            typer.Option(
                "--target-days",
                min=0,
                help="Target business days from meeting one to meeting two "
                f"[default: {defaults.TARGET_BUSINESS_DAYS}, or MOMENTUM_TARGET_BUSINESS_DAYS].",
                show_default=False,
            ),
        ] = None,
        grace_minutes: Annotated[
            int | None,
            typer.Option(
                "--grace-minutes",
                min=0,
                help="Minutes after meeting one ends that a booking still "
                "counts as on the spot "
                f"[default: {defaults.ON_THE_SPOT_GRACE_MINUTES}, or "
                "MOMENTUM_ON_THE_SPOT_GRACE_MINUTES].",
                show_default=False,
            ),
        ] = None,
        as_of: Annotated[
            str | None,
            typer.Option(
                "--as-of",
                help="The instant outcomes are known as of (YYYY-MM-DD or ISO 8601 time; a date "
                "is its end, in UTC) [default: the latest thing that happened in the files; now "
                "for the store].",
                metavar="T",
                show_default=False,
            ),
        ] = None,
        observation_days: Annotated[
            int,
            typer.Option(
                "--observation-days",
                min=1,
                help="Business days a meeting-two outcome may take to become known: deals with "
                "meeting one more recent than this are pending until meeting two is held.",
            ),
        ] = defaults.OBSERVATION_BUSINESS_DAYS,
        min_difference: Annotated[
            float,
            typer.Option(
                "--min-difference",
                min=0,
                max=100,
                help="Percentage points a finding's difference must reach to be reported as "
                "established.",
            ),
        ] = defaults.MIN_DIFFERENCE_POINTS,
        finding: Annotated[
            str | None,
            typer.Option(
                "--finding",
                help="Print the deals behind the finding with this id as CSV (ids are in "
                "--json and the HTML report), instead of the report.",
                metavar="ID",
                show_default=False,
            ),
        ] = None,
        team: Annotated[
            str | None,
            typer.Option(
                "--team",
                help="Only the deals of this team's reps (the store only).",
                show_default=False,
            ),
        ] = None,
        rep: Annotated[
            str | None,
            typer.Option(
                "--rep", help="Only the deals of this rep (the store only).", show_default=False
            ),
        ] = None,
        compare_at: Annotated[
            str | None,
            typer.Option(
                "--compare-at",
                help="Split deals by their first meeting's date and compare every "
                "figure before and after it, with 95 % intervals.",
                metavar="YYYY-MM-DD",
                show_default=False,
            ),
        ] = None,
    ) -> None:
        """Audit where deals die between meeting one and meeting two: the funnel, the gap,
        on-the-spot booking, attendance, reschedules, close rate by gap, per rep and per week,
        and ranked findings with the playbook step for each."""
        from momentum.audit.serialize import to_json
        from momentum.audit.service import audit
        from momentum.export.files import OutputFiles

        with app_errors(on_bad_input="no audit was made"), OutputFiles() as outputs:
            if html_out is not None and str(html_out) == "-":
                raise typer.BadParameter(
                    "writes the report to a file: give its path (--json - prints the JSON)",
                    param_hint="--html",
                )
            if finding is not None and (json_out or html_out):
                raise typer.BadParameter(
                    "prints the finding's deals as CSV instead of the report: leave out "
                    "--json and --html",
                    param_hint="--finding",
                )
            targets = [Path(json_out)] if json_out and json_out != "-" else []
            targets += [html_out] if html_out is not None else []
            _not_read(targets, [*(paths or []), *([mapping] if mapping else [])])
            # reserved before the audit runs: a missing or read-only folder is refused at once
            json_file = outputs.reserve(Path(json_out)) if json_out and json_out != "-" else None
            html_file = outputs.reserve(html_out) if html_out is not None else None
            settings = load_settings()
            options = audit_options(
                settings,
                target_days=target_days,
                grace_minutes=grace_minutes,
                since=_date(since, "--since"),
                until=_date(until, "--until"),
                compare_at=_date(compare_at, "--compare-at"),
                as_of=_instant(as_of),
                observation_days=observation_days,
                min_difference=min_difference,
            )
            if options.since and options.until and options.since > options.until:
                raise typer.BadParameter(
                    f"{since} is after --until {until}: no meeting one could be in the period",
                    param_hint="--since",
                )
            if paths and (team or rep):
                raise typer.BadParameter(
                    "audits the store's deals only; files are audited whole",
                    param_hint="--team/--rep",
                )
            if not paths and (format or mapping or date_order or timezone):
                raise typer.BadParameter(
                    "tells how files are read; the store is audited when no path is given",
                    param_hint="--format/--mapping/--date-order/--timezone",
                )
            if paths:
                read = read_options(
                    settings,
                    for_audit=True,
                    mapping=mapping,
                    date_order=date_order,
                    timezone=timezone,
                )
                # the dataset is handed over, not kept: the audit frees it once it has the facts
                result = audit(
                    _read_noting(paths, format, read),
                    options,
                    sources=[str(p) for p in paths],
                )
            else:
                result = audit_store(settings, options, team=team, rep=rep)
            if finding is not None:
                from momentum.audit.serialize import finding_deals_csv

                with reader_may_stop():
                    sys.stdout.write(finding_deals_csv(result, finding))
                return
            if json_file is not None:
                json_file.write_bytes(to_json(result))
            if html_file is not None:
                html_file.write_text(html_report(result))
            outputs.commit()  # the files first: what is printed after may meet a closed pipe
            if json_out == "-":
                with reader_may_stop():
                    sys.stdout.buffer.write(to_json(result))
            else:
                print_report(result, html_written=html_out)
