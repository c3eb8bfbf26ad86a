"""What the rep's pages (Today, the calendar, the deal, locking in meeting two) share: the
viewer's zone, the gap target, the schedule services built on the engine's policies, and
safe return addresses."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote, urlencode

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy.orm import Session

from momentum.contact.schemas import Attendee
from momentum.errors import InputError
from momentum.localtime import localize
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
            start = localize(datetime.fromisoformat(when.strip()).replace(tzinfo=None), tz)
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
    typed. A bad address or zone raises pydantic's ``ValidationError`` (see :func:`explain`)."""
    if not email.strip():
        return None
    return Attendee(email=email, name=name.strip() or None, timezone=timezone or None)


def explain(exc: ValidationError) -> list[str]:
    """A form's validation errors, one line each after the field it is about."""
    return [
        f"{'.'.join(str(p) for p in error['loc']) or 'form'}: {error['msg']}"
        for error in exc.errors()
    ]
