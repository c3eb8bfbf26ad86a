"""Coaching per rep: their funnel against the team with intervals, their outlier findings
(established ones ranked, the others apart, as the dashboard and the report list them),
twelve weeks of trend, the deals to talk about, the playbook's talk track for their weakest
established step, and the manager's private notes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from momentum.audit.charts import Chart, TrendPanel, trend_chart
from momentum.coaching.schemas import CoachingProfile, NewNote
from momentum.coaching.service import CoachingService
from momentum.errors import InputError, NotFound
from momentum.playbook.schemas import STEP_TITLES
from momentum.review.scope import visible_reps
from momentum.user.models import Role
from momentum.web.deps import DbSession, PageActor, engine_of
from momentum.web.nav import NavItem
from momentum.web.pages._manager import audit_defaults, rule_titles, talk_tracks
from momentum.web.pages.dashboard import finding_cards
from momentum.web.templating import render

router = APIRouter()
NAV = [
    NavItem("Coaching", "/coaching", order=40, roles=frozenset({Role.MANAGER, Role.ADMIN})),
    NavItem("My coaching", "/coaching", order=40, roles=frozenset({Role.REP})),
]


def _service(request: Request, session: DbSession) -> CoachingService:
    engine = engine_of(request)
    return CoachingService(
        session,
        clock=engine.clock,
        defaults=audit_defaults(engine),
        rule_titles=rule_titles(engine),
    )


# (TrendWeek field, heading) of each panel of the trend chart
TREND_PANELS = (
    ("booked_on_the_spot_rate", "Booked on the spot"),
    ("booked_rate", "Meeting two booked"),
    ("within_target_rate", "Held within the target gap"),
    ("held_rate", "Meeting two held"),
)


def trend_title(profile: CoachingProfile) -> str:
    return f"{profile.name}'s twelve weeks against the team"


def trend_of(profile: CoachingProfile) -> Chart | None:
    """The rep's twelve weeks against the rest of the team's, pending weeks shaded."""
    return trend_chart(
        "trend",
        trend_title(profile),
        [week.week for week in profile.trend],
        [
            TrendPanel(
                key=field.removesuffix("_rate").replace("_", "-"),
                heading=heading,
                mine=[getattr(week, field) for week in profile.trend],
                others=[getattr(week, field) for week in profile.team_trend],
            )
            for field, heading in TREND_PANELS
        ],
        [week.recent for week in profile.trend],
        mine=profile.name,
        others="Rest of the team",
    )


@router.get("/coaching")
def coaching_index(request: Request, session: DbSession, actor: PageActor) -> Response:
    if actor.role is Role.REP and actor.rep_id:
        return RedirectResponse(f"/coaching/{actor.rep_id}", status_code=303)
    return render(request, "manager/coaching_index.html", {"reps": visible_reps(session, actor)})


@router.get("/coaching/{rep_id}")
def coaching_page(request: Request, session: DbSession, actor: PageActor, rep_id: str) -> Response:
    profile = _service(request, session).profile(actor, rep_id)
    tracks = talk_tracks(request, session)
    return render(
        request,
        "manager/coaching.html",
        {
            "profile": profile,
            "step_titles": STEP_TITLES,
            "trend_title": trend_title(profile),
            "established": finding_cards((f for f in profile.findings if f["established"]), tracks),
            "others": finding_cards((f for f in profile.findings if not f["established"]), tracks),
            "behind": any(s.behind is not None and s.behind > 0 for s in profile.steps),
        },
    )


@router.get("/coaching/{rep_id}/trend.svg")
def coaching_trend(request: Request, session: DbSession, actor: PageActor, rep_id: str) -> Response:
    """The trend chart, as an image of its own: the page's Content-Security-Policy (no inline
    styles) would strip the styles matplotlib writes into an SVG inlined in the page."""
    chart = trend_of(_service(request, session).profile(actor, rep_id))
    if chart is None:
        raise NotFound(f"no trend to draw for {rep_id!r}")
    return Response(str(chart.svg), media_type="image/svg+xml")


@router.post("/coaching/{rep_id}/notes")
def add_note(
    request: Request,
    session: DbSession,
    actor: PageActor,
    rep_id: str,
    body: Annotated[str, Form(max_length=10_000)],
) -> Response:
    if not body.strip():
        raise InputError("body: write the note")
    _service(request, session).add_note(actor, rep_id, NewNote(body=body))
    return RedirectResponse(f"/coaching/{rep_id}#notes", status_code=303)


@router.post("/coaching/notes/{note_id}/delete")
def delete_note(request: Request, session: DbSession, actor: PageActor, note_id: int) -> Response:
    service = _service(request, session)
    note = service.notes.get(note_id)
    rep_id = note.rep_id if note else ""
    service.delete_note(actor, note_id)
    return RedirectResponse(f"/coaching/{rep_id}#notes", status_code=303)
