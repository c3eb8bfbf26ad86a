"""Salesforce exports with API field names, as the weekly Data Export and Data Loader write them.

``Opportunity.csv`` gives the deals; ``Event.csv`` and the meeting rows of ``Task.csv`` give the
meetings; ``OpportunityHistory.csv``, when given, the deals' stage history (each row: the
opportunity's stage from its ``CreatedDate`` on). ``Account.csv`` (account names), ``Contact.csv`` (the account of a contact) and
``User.csv`` (owners' names, e-mails and time zones) are used when given. An activity belongs
to the opportunity its ``WhatId`` names, else to a deal of its account (see
:mod:`momentum.importers.linking`); the notes say how many were linked by each rule, and which
rows were left out (deleted, tasks that are not meetings, system users who own nothing).

Date-times without an offset are UTC, as the weekly Data Export writes them (``--timezone``
says otherwise); dates (``CloseDate``, ``ActivityDate``) are calendar dates, midnight in the
owner's zone. An empty lookup is written ``000000000000000AAA``. The mapping rules are in
docs/importers.md ("Salesforce").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import polars as pl

from momentum.errors import Problem
from momentum.importers.canonical import CanonicalReader, ReadOptions
from momentum.importers.csvfile import ROW, CsvFile, Unreadable
from momentum.importers.linking import deals_for_accounts
from momentum.importers.problems import ProblemLog
from momentum.importers.tables import (
    LISTED_ROWS,
    Columns,
    Conventions,
    LeftOut,
    MappedTable,
    Rule,
    computed,
    rule,
    truthy,
)
from momentum.importers.values import parse_instants, read_times

FORMAT = "salesforce"
DEFAULT_DATE_ORDER = "mdy"
OPPORTUNITY, ACCOUNT, CONTACT, USER = "006", "001", "003", "005"
EMPTY_LOOKUP = r"^0{15}(?:AAA)?$"  # how the Data Export writes a lookup that names nothing
NAIVE_DATE_TIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$"
# The org's own e-mail domain is its id (00D…): the address of its system users (automated
# process, integration, platform integration…), which send no mail and sell nothing.
INTERNAL_DOMAIN = r"(?i)@00d[0-9a-z]{9,15}$"
EVENT_HEADERS = {"startdatetime", "activitydatetime", "durationinminutes", "enddatetime"}
ALL_DAY_MINUTES = 24 * 60
MAX_EVENT_MINUTES = 14 * 24 * 60  # Salesforce refuses longer events
RULE_NAMES = {
    "opportunity": "to their opportunity (WhatId)",
    "account": "through their account (WhatId or AccountId)",
    "contact": "through their contact's account (WhoId, Contact.csv)",
}


def recognise(headers: set[str]) -> str | None:
    if {"opportunityid", "stagename"} <= headers:
        return "opportunity_history"
    if "stagename" in headers:
        return "opportunity"
    if "id" not in headers:
        return None
    if headers & (EVENT_HEADERS | {"isalldayevent"}):  # no Task has these fields
        return "event"
    if "activitydate" in headers and headers & {"whatid", "whoid"}:
        return "task"
    if "username" in headers or "timezonesidkey" in headers:
        return "user"
    if "accountid" in headers and headers & {"lastname", "email"}:
        return "contact"
    if "name" in headers and headers & {"billingcountry", "billingcity", "industry", "website"}:
        return "account"
    return None


# ------------------------------------------------------------------ values
def reference(values: pl.Expr) -> pl.Expr:
    """A lookup field (an id): empty when the export writes the empty id."""
    return (
        pl.when(values.str.contains(EMPTY_LOOKUP)).then(pl.lit(None, pl.String)).otherwise(values)
    )


def instant(values: pl.Expr, utc: bool) -> pl.Expr:
    """A date-time field: one written without an offset is UTC (a ``Z`` is added), unless the
    user named the zone of the export's times (``utc`` false)."""
    if not utc:
        return values
    return pl.when(values.str.contains(NAIVE_DATE_TIME)).then(values + "Z").otherwise(values)


