"""The "momentum" format: ``reps.csv``, ``deals.csv``, ``meetings.csv`` as PRODUCT.md defines them.

The reader validates every row in column batches and hands back canonical frames. It is the one
place the canonical rules live: ``momentum import`` streams its batches into the store,
``momentum audit`` collects them in memory. Reps come first (they are few), then deals, then
meetings, so that a naive time can be put in its owner's zone and every reference checked.
What it must remember between batches is small: each deal's owner and each id's row.
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
    Dataset,
    conform,
)
from momentum.errors import Problem
from momentum.importers.csvfile import ROW, CsvFile, Unreadable
from momentum.importers.problems import ProblemLog
from momentum.importers.tables import CanonicalTable, Table
from momentum.importers.values import Times, parse_numbers, read_times_of, to_instants
from momentum.keys import KeyIndex, may_have_duplicates
from momentum.localtime import is_timezone

ROLE_FILES = {"reps": "reps.csv", "deals": "deals.csv", "meetings": "meetings.csv"}
TEXT_COLUMNS = ("agenda", "homework")
PRESENT = "✓"  # a text column's value under ReadOptions(text_presence_only=True)
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_STATUS_SPELLINGS = {
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
        """``rep_id``, ``timezone``, ``country`` of every rep."""
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
    """Which table comes from where."""

    reps: list[Table] = field(default_factory=list)
    deals: list[Table] = field(default_factory=list)
    meetings: list[Table] = field(default_factory=list)

    @classmethod
    def find(cls, paths: Sequence[Path], problems: ProblemLog) -> CanonicalFiles:
        """Folders give their ``reps.csv``, ``deals.csv`` and ``meetings.csv``; a file's table
        is told by its header (``meeting_id``: meetings, ``deal_id``: deals, ``rep_id``: reps)."""
        found = cls()
        for path in paths:
            if path.is_dir():
                names = {child.name.lower(): child for child in path.iterdir() if child.is_file()}
                hits = {role: names[name] for role, name in ROLE_FILES.items() if name in names}
                if not hits:
                    problems.add(
                        Problem(
                            str(path), None, None, "holds none of reps.csv, deals.csv, meetings.csv"
                        )
                    )
                for table, file in hits.items():
                    getattr(found, table).append(CanonicalTable(CsvFile(file)))
            elif path.is_file():
                candidate = CsvFile(path)
                headers = {header.strip().lower() for header in candidate.read_headers(problems)}
                if not headers:
                    continue
                role: str | None = (
                    "meetings"
                    if "meeting_id" in headers
                    else "deals"
                    if "deal_id" in headers
                    else "reps"
                    if "rep_id" in headers
                    else None
                )
                if role is None:
                    problems.add(
                        Problem(
                            str(path),
                            1,
                            None,
                            "is not a reps, deals or meetings file: its header has "
                            "none of rep_id, deal_id, meeting_id",
                        )
                    )
                else:
                    getattr(found, role).append(CanonicalTable(candidate))
            else:
                problems.add(Problem(str(path), None, None, "does not exist"))
        return found


class CanonicalReader:
    """Validates the canonical tables of any format; see the module docstring."""

    def __init__(
        self,
        files: CanonicalFiles,
        *,
        options: ReadOptions,
        problems: ProblemLog,
        known: KnownEntities | None = None,
        format: str = "momentum",
        notes: Sequence[str] = (),
    ) -> None:
        self.format = format
        self.files = files
        self.options = options
        self.problems = problems
        self.known = known
        self.implied_reps = conform(pl.DataFrame(), REP_COLUMNS)
        self._rep_zones = pl.DataFrame(schema={"rep_id": pl.String, "timezone": pl.String})
        self._deal_index: list[pl.DataFrame] = []
        owners = pl.DataFrame(schema={"deal_id": pl.String, "owner_id": pl.String})
        self._deals = KeyIndex(owners, "deal_id")  # every deal read: its owner
        self._stored_owners = owners  # asked of the store; null: not there
        self._meeting_index: list[pl.DataFrame] = []
        self.present: dict[str, set[str]] = {"reps": set(), "deals": set(), "meetings": set()}
        self.notes: list[str] = list(notes)
        # Deals as validated, for formats that link activities to deals by account or name.
        self.keep_deal_directory = False
        self._directory: list[pl.DataFrame] = []
        # Contacts (deal_id, name, email) from formats that know them, e.g. calendar attendees.
        self.contact_sources: list[Callable[[], pl.DataFrame]] = []
        # Notes that can only be written once every row was read (counts of rows left out).
        self.summaries: list[Callable[[], str | None]] = []
        self._tables: dict[str, Table] = {}
        self.rep_emails: dict[str, str] = {}  # e-mail (lowercase) -> rep_id, from reps files

    # ---------------------------------------------------------------- reps
    def reps(self) -> pl.DataFrame:
        frames = [frame for table in self.files.reps for frame in self._validated_reps(table)]
        reps = (
            pl.concat(frames)
            if frames
            else pl.DataFrame(schema={**REP_COLUMNS, "_file": pl.String, ROW: pl.UInt32})
        )
        self._report_duplicates(reps, "rep_id")
        known = (
            self.known.reps()
            if self.known is not None
            else pl.DataFrame(
                schema={"rep_id": pl.String, "timezone": pl.String, "country": pl.String}
            )
        )
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
        reps = (
            reps.unique("rep_id", keep="first", maintain_order=True)
            .join(
                known.select(
                    "rep_id", pl.col("timezone").alias("_tz"), pl.col("country").alias("_cc")
                ),
                on="rep_id",
                how="left",
                maintain_order="left",
            )
            .with_columns(
                pl.coalesce("timezone", "_tz", pl.lit(self.options.default_timezone)).alias(
                    "timezone"
                ),
                pl.coalesce(
                    "country", "_cc", pl.lit(self.options.default_country, pl.String)
                ).alias("country"),
            )
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
            yield batch.with_columns(pl.lit(table.label).alias("_file")).filter(
                pl.col("rep_id").is_not_null()
            )

    # ---------------------------------------------------------------- deals
    def deals(self) -> Iterator[pl.DataFrame]:
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
        if self._report_duplicates(index, "deal_id"):
            index = index.unique("deal_id", keep="first", maintain_order=True)
        self._deals = KeyIndex(index.select("deal_id", "owner_id", DEAL_ROW), "deal_id")

    def _validated_deals(self, table: Table, batch: pl.DataFrame) -> pl.DataFrame:
        batch = _with_missing(batch, DEAL_COLUMNS)
        self._require(table, batch, REQUIRED["deals"])
        batch = batch.with_columns(
            pl.col("outcome").str.to_lowercase(), pl.col("currency").str.to_uppercase()
        )
        self.problems.add_rows(
            table.label,
            batch,
            pl.col("outcome").is_not_null() & ~pl.col("outcome").is_in(OUTCOMES),
            table.column("outcome"),
            lambda r: f"must be one of {', '.join(OUTCOMES)}, not {show(r['outcome'])}",
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
        amount = parse_numbers(batch["amount"])
        self.problems.add_rows(
            table.label,
            batch.with_columns(amount.alias("_amount")),
            pl.col("amount").is_not_null() & pl.col("_amount").is_null(),
            table.column("amount"),
            lambda r: f"{show(r['amount'])} is not a number (expected e.g. 12000.50)",
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
        return conform(kept, DEAL_COLUMNS)

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
        self._rep_zones = pl.concat([self._rep_zones, implied.select("rep_id", "timezone")])
        return batch.with_columns(pl.col("_zone").fill_null(self.options.default_timezone))

    # ---------------------------------------------------------------- meetings
    def meetings(self) -> Iterator[pl.DataFrame]:
        for table in self.files.meetings:
            if not self._open(table, MEETING_COLUMNS, "meetings"):
                continue
            for batch in self._batches(table):
                yield self._validated_meetings(table, batch)
        index = (
            pl.concat(self._meeting_index)
            if self._meeting_index
            else pl.DataFrame(schema={"meeting_id": pl.String, "_file": pl.String, ROW: pl.UInt32})
        )
        self._meeting_index = []
        self._report_duplicates(index, "meeting_id")

    def _validated_meetings(self, table: Table, batch: pl.DataFrame) -> pl.DataFrame:
        batch = _with_missing(batch, MEETING_COLUMNS)
        if self.options.text_presence_only:
            batch = batch.with_columns(
                pl.when(pl.col(name).is_not_null()).then(pl.lit(PRESENT)).alias(name)
                for name in TEXT_COLUMNS
            )
        self._require(table, batch, REQUIRED["meetings"])
        deal_rows = self._report_unknown_deals(table, batch)
        batch = batch.with_columns(pl.col("status").str.to_lowercase().replace(_STATUS_SPELLINGS))
        self.problems.add_rows(
            table.label,
            batch,
            pl.col("status").is_not_null() & ~pl.col("status").is_in(MEETING_STATUSES),
            table.column("status"),
            lambda r: f"must be one of {', '.join(MEETING_STATUSES)}, not {show(r['status'])}",
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
        batch = self._with_instants(table, batch, times, zones)
        batch = batch.with_columns(
            pl.col("end").fill_null(pl.col("start") + timedelta(minutes=DEFAULT_MEETING_MINUTES))
        )
        self.problems.add_rows(
            table.label,
            batch,
            pl.col("end") < pl.col("start"),
            table.column("end"),
            lambda r: f"{show(r['end_text'])} is before the start {show(r['start_text'])}",
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
    def contacts(self) -> pl.DataFrame:
        """Contacts of deals that exist (read now or already stored), one per deal and e-mail;
        call after :meth:`meetings`."""
        frames = [conform(source(), CONTACT_COLUMNS) for source in self.contact_sources]
        if not frames:
            return conform(pl.DataFrame(), CONTACT_COLUMNS)
        contacts = pl.concat(frames).unique(["deal_id", "email"], keep="first", maintain_order=True)
        known = self._deal_owners_of(contacts["deal_id"]).is_not_null()
        return contacts.filter(known)

    # ---------------------------------------------------------------- shared
    def finish(self) -> None:
        """Checks that need every row; raises :class:`ValidationFailed` if anything was wrong."""
        self.problems.raise_if_any()
        for summary in self.summaries:
            note = summary()
            if note and note not in self.notes:
                self.notes.append(note)
        self.summaries = []

    def read_all(self) -> Dataset:
        reps = self.reps()
        deals = list(self.deals())
        meetings = list(self.meetings())
        contacts = self.contacts()
        self.finish()
        return Dataset(
            reps=pl.concat([reps, self.implied_reps]),
            deals=pl.concat(deals) if deals else conform(pl.DataFrame(), DEAL_COLUMNS),
            meetings=pl.concat(meetings) if meetings else conform(pl.DataFrame(), MEETING_COLUMNS),
            contacts=contacts,
            notes=list(self.notes),
        )

    def _open(self, table: Table, fields: dict[str, pl.DataType], role: str) -> bool:
        given = table.open(list(fields), REQUIRED[role], self.problems)
        self._tables[table.label] = table
        self.notes.extend(note for note in table.notes if note not in self.notes)
        if given is None:
            return False
        self.present[role] |= {name for name in given if name in fields}
        return True

    def _table(self, label: str) -> Table:
        return self._tables[label]

    def _batches(self, table: Table) -> Iterator[pl.DataFrame]:
        try:
            yield from table.batches(self.options.batch_rows, self.problems)
        except Unreadable:
            return

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
        not a date-time is a problem, whatever the row's zone."""
        hint = table.time_hint()
        columns = []
        for name, read in times.items():
            self.problems.add_rows(
                table.label, batch, read.unreadable, table.column(name), _not_a_time(name, hint)
            )
            columns += [pl.col(name).alias(f"{name}_text"), to_instants(read, zones).alias(name)]
        return batch.with_columns(columns)

    def _report_duplicates(self, index: pl.DataFrame, key: str) -> bool:
        """Every occurrence of an id after its first is a problem naming where the first is.
        Returns whether there was any."""
        if not may_have_duplicates(index[key]):  # sorted 64-bit hashes: the usual answer
            return False
        index = index.filter(pl.col(key).hash().is_duplicated())
        index = index.filter(pl.col(key).is_duplicated())  # few, usually none
        if index.height == 0:
            return False
        ranked = index.with_columns(
            pl.col("_file").first().over(key).alias("_first_file"),
            pl.col(ROW).first().over(key).alias("_first_row"),
            pl.int_range(pl.len()).over(key).alias("_nth"),
        ).filter(pl.col("_nth") > 0)

        def reason(record: dict[str, Any]) -> str:
            same_file = record["_first_file"] == record["_file"]
            where = "" if same_file else f"{record['_first_file']} "
            return f"{show(record[key])} is already used on {where}row {record['_first_row']}"

        for (label,), part in ranked.partition_by("_file", as_dict=True).items():
            column = self._table(str(label)).column(key)
            self.problems.add_rows(str(label), part, pl.lit(True), column, reason)
        return True


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _not_a_time(name: str, hint: str) -> Callable[[dict[str, Any]], str]:
    return lambda record: f"{show(record[name])} is not a date-time: {hint}"


def _with_missing(batch: pl.DataFrame, fields: dict[str, pl.DataType]) -> pl.DataFrame:
    """Optional columns the file lacks, as nulls (strings: parsing comes after)."""
    return batch.with_columns(
        [pl.lit(None, pl.String).alias(name) for name in fields if name not in batch.columns]
    )


def _invalid_values(values: pl.Series, valid: Any) -> pl.Series:
    distinct = values.drop_nulls().unique()
    return pl.Series([value for value in distinct.to_list() if not valid(value)], dtype=pl.String)
