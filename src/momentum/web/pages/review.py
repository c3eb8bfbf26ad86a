"""The weekly review: per rep, the week against their previous four; commitments recorded
for the coming week and checked at the next review; printable, and as CSV."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from momentum.errors import InputError
from momentum.review.models import CommitmentMetric
from momentum.review.schemas import METRIC_LABELS, NewCommitment
from momentum.review.scope import visible_reps
from momentum.review.service import review_csv
from momentum.review.weeks import shift
from momentum.user.models import Role
from momentum.web.deps import DbSession, PageActor
from momentum.web.nav import NavItem
from momentum.web.pages._manager import link, weekly_review
from momentum.web.templating import render

router = APIRouter()
NAV = [NavItem("Weekly review", "/review", order=20, roles=frozenset(Role))]

Text = Annotated[str | None, Query(max_length=200)]
LABELS = {
    "first_meetings": "First meetings",
    "on_the_spot": "Meeting two booked on the spot",
    "booked_later": "Booked later",
    "booked_timing_unknown": "Booked, time unknown",
    "not_booked": "Not booked",
    "pending": "Outcome not known yet",
    "second_meetings_held": "Second meetings held",
    "gaps_beyond_target": "Gap beyond the target",
    "reschedules": "Reschedules",
    "no_shows": "No-shows",
    "won": "Won",
    "lost": "Lost",
    "slipped": "Slipped (next step overdue, stage unchanged)",
}
# counts where fewer is better, so a rise is marked worse
FEWER_IS_BETTER = {"not_booked", "gaps_beyond_target", "reschedules", "no_shows", "lost", "slipped"}
# counts where neither way is better, so no change is marked: a booking whose time is not
# known, a later booking (more of them may be fewer on the spot or fewer not booked),
# outcomes not known yet
NEITHER_BETTER = {"booked_timing_unknown", "booked_later", "pending"}


@router.get("/review")
def review_page(
    request: Request,
    session: DbSession,
    actor: PageActor,
    week: Text = None,
    team: Text = None,
    rep: Text = None,
) -> Response:
    review = weekly_review(request, session).review(actor, week=week, team=team, rep_id=rep)
    reps = visible_reps(session, actor)
    scope = {"team": team, "rep": rep}
    return render(
        request,
        "manager/review.html",
        {
            "review": review,
            "scope": scope,
            "labels": LABELS,
            "fewer_is_better": FEWER_IS_BETTER,
            "neither_better": NEITHER_BETTER,
            "metrics": METRIC_LABELS,
            "teams": sorted({r.team for r in reps if r.team}),
            "reps": reps,
            "records": actor.role in (Role.MANAGER, Role.ADMIN),
            "previous_link": link("/review", week=shift(review.week, -1), **scope),
            "next_link": link("/review", week=review.next_week, **scope)
            if review.complete
            else None,
            "csv_link": link("/review.csv", week=review.week, **scope),
            "here": link("/review", week=review.week, **scope),
        },
    )


@router.get("/review.csv")
def review_download(
    request: Request,
    session: DbSession,
    actor: PageActor,
    week: Text = None,
    team: Text = None,
    rep: Text = None,
) -> Response:
    review = weekly_review(request, session).review(actor, week=week, team=team, rep_id=rep)
    return Response(
        review_csv(review),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="review-{review.week}.csv"'},
    )


def _back(back: str | None) -> str:
    """Only back to a review page of this site."""
    return back if back and back.startswith("/review") and not back.startswith("//") else "/review"


@router.post("/review/commitments")
def record_commitment(
    request: Request,
    session: DbSession,
    actor: PageActor,
    rep_id: Annotated[str, Form(max_length=200)],
    week: Annotated[str, Form(max_length=10)],
    text: Annotated[str, Form(max_length=1000)],
    metric: Annotated[str, Form(max_length=40)] = "",
    target: Annotated[str, Form(max_length=20)] = "",
    back: Annotated[str, Form(max_length=500)] = "/review",
) -> Response:
    chosen = _metric(metric)
    goal = _target(target, chosen)
    if not text.strip():
        raise InputError("text: say what the rep commits to")
    weekly_review(request, session).commit(
        actor, rep_id, week=week, new=NewCommitment(text=text, metric=chosen, target=goal)
    )
    return RedirectResponse(_back(back), status_code=303)


def _metric(metric: str) -> CommitmentMetric | None:
    if not metric:
        return None
    try:
        return CommitmentMetric(metric)
    except ValueError:
        raise InputError(f"metric: {metric!r} is not a figure the review checks") from None


def _target(target: str, metric: CommitmentMetric | None) -> float | None:
    """The target as stored: a share for the on-the-spot rate (``60 %``, ``0.6``, or ``60``:
    a bare number above 1, which no share is, is read as a percentage), a whole number of
    meetings or deals for the others."""
    written = target.strip()
    if not written:
        return None
    if metric is None:
        raise InputError("target: choose the figure the target is for, or leave it empty")
    percent = written.endswith("%")
    try:
        value = float(written.removesuffix("%").strip())
    except ValueError:
        raise InputError(f"target: {written!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise InputError(f"target: {written!r} is not a number of 0 or more")
    if metric is CommitmentMetric.ON_THE_SPOT_RATE:
        share = value / 100 if percent or value > 1 else value
        if share > 1:
            raise InputError(f"target: {written!r} is not a share of at most 100 %")
        return share
    if percent or not value.is_integer():
        raise InputError(f"target: {written!r} is not a count (give a whole number such as 2)")
    return value


@router.post("/review/commitments/{commitment_id}/mark")
def mark_commitment(
    request: Request,
    session: DbSession,
    actor: PageActor,
    commitment_id: int,
    kept: Annotated[str, Form(pattern="^(yes|no|clear)$")],
    back: Annotated[str, Form(max_length=500)] = "/review",
) -> Response:
    value = {"yes": True, "no": False, "clear": None}[kept]
    weekly_review(request, session).mark(actor, commitment_id, kept=value)
    return RedirectResponse(_back(back), status_code=303)


@router.post("/review/commitments/{commitment_id}/delete")
def delete_commitment(
    request: Request,
    session: DbSession,
    actor: PageActor,
    commitment_id: int,
    back: Annotated[str, Form(max_length=500)] = "/review",
) -> Response:
    weekly_review(request, session).withdraw(actor, commitment_id)
    return RedirectResponse(_back(back), status_code=303)
