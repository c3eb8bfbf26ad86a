"""A realistic demo team's history, written as canonical CSVs.

Twelve reps in three teams, twelve time zones and ten holiday countries; six months of deals
ending on ``as_of``. Each rep has habits (how often they book meeting two on the spot, how
long their gaps run, how often their buyers no-show or reschedule) and outcomes get worse as
the gap grows, so the audit has something true to find. Deterministic for (seed, as_of).
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np

from momentum.businessdays import BusinessCalendar
from momentum.localtime import localize, zone


@dataclass(frozen=True)
class RepProfile:
    rep_id: str
    name: str
    team: str
    manager_id: str
    timezone: str
    country: str
    on_the_spot: float  # chance meeting two is booked before meeting one ends
    gap_days: float  # typical business days from meeting one to meeting two
    no_show: float
    reschedule: float
    agenda: float  # chance meeting two has a written agenda


REPS = (
    RepProfile(
        "r01", "Avery Brooks", "Americas", "", "America/New_York", "US", 0.70, 4, 0.08, 0.12, 0.9
    ),
    RepProfile(
        "r02", "Jordan Ellis", "Americas", "r01", "America/Chicago", "US", 0.35, 9, 0.18, 0.35, 0.5
    ),
    RepProfile(
        "r03",
        "Riley Chen",
        "Americas",
        "r01",
        "America/Los_Angeles",
        "US",
        0.55,
        6,
        0.12,
        0.25,
        0.7,
    ),
    RepProfile(
        "r04",
        "Camila Souza",
        "Americas",
        "r01",
        "America/Sao_Paulo",
        "BR",
        0.25,
        12,
        0.22,
        0.40,
        0.4,
    ),
    RepProfile("r05", "Hannah Weber", "EMEA", "", "Europe/Berlin", "DE", 0.80, 3, 0.06, 0.10, 0.95),
    RepProfile(
        "r06", "Oliver Grant", "EMEA", "r05", "Europe/London", "GB", 0.45, 7, 0.15, 0.30, 0.6
    ),
    RepProfile(
        "r07", "Chloé Martin", "EMEA", "r05", "Europe/Paris", "FR", 0.30, 11, 0.20, 0.38, 0.45
    ),
    RepProfile(
        "r08", "Lucía Ortega", "EMEA", "r05", "Europe/Madrid", "ES", 0.60, 5, 0.10, 0.20, 0.8
    ),
    RepProfile("r09", "Kenji Sato", "APAC", "", "Asia/Tokyo", "JP", 0.75, 4, 0.07, 0.15, 0.85),
    RepProfile("r10", "Mei Tan", "APAC", "r09", "Asia/Singapore", "SG", 0.40, 8, 0.16, 0.30, 0.55),
    RepProfile(
        "r11", "Liam O'Connor", "APAC", "r09", "Australia/Sydney", "AU", 0.20, 15, 0.25, 0.45, 0.35
    ),
    RepProfile("r12", "Priya Nair", "APAC", "r09", "Asia/Kolkata", "IN", 0.50, 6, 0.12, 0.22, 0.65),
)

ACCOUNT_WORDS = (
    "Acme",
    "Birchwood",
    "Cobalt",
    "Driftwood",
    "Ember",
    "Fjord",
    "Granite",
    "Harbor",
    "Ironclad",
    "Juniper",
    "Keystone",
    "Lumen",
    "Meridian",
    "Northwind",
    "Orchard",
    "Pioneer",
    "Quarry",
    "Redwood",
    "Summit",
    "Tidewater",
    "Umber",
    "Vantage",
    "Willow",
    "Zephyr",
    "Atlas",
    "Beacon",
)
ACCOUNT_SUFFIXES = (
    "Logistics",
    "Health",
    "Foods",
    "Robotics",
    "Energy",
    "Bank",
    "Retail",
    "Labs",
    "Manufacturing",
    "Insurance",
    "Media",
    "Telecom",
)
PRODUCTS = ("platform rollout", "pilot", "expansion", "renewal", "migration", "analytics suite")
STAGES_OPEN = ("Discovery", "Demo", "Proposal", "Negotiation")
M2_AGENDAS = (
    "ROI model with your volumes",
    "Live demo on your data",
    "Security review with IT",
    "Pilot plan and success criteria",
    "Proposal walkthrough",
    "Integration deep-dive",
)
HOMEWORK = (
    "Send last quarter's volumes",
    "Invite the IT lead",
    "Read the case study we sent",
    "List the three reports you run weekly",
    "Share the current vendor contract end date",
)
WIN_BY_GAP = ((5, 0.46), (10, 0.31), (20, 0.17), (10_000, 0.07))  # business days -> win chance
WIN_WITHOUT_M2 = 0.03
CURRENCY = {
    "US": "USD",
    "BR": "BRL",
    "DE": "EUR",
    "GB": "GBP",
    "FR": "EUR",
    "ES": "EUR",
    "JP": "JPY",
    "SG": "SGD",
    "AU": "AUD",
    "IN": "INR",
}


@dataclass
class DemoFiles:
    folder: Path
    reps: int
    deals: int
    meetings: int
    now: datetime  # the demo's today (noon UTC on its as-of date): later meetings are to come


class _Writer:
    def __init__(self, rng: np.random.Generator, as_of: date) -> None:
        self.rng = rng
        self.as_of = as_of
        self.now = datetime.combine(as_of, time(12)).replace(tzinfo=zone("UTC"))
        years = range(as_of.year - 1, as_of.year + 2)
        self.calendars = {rep.rep_id: BusinessCalendar(rep.country, years) for rep in REPS}
        self.deals: list[dict[str, str]] = []
        self.meetings: list[dict[str, str]] = []

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def pick(self, options: tuple[str, ...]) -> str:
        return options[int(self.rng.integers(len(options)))]

    def slot(self, rep: RepProfile, day: date) -> datetime:
        """A business-hours start on ``day`` in the rep's zone, as a UTC-aware instant."""
        hour = int(self.rng.integers(9, 17))
        minute = int(self.rng.choice([0, 0, 15, 30, 30, 45]))
        return localize(datetime.combine(day, time(hour, minute)), rep.timezone)

    def booking(self, earliest: datetime, start: datetime) -> datetime:
        """When a meeting starting at ``start`` was booked: some time from ``earliest`` on,
        before it starts."""
        return earliest + (start - earliest) * float(self.rng.uniform(0.0, 0.9))

    def day(self, moment: datetime, rep: RepProfile) -> date:
        return moment.astimezone(zone(rep.timezone)).date()

    def business_day(self, rep: RepProfile, day: date, offset: int) -> date:
        return self.calendars[rep.rep_id].add(day, offset)

    def stamp(self, moment: datetime, rep: RepProfile) -> str:
        """ISO 8601 with the rep's offset, as a CRM would export it."""
        return moment.astimezone(zone(rep.timezone)).isoformat(timespec="seconds")

    def meeting(
        self,
        deal_id: str,
        rep: RepProfile,
        start: datetime,
        minutes: int,
        booked: datetime | None,
        status: str,
        agenda: str = "",
        homework: str = "",
    ) -> datetime:
        end = start + timedelta(minutes=minutes)
        if end > self.now:
            status = "scheduled"  # not over yet: its outcome is not known today
        self.meetings.append(
            {
                "meeting_id": f"m{len(self.meetings) + 1:06d}",
                "deal_id": deal_id,
                "start": self.stamp(start, rep),
                "end": self.stamp(end, rep),
                "booked_at": self.stamp(booked, rep) if booked else "",
                "status": status,
                "agenda": agenda,
                "homework": homework,
            }
        )
        return end

    def attempt_status(self, rep: RepProfile) -> str:
        roll = self.rng.random()
        if roll < rep.reschedule:
            return "rescheduled"
        if roll < rep.reschedule + rep.no_show:
            return "no_show"
        if roll < rep.reschedule + rep.no_show + 0.04:
            return "canceled"
        return "held"

    def deal(self, number: int, rep: RepProfile, created: date) -> None:
        deal_id = f"d{number:06d}"
        account = f"{self.pick(ACCOUNT_WORDS)} {self.pick(ACCOUNT_SUFFIXES)}"
        calendar = self.calendars[rep.rep_id]
        created_day = calendar.add(created, 0)
        created_at = self.slot(rep, created_day)
        last = created_at
        # Meeting one, sometimes after a no-show or a reschedule.
        m1_day = self.business_day(rep, created_day, int(self.rng.integers(2, 8)))
        m1_start = self.slot(rep, m1_day)
        held_m1: tuple[datetime, datetime] | None = None
        for _attempt in range(3):
            status = "held"
            roll = self.rng.random()
            if roll < rep.no_show * 0.6:
                status = "no_show"
            elif roll < rep.no_show * 0.6 + 0.05:
                status = "rescheduled"
            end = self.meeting(deal_id, rep, m1_start, 45, created_at, status, "Discovery")
            last = end
            if status == "held" or end > self.now:
                held_m1 = (m1_start, end) if status == "held" else None
                break
            m1_start = self.slot(
                rep, self.business_day(rep, self.day(m1_start, rep), int(self.rng.integers(1, 6)))
            )
        gap: int | None = None
        if held_m1 is not None and held_m1[1] <= self.now and self.chance(0.88):
            m1_end = held_m1[1]
            spot = self.chance(rep.on_the_spot)
            known_booking = self.chance(0.93)
            days = max(1, round(self.rng.gamma(2.0, rep.gap_days / 2.0)))
            if not spot:
                days += int(self.rng.integers(1, 5))
            start = self.slot(rep, self.business_day(rep, self.day(m1_end, rep), days))
            booked = (
                m1_end + timedelta(minutes=int(self.rng.integers(-20, 50)))
                if spot
                else self.booking(m1_end + timedelta(hours=3), start)
            )
            has_agenda = self.chance(rep.agenda)
            for _attempt in range(4):
                if booked > self.now:
                    break  # not booked yet today
                status = self.attempt_status(rep)
                end = self.meeting(
                    deal_id,
                    rep,
                    start,
                    45,
                    booked if known_booking else None,
                    status,
                    self.pick(M2_AGENDAS) if has_agenda else "",
                    self.pick(HOMEWORK) if has_agenda and self.chance(0.7) else "",
                )
                last = end
                if status == "held" and end <= self.now:
                    gap = int(
                        calendar.count([self.day(held_m1[0], rep)], [self.day(start, rep)])[0]
                    )
                    break
                if status == "canceled" or end > self.now:
                    break
                start = self.slot(
                    rep, self.business_day(rep, self.day(start, rep), int(self.rng.integers(2, 9)))
                )
                booked = self.booking(end + timedelta(hours=1), start)
        if gap is not None and self.chance(0.6):
            start = self.slot(
                rep, self.business_day(rep, self.day(last, rep), int(self.rng.integers(3, 12)))
            )
            last = self.meeting(
                deal_id, rep, start, 60, last, self.attempt_status(rep), "Proposal review"
            )
        win = WIN_WITHOUT_M2 if gap is None else next(p for limit, p in WIN_BY_GAP if gap <= limit)
        close_day = self.business_day(rep, self.day(last, rep), int(self.rng.integers(3, 25)))
        closed_at = self.slot(rep, close_day)
        outcome = "open"
        if closed_at <= self.now and (gap is not None or self.chance(0.8)):
            outcome = "won" if self.chance(win) else "lost"
        stage = {"won": "Closed Won", "lost": "Closed Lost"}.get(outcome) or self.pick(STAGES_OPEN)
        amount = int(self.rng.lognormal(9.6, 0.7)) // 100 * 100
        self.deals.append(
            {
                "deal_id": deal_id,
                "name": f"{account} {self.pick(PRODUCTS)}",
                "account": account,
                "owner_id": rep.rep_id,
                "created_at": self.stamp(created_at, rep),
                "stage": stage,
                "amount": str(amount),
                "currency": CURRENCY[rep.country],
                "outcome": outcome,
                "closed_at": self.stamp(closed_at, rep) if outcome != "open" else "",
            }
        )