def calendar_date(values: pl.Expr) -> pl.Expr:
    """A date field; the Data Export writes some as midnight date-times (``2023-02-01
    00:00:00``), which are still the calendar date."""
    return (
        pl.when(values.str.contains(r"^\d{4}-\d{2}-\d{2}[T ]"))
        .then(values.str.slice(0, 10))
        .otherwise(values)
    )


def plus_minutes(start: pl.Series, minutes: pl.Series) -> pl.Series:
    """ISO text ``minutes`` after each ISO ``start``: an instant stays an instant, a wall time
    or a date gives a wall time (a day after a date is the next midnight, whatever the clocks
    do in between)."""
    times = read_times(start)
    delta = pl.duration(minutes=pl.lit(minutes))
    return pl.select(
        pl.coalesce(
            (pl.lit(times.absolute) + delta).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            (pl.lit(times.wall) + delta).dt.strftime("%Y-%m-%dT%H:%M:%S"),
        )
    ).to_series()


def _not_deleted(c: Columns) -> pl.Expr:
    return ~truthy(c("IsDeleted"))


# ------------------------------------------------------------------ rules
def opportunity_rules(accounts: dict[str, str], *, utc: bool) -> dict[str, Rule]:
    def outcome(c: Columns) -> pl.Expr:
        stage = c("StageName").str.to_lowercase()
        won, closed = c("IsWon"), c("IsClosed")  # the flags decide when the export has them
        return (
            pl.when(truthy(won) | (won.is_null() & closed.is_null() & stage.str.contains("won")))
            .then(pl.lit("won"))
            .when(truthy(closed) | (closed.is_null() & won.is_null() & stage.str.contains("lost")))
            .then(pl.lit("lost"))
            .otherwise(pl.lit("open"))
        )

    def account(c: Columns) -> pl.Expr:
        key = reference(c("AccountId"))
        if not accounts:
            return key
        return key.replace_strict(list(accounts), list(accounts.values()), default=key)

    return {
        "deal_id": rule("Id", required=True),
        "name": rule("Name"),
        "account": computed("AccountId", compute=account),
        "_account_key": computed("AccountId", compute=lambda c: reference(c("AccountId"))),
        "_close_key": computed("CloseDate", compute=lambda c: calendar_date(c("CloseDate"))),
        "owner_id": computed("OwnerId", compute=lambda c: reference(c("OwnerId")), required=True),
        "created_at": computed("CreatedDate", compute=lambda c: instant(c("CreatedDate"), utc)),
        "stage": rule("StageName"),
        "amount": rule("Amount"),
        "currency": rule("CurrencyIsoCode"),
        "outcome": computed("IsWon", "IsClosed", "StageName", compute=outcome, required=True),
        "closed_at": computed(
            "CloseDate",
            "IsWon",
            "IsClosed",
            "StageName",
            compute=lambda c: pl.when(outcome(c).is_in(["won", "lost"])).then(
                calendar_date(c("CloseDate"))
            ),
        ),
        "_keep": computed("IsDeleted", "Id", compute=_not_deleted),
    }


def history_rules(*, utc: bool) -> dict[str, Rule]:
    """OpportunityHistory: a row for every change of an opportunity's stage, amount or dates,
    with the stage it then had (the audit counts a row of an unchanged stage as no move)."""
    return {
        "deal_id": computed(
            "OpportunityId", compute=lambda c: reference(c("OpportunityId")), required=True
        ),
        "stage": rule("StageName", required=True),
        "entered_at": computed(
            "CreatedDate", compute=lambda c: instant(c("CreatedDate"), utc), required=True
        ),
        "_keep": computed("IsDeleted", "OpportunityId", compute=_not_deleted),
    }


def user_rules() -> dict[str, Rule]:
    def name(c: Columns) -> pl.Expr:
        full = pl.concat_str([c("FirstName"), c("LastName")], separator=" ", ignore_nulls=True)
        return pl.coalesce(c("Name"), pl.when(full != "").then(full))

    def system(c: Columns) -> pl.Expr:
        return c("Email").str.contains(INTERNAL_DOMAIN).fill_null(False)

    return {
        "rep_id": rule("Id", required=True),
        "name": computed("Name", "FirstName", "LastName", compute=name),
        # a system user's address at the org's own domain is no mailbox
        "email": computed("Email", compute=lambda c: pl.when(~system(c)).then(c("Email"))),
        "timezone": rule("TimeZoneSidKey"),
        "manager_id": computed("ManagerId", compute=lambda c: reference(c("ManagerId"))),
        "_system": computed("Email", compute=system),
        "_keep": computed("IsDeleted", "Id", compute=_not_deleted),
    }


