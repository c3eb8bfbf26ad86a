"""The engine's command groups: ``rules``, ``outbox``, ``meeting`` and ``assets``.

They act with an admin's scope: whoever runs the CLI holds the store itself.
"""

from __future__ import annotations

from contextlib import closing
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from momentum.cli.common import app_errors, console, errors, load_settings
from momentum.errors import InputError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from momentum.contact.schemas import Attendee
    from momentum.runtime import Engine

rules_app = typer.Typer(help="See and run the next-step rules.", no_args_is_help=True)
outbox_app = typer.Typer(help="Messages waiting, sent, or failed.", no_args_is_help=True)
meeting_app = typer.Typer(help="Lock in, move, cancel and close meetings.", no_args_is_help=True)
assets_app = typer.Typer(help="The value-asset library reminders carry.", no_args_is_help=True)


def _engine(*, existing: bool = True) -> Engine:
    """The engine on the configured store; a SQLite store that is not there is refused (a
    mistyped path would make an empty one and report on it) unless the command may start
    one (``existing=False``)."""
    from momentum.cli.common import open_store
    from momentum.runtime import Engine

    settings = load_settings()
    return Engine(settings, database=open_store(settings, existing=existing))


M = TypeVar("M", bound="BaseModel")


def counted(number: int, noun: str) -> str:
    """ "1 open deal", "2 open deals": a count and its noun, in the plural when it is one."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _validated(model: type[M], data: dict[str, Any]) -> M:
    """``data`` as ``model``, or an input error with pydantic's messages on one line, each
    after the field it is about."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(
            "; ".join(
                f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" if e["loc"] else e["msg"]
                for e in exc.errors()
            )
        ) from exc


