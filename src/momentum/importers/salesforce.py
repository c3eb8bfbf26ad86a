"""Salesforce exports with API field names, as the weekly Data Export and Data Loader write them.

``Opportunity.csv`` gives the deals; ``Event.csv`` and the meeting rows of ``Task.csv`` give the
meetings. ``Account.csv`` (account names), ``Contact.csv`` (the account of a contact) and
``User.csv`` (owners' names, e-mails and time zones) are used when given. An activity belongs
to the opportunity its ``WhatId`` names, else to a deal of its account (see
:mod:`momentum.importers.linking`); the notes say how many were linked by each rule. The mapping
rules are in docs/importers.md ("Salesforce").
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from momentum.errors import Problem
from momentum.importers.canonical import CanonicalReader, ReadOptions
from momentum.importers.csvfile import ROW, CsvFile, Unreadable
from momentum.importers.linking import deals_for_accounts
from momentum.importers.problems import ProblemLog
from momentum.importers.tables import (
    Columns,
    Conventions,
    MappedTable,
    Rule,
    computed,
    rule,
    truthy,
)
from momentum.importers.values import parse_instants

FORMAT = "salesforce"
DEFAULT_DATE_ORDER = "mdy"
OPPORTUNITY, ACCOUNT, CONTACT, USER = "006", "001", "003", "005"
RULE_NAMES = {
    "opportunity": "to their opportunity (WhatId)",
    "account": "through their account (WhatId or AccountId)",
    "contact": "through their contact's account (WhoId, Contact.csv)",
}


def recognise(headers: set[str]) -> str | None:
    if "stagename" in headers:
        return "opportunity"
    if "id" not in headers:
        return None
    if "startdatetime" in headers or {"activitydatetime", "durationinminutes"} <= headers:
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


def _not_deleted(c: Columns) -> pl.Expr:
    return ~truthy(c("IsDeleted"))


def opportunity_rules(accounts: dict[str, str]) -> dict[str, Rule]:
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
        key = c("AccountId")
        if not accounts:
            return key
        return key.replace_strict(list(accounts), list(accounts.values()), default=key)

    return {
        "deal_id": rule("Id", required=True),
        "name": rule("Name"),
        "account": computed("AccountId", compute=account),
        "_account_key": rule("AccountId"),
        "_close_key": rule("CloseDate"),
        "owner_id": rule("OwnerId", required=True),
        "created_at": rule("CreatedDate"),
        "stage": rule("StageName"),
        "amount": rule("Amount"),
        "currency": rule("CurrencyIsoCode"),
        "outcome": computed("IsWon", "IsClosed", "StageName", compute=outcome, required=True),
        "closed_at": computed(
            "CloseDate",
            "IsWon",
            "IsClosed",
            "StageName",
            compute=lambda c: pl.when(outcome(c).is_in(["won", "lost"])).then(c("CloseDate")),
        ),
        "_keep": computed("IsDeleted", "Id", compute=_not_deleted),
    }


def user_rules() -> dict[str, Rule]:
    return {
        "rep_id": rule("Id", required=True),
        "name": rule("Name"),
        "email": rule("Email"),
        "timezone": rule("TimeZoneSidKey"),
        "manager_id": rule("ManagerId"),
        "_keep": computed("IsDeleted", "Id", compute=_not_deleted),
    }


def _link_columns() -> dict[str, Rule]:
    return {
        "_what": rule("WhatId"),
        "_who": rule("WhoId"),
        "_account": rule("AccountId"),
        "_keep": computed("IsDeleted", "Id", compute=_not_deleted),
    }


def task_rules() -> dict[str, Rule]:
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
        "start": rule("ActivityDate", required=True),
        "booked_at": rule("CreatedDate"),
        "status": computed("Status", "IsClosed", compute=status),
        "agenda": rule("Description"),
        "_meeting": computed(*_TASK_KINDS, compute=is_meeting, required=True, blame="TaskSubtype"),
        **_link_columns(),
    }


_TASK_KINDS = ("TaskSubtype", "Type", "Type__c")


def event_rules() -> dict[str, Rule]:
    all_day = ("IsAllDayEvent", "ActivityDate", "StartDateTime", "ActivityDateTime")

    def start(c: Columns) -> pl.Expr:
        timed = pl.coalesce(c("StartDateTime"), c("ActivityDateTime"))
        return pl.when(truthy(c("IsAllDayEvent"))).then(c("ActivityDate")).otherwise(timed)

    def end(c: Columns) -> pl.Expr:
        minutes = c("DurationInMinutes").cast(pl.Int64, strict=False)
        return pl.coalesce(c("EndDateTime"), plus_minutes(start(c), minutes))

    return {
        "meeting_id": rule("Id", required=True),
        "start": computed(*all_day, compute=start, required=True, blame="StartDateTime"),
        "end": computed("EndDateTime", "DurationInMinutes", *all_day, compute=end),
        "booked_at": rule("CreatedDate"),
        "agenda": rule("Description"),
        "_series": computed("IsRecurrence", "Id", compute=lambda c: truthy(c("IsRecurrence"))),
        **_link_columns(),
    }


def plus_minutes(text: pl.Expr, minutes: pl.Expr) -> pl.Expr:
    """ISO text ``minutes`` after the ISO date-time ``text`` (an instant stays an instant)."""
    aware = text.str.to_datetime(strict=False, time_unit="us", time_zone="UTC")
    naive = text.str.to_datetime(strict=False, time_unit="us")
    delta = pl.duration(minutes=minutes)
    return pl.coalesce(
        (aware + delta).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        (naive + delta).dt.strftime("%Y-%m-%dT%H:%M:%S"),
    )


def _lookup(file: CsvFile, key: str, value: str, problems: ProblemLog) -> dict[str, str]:
    """Two columns of a small side file (Account.csv, Contact.csv) as a dictionary."""
    key_header, value_header = file.header(key), file.header(value)
    if key_header is None or value_header is None:
        return {}
    try:
        frame = (
            file.scan()
            .select(
                pl.col(file.position(key_header)).alias("k"),
                pl.col(file.position(value_header)).alias("v"),
            )
            .drop_nulls()
            .collect()
        )
    except pl.exceptions.PolarsError as exc:
        file._explain(exc, problems)
        raise Unreadable(str(exc)) from exc
    return dict(zip(frame["k"].to_list(), frame["v"].to_list(), strict=True))


class ActivityLinks:
    """Finds each activity's deal, counting how many each rule linked, per file."""

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

    def __call__(self, frame: pl.DataFrame) -> pl.DataFrame:
        frame = frame.filter(pl.col("_keep")).with_columns(
            pl.lit(None, pl.String).alias(name)
            for name in ("_what", "_who", "_account")
            if name not in frame.columns
        )
        if "_meeting" in frame.columns:
            frame = frame.filter(pl.col("_meeting"))
        if "_series" in frame.columns:  # a recurring event's master; its occurrences are rows
            self.series += frame.filter(pl.col("_series")).height
            frame = frame.filter(~pl.col("_series"))
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
        missing = frame.filter(pl.col("deal_id").is_null())
        self.unlinked_total += missing.height
        self.unlinked += missing[ROW].head(10 - len(self.unlinked)).to_list()
        return linked

    def _event_status(self, frame: pl.DataFrame) -> pl.Series:
        """Salesforce events have no status: one that has ended is held, else scheduled."""
        ends = parse_instants(
            frame.select(pl.coalesce("end", "start")).to_series(),
            pl.repeat("UTC", frame.height, dtype=pl.String, eager=True),
        )
        held = ends.is_not_null() & (ends < self.now)
        return (
            pl.select(pl.when(pl.lit(held)).then(pl.lit("held")).otherwise(pl.lit("scheduled")))
            .to_series()
            .alias("status")
        )

    def note(self) -> str | None:
        total = sum(self.counts.values())
        if total + self.unlinked_total + self.series == 0:
            return None
        rules = ", ".join(f"{self.counts[name]} {RULE_NAMES[name]}" for name in self.counts)
        text = f"{self.file.label}: {total} meetings linked to deals: {rules}"
        if self.unlinked_total:
            rows = ", ".join(str(row) for row in self.unlinked)
            more = ", …" if self.unlinked_total > len(self.unlinked) else ""
            text += (
                f"; {self.unlinked_total} linked to no opportunity, account or contact with a "
                f"deal were left out (rows {rows}{more})"
            )
        if self.series:
            text += (
                f"; {self.series} recurring-event masters were skipped (their occurrences are rows)"
            )
        return text