def _link_columns() -> dict[str, Rule]:
    return {
        "_what": computed("WhatId", compute=lambda c: reference(c("WhatId"))),
        "_who": computed("WhoId", compute=lambda c: reference(c("WhoId"))),
        "_account": computed("AccountId", compute=lambda c: reference(c("AccountId"))),
        "_keep": computed("IsDeleted", "Id", compute=_not_deleted),
    }


_TASK_KINDS = ("TaskSubtype", "Type", "Type__c")


def task_rules(*, utc: bool) -> dict[str, Rule]:
    def status(c: Columns) -> pl.Expr:
        state = c("Status").str.strip_chars().str.to_lowercase()
        return (
            pl.when((state == "completed") | truthy(c("IsClosed")))
            .then(pl.lit("held"))
            .when(state == "deferred")
            .then(pl.lit("rescheduled"))
            .otherwise(pl.lit("scheduled"))
        )

    def is_meeting(c: Columns) -> pl.Expr:
        kinds = [c(h).str.strip_chars().str.to_lowercase() == "meeting" for h in _TASK_KINDS]
        return pl.any_horizontal([kind.fill_null(False) for kind in kinds])

    return {
        "meeting_id": rule("Id", required=True),
        "start": computed(
            "ActivityDate", compute=lambda c: calendar_date(c("ActivityDate")), required=True
        ),
        "booked_at": computed("CreatedDate", compute=lambda c: instant(c("CreatedDate"), utc)),
        "status": computed("Status", "IsClosed", compute=status),
        "agenda": rule("Description"),
        "_meeting": computed(*_TASK_KINDS, compute=is_meeting, required=True, blame="TaskSubtype"),
        **_link_columns(),
    }


def event_rules(*, utc: bool) -> dict[str, Rule]:
    """An event's end is computed by :class:`ActivityLinks` from ``_end`` (EndDateTime) or
    ``_minutes`` (DurationInMinutes), which need the whole row."""
    starts = ("StartDateTime", "ActivityDateTime", "ActivityDate", "IsAllDayEvent")

    def start(c: Columns) -> pl.Expr:
        timed = pl.coalesce(instant(c("StartDateTime"), utc), instant(c("ActivityDateTime"), utc))
        all_day = calendar_date(c("ActivityDate"))
        return pl.when(truthy(c("IsAllDayEvent"))).then(all_day).otherwise(timed)

    return {
        "meeting_id": rule("Id", required=True),
        "start": computed(*starts, compute=start, required=True),
        "_end": computed("EndDateTime", compute=lambda c: instant(c("EndDateTime"), utc)),
        "_minutes": rule("DurationInMinutes"),
        "_all_day": computed("IsAllDayEvent", compute=lambda c: truthy(c("IsAllDayEvent"))),
        "booked_at": computed("CreatedDate", compute=lambda c: instant(c("CreatedDate"), utc)),
        "agenda": rule("Description"),
        "_series": computed("IsRecurrence", "Id", compute=lambda c: truthy(c("IsRecurrence"))),
        **_link_columns(),
    }


# ------------------------------------------------------------------ side files
def _columns(file: CsvFile, names: list[str], problems: ProblemLog) -> pl.DataFrame | None:
    """Some columns of a file, by header (``None`` when one is missing). Raises
    ``Unreadable`` after logging why the file cannot be read."""
    headers = [file.header(name) for name in names]
    if any(header is None for header in headers):
        return None
    try:
        return (
            file.scan()
            .select(
                pl.col(file.position(header)).alias(name)  # type: ignore[arg-type]
                for header, name in zip(headers, names, strict=True)
            )
            .collect()
        )
    except pl.exceptions.PolarsError as exc:
        file._explain(exc, problems)
        raise Unreadable(str(exc)) from exc