def _when(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{value!r} is not a date and time (YYYY-MM-DD HH:MM)") from None


# what one --attendee is; the backslashes keep the help's Markdown from reading <email> as a tag
_ATTENDEE = "A buyer's email, or 'Name \\<email\\>'"


def _attendees(values: list[str] | None) -> list[Attendee]:
    """``--attendee`` values, each an e-mail address or ``Name <email>``, as the buyer-side
    people to invite (``meeting lock-in`` and ``meeting reschedule`` read them alike). A value
    that is not one address, or more than ``MAX_ATTENDEES`` of them, is an input error naming
    the option and the value: nothing is dropped without a word."""
    from email.utils import getaddresses

    from pydantic import ValidationError

    from momentum.contact.schemas import Attendee
    from momentum.next_step.schemas import MAX_ATTENDEES

    values = values or []
    if len(values) > MAX_ATTENDEES:
        raise InputError(f"--attendee: at most {MAX_ATTENDEES} people, not {len(values)}")
    attendees = []
    for value in values:
        found = getaddresses([value])
        if len(found) != 1:  # "a@x.test, b@x.test", or words after the address
            raise InputError(f"--attendee {value!r}: one person each (repeat --attendee for more)")
        name, email = found[0]
        if "<" not in value and email != value.strip():  # words the parser would drop
            raise InputError(f"--attendee {value!r}: not an e-mail address, nor 'Name <email>'")
        try:
            attendees.append(Attendee(name=name.strip() or None, email=email))
        except ValidationError as exc:
            reasons = "; ".join(
                # the e-mail's own message names the address; the name's needs its field
                ("" if e["loc"] == ("email",) else f"{'.'.join(map(str, e['loc']))}: ")
                + str(e["msg"]).removeprefix("Value error, ")
                for e in exc.errors()
            )
            raise InputError(f"--attendee {value!r}: {reasons}") from None
    return attendees


# --- rules -------------------------------------------------------------------------------


def show_rules_progress(done: int, total: int) -> None:
    """A line on stderr as a large rule evaluation (the first after an import) goes on."""
    errors.print(f"rules: {done:,} of {total:,} deals evaluated")


def _toml(value: object) -> str:
    """An option's value as the rules file writes it (``true``, not ``True``)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


@rules_app.command("list")
def rules_list() -> None:
    """The rules in force, in evaluation order, with their options (as set in the web app's
    settings, else the rules file, else the defaults)."""
    from momentum.db.engine import sqlite_file
    from momentum.rules.config import load_rules, read_config
    from momentum.rules.settings import RuleSettingsService

    with app_errors():
        settings = load_settings()
        store = sqlite_file(settings.database_url)
        if store is not None and not store.exists():  # no app settings to read: none made
            rules = load_rules(read_config(settings.rules_file, settings))
            in_force = rules.options
            note = f"There is no store at {store} yet: no setting made in the web app applies."
        else:
            engine = _engine()
            rules, note = engine.rules, ""
            with engine.database.unit_of_work(write=False) as session:
                in_force = RuleSettingsService(session, rules=rules, clock=engine.clock).in_force()
            engine.close()
        table = Table(title="Rules", title_justify="left")
        for column in ("key", "title", "options"):
            table.add_column(column)
        for rule in rules.registry:
            options = in_force[rule.key].model_dump()
            table.add_row(
                rule.key,
                rule.title,
                escape(", ".join(f"{k} = {_toml(v)}" for k, v in options.items())),
            )
        console.print(table)
        if note:
            console.print(escape(note))


@rules_app.command("evaluate")
def rules_evaluate(
    deal: Annotated[
        list[str] | None,
        typer.Option("--deal", help="Only these deals (repeatable); default: every open deal."),
    ] = None,
) -> None:
    """Evaluate the rules now: raise and clear flags, open and close tasks, queue alerts."""
    from momentum.deal.models import Deal
    from momentum.errors import NotFound
    from momentum.user.schemas import Actor

    with app_errors():
        engine = _engine()
        with engine.database.unit_of_work() as session:
            if deal:
                for deal_id in deal:
                    if session.get(Deal, deal_id) is None:
                        raise NotFound(f"no deal {deal_id!r}")
                report = engine.rule_engine.evaluate(session, deal)
            else:
                report = engine.rule_engine.sweep(session, full=True, progress=show_rules_progress)
        console.print(
            f"{counted(report.deals, 'open deal')} evaluated in {report.seconds:.2f} s: "
            f"{counted(report.flags_raised, 'flag')} raised, {report.flags_updated:,} updated, "
            f"{report.flags_cleared:,} cleared; {counted(report.tasks_opened, 'task')} opened, "
            f"{report.tasks_closed:,} closed; {counted(report.alerts_queued, 'alert')} queued"
        )
        with engine.database.unit_of_work(write=False) as session:
            at_risk, counts = engine.deals(session).at_risk_counts(Actor.system())
        table = Table(title=f"{at_risk:,} deals at risk", title_justify="left")
        table.add_column("rule")
        table.add_column("deals", justify="right")
        for rule_key, count in sorted(counts.items(), key=lambda item: -item[1]):
            table.add_row(rule_key, f"{count:,}")
        console.print(table)
        engine.close()


# --- outbox ------------------------------------------------------------------------------


@outbox_app.command("list")
def outbox_list(
    status: Annotated[
        str | None,
        typer.Option("--status", help="pending, sent, failed or withdrawn.", show_default=False),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many, newest first.")] = 20,
) -> None:
    """The newest messages (with each status's count), failed ones with their reason."""
    from momentum.outbox.models import MessageStatus
    from momentum.outbox.service import OutboxService
    from momentum.user.schemas import Actor

    with app_errors():
        if status is not None and status not in {s.value for s in MessageStatus}:
            raise InputError(f"unknown status {status!r}: use pending, sent, failed or withdrawn")
        engine = _engine()
        with engine.database.unit_of_work(write=False) as session:
            outbox = OutboxService(session, clock=engine.clock)
            counts = outbox.counts(Actor.system())
            messages = outbox.recent(
                Actor.system(), statuses=[MessageStatus(status)] if status else [], limit=limit
            )
            console.print(
                ", ".join(f"{counts.get(s, 0):,} {s}" for s in MessageStatus) or "no messages"
            )
            table = Table(title_justify="left")
            for column in ("id", "kind", "status", "due", "to", "attempts", "note"):
                table.add_column(column)
            for message in messages:
                table.add_row(
                    str(message.id),
                    message.kind,
                    message.status,
                    f"{message.due_at:%Y-%m-%d %H:%M}",
                    escape(", ".join(message.recipients) or message.channel),
                    str(message.attempts),
                    escape(message.last_error or ""),
                )
            console.print(table)
        engine.close()


@outbox_app.command("retry")
def outbox_retry(message_id: Annotated[int, typer.Argument(help="A failed message's id.")]) -> None:
    """Send a failed message again (from now, with a fresh count of attempts)."""
    from momentum.outbox.service import OutboxService
    from momentum.user.schemas import Actor

    with app_errors():
        engine = _engine()
        with engine.database.unit_of_work() as session:
            message = OutboxService(session, clock=engine.clock).retry(Actor.system(), message_id)
            console.print(f"message {message.id} ({message.kind}) will be sent again")
        engine.close()


# --- meetings ----------------------------------------------------------------------------


@meeting_app.command("lock-in")
def meeting_lock_in(
    deal_id: Annotated[str, typer.Argument(help="The deal.")],
    start: Annotated[
        str,
        typer.Option(
            "--start", help="YYYY-MM-DD HH:MM in the owner's time zone, or with an offset."
        ),
    ],
    minutes: Annotated[
        int, typer.Option("--minutes", min=5, max=480, help="How long it lasts, in minutes.")
    ] = 30,
    seller: Annotated[
        list[str] | None, typer.Option("--seller", help="What we bring (repeatable).")
    ] = None,
    buyer: Annotated[
        list[str] | None, typer.Option("--buyer", help="What the buyer brings (repeatable).")
    ] = None,
    homework: Annotated[
        str | None, typer.Option("--homework", help="The buyer's homework.", show_default=False)
    ] = None,
    attendee: Annotated[
        list[str] | None,
        typer.Option("--attendee", help=f"{_ATTENDEE} (repeatable)."),
    ] = None,
    asset: Annotated[
        int | None,
        typer.Option(
            "--asset", help="Value asset id (default: from the library).", show_default=False
        ),
    ] = None,
    location: Annotated[
        str | None,
        typer.Option(
            "--location",
            help="A place or a call link (the invitation's LOCATION).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Lock in the next meeting: book it with a two-sided agenda and the buyer's homework; the
    invitation and the reminders are queued for the worker."""
    from momentum.next_step.schemas import LockIn
    from momentum.user.schemas import Actor

    with app_errors():
        lock_in = _validated(
            LockIn,
            {
                "start": _when(start),
                "minutes": minutes,
                "agenda": [{"side": "seller", "text": t} for t in seller or []]
                + [{"side": "buyer", "text": t} for t in buyer or []],
                "buyer_homework": homework,
                "value_asset_id": asset,
                "location": location,
                "attendees": _attendees(attendee),
            },
        )
        engine = _engine()
        with engine.database.unit_of_work() as session:
            result = engine.next_steps(session).lock_in_next_meeting(
                Actor.system(), deal_id, lock_in
            )
        meeting = result.meeting
        console.print(
            f"booked {meeting.id} on {meeting.start_at:%Y-%m-%d %H:%M} UTC "
            f"(UID {meeting.ical_uid}); invitation queued"
        )
        for reminder in result.reminders:
            console.print(f"  {reminder.kind} reminder due {reminder.due_at:%Y-%m-%d %H:%M} UTC")
        for note in result.notes:
            console.print(f"  note: {escape(note)}")
        engine.close()


_MEETING = "The meeting's id: its meeting_id in the imported data, or as lock-in printed it."


@meeting_app.command("reschedule")
def meeting_reschedule(
    meeting_id: Annotated[str, typer.Argument(help=_MEETING)],
    start: Annotated[
        str,
        typer.Option(
            "--start",
            help="The new start: YYYY-MM-DD HH:MM in the owner's time zone, or with an offset.",
        ),
    ],
    minutes: Annotated[
        int | None,
        typer.Option(
            "--minutes",
            min=5,
            max=480,
            help="How long it lasts, in minutes (default: as long as before).",
            show_default=False,
        ),
    ] = None,
    location: Annotated[
        str | None,
        typer.Option("--location", help="A new place or call link.", show_default=False),
    ] = None,
    attendee: Annotated[
        list[str] | None,
        typer.Option(
            "--attendee",
            help=f"{_ATTENDEE} (repeatable): added to the deal's contacts; a meeting "
            "imported without any needs one.",
        ),
    ] = None,
) -> None:
    """Move a booked meeting: the buyer gets the update and the reminders move with it."""
    from momentum.user.schemas import Actor

    with app_errors():
        when, attendees = _when(start), _attendees(attendee)
        # closed when the move is refused too (a deal without a buyer contact, say)
        with closing(_engine()) as engine, engine.database.unit_of_work() as session:
            booking = engine.meetings(session).reschedule(
                Actor.system(),
                meeting_id,
                start=when,
                minutes=minutes,
                location=location,
                attendees=attendees,
            )
        console.print(
            f"moved to {booking.meeting.id} on {booking.meeting.start_at:%Y-%m-%d %H:%M} UTC "
            f"(SEQUENCE {booking.meeting.sequence}); update queued"
        )


@meeting_app.command("cancel")
def meeting_cancel(meeting_id: Annotated[str, typer.Argument(help=_MEETING)]) -> None:
    """Cancel a booked meeting: reminders withdrawn, the buyer gets the cancellation."""
    from momentum.user.schemas import Actor

    with app_errors():
        engine = _engine()
        with engine.database.unit_of_work() as session:
            engine.meetings(session).cancel(Actor.system(), meeting_id)
        console.print(f"canceled {meeting_id}; reminders withdrawn")
        engine.close()


@meeting_app.command("outcome")
def meeting_outcome(
    meeting_id: Annotated[str, typer.Argument(help=_MEETING)],
    outcome: Annotated[str, typer.Argument(help="held or no-show")],
) -> None:
    """Say how a meeting that has started went."""
    from momentum.user.schemas import Actor

    with app_errors():
        if outcome not in ("held", "no-show"):
            raise InputError(f"outcome must be held or no-show, not {outcome!r}")
        engine = _engine()
        with engine.database.unit_of_work() as session:
            meetings = engine.meetings(session)
            mark = meetings.mark_held if outcome == "held" else meetings.mark_no_show
            view = mark(Actor.system(), meeting_id)
        console.print(f"{meeting_id} marked {view.state}")
        engine.close()


# --- value assets ------------------------------------------------------------------------


_TITLE = "The asset's title, as reminders name it."
_KINDS = "insight, article, data_point, case_study or roi_model."


@assets_app.command("add")
def assets_add(
    title: Annotated[str, typer.Option("--title", help=_TITLE)],
    summary: Annotated[str, typer.Option("--summary", help="The teaser the reminder quotes.")],
    kind: Annotated[str, typer.Option("--kind", help=_KINDS)] = "insight",
    url: Annotated[
        str | None, typer.Option("--url", help="Where the buyer reads it.", show_default=False)
    ] = None,
) -> None:
    """Add an insight, article or data point to the library."""
    from momentum.user.schemas import Actor
    from momentum.value_asset.schemas import NewValueAsset
    from momentum.value_asset.service import ValueAssetService

    with app_errors():
        new = _validated(
            NewValueAsset, {"title": title, "summary": summary, "kind": kind, "url": url}
        )
        engine = _engine(existing=False)
        with engine.database.unit_of_work() as session:
            asset = ValueAssetService(session, clock=engine.clock).add(Actor.system(), new)
            console.print(f"added value asset {asset.id}: {escape(asset.title)}")
        engine.close()


@assets_app.command("edit")
def assets_edit(
    asset_id: Annotated[int, typer.Argument(help="The asset's number, as assets list shows it.")],
    title: Annotated[str | None, typer.Option("--title", help=_TITLE, show_default=False)] = None,
    summary: Annotated[
        str | None,
        typer.Option("--summary", help="The teaser the reminder quotes.", show_default=False),
    ] = None,
    kind: Annotated[str | None, typer.Option("--kind", help=_KINDS, show_default=False)] = None,
    url: Annotated[
        str | None, typer.Option("--url", help='"" removes the link.', show_default=False)
    ] = None,
) -> None:
    """Change a value asset: what is not given stays as it is. The edit is a new version;
    reminders already planned keep the version they carry."""
    from momentum.user.schemas import Actor
    from momentum.value_asset.schemas import NewValueAsset
    from momentum.value_asset.service import ValueAssetService

    with app_errors():
        engine = _engine()
        with engine.database.unit_of_work() as session:
            assets = ValueAssetService(session, clock=engine.clock)
            asset = assets.get(asset_id)
            changed = {"title": title, "summary": summary, "kind": kind, "url": url}
            new = _validated(
                NewValueAsset,
                {
                    "title": asset.title,
                    "summary": asset.summary,
                    "kind": asset.kind,
                    "url": asset.url,
                    "tags": asset.tags.split(",") if asset.tags else [],
                }
                | {key: value for key, value in changed.items() if value is not None},
            )
            asset = assets.edit(Actor.system(), asset_id, new)
            version = assets.current_version(asset_id)
            number = version.number if version else 1
            console.print(f"value asset {asset.id}, version {number}: {escape(asset.title)}")
        engine.close()


@assets_app.command("retire")
def assets_retire(
    asset_id: Annotated[int, typer.Argument(help="The asset's number, as assets list shows it.")],
) -> None:
    """Take a value asset out of the library: it is no longer offered or picked for a new
    booking."""
    from momentum.user.schemas import Actor
    from momentum.value_asset.service import ValueAssetService

    with app_errors():
        engine = _engine()
        with engine.database.unit_of_work() as session:
            asset = ValueAssetService(session, clock=engine.clock).retire(Actor.system(), asset_id)
            console.print(f"retired value asset {asset.id}: {escape(asset.title)}")
        engine.close()


@assets_app.command("list")
def assets_list() -> None:
    """The active value assets."""
    from momentum.value_asset.service import ValueAssetService

    with app_errors():
        engine = _engine()
        with engine.database.unit_of_work(write=False) as session:
            library = ValueAssetService(session, clock=engine.clock).library()
            for asset in library:
                console.print(f"{asset.id}  " + escape(f"[{asset.kind}] {asset.title}"))
            if not library:
                errors.print(
                    "the value-asset library is empty: `momentum assets add` adds one "
                    "(without one, no value reminder is planned)",
                    soft_wrap=True,
                )
        engine.close()


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")
    app.add_typer(outbox_app, name="outbox")
    app.add_typer(meeting_app, name="meeting")
    app.add_typer(assets_app, name="assets")
