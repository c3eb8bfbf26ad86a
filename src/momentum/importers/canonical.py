"""The canonical checks every format goes through: reps, deals and meetings validated in
column batches and handed, in one order, to a sink.

``momentum import`` streams the batches into the store (``importers.store``), ``momentum
audit`` collects them in memory (:class:`Collected`). Reps come first (they are few), then
deals, then meetings, so that a naive time can be put in its owner's zone and every reference
checked. What the reader must remember between batches is small: each deal's owner and each
id's row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from momentum.businessdays import is_country
from momentum.canonical import (
    CONTACT_COLUMNS,
    DEAL_COLUMNS,
    DEAL_ROW,
    DEFAULT_MEETING_MINUTES,
    MEETING_COLUMNS,
    MEETING_STATUSES,
    OUTCOMES,
    REP_COLUMNS,
    REQUIRED,
    STAGE_COLUMNS,
    Dataset,
    conform,
)
from momentum.importers.csvfile import ROW, Unreadable
from momentum.importers.problems import ProblemLog
from momentum.importers.tables import Table
from momentum.importers.values import (
    AMOUNT_DIGITS,
    AMOUNT_SCALE,
    Times,
    outside_instant_range,
    read_amounts,
    read_times_of,
    to_instants,
)
from momentum.importers.wallclock import as_written, clock_note
from momentum.keys import KeyIndex, may_have_duplicates
from momentum.localtime import INSTANT_RANGE, is_timezone
from momentum.rep.models import Rep
from momentum.rep.repository import KNOWN_REPS

TEXT_COLUMNS = ("agenda", "homework")
PRESENT = "✓"  # a text column's value under ReadOptions(text_presence_only=True)
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

# The longest value each text field may have, in characters: what its store column holds
# (ids, e-mails), or for text the store does not bound, the same limit on SQLite and
# PostgreSQL so that one file cannot fill the store with a single value. Checked before
# anything else reads the values (docs/data-format.md, "Limits").
ID_LENGTH = Rep.__table__.c.id.type.length  # type: ignore[attr-defined]
EMAIL_LENGTH = Rep.__table__.c.email.type.length  # type: ignore[attr-defined]
TEXT_LENGTH = 1_000  # names, accounts, stages, teams
LONG_TEXT_LENGTH = 100_000  # a meeting's agenda and homework
FIELD_LENGTHS: dict[str, dict[str, tuple[int, str]]] = {
    "reps": {
        "rep_id": (ID_LENGTH, "an id"),
        "manager_id": (ID_LENGTH, "an id"),
        "email": (EMAIL_LENGTH, "an e-mail address"),
        "name": (TEXT_LENGTH, "a name"),
        "team": (TEXT_LENGTH, "a team"),
    },
    "deals": {
        "deal_id": (ID_LENGTH, "an id"),
        "owner_id": (ID_LENGTH, "an id"),
        "name": (TEXT_LENGTH, "a name"),
        "account": (TEXT_LENGTH, "an account"),
        "stage": (TEXT_LENGTH, "a stage"),
    },
    "meetings": {
        "meeting_id": (ID_LENGTH, "an id"),
        "deal_id": (ID_LENGTH, "an id"),
        "agenda": (LONG_TEXT_LENGTH, "an agenda"),
        "homework": (LONG_TEXT_LENGTH, "homework"),
    },
    "stages": {
        "deal_id": (ID_LENGTH, "an id"),
        "stage": (TEXT_LENGTH, "a stage"),
    },
}
STATUS_SPELLINGS = {
    "no-show": "no_show",
    "no show": "no_show",
    "noshow": "no_show",
    "cancelled": "canceled",
    "completed": "held",
    "attended": "held",
}


class KnownEntities(Protocol):
    """What the store already holds, for files that refer to it."""

    def reps(self) -> pl.DataFrame:
        """``rep_id``, ``timezone``, ``country``, ``manager_id`` of every rep."""
        ...

    def deal_owners(self, deal_ids: Sequence[str]) -> pl.DataFrame:
        """``deal_id``, ``owner_id`` of those of ``deal_ids`` that exist."""
        ...


@dataclass(frozen=True)
class ReadOptions:
    default_timezone: str = "UTC"
    default_country: str | None = None
    batch_rows: int = 100_000
    # agenda and homework reduced to whether one was written ("✓"): all the audit asks of them
    text_presence_only: bool = False
    # meetings carry ``_deal``: the row of their deal among the deals read (read_all's frame),
    # so the audit groups and places them without matching deal ids again
    deal_rows: bool = False
    # For exports of other tools (docs/importers.md):
    date_order: str | None = None  # "dmy" | "mdy" for numeric dates; None: found per file
    timezone: str | None = None  # IANA zone naive times in an export are in; None: the owner's
    mapping: Path | None = None  # a TOML mapping file (format "mapping"; domains for calendars)
    now: datetime | None = None  # "now" for calendar statuses; None: the clock at open_reader


def show(value: Any, limit: int = 60) -> str:
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return repr(text)


@dataclass
class CanonicalFiles:
    """Which tables the reader reads, per role; the formats' builders fill them."""

    reps: list[Table] = field(default_factory=list)
    deals: list[Table] = field(default_factory=list)
    meetings: list[Table] = field(default_factory=list)
    stages: list[Table] = field(default_factory=list)  # deals' stage history, when given