def _lookup(file: CsvFile, key: str, value: str, problems: ProblemLog) -> dict[str, str]:
    """Two columns of a small side file (Account.csv, Contact.csv) as a dictionary."""
    frame = _columns(file, [key, value], problems)
    if frame is None:
        return {}
    frame = frame.drop_nulls().filter(~pl.col(value).str.contains(EMPTY_LOOKUP))
    return dict(zip(frame[key].to_list(), frame[value].to_list(), strict=True))


def _ids(files: list[CsvFile], header: str, problems: ProblemLog) -> set[str]:
    """The ids one column of these files names."""
    found: set[str] = set()
    for file in files:
        frame = _columns(file, [header], problems)
        if frame is not None:
            found |= set(frame[header].drop_nulls().to_list())
    return found


# ------------------------------------------------------------------ rows left out
class Records:
    """The rows of an Opportunity or User export that are kept: not deleted, and for users
    not a system user who owns nothing (``owners``: the ids deals or managers refer to)."""

    def __init__(self, file: CsvFile, owners: set[str] | None = None) -> None:
        self.file = file
        self.owners = owners
        self.left_out = LeftOut()

    def __call__(self, frame: pl.DataFrame) -> pl.DataFrame:
        frame = self.left_out.drop(frame, ~pl.col("_keep"), "deleted rows (IsDeleted)")
        if self.owners is not None and "_system" in frame.columns:
            frame = self.left_out.drop(
                frame,
                pl.col("_system") & ~pl.col("rep_id").is_in(sorted(self.owners)),
                "system users (e-mail at the org's own domain) who own nothing",
            )
        return frame

    def note(self) -> str | None:
        parts = self.left_out.parts()
        return f"{self.file.label}: {'; '.join(parts)}" if parts else None


