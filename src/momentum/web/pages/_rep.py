"""What the rep's pages (Today, the calendar, the deal, locking in meeting two) share: the
viewer's zone, the gap target, the schedule services built on the engine's policies, and
safe return addresses."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote, urlencode

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy.orm import Session

from momentum.contact.schemas import Attendee
from momentum.errors import InputError, plain
from momentum.localtime import exists, is_timezone, localize
from momentum.rules.settings import RuleSettingsService
from momentum.runtime import Engine
from momentum.schedule.calendar import SalesCalendarService
from momentum.schedule.slots import SlotService
from momentum.schedule.timeline import DealTimelineService
from momentum.schedule.today import TodayService
from momentum.user.accounts import SignedIn
from momentum.web.deps import engine_of


def viewer_zone(request: Request, user: SignedIn) -> str:
    """The signed-in user's rep's zone, else the configured default."""
    zone: str = user.timezone or request.app.state.settings.default_timezone
    return zone


def target_business_days(engine: Engine, session: Session) -> int:
    """The gap target the rules flag against (an administrator's setting in the app, else the
    rules file's or the environment's, else the default)."""
    in_force = RuleSettingsService(session, rules=engine.rules, clock=engine.clock).in_force()
    options = in_force.get("gap_too_long")
    target = getattr(options, "target_business_days", None)
    return int(target) if target is not None else engine.settings.target_business_days


def _options(request: Request, session: Session) -> dict[str, object]:
    engine = engine_of(request)
    return {
        "clock": engine.clock,
        "calendar_policy": engine.config.calendar,
        "target_business_days": target_business_days(engine, session),
    }


def today_service(request: Request, session: Session) -> TodayService:
    return TodayService(session, **_options(request, session))  # type: ignore[arg-type]


def calendar_service(request: Request, session: Session) -> SalesCalendarService:
    return SalesCalendarService(session, **_options(request, session))  # type: ignore[arg-type]


def timeline_service(request: Request, session: Session) -> DealTimelineService:
    return DealTimelineService(session, **_options(request, session))  # type: ignore[arg-type]


def slot_service(request: Request, session: Session) -> SlotService:
    return SlotService(session, **_options(request, session))  # type: ignore[arg-type]


def back_to(target: str | None, default: str, *, done: str | None = None) -> str:
    """Only a path on this site (never ``//host`` or a scheme): no open redirect. With
    ``done``, a target (not the default) says what was done, for its notice."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if done is None:
        return target
    path, _, fragment = target.partition("#")
    path += ("&" if "?" in path else "?") + urlencode({"done": done})
    return f"{path}#{fragment}" if fragment else path


def chosen_start(slot: str, when: str, tz: str, *, now: datetime) -> datetime:
    """The start a form chose: a time typed by hand (``when``, wall-clock time in ``tz``)
    wins over a suggested ``slot`` (an ISO instant). A time that has passed cannot be booked:
    it is refused here, with the form kept, rather than offered with "Book anyway"."""
    try:
        if when.strip():
            typed = datetime.fromisoformat(when.strip()).replace(tzinfo=None)
            if not exists(typed, tz):
                raise InputError(
                    f"{typed:%Y-%m-%d %H:%M} does not exist in {tz}: the clocks go forward over it"
                )
            start = localize(typed, tz)
        elif slot.strip():
            start = datetime.fromisoformat(slot.strip())
            if start.tzinfo is None:
                raise ValueError(slot)
        else:
            raise InputError("pick one of the suggested times, or type a date and time")
    except ValueError as exc:
        raise InputError("the time is not a date and time (YYYY-MM-DD HH:MM)") from exc
    if start <= now:
        raise InputError("this time has passed: pick one in the future")
    return start


def deal_url(deal_id: str, done: str | None = None) -> str:
    return f"/deals/{quote(deal_id, safe='')}" + (f"?done={done}" if done else "")


def typed_attendee(email: str, name: str, timezone: str) -> Attendee | None:
    """The one more person a form invites, from its ``attendee_email``, ``attendee_name`` and
    ``attendee_tz`` fields (the lock-in's and the move's alike); none when no e-mail address is
    typed. A bad address or zone raises pydantic's ``ValidationError`` (see :func:`problems`)."""
    if not email.strip():
        return None
    return Attendee(email=email, name=name.strip() or None, timezone=timezone or None)


# An attendee's fields, as the forms name them (see rep/_attendee.html).
ATTENDEE_FIELDS = {"email": "attendee_email", "name": "attendee_name", "timezone": "attendee_tz"}


def problems(
    exc: ValidationError, fields: Mapping[str, str], *, default: str = "form"
) -> dict[str, str]:
    """A form's validation errors by the form field they are about (``fields`` maps a
    model's first location to the form's field name; anything else goes under ``default``),
    each in plain words; several about one field are joined."""
    found: dict[str, str] = {}
    for error in exc.errors():
        loc = error.get("loc") or ()
        field_name = fields.get(str(loc[0]), default) if loc else default
        message = plain(error)
        found[field_name] = f"{found[field_name]}; {message}" if field_name in found else message
    return found


def attendee_problems(
    email: str, name: str, timezone: str
) -> tuple[Attendee | None, dict[str, str]]:
    """:func:`typed_attendee`, with what is wrong with it by form field instead of raising."""
    try:
        return typed_attendee(email, name, timezone), {}
    except ValidationError as exc:
        return None, problems(exc, ATTENDEE_FIELDS, default="attendee_email")


def valid_zones(*candidates: str | None) -> list[str]:
    """The IANA zones among what a form has typed, once each, in order (a bad one is left
    out: the form reports it next to its field)."""
    zones: list[str] = []
    for candidate in candidates:
        name = (candidate or "").strip()
        if name and name not in zones and is_timezone(name):
            zones.append(name)
    return zones


# The lock-in's and the move's fields, top to bottom: a form's problems are listed in this
# order above it (each is also shown next to its field). A contact's zone is
# ``contact_tz:EMAIL``.
FORM_ORDER = (
    "when",
    "location",
    "minutes",
    "seller",
    "buyer",
    "homework",
    "asset",
    "contact_tz",
    "attendee_email",
    "attendee_name",
    "attendee_tz",
)


def in_form_order(errors: Mapping[str, str]) -> dict[str, str]:
    """``errors`` (field -> what is wrong) in the order the form shows its fields."""

    def rank(name: str) -> int:
        key = name.partition(":")[0]
        return FORM_ORDER.index(key) if key in FORM_ORDER else len(FORM_ORDER)

    return {name: errors[name] for name in sorted(errors, key=rank)}
