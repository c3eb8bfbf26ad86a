"""Today, a rep's home: tasks with their action one click away, meetings awaiting an outcome
(marked held or no-show in place), and the coming second meetings with their agenda,
homework, value asset and the state of the invitation and the reminders. Tasks and meetings
awaiting an outcome are paged (``?page=``), the earliest first, with their totals. A manager
or admin narrows the day to one of their reps (``?rep=``); a rep that does not exist or is
outside the viewer's scope answers 404, for every role."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from momentum.user.models import Role
from momentum.web.deps import CurrentUser, DbSession
from momentum.web.nav import NavItem
from momentum.web.pages._rep import today_service, viewer_zone
from momentum.web.pages.deal import notice_of
from momentum.web.templating import render

router = APIRouter()
NAV = [NavItem("Today", "/today", order=10, roles=frozenset({Role.REP, Role.MANAGER}))]


@router.get("/today")
def today_page(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    done: Annotated[str | None, Query(max_length=20)] = None,
    rep: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    tz = viewer_zone(request, user)
    day = today_service(request, session).today(user.actor, tz=tz, rep_id=rep or None, page=page)
    notice = notice_of(done)  # a fixed text: never what the address says

    def link(**changes: object) -> str:
        values = {"rep": day.rep_id, **changes}
        kept = {k: str(v) for k, v in values.items() if v}
        return "/today" + ("?" + urlencode(kept) if kept else "")

    return render(request, "rep/today.html", {"day": day, "tz": tz, "notice": notice, "link": link})
