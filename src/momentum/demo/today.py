"""What a demo rep finds when they sign in: a meeting one that has just ended and waits for its
outcome ("How did it go?" on Today, then meeting two booked from it), a buyer to invite, and a
small value-asset library for the reminder before meeting two ("Confirm with value").

The history the audit reads (``generate``) ends at the demo's as-of and is left alone: these
deals are written to a folder of their own, relative to the wall clock, and imported into the
store after the audit, through the same import, contact and library services real data uses.
Their meetings one are still ``scheduled``, so they are outside the audit's funnel (meeting one
is the first *held* meeting) until a rep marks them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from momentum.businessdays import BusinessCalendar
from momentum.clock import Clock
from momentum.contact.schemas import Attendee
from momentum.contact.service import ContactService
from momentum.demo.generator import CURRENCY, REPS, RepProfile, ascii_text
from momentum.localtime import localize, zone
from momentum.user.schemas import Actor
from momentum.value_asset.models import ValueAssetKind
from momentum.value_asset.schemas import NewValueAsset
from momentum.value_asset.service import ValueAssetService

MEETING_MINUTES = 45
LATEST_END = time(18, 0)  # a meeting one that "just ended" ends in business hours
EARLIEST_START = time(9, 0)
FALLBACK_END = time(17, 0)  # otherwise: at 17:00 on the rep's last business day

# (account, product, buyer's name, amount) for each demo rep, in REPS order
DEALS = (
    ("Northwind Logistics", "platform rollout", "Dana Fischer", 24_500),
    ("Harbor Foods", "pilot", "Marcus Lee", 12_800),
    ("Summit Robotics", "analytics suite", "Grace Kim", 31_000),
    ("Cobalt Energy", "expansion", "Rafael Lima", 180_000),
    ("Granite Bank", "migration", "Jonas Becker", 46_000),
    ("Redwood Media", "renewal", "Emily Clarke", 18_200),
    ("Lumen Retail", "platform rollout", "Léa Dubois", 27_400),
    ("Orchard Health", "pilot", "Sergio Ruiz", 15_900),
    ("Keystone Manufacturing", "expansion", "Yuki Tanaka", 3_400_000),
    ("Meridian Telecom", "analytics suite", "Wei Ling Goh", 41_000),
    ("Tidewater Insurance", "migration", "Olivia Harris", 52_000),
    ("Vantage Labs", "renewal", "Arjun Mehta", 1_900_000),
)

LIBRARY = (
    NewValueAsset(
        title="What teams like yours gained by booking meeting two in meeting one",
        kind=ValueAssetKind.DATA_POINT,
        summary="Attendance at the second meeting rose from 56 % to 89 % within two months.",
        url="https://example.com/insights/second-meeting-attendance",
        tags=["attendance", "data"],
    ),
    NewValueAsset(
        title="Case study: Northwind Logistics' first 90 days",
        kind=ValueAssetKind.CASE_STUDY,
        summary="How a 40-person sales team cut the gap between meetings from 21 days to 4.",
        url="https://example.com/case-studies/northwind-first-90-days",
        tags=["case study"],
    ),
    NewValueAsset(
        title="Your numbers in our ROI model",
        kind=ValueAssetKind.ROI_MODEL,
        summary="A one-page model: bring last quarter's volumes and we fill in the rest together.",
        url="https://example.test/roi-model",
        tags=["roi"],
    ),
)


@dataclass(frozen=True)
class JustEnded:
    deal_id: str
    meeting_id: str
    rep_id: str
    start: datetime
    end: datetime
    buyer: Attendee


def meeting_one_end(rep: RepProfile, now: datetime) -> datetime:
    """When the rep's meeting one ended: a quarter of an hour ago when that is in their
    business hours, else at 17:00 on their last business day before now (a meeting at 03:00
    their time would not look like a sales meeting)."""
    local_now = now.astimezone(zone(rep.timezone))
    calendar = BusinessCalendar(rep.country, range(local_now.year - 1, local_now.year + 1))
    today = local_now.date()
    end = local_now.replace(minute=local_now.minute // 15 * 15, second=0, microsecond=0)
    end -= timedelta(minutes=15)
    start = end - timedelta(minutes=MEETING_MINUTES)
    if (
        calendar.is_business_day(today)
        and start.date() == today
        and start.time() >= EARLIEST_START
        and end.time() <= LATEST_END
    ):
        return localize(end.replace(tzinfo=None), rep.timezone)
    day: date = today if local_now.time() >= FALLBACK_END else today - timedelta(days=1)
    while not calendar.is_business_day(day):
        day -= timedelta(days=1)
    return localize(datetime.combine(day, FALLBACK_END), rep.timezone)


def just_ended(now: datetime) -> list[JustEnded]:
    """One meeting one per demo rep, each ended at :func:`meeting_one_end`."""
    found = []
    for rep, (account, _product, buyer, _amount) in zip(REPS, DEALS, strict=True):
        end = meeting_one_end(rep, now)
        first, _, last = buyer.partition(" ")
        domain = account.split()[0].lower()
        local_part = ascii_text(f"{first}.{last.replace(' ', '')}").lower()
        email = f"{local_part}@{domain}.example.com"
        found.append(
            JustEnded(
                deal_id=f"dnow-{rep.rep_id}",
                meeting_id=f"mnow-{rep.rep_id}",
                rep_id=rep.rep_id,
                start=end - timedelta(minutes=MEETING_MINUTES),
                end=end,
                buyer=Attendee(email=email, name=buyer, timezone=rep.timezone),
            )
        )
    return found


def write_just_ended(folder: Path, meetings: list[JustEnded]) -> None:
    """``deals.csv`` and ``meetings.csv`` in the canonical format for ``meetings``: open deals
    created a week before their meeting one, booked the day they were created."""
    reps = {rep.rep_id: rep for rep in REPS}
    deals_rows, meeting_rows = [], []
    for meeting, (account, product, _buyer, amount) in zip(meetings, DEALS, strict=True):
        rep = reps[meeting.rep_id]
        created = meeting.start - timedelta(days=7)
        deals_rows.append(
            {
                "deal_id": meeting.deal_id,
                "name": f"{account} {product}",
                "account": account,
                "owner_id": rep.rep_id,
                "created_at": _stamp(created, rep),
                "stage": "Discovery",
                "amount": str(amount),
                "currency": CURRENCY[rep.country],
                "outcome": "open",
                "closed_at": "",
            }
        )
        meeting_rows.append(
            {
                "meeting_id": meeting.meeting_id,
                "deal_id": meeting.deal_id,
                "start": _stamp(meeting.start, rep),
                "end": _stamp(meeting.end, rep),
                "booked_at": _stamp(created + timedelta(hours=1), rep),
                "status": "scheduled",
                "agenda": "Discovery",
                "homework": "",
            }
        )
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / "deals.csv", deals_rows)
    _write(folder / "meetings.csv", meeting_rows)


def add_buyers_and_library(
    session: Session, meetings: list[JustEnded], *, clock: Clock
) -> tuple[int, int]:
    """Each just-ended meeting's buyer as its deal's contact (who meeting two's invitation goes
    to), and the library's assets it does not have yet (by title). The numbers added."""
    contacts = ContactService(session, clock=clock)
    for meeting in meetings:
        contacts.add_attendees(meeting.deal_id, [meeting.buyer])
    assets = ValueAssetService(session, clock=clock)
    titles = {asset.title for asset in assets.library()}
    added = 0
    for asset in LIBRARY:
        if asset.title not in titles:
            assets.add(Actor.system(), asset)
            added += 1
    return len(meetings), added


def _stamp(moment: datetime, rep: RepProfile) -> str:
    return moment.astimezone(zone(rep.timezone)).isoformat(timespec="seconds")


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