class Sink(Protocol):
    """Where validated rows go, in the order :meth:`CanonicalReader.read` hands them over."""

    def deals(self, batch: pl.DataFrame) -> None: ...
    def reps(self, reps: pl.DataFrame) -> None: ...
    def meetings(self, batch: pl.DataFrame) -> None: ...
    def stages(self, batch: pl.DataFrame) -> None: ...
    def contacts(self, contacts: pl.DataFrame) -> None: ...


@dataclass
class Collected:
    """A sink that keeps everything in memory: a :class:`Dataset`."""

    rep_frames: list[pl.DataFrame] = field(default_factory=list)
    deal_frames: list[pl.DataFrame] = field(default_factory=list)
    meeting_frames: list[pl.DataFrame] = field(default_factory=list)
    stage_frames: list[pl.DataFrame] = field(default_factory=list)
    contact_frame: pl.DataFrame | None = None

    def deals(self, batch: pl.DataFrame) -> None:
        # the audit adds amounts up as floats; the store keeps the exact decimals
        self.deal_frames.append(batch.with_columns(pl.col("amount").cast(pl.Float64)))

    def reps(self, reps: pl.DataFrame) -> None:
        self.rep_frames.append(reps)

    def meetings(self, batch: pl.DataFrame) -> None:
        self.meeting_frames.append(batch)

    def stages(self, batch: pl.DataFrame) -> None:
        self.stage_frames.append(batch)

    def contacts(self, contacts: pl.DataFrame) -> None:
        self.contact_frame = contacts

    def dataset(self, notes: Sequence[str]) -> Dataset:
        """The rows collected; ``stages`` is None when no stage entry was read (the source
        has no stage history)."""

        def joined(frames: list[pl.DataFrame], columns: dict[str, pl.DataType]) -> pl.DataFrame:
            return pl.concat(frames) if frames else conform(pl.DataFrame(), columns)

        return Dataset(
            reps=joined(self.rep_frames, REP_COLUMNS),
            deals=joined(self.deal_frames, DEAL_COLUMNS),
            meetings=joined(self.meeting_frames, MEETING_COLUMNS),
            contacts=joined(
                [] if self.contact_frame is None else [self.contact_frame], CONTACT_COLUMNS
            ),
            stages=(
                pl.concat(self.stage_frames)
                if sum(frame.height for frame in self.stage_frames)
                else None
            ),
            notes=list(notes),
        )