class ActivityLinks:
    """Keeps an activity file's meetings, finds each one's deal, and counts how many each
    rule linked and which rows were left out."""

    def __init__(
        self, reader: CanonicalReader, file: CsvFile, contacts: dict[str, str], now: datetime
    ) -> None:
        self.reader = reader
        self.file = file
        self.contacts = contacts
        self.now = now
        self.counts = {"opportunity": 0, "account": 0, "contact": 0}
        self.unlinked: list[int] = []
        self.unlinked_total = 0
        self.series = 0
        self.held_events = 0
        self.left_out = LeftOut()

    def __call__(self, frame: pl.DataFrame) -> pl.DataFrame:
        frame = frame.with_columns(
            pl.lit(None, pl.String).alias(name)
            for name in ("_what", "_who", "_account")
            if name not in frame.columns
        )
        frame = self.left_out.drop(frame, ~pl.col("_keep"), "deleted rows (IsDeleted)")
        if "_meeting" in frame.columns:
            frame = self.left_out.drop(
                frame,
                ~pl.col("_meeting"),
                "tasks that are not meetings (calls, e-mails, to-dos)",
            )
        if "_series" in frame.columns:  # a recurring event's master; its occurrences are rows
            self.series += frame.filter(pl.col("_series")).height
            frame = frame.filter(~pl.col("_series"))
        if "_end" in frame.columns or "_minutes" in frame.columns:
            frame = frame.with_columns(self._event_end(frame))
        if "status" not in frame.columns:
            frame = frame.with_columns(self._event_status(frame))
        what = pl.col("_what").fill_null("")
        who = pl.col("_who").fill_null("")
        contact_account = who.replace_strict(
            list(self.contacts), list(self.contacts.values()), default=None
        )
        frame = frame.with_row_index("_i").with_columns(
            pl.when(what.str.starts_with(OPPORTUNITY))
            .then(pl.lit("opportunity"))
            .when(what.str.starts_with(ACCOUNT) | pl.col("_account").is_not_null())
            .then(pl.lit("account"))
            .when(who.str.starts_with(CONTACT) & contact_account.is_not_null())
            .then(pl.lit("contact"))
            .alias("_rule"),
            pl.when(what.str.starts_with(ACCOUNT))
            .then(pl.col("_what"))
            .otherwise(pl.coalesce(pl.col("_account"), contact_account))
            .alias("account_key"),
            pl.col("start").str.slice(0, 10).str.to_date(strict=False).alias("day"),
        )
        chosen = deals_for_accounts(
            frame.filter(pl.col("_rule").is_in(["account", "contact"])).select(
                "_i", "account_key", "day"
            ),
            self.reader.deal_directory(),
        ).rename({"deal_id": "_chosen"})
        frame = frame.join(chosen, on="_i", how="left", maintain_order="left").with_columns(
            pl.when(pl.col("_rule") == "opportunity")
            .then(pl.col("_what"))
            .otherwise(pl.col("_chosen"))
            .alias("deal_id")
        )
        linked = frame.filter(pl.col("deal_id").is_not_null())
        for name, count in linked.group_by("_rule").len().iter_rows():
            self.counts[name] += count
        if "_minutes" in frame.columns or "_end" in frame.columns:
            self.held_events += linked.filter(pl.col("status") == "held").height
        missing = frame.filter(pl.col("deal_id").is_null())
        self.unlinked_total += missing.height
        self.unlinked += missing[ROW].head(LISTED_ROWS - len(self.unlinked)).to_list()
        return linked

    def _event_end(self, frame: pl.DataFrame) -> pl.Series:
        """EndDateTime, else the start plus DurationInMinutes; an all-day event lasts its
        DurationInMinutes from midnight (a day without one), whatever EndDateTime says.
        A DurationInMinutes that is not a whole number from 0 to 14 days is a problem."""
        empty = pl.repeat(None, frame.height, dtype=pl.String, eager=True)
        text = frame["_minutes"] if "_minutes" in frame.columns else empty
        parsed = text.cast(pl.Int64, strict=False)
        fits = parsed.is_between(0, MAX_EVENT_MINUTES).fill_null(False)
        self.reader.problems.add_rows(
            self.file.label,
            frame.with_columns(text.alias("_text"), fits.alias("_fits")),
            pl.col("_text").is_not_null() & ~pl.col("_fits"),
            self.file.header("DurationInMinutes"),
            lambda r: (
                f"{r['_text']!r} is not a number of minutes from 0 to {MAX_EVENT_MINUTES:,} "
                "(Salesforce events last at most 14 days)"
            ),
        )
        all_day = frame["_all_day"] if "_all_day" in frame.columns else empty.is_not_null()
        given = frame["_end"] if "_end" in frame.columns else empty
        minutes = pl.select(
            pl.when(pl.lit(fits))
            .then(pl.lit(parsed))
            .when(pl.lit(all_day) & pl.lit(text).is_null())
            .then(pl.lit(ALL_DAY_MINUTES))
        ).to_series()
        computed_end = plus_minutes(frame["start"], minutes)
        # past the year 9999 no date-time can be written: the start's own check says why
        writable = computed_end.str.contains(r"^\d{4}-").fill_null(False)
        computed_end = pl.select(pl.when(pl.lit(writable)).then(pl.lit(computed_end))).to_series()
        return (
            pl.select(
                pl.when(pl.lit(all_day))
                .then(pl.lit(computed_end))
                .otherwise(pl.coalesce(pl.lit(given), pl.lit(computed_end)))
            )
            .to_series()
            .alias("end")
        )

    def _event_status(self, frame: pl.DataFrame) -> pl.Series:
        """Salesforce activities without a status (events) are held once they have ended,
        else scheduled."""
        moments = [name for name in ("end", "start") if name in frame.columns]
        ends = parse_instants(
            frame.select(pl.coalesce(moments)).to_series(),
            pl.repeat("UTC", frame.height, dtype=pl.String, eager=True),
        )
        held = ends.is_not_null() & (ends < self.now)
        return (
            pl.select(pl.when(pl.lit(held)).then(pl.lit("held")).otherwise(pl.lit("scheduled")))
            .to_series()
            .alias("status")
        )

    def note(self) -> str | None:
        parts = []
        total = sum(self.counts.values())
        if total + self.unlinked_total + self.series:
            rules = ", ".join(f"{self.counts[name]} {RULE_NAMES[name]}" for name in self.counts)
            parts.append(
                f"{total} {'meeting' if total == 1 else 'meetings'} linked to deals: {rules}"
            )
        if self.unlinked_total == 1:
            parts.append(
                "1 linked to no opportunity, account or contact with a deal was left out "
                f"(row {self.unlinked[0]})"
            )
        elif self.unlinked_total:
            rows = ", ".join(str(row) for row in self.unlinked)
            more = ", …" if self.unlinked_total > len(self.unlinked) else ""
            parts.append(
                f"{self.unlinked_total} linked to no opportunity, account or contact with a "
                f"deal were left out (rows {rows}{more})"
            )
        if self.series:
            parts.append(
                "1 recurring-event master was skipped (its occurrences are rows)"
                if self.series == 1
                else f"{self.series} recurring-event masters were skipped (their occurrences "
                "are rows)"
            )
        parts += self.left_out.parts()
        if self.held_events:
            events = (
                "1 past event was"
                if self.held_events == 1
                else f"{self.held_events} past events were"
            )
            parts.append(
                f"{events} taken as held: Salesforce records no attendance, so a no-show cannot "
                "be known from this export"
            )
        return f"{self.file.label}: {'; '.join(parts)}" if parts else None