def generate(folder: Path, *, deals: int = 800, seed: int = 7, as_of: date) -> DemoFiles:
    """Write ``reps.csv``, ``deals.csv`` and ``meetings.csv`` into ``folder``."""
    rng = np.random.default_rng(seed)
    writer = _Writer(rng, as_of)
    first = as_of - timedelta(days=183)
    weights = np.array([1.0 + 0.6 * rep.on_the_spot for rep in REPS])
    owners = rng.choice(len(REPS), size=deals, p=weights / weights.sum())
    offsets = np.sort(rng.integers(0, 183 - 7, size=deals))
    for number, (owner, offset) in enumerate(zip(owners, offsets, strict=True), start=1):
        writer.deal(number, REPS[int(owner)], first + timedelta(days=int(offset)))
    folder.mkdir(parents=True, exist_ok=True)
    _write(
        folder / "reps.csv",
        [
            {
                "rep_id": r.rep_id,
                "name": r.name,
                "email": f"{ascii_text(r.name.split()[0]).lower()}@momentum-demo.example",
                "team": r.team,
                "manager_id": r.manager_id,
                "timezone": r.timezone,
                "country": r.country,
            }
            for r in REPS
        ],
    )
    _write(folder / "deals.csv", writer.deals)
    _write(folder / "meetings.csv", writer.meetings)
    return DemoFiles(folder, len(REPS), len(writer.deals), len(writer.meetings), writer.now)


def ascii_text(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
