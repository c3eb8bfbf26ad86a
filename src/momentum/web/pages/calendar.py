"""The sales calendar: week (default) or month, in the viewer's zone; a manager filters by rep
or team. Meeting two stands out, its gap from meeting one is shown (marked beyond the
target), open gaps are listed, weekends and holidays shaded; every meeting links to its
deal. Works without JavaScript; the script adds arrow-key moves between days."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from momentum.errors import InputError
from momentum.schedule.calendar import Mode
from momentum.user.models import Role
from momentum.web.deps import CurrentUser, DbSession
from momentum.web.nav import NavItem
from momentum.web.pages._rep import calendar_service, viewer_zone
from momentum.web.templating import render

router = APIRouter()
NAV = [NavItem("Calendar", "/calendar", order=20, roles=frozenset(Role))]


@router.get("/calendar")
def calendar_page(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    view: Mode = Mode.WEEK,
    day: Annotated[str | None, Query(alias="date", max_length=10)] = None,
    rep: Annotated[str | None, Query(max_length=200)] = None,
    team: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    try:
        anchor = date.fromisoformat(day) if day else None
    except ValueError as exc:
        raise InputError(f"date: {day!r} is not a date (YYYY-MM-DD)") from exc
    tz = viewer_zone(request, user)
    try:
        calendar = calendar_service(request, session).view(
            user.actor, tz=tz, anchor=anchor, mode=view, rep_id=rep or None, team=team or None
        )
    except OverflowError:  # 9999-12-31: its week ends after the last day a date can hold
        raise InputError(
            f"date: {day!r} is out of range: the calendar cannot show its {view.value}"
        ) from None

    def link(**changes: object) -> str:
        values = {"view": view.value, "date": None, "rep": rep, "team": team, **changes}
        kept = {k: str(v) for k, v in values.items() if v}
        return "/calendar?" + urlencode(kept)

    return render(
        request,
        "rep/calendar.html",
        {
            "cal": calendar,
            "tz": tz,
            "link": link,
            "sees_others": user.actor.role is not Role.REP,
        },
    )