# ------------------------------------------------------------------ the export
def build(reader: CanonicalReader, files: dict[str, list[CsvFile]], options: ReadOptions) -> None:
    conventions = Conventions(
        date_order=options.date_order, default_order=DEFAULT_DATE_ORDER, preset="Salesforce"
    )
    if not any(files.get(role) for role in ("opportunity", "event", "task", "opportunity_history")):
        for role, found in files.items():
            for file in found:
                reader.problems.add(
                    Problem(
                        file.label,
                        None,
                        None,
                        f"is a Salesforce {role.title()} export, which only helps to read "
                        "Opportunity, OpportunityHistory, Event and Task exports; import it "
                        "together with them",
                    )
                )
        return
    for file in files.get("event", []):
        if file.header("DurationInMinutes") is None and file.header("EndDateTime") is None:
            reader.problems.add(
                Problem(
                    file.label,
                    1,
                    "DurationInMinutes",
                    "required column is missing: an event ends DurationInMinutes after its "
                    "start, or at its EndDateTime (export one of them)",
                )
            )
    if reader.problems:
        return
    accounts: dict[str, str] = {}
    contacts: dict[str, str] = {}
    try:
        for file in files.get("account", []):
            accounts |= _lookup(file, "Id", "Name", reader.problems)
        for file in files.get("contact", []):
            contacts |= _lookup(file, "Id", "AccountId", reader.problems)
        # the users deals or other users refer to; system users who own nothing are left out
        owners = _ids(files.get("opportunity", []), "OwnerId", reader.problems)
        owners |= _ids(files.get("user", []), "ManagerId", reader.problems)
    except Unreadable:
        return
    utc = options.timezone is None

    def table(
        file: CsvFile,
        rules: dict[str, Rule],
        after: Callable[[pl.DataFrame], pl.DataFrame],
        adds: dict[str, str] | None = None,
    ) -> MappedTable:
        times = ["CreatedDate", "CloseDate", "ActivityDate", "StartDateTime", "EndDateTime"]
        return MappedTable(
            file,
            rules,
            times=[*times, "ActivityDateTime"],
            amounts=["Amount"],
            conventions=conventions,
            zone=options.timezone,
            after=after,
            adds=adds,
        )

    for file in files.get("user", []):
        users = Records(file, owners)
        reader.files.reps.append(table(file, user_rules(), users))
        reader.summaries.append(users.note)
    for file in files.get("opportunity", []):
        deals = Records(file)
        reader.files.deals.append(table(file, opportunity_rules(accounts, utc=utc), deals))
        reader.summaries.append(deals.note)
    for file in files.get("opportunity_history", []):
        history = Records(file)
        reader.files.stages.append(table(file, history_rules(utc=utc), history))
        reader.summaries.append(history.note)
    now = options.now or datetime.now(UTC)
    for role, rules in (("event", event_rules(utc=utc)), ("task", task_rules(utc=utc))):
        for file in files.get(role, []):
            reader.keep_deal_directory = True
            links = ActivityLinks(reader, file, contacts, now)
            adds = {"deal_id": "WhatId", "status": "Status"}
            if role == "event":
                ends = file.header("EndDateTime") or file.header("DurationInMinutes")
                adds = {"deal_id": "WhatId", "status": "ActivityDateTime", "end": str(ends)}
            reader.files.meetings.append(table(file, rules, links, adds))
            reader.summaries.append(links.note)