class CanonicalReader:
    """Validates the canonical tables of any format and hands them to a :class:`Sink`.

    A format's builder (``importers.Format.build``) adds its tables to :attr:`files` and may
    register hooks: ``contact_sources`` (contacts it knows), ``summaries`` (notes written once
    every row was read), ``keep_deal_directory`` (activities linked to deals by name or
    account read :meth:`deal_directory`). :meth:`read` then runs the one lifecycle.
    """

    def __init__(
        self,
        files: CanonicalFiles | None = None,
        *,
        options: ReadOptions,
        problems: ProblemLog,
        known: KnownEntities | None = None,
        format: str = "momentum",
        notes: Sequence[str] = (),
    ) -> None:
        self.format = format
        self.files = files or CanonicalFiles()
        self.options = options
        self.problems = problems
        self.known = known
        self.implied_reps = conform(pl.DataFrame(), REP_COLUMNS)
        self._implied_from: list[str] = []  # the owner columns the implied reps came from
        self._rep_zones = pl.DataFrame(schema={"rep_id": pl.String, "timezone": pl.String})
        self._deal_index: list[pl.DataFrame] = []
        owners = pl.DataFrame(schema={"deal_id": pl.String, "owner_id": pl.String})
        self._deals = KeyIndex(owners, "deal_id")  # every deal read: its owner
        self._stored_owners = owners  # asked of the store; null: not there
        self._meeting_index: list[pl.DataFrame] = []
        # per meetings table: how many rows had booked_at after start, and the first such row
        self._booked_late: dict[str, tuple[int, int]] = {}
        self.present: dict[str, set[str]] = {
            "reps": set(),
            "deals": set(),
            "meetings": set(),
            "stages": set(),
        }
        self.notes: list[str] = list(notes)
        # Deals as validated, for formats that link activities to deals by account or name.
        self.keep_deal_directory = False
        self._directory: list[pl.DataFrame] = []
        # Contacts (deal_id, name, email) from formats that know them, e.g. calendar attendees.
        self.contact_sources: list[Callable[[], pl.DataFrame]] = []
        # Notes that can only be written once every row was read (counts of rows left out).
        self.summaries: list[Callable[[], str | None]] = []
        self._tables: dict[str, Table] = {}
        self._given: dict[str, set[str]] = {}  # the fields each table gives, by its label
        self.rep_emails: dict[str, str] = {}  # e-mail (lowercase) -> rep_id, from reps files
        self._unread: set[str] = set()  # tables not read whole (problems say why)

    # ---------------------------------------------------------------- the lifecycle
    def read(self, sink: Sink) -> None:
        """Read every table into ``sink``, in the one order all formats share:

        1. reps, validated and held (they are few; a naive time needs its owner's zone);
        2. deals, batch by batch (an owner in no reps file becomes an implied rep);
        3. the reps, read and implied, handed over at once;
        4. meetings, batch by batch, each deal checked against the deals read or stored;
        5. stage entries (when the source has a stage history), checked the same way;
        6. the contacts of deals that exist;
        7. the checks that need every row: raises :class:`ValidationFailed` if anything
           was wrong (the sink has then been given rows it must not keep).
        """
        reps = self._read_reps()
        for batch in self._read_deals():
            sink.deals(batch)
        sink.reps(pl.concat([reps, self.implied_reps]))
        self._note_implied_reps()
        for batch in self._read_meetings():
            sink.meetings(batch)
        for batch in self._read_stages():
            sink.stages(batch)
        sink.contacts(self._read_contacts())
        self._finish()

    def read_all(self) -> Dataset:
        collected = Collected()
        self.read(collected)
        return collected.dataset(self.notes)

    # ---------------------------------------------------------------- reps
    def _read_reps(self) -> pl.DataFrame:
        frames = [frame for table in self.files.reps for frame in self._validated_reps(table)]
        reps = (
            pl.concat(frames)
            if frames
            else pl.DataFrame(
                schema={
                    **REP_COLUMNS,
                    "_file": pl.String,
                    ROW: pl.UInt32,
                    "_zone_given": pl.Boolean,
                    "_country_given": pl.Boolean,
                }
            )
        )
        reps = self._first_occurrences(reps, "rep_id")
        known = self.known.reps() if self.known is not None else pl.DataFrame(schema=KNOWN_REPS)
        all_ids = pl.concat([reps.select("rep_id"), known.select("rep_id")]).to_series()
        for (label,), part in reps.partition_by("_file", as_dict=True).items():
            table = self._table(str(label))
            rep_id = table.column("rep_id")
            self.problems.add_rows(
                str(label),
                part,
                pl.col("manager_id").is_not_null() & ~pl.col("manager_id").is_in(all_ids.implode()),
                table.column("manager_id"),
                lambda r, rep_id=rep_id: f"{show(r['manager_id'])} is not {_a(rep_id)}",  # type: ignore[misc]
            )
        # the managers as they will be: the stored ones, where a file does not give them
        manager_of = dict(zip(known["rep_id"], known["manager_id"], strict=True))
        given = {str(f): "manager_id" in self._given[str(f)] for f in reps["_file"].unique()}
        for (label,), part in reps.partition_by("_file", as_dict=True).items():
            if given[str(label)]:
                manager_of.update(zip(part["rep_id"], part["manager_id"], strict=True))
        loops = _manager_loops(manager_of)
        for (label,), part in reps.partition_by("_file", as_dict=True).items():
            self.problems.add_rows(
                str(label),
                part,
                pl.col("rep_id").is_in(list(loops)) & pl.lit(given[str(label)]),
                self._table(str(label)).column("manager_id"),
                lambda r: (
                    f"{show(r['manager_id'])} makes a loop of managers ({loops[r['rep_id']]})"
                ),
            )
        reps = reps.join(
            known.select("rep_id", pl.col("timezone").alias("_tz"), pl.col("country").alias("_cc")),
            on="rep_id",
            how="left",
            maintain_order="left",
        ).with_columns(  # a file without the column keeps the stored value; empty: the default
            pl.coalesce(
                "timezone",
                pl.when(~pl.col("_zone_given")).then("_tz"),
                pl.lit(self.options.default_timezone),
            ).alias("timezone"),
            pl.coalesce(
                "country",
                pl.when(~pl.col("_country_given")).then("_cc"),
                pl.lit(self.options.default_country, pl.String),
            ).alias("country"),
        )
        self._rep_zones = pl.concat(
            [
                known.select("rep_id", "timezone"),
                reps.select("rep_id", "timezone"),
            ]
        ).unique("rep_id", keep="last")
        self.rep_emails = {
            email.lower(): rep_id
            for rep_id, email in reps.select("rep_id", "email").drop_nulls().iter_rows()
        }
        return conform(reps, REP_COLUMNS)

    def _validated_reps(self, table: Table) -> Iterator[pl.DataFrame]:
        if not self._open(table, REP_COLUMNS, "reps"):
            return
        for batch in self._batches(table):
            batch = _with_missing(batch, REP_COLUMNS)
            self._check_text(table, batch, REP_COLUMNS, FIELD_LENGTHS["reps"])
            self._require(table, batch, REQUIRED["reps"])
            bad_zones = _invalid_values(batch["timezone"], is_timezone)
            self.problems.add_rows(
                table.label,
                batch,
                pl.col("timezone").is_in(bad_zones.implode()),
                table.column("timezone"),
                lambda r: (
                    f"unknown time zone {show(r['timezone'])} "
                    "(expected an IANA name such as Europe/Berlin)"
                ),
            )
            # reported; the rest of the input is checked as if the zone were left empty
            batch = batch.with_columns(
                pl.when(pl.col("timezone").is_in(bad_zones.implode()))
                .then(None)
                .otherwise(pl.col("timezone"))
                .alias("timezone")
            )
            batch = batch.with_columns(pl.col("country").str.to_uppercase())
            bad_countries = _invalid_values(batch["country"], is_country)
            self.problems.add_rows(
                table.label,
                batch,
                pl.col("country").is_in(bad_countries.implode()),
                table.column("country"),
                lambda r: (
                    f"no public-holiday calendar for country {show(r['country'])} "
                    "(expected an ISO 3166-1 alpha-2 code such as DE)"
                ),
            )
            self.problems.add_rows(
                table.label,
                batch,
                pl.col("email").is_not_null() & ~pl.col("email").str.contains(_EMAIL),
                table.column("email"),
                lambda r: f"{show(r['email'])} is not an e-mail address",
            )
            given = self._given[table.label]
            yield batch.with_columns(
                pl.lit(table.label).alias("_file"),
                pl.lit("timezone" in given).alias("_zone_given"),
                pl.lit("country" in given).alias("_country_given"),
            ).filter(pl.col("rep_id").is_not_null())

    # ---------------------------------------------------------------- deals
    def _read_deals(self) -> Iterator[pl.DataFrame]:
        for table in self.files.deals:
            if not self._open(table, DEAL_COLUMNS, "deals"):
                continue
            for batch in self._batches(table):
                yield self._validated_deals(table, batch)
        index = (
            pl.concat(self._deal_index)
            if self._deal_index
            else pl.DataFrame(
                schema={
                    "deal_id": pl.String,
                    "owner_id": pl.String,
                    "_file": pl.String,
                    ROW: pl.UInt32,
                }
            )
        )
        self._deal_index = []
        index = index.with_row_index(DEAL_ROW)  # each deal's row in read_all's deals
        index = self._first_occurrences(index, "deal_id")
        self._deals = KeyIndex(index.select("deal_id", "owner_id", DEAL_ROW), "deal_id")

    def _validated_deals(self, table: Table, batch: pl.DataFrame) -> pl.DataFrame:
        batch = _with_missing(batch, DEAL_COLUMNS)
        self._check_text(table, batch, DEAL_COLUMNS, FIELD_LENGTHS["deals"])
        self._require(table, batch, REQUIRED["deals"])
        batch = batch.with_columns(
            pl.col("outcome").alias("_written"),
            pl.col("outcome").str.to_lowercase(),
            pl.col("currency").str.to_uppercase(),
        )
        allowed = _allowed(table, "outcome", OUTCOMES)
        self.problems.add_rows(
            table.label,
            batch,
            pl.col("outcome").is_not_null() & ~pl.col("outcome").is_in(OUTCOMES),
            table.column("outcome"),
            lambda r: f"must be one of {allowed}, not {show(r['_written'])}",
        )
        batch = self._with_owner_zone(table, batch)
        zones = (
            pl.repeat(table.zone, batch.height, dtype=pl.String, eager=True)
            if table.zone
            else batch["_zone"]
        )
        batch = self._with_instants(
            table,
            batch,
            read_times_of(batch, ("created_at", "closed_at")),
            zones,
        )
        self.problems.add_rows(
            table.label,
            batch,
            pl.col("outcome").is_in(["won", "lost"])
            & pl.col("closed_at").is_null()
            & pl.col("closed_at_text").is_null(),
            table.column("closed_at"),
            lambda r: f"is required when outcome is {r['outcome']}",
        )
        amounts = read_amounts(batch["amount"])
        amount = amounts.values
        hint = table.amount_hint()
        self.problems.add_rows(
            table.label,
            batch,
            amounts.unreadable,
            table.column("amount"),
            lambda r: f"{show(r['amount'])} is not a number ({hint})",
        )
        self.problems.add_rows(
            table.label,
            batch,
            amounts.too_precise,
            table.column("amount"),
            lambda r: (
                f"{show(r['amount'])} has more than {AMOUNT_SCALE} digits after the decimal "
                "point, which the store cannot keep"
            ),
        )
        self.problems.add_rows(
            table.label,
            batch,
            amounts.too_large,
            table.column("amount"),
            lambda r: (
                f"{show(r['amount'])} has more than {AMOUNT_DIGITS} digits, which the store "
                "cannot keep exactly (the largest amount is 999999999999999, or "
                "99999999999.9999 with four decimals)"
            ),
        )
        self.problems.add_rows(
            table.label,
            batch,
            pl.col("currency").is_not_null() & ~pl.col("currency").str.contains(r"^[A-Z]{3}$"),
            table.column("currency"),
            lambda r: f"{show(r['currency'])} is not a three-letter currency code",
        )
        batch = batch.with_columns(amount.alias("amount"))
        kept = batch.filter(pl.col("deal_id").is_not_null())
        self._deal_index.append(
            kept.select("deal_id", "owner_id", pl.lit(table.label).alias("_file"), ROW)
        )
        if self.keep_deal_directory:
            key = "_account_key" if "_account_key" in kept.columns else "account"
            close = (
                pl.col("_close_key").str.slice(0, 10).str.to_date(strict=False)
                if "_close_key" in kept.columns
                else pl.col("closed_at").dt.date()
            )
            self._directory.append(
                kept.select(
                    "deal_id",
                    "name",
                    "account",
                    "owner_id",
                    "outcome",
                    "created_at",
                    "closed_at",
                    pl.col(key).alias("account_key"),
                    close.alias("close_day"),
                )
            )
        # amounts stay exact decimals on their way to the store (Collected makes them floats)
        return conform(kept, DEAL_COLUMNS).with_columns(kept["amount"])

    def deal_directory(self) -> pl.DataFrame:
        """Every deal read so far (deal_id, name, account, owner_id, outcome, created_at,
        closed_at, account_key, close_day: the actual or expected close date), when
        ``keep_deal_directory`` was set before reading."""
        schema = {
            **{name: DEAL_COLUMNS[name] for name in ("deal_id", "name", "account", "owner_id")},
            "outcome": pl.String(),
            "created_at": DEAL_COLUMNS["created_at"],
            "closed_at": DEAL_COLUMNS["closed_at"],
            "account_key": pl.String(),
            "close_day": pl.Date(),
        }
        frames = [frame.cast(schema) for frame in self._directory]  # type: ignore[arg-type]
        return pl.concat(frames) if frames else pl.DataFrame(schema=schema)

    def _with_owner_zone(self, table: Table, batch: pl.DataFrame) -> pl.DataFrame:
        """Adds ``_zone``: the owner's time zone. Owners unknown everywhere are reps implied
        with the defaults when no reps file was given, and a problem when one was."""
        batch = batch.join(
            self._rep_zones.rename({"rep_id": "owner_id", "timezone": "_zone"}),
            on="owner_id",
            how="left",
            maintain_order="left",
        )
        unknown = batch.filter(pl.col("owner_id").is_not_null() & pl.col("_zone").is_null())
        if unknown.height == 0:
            return batch
        if self.files.reps:
            unread = [reps.label for reps in self.files.reps if reps.label in self._unread]
            if unread:  # its reps would all look unknown: one line, not one per deal
                note = (
                    f"the owners in {table.label} were not checked against "
                    f"{', '.join(unread)}, which could not be read whole"
                )
                if note not in self.problems.skipped:
                    self.problems.skipped.append(note)
                return batch
            names = ", ".join(reps.label for reps in self.files.reps)
            rep_id = self.files.reps[0].column("rep_id")
            self.problems.add_rows(
                table.label,
                unknown,
                pl.lit(True),
                table.column("owner_id"),
                lambda r: f"{show(r['owner_id'])} is not {_a(rep_id)} in {names}",
            )
            return batch
        implied = conform(
            unknown.select(
                pl.col("owner_id").unique(maintain_order=True).alias("rep_id")
            ).with_columns(
                pl.lit(self.options.default_timezone).alias("timezone"),
                pl.lit(self.options.default_country, pl.String).alias("country"),
            ),
            REP_COLUMNS,
        )
        self.implied_reps = pl.concat([self.implied_reps, implied])
        if (column := table.column("owner_id")) not in self._implied_from:
            self._implied_from.append(column)
        self._rep_zones = pl.concat([self._rep_zones, implied.select("rep_id", "timezone")])
        return batch.with_columns(pl.col("_zone").fill_null(self.options.default_timezone))

    def _note_implied_reps(self) -> None:
        """Says that owners in no reps file became reps with the defaults, and which: their
        zone and holidays decide every business-day gap of their deals."""
        implied = self.implied_reps.height
        if not implied:
            return
        country = self.options.default_country
        holidays = f"the public holidays of {country}" if country else "no public holidays"
        self.notes.append(
            f"{implied:,} {'rep was' if implied == 1 else 'reps were'} not in a reps file and "
            f"{'was' if implied == 1 else 'were'} created from the deals' "
            f"{' and '.join(self._implied_from)} column with "
            f"{self._implied_zone()}, and {holidays} (a reps file, or "
            f"{self._implied_settings()}, can set them)"
        )

    def _implied_zone(self) -> str:
        zone = self.options.default_timezone
        if zone == self.options.timezone:
            return f"the time zone of the export's times, {zone}"
        return f"the default time zone, {zone}"

    def _implied_settings(self) -> str:
        if self.options.default_timezone == self.options.timezone:
            return "MOMENTUM_DEFAULT_COUNTRY for the holidays"
        return "MOMENTUM_DEFAULT_TIMEZONE and MOMENTUM_DEFAULT_COUNTRY"

    # ---------------------------------------------------------------- meetings
    def _read_meetings(self) -> Iterator[pl.DataFrame]:
        for table in self.files.meetings:
            if not self._open(table, MEETING_COLUMNS, "meetings"):
                continue
            self._booked_late[table.label] = (0, 0)
            for batch in self._batches(table):
                yield self._validated_meetings(table, batch)
            self._note_booked_late(table)
        index = (
            pl.concat(self._meeting_index)
            if self._meeting_index
            else pl.DataFrame(schema={"meeting_id": pl.String, "_file": pl.String, ROW: pl.UInt32})
        )
        self._meeting_index = []
        self._first_occurrences(index, "meeting_id")

    def _validated_meetings(self, table: Table, batch: pl.DataFrame) -> pl.DataFrame:
        batch = _with_missing(batch, MEETING_COLUMNS)
        self._check_text(table, batch, MEETING_COLUMNS, FIELD_LENGTHS["meetings"])
        if self.options.text_presence_only:
            batch = batch.with_columns(
                pl.when(pl.col(name).is_not_null()).then(pl.lit(PRESENT)).alias(name)
                for name in TEXT_COLUMNS
            )
        self._require(table, batch, REQUIRED["meetings"])
        deal_rows = self._report_unknown_deals(table, batch)
        batch = batch.with_columns(
            pl.col("status").alias("_written"),
            pl.col("status").str.to_lowercase().replace(STATUS_SPELLINGS),
        )
        allowed = _allowed(table, "status", MEETING_STATUSES)
        self.problems.add_rows(
            table.label,
            batch,
            pl.col("status").is_not_null() & ~pl.col("status").is_in(MEETING_STATUSES),
            table.column("status"),
            lambda r: f"must be one of {allowed}, not {show(r['_written'])}",
        )
        names = ("start", "end", "booked_at")
        times = read_times_of(batch, names)
        naive = pl.select(pl.any_horizontal([times[name].naive for name in names])).to_series()
        zones = pl.repeat(None, batch.height, dtype=pl.String, eager=True).alias("_zone")
        if table.zone is not None:
            zones = pl.repeat(table.zone, batch.height, dtype=pl.String, eager=True).alias("_zone")
        elif naive.any():  # only wall-clock times need the owner's zone
            rows = naive.arg_true()
            zones = zones.scatter(rows, self._zones_of_deals(batch["deal_id"].gather(rows)))
        batch = self._with_instants(table, batch, times, zones).with_columns(zones)
        batch = self._without_late_bookings(table, batch).with_columns(
            pl.col("end").fill_null(pl.col("start") + timedelta(minutes=DEFAULT_MEETING_MINUTES))
        )
        late_end = outside_instant_range(batch["end"]) & batch["end_text"].is_null()
        if late_end.any():
            self.problems.add_rows(
                table.label,
                batch,
                late_end,
                table.column("end"),
                lambda r: (
                    f"is empty, and the end it defaults to, {DEFAULT_MEETING_MINUTES} minutes "
                    f"after the start {show(r['start_text'])}, is outside the accepted range "
                    f"of instants ({INSTANT_RANGE})"
                ),
            )
            batch = batch.with_columns(pl.when(~late_end).then(pl.col("end")).alias("end"))
        self.problems.add_rows(
            table.label,
            batch,
            pl.col("end") < pl.col("start"),
            table.column("end"),
            lambda r: (
                f"{show(as_written(r)[1])} is before the start {show(as_written(r)[0])}"
                f"{clock_note(r)}"
            ),
        )
        self._meeting_index.append(
            batch.select("meeting_id", pl.lit(table.label).alias("_file"), ROW).filter(
                pl.col("meeting_id").is_not_null()
            )
        )
        if not self.options.deal_rows:
            return conform(batch.filter(pl.col("meeting_id").is_not_null()), MEETING_COLUMNS)
        kept = batch.with_columns(deal_rows).filter(pl.col("meeting_id").is_not_null())
        return conform(kept, MEETING_COLUMNS).with_columns(kept[DEAL_ROW])

    def _without_late_bookings(self, table: Table, batch: pl.DataFrame) -> pl.DataFrame:
        """``booked_at`` made unknown (null) where it is after the meeting's start: nobody
        books a meeting that has begun, so such a time is not when it was booked (a bulk load
        stamping its own time, a meeting logged afterwards). Counted for a note, not a
        problem: the meeting itself is fine, and its booking is unknown, not late."""
        late = (pl.col("booked_at") > pl.col("start")).fill_null(False)
        found = batch.select(late.sum().alias("n"), pl.col(ROW).filter(late).min().alias("row"))
        count, row = found.row(0)
        if not count:
            return batch
        seen, first = self._booked_late[table.label]
        self._booked_late[table.label] = (seen + count, first or row)
        return batch.with_columns(pl.when(~late).then(pl.col("booked_at")).alias("booked_at"))

    def _note_booked_late(self, table: Table) -> None:
        count, row = self._booked_late.pop(table.label, (0, 0))
        if not count:
            return
        column = table.column("booked_at")
        start = table.column("start")
        self.notes.append(
            f"{table.label}: {count:,} meeting{'s' if count != 1 else ''} "
            f"{'were' if count != 1 else 'was'} booked after {'they' if count != 1 else 'it'} "
            f"started ({column} later than {start}; first on row {row}), which cannot be: "
            f"{'their' if count != 1 else 'its'} booking time is taken as unknown"
        )

    # ---------------------------------------------------------------- stage history
    def _read_stages(self) -> Iterator[pl.DataFrame]:
        for table in self.files.stages:
            if not self._open(table, STAGE_COLUMNS, "stages"):
                continue
            for batch in self._batches(table):
                yield self._validated_stages(table, batch)

    def _validated_stages(self, table: Table, batch: pl.DataFrame) -> pl.DataFrame:
        """Stage entries: a deal read or stored, a stage, and the instant it was entered (a
        naive time in the deal owner's zone, as a meeting's)."""
        batch = _with_missing(batch, STAGE_COLUMNS)
        self._check_text(table, batch, STAGE_COLUMNS, FIELD_LENGTHS["stages"])
        self._require(table, batch, REQUIRED["stages"])
        self._report_unknown_deals(table, batch)
        times = read_times_of(batch, ("entered_at",))
        zones = pl.repeat(None, batch.height, dtype=pl.String, eager=True).alias("_zone")
        naive = times["entered_at"].naive
        if table.zone is not None:
            zones = pl.repeat(table.zone, batch.height, dtype=pl.String, eager=True).alias("_zone")
        elif naive.any():
            rows = naive.arg_true()
            zones = zones.scatter(rows, self._zones_of_deals(batch["deal_id"].gather(rows)))
        batch = self._with_instants(table, batch, times, zones)
        kept = batch.filter(
            pl.col("deal_id").is_not_null()
            & pl.col("stage").is_not_null()
            & pl.col("entered_at").is_not_null()
        )
        return conform(kept, STAGE_COLUMNS)

    def _deal_owners_of(self, deal_ids: pl.Series) -> pl.Series:
        """The owner of each deal id (null where unknown), asking the store about deals the
        files do not hold, once per id."""
        owners = self._deals.values(deal_ids, "owner_id")
        if self.known is None:
            return owners
        missing = deal_ids.filter(deal_ids.is_not_null() & owners.is_null())
        if missing.len() == 0:
            return owners
        unasked = (
            missing.unique().to_frame("deal_id").join(self._stored_owners, on="deal_id", how="anti")
        )
        if unasked.height:
            stored = self.known.deal_owners(unasked["deal_id"].to_list())
            self._stored_owners = pl.concat(
                [self._stored_owners, unasked.join(stored, on="deal_id", how="left")]
            )
        stored_owners = deal_ids.to_frame("deal_id").join(
            self._stored_owners.drop_nulls(), on="deal_id", how="left", maintain_order="left"
        )["owner_id"]
        return owners.fill_null(stored_owners)

    def _zones_of_deals(self, deal_ids: pl.Series) -> pl.Series:
        owners = self._deal_owners_of(deal_ids).to_frame("rep_id")
        return owners.join(self._rep_zones, on="rep_id", how="left", maintain_order="left")[
            "timezone"
        ]

    def _report_unknown_deals(self, table: Table, batch: pl.DataFrame) -> pl.Series:
        """Meetings whose deal is neither in the deals files nor (when importing) stored.
        Returns each meeting's deal row among the deals read (null where not read)."""
        referenced = batch["deal_id"]
        rows = self._deals.values(referenced, DEAL_ROW)
        unknown = referenced.is_not_null() & rows.is_null()
        if not unknown.any():
            return rows
        if any(f.label in self._unread for f in self.files.deals):
            # a deals file not read whole: its deals would all look unknown here, one line
            # per meeting on top of the problem that explains them (a deal with a bad value
            # is read, and known: a meeting of an unknown deal is still reported with it)
            return rows
        if self.known is not None:  # the store may hold them: ask about these rows only
            asked = unknown.arg_true()
            stored = self._deal_owners_of(referenced.gather(asked)).is_not_null()
            unknown = unknown.scatter(asked, ~stored)
        deal_files = ", ".join(f.label for f in self.files.deals) or "deals.csv (none was given)"
        deal_id = self.files.deals[0].column("deal_id") if self.files.deals else "deal_id"
        self.problems.add_rows(
            table.label,
            batch,
            unknown,
            table.column("deal_id"),
            lambda r: f"{show(r['deal_id'])} is not {_a(deal_id)} in {deal_files}",
        )
        return rows

    # ---------------------------------------------------------------- contacts
    def _read_contacts(self) -> pl.DataFrame:
        """Contacts of deals that exist (read now or already stored), one per deal and e-mail."""
        frames = [conform(source(), CONTACT_COLUMNS) for source in self.contact_sources]
        if not frames:
            return conform(pl.DataFrame(), CONTACT_COLUMNS)
        contacts = pl.concat(frames).unique(["deal_id", "email"], keep="first", maintain_order=True)
        known = self._deal_owners_of(contacts["deal_id"]).is_not_null()
        return self._storable_contacts(contacts.filter(known))

    def _storable_contacts(self, contacts: pl.DataFrame) -> pl.DataFrame:
        """Contacts the store can keep: an address over :data:`EMAIL_LENGTH` characters or
        with a NUL is left out, a name over :data:`TEXT_LENGTH` or with a NUL is dropped
        (contacts are found in calendars, not written in a row a problem could name)."""
        nul = pl.col("email").str.contains("\x00", literal=True)
        bad_email = (nul | (pl.col("email").str.len_chars() > EMAIL_LENGTH)).fill_null(False)
        bad_name = (
            pl.col("name").str.contains("\x00", literal=True)
            | (pl.col("name").str.len_chars() > TEXT_LENGTH)
        ).fill_null(False)
        left_out = contacts.filter(bad_email).height
        if left_out:
            self.notes.append(
                f"{left_out:,} contact{'s' if left_out != 1 else ''} left out: an e-mail "
                f"address over {EMAIL_LENGTH} characters or with a NUL character"
            )
        return contacts.filter(~bad_email).with_columns(
            pl.when(~bad_name).then(pl.col("name")).alias("name")
        )

    # ---------------------------------------------------------------- shared
    def _finish(self) -> None:
        """Checks that need every row; raises :class:`ValidationFailed` if anything was wrong."""
        self.problems.raise_if_any()
        for summary in self.summaries:
            note = summary()
            if note and note not in self.notes:
                self.notes.append(note)
        self.summaries = []

    def _open(self, table: Table, fields: dict[str, pl.DataType], role: str) -> bool:
        given = table.open(list(fields), REQUIRED[role], self.problems)
        self._tables[table.label] = table
        self._take_notes(table)
        if given is None:
            self._unread.add(table.label)
            return False
        self.present[role] |= {name for name in given if name in fields}
        self._given[table.label] = set(given)
        return True

    def _table(self, label: str) -> Table:
        return self._tables[label]

    def _take_notes(self, table: Table) -> None:
        self.notes.extend(note for note in table.notes if note not in self.notes)

    def _batches(self, table: Table) -> Iterator[pl.DataFrame]:
        try:
            yield from table.batches(self.options.batch_rows, self.problems)
        except Unreadable:
            self._unread.add(table.label)
            return
        self._take_notes(table)  # what its rows showed (a canonical amount such as 8.500)

    def _require(self, table: Table, batch: pl.DataFrame, names: Sequence[str]) -> None:
        for name in names:
            self.problems.add_rows(
                table.label,
                batch,
                pl.col(name).is_null(),
                table.column(name),
                lambda r: "is required",
            )

    def _with_instants(
        self, table: Table, batch: pl.DataFrame, times: dict[str, Times], zones: pl.Series
    ) -> pl.DataFrame:
        """Each time column as UTC instants (the text kept as ``<name>_text``); text that is
        not a date-time is a problem, whatever the row's zone (unless a problem already named
        it: a date in the other order than the export's)."""
        hint = table.time_hint()
        columns = []
        for name, read in times.items():
            self.problems.add_rows(
                table.label,
                batch,
                read.unreadable,
                table.column(name),
                _not_a_time(name, hint),
                unless_explained=name,
            )
            within, far = read.without_far_wall_times()
            instants = to_instants(within, zones)
            outside = far | outside_instant_range(instants)
            if outside.any():  # reported, and left out so nothing downstream meets them
                self.problems.add_rows(
                    table.label,
                    batch,
                    outside,
                    table.column(name),
                    lambda r, name=name: (  # type: ignore[misc]
                        f"{show(r[name])} is outside the accepted range of instants "
                        f"({INSTANT_RANGE})"
                    ),
                )
                instants = instants.scatter(outside.arg_true(), None)
            columns += [pl.col(name).alias(f"{name}_text"), instants.alias(name)]
        return batch.with_columns(columns)

    def _check_text(
        self,
        table: Table,
        batch: pl.DataFrame,
        fields: dict[str, pl.DataType],
        lengths: dict[str, tuple[int, str]],
    ) -> None:
        """What no store can keep: a NUL character anywhere (PostgreSQL text cannot hold
        one; searched only in a table that may hold one), a value longer than its field's
        limit (:data:`FIELD_LENGTHS`)."""
        names = [n for n in fields if n in batch.columns and batch.schema[n] == pl.String]
        names = names if table.may_hold_nul() else []
        bounded = {n: limit for n, (limit, _) in lengths.items() if n in batch.columns}
        if not (names or bounded) or batch.height == 0:
            return
        # whether any value has a NUL, or may be too long, in one pass over the batch;
        # bytes first: counting characters is slower, and no shorter text has more
        found = batch.select(
            *(pl.col(n).str.contains("\x00", literal=True).any().alias(f"nul:{n}") for n in names),
            *(
                (pl.col(n).str.len_bytes() > limit).any().alias(f"long:{n}")
                for n, limit in bounded.items()
            ),
        ).row(0, named=True)
        for name in (n for n in names if found[f"nul:{n}"]):
            self.problems.add_rows(
                table.label,
                batch,
                pl.col(name).str.contains("\x00", literal=True).fill_null(False),
                table.column(name),
                lambda r: "contains a NUL character (code 0), which cannot be stored",
            )
        for name, (limit, what) in lengths.items():
            if name not in bounded or not found[f"long:{name}"]:
                continue
            long = (pl.col(name).str.len_bytes() > limit) & (pl.col(name).str.len_chars() > limit)
            self.problems.add_rows(
                table.label,
                batch,
                long.fill_null(False),
                table.column(name),
                lambda r, name=name, limit=limit, what=what: (  # type: ignore[misc]
                    f"is {len(r[name]):,} characters long; {what} may have at most {limit:,}"
                ),
            )

    def _first_occurrences(self, index: pl.DataFrame, key: str) -> pl.DataFrame:
        """``index`` with each id's first row only; every later occurrence is a problem naming
        where the first is. The one duplicate check of each table."""
        if not may_have_duplicates(index[key]):  # sorted 64-bit hashes: the usual answer
            return index
        first = index[key].is_first_distinct() | index[key].is_null()
        ranked = index.with_columns(
            pl.col("_file").first().over(key).alias("_first_file"),
            pl.col(ROW).first().over(key).alias("_first_row"),
        ).filter(~first)

        def reason(record: dict[str, Any]) -> str:
            same_file = record["_first_file"] == record["_file"]
            where = "" if same_file else f"{record['_first_file']} "
            return f"{show(record[key])} is already used on {where}row {record['_first_row']}"

        for (label,), part in ranked.partition_by("_file", as_dict=True).items():
            column = self._table(str(label)).column(key)
            self.problems.add_rows(str(label), part, pl.lit(True), column, reason)
        return index.filter(first)