def build(reader: CanonicalReader, files: dict[str, list[CsvFile]], options: ReadOptions) -> None:
    conventions = Conventions(
        date_order=options.date_order, default_order=DEFAULT_DATE_ORDER, preset="Salesforce"
    )
    if not any(files.get(role) for role in ("opportunity", "event", "task")):
        for role, found in files.items():
            for file in found:
                reader.problems.add(
                    Problem(
                        file.label,
                        None,
                        None,
                        f"is a Salesforce {role.title()} export, which only helps to read "
                        "Opportunity, Event and Task exports; import it together with them",
                    )
                )
        return
    accounts: dict[str, str] = {}
    contacts: dict[str, str] = {}
    try:
        for file in files.get("account", []):
            accounts |= _lookup(file, "Id", "Name", reader.problems)
        for file in files.get("contact", []):
            contacts |= _lookup(file, "Id", "AccountId", reader.problems)
    except Unreadable:
        return

    def table(
        file: CsvFile,
        rules: dict[str, Rule],
        after: object = None,
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
            after=after,  # type: ignore[arg-type]
            adds=adds,
        )

    def kept(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.filter(pl.col("_keep")) if "_keep" in frame.columns else frame

    for file in files.get("user", []):
        reader.files.reps.append(table(file, user_rules(), kept))
    for file in files.get("opportunity", []):
        reader.files.deals.append(table(file, opportunity_rules(accounts), kept))
    now = options.now or datetime.now(UTC)
    for role, rules in (("event", event_rules()), ("task", task_rules())):
        for file in files.get(role, []):
            reader.keep_deal_directory = True
            links = ActivityLinks(reader, file, contacts, now)
            adds = {"deal_id": "WhatId", "status": "Status" if role == "task" else "EndDateTime"}
            reader.files.meetings.append(table(file, rules, links, adds))
            reader.summaries.append(links.note)