def _allowed(table: Table, name: str, canonical: Sequence[str]) -> str:
    """The values field ``name`` takes, in the words of the table's source (a preset's or a
    mapping file's labels), else the canonical ones."""
    return getattr(table, "vocabulary", {}).get(name) or ", ".join(canonical)


def _manager_loops(manager_of: dict[str, str | None]) -> dict[str, str]:
    """The reps whose chain of managers comes back to them, each with the loop in words
    ("r1 → r2 → r1"): no rep can be above themselves."""
    loops = {}
    for rep in manager_of:
        chain, seen = [rep], {rep}
        while (above := manager_of.get(chain[-1])) is not None and above not in seen:
            chain.append(above)
            seen.add(above)
        if above == rep:
            loops[rep] = " → ".join([*chain, rep])
    return loops


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _not_a_time(name: str, hint: str) -> Callable[[dict[str, Any]], str]:
    """Quoting the time as its file writes it, where a preset kept that (a time it joined
    from two columns, or converted)."""

    def reason(record: dict[str, Any]) -> str:
        written = record.get(f"_{name}_written")
        return f"{show(record[name] if written is None else written)} is not a date-time: {hint}"

    return reason


def _with_missing(batch: pl.DataFrame, fields: dict[str, pl.DataType]) -> pl.DataFrame:
    """Optional columns the file lacks, as nulls (strings: parsing comes after)."""
    return batch.with_columns(
        [pl.lit(None, pl.String).alias(name) for name in fields if name not in batch.columns]
    )


def _invalid_values(values: pl.Series, valid: Any) -> pl.Series:
    distinct = values.drop_nulls().unique()
    return pl.Series([value for value in distinct.to_list() if not valid(value)], dtype=pl.String)
