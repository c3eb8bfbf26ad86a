"""What the manager's pages share: the audit's defaults from the settings, the query string
of a scope and period, and the services bound to the request's unit of work."""

from __future__ import annotations

import logging
import time
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from sqlalchemy.orm import Session

from momentum.audit.result import AuditOptions
from momentum.audit.stats import import_scipy
from momentum.errors import InputError, MomentumError
from momentum.playbook.models import PlaybookStep
from momentum.playbook.schemas import PlaybookItem
from momentum.playbook.service import PlaybookService
from momentum.review.cache import AuditCache
from momentum.review.dashboard import DashboardService
from momentum.review.service import WeeklyReviewService
from momentum.runtime import Engine
from momentum.web.deps import engine_of

log = logging.getLogger("momentum.dashboard")


def audit_defaults(engine: Engine) -> AuditOptions:
    settings = engine.settings
    return AuditOptions(
        target_days=settings.target_business_days,
        grace=timedelta(minutes=settings.on_the_spot_grace_minutes),
        default_timezone=settings.default_timezone,
    )


def audit_cache(request: Request) -> AuditCache:
    """The app's dashboard cache (made with the app)."""
    cache: AuditCache = request.app.state.audit_cache
    return cache


def read_frames(engine: Engine, cache: AuditCache) -> None:
    """Read the whole store's frames into ``cache`` now (``momentum serve`` does it once it
    starts, so the first dashboard does not wait for the read), and log how long it took."""
    import_scipy()  # the audit's statistics import it where used; the first view need not wait
    began = time.perf_counter()
    try:
        with engine.database.unit_of_work(write=False) as session:
            data = (
                DashboardService(
                    session, clock=engine.clock, defaults=audit_defaults(engine), cache=cache
                )
                .frames()
                .data
            )
    except MomentumError as error:  # a page asking for the frames reads them again
        log.warning("dashboard: reading the store's frames failed: %s", error.message)
        return
    except Exception:
        log.exception("dashboard: reading the store's frames failed")
        return
    log.info(
        "dashboard: read the store's frames (%d deals, %d meetings) in %.1f s",
        data.deals.height,
        data.meetings.height,
        time.perf_counter() - began,
    )


def dashboard_service(request: Request, session: Session) -> DashboardService:
    engine = engine_of(request)
    return DashboardService(
        session, clock=engine.clock, defaults=audit_defaults(engine), cache=audit_cache(request)
    )


def rule_titles(engine: Engine) -> dict[str, str]:
    return {rule.key: rule.title for rule in engine.rules.registry}


def talk_tracks(request: Request, session: Session) -> dict[PlaybookStep, PlaybookItem]:
    """The team's talk track for each step that has one, shown beside the findings."""
    return PlaybookService(session, clock=engine_of(request).clock).talk_tracks()


def weekly_review(request: Request, session: Session) -> WeeklyReviewService:
    engine = engine_of(request)
    defaults = audit_defaults(engine)
    return WeeklyReviewService(
        session,
        clock=engine.clock,
        target_days=defaults.target_days,
        grace=defaults.grace,
        default_timezone=defaults.default_timezone,
    )


def day(value: str | None, field: str) -> date | None:
    """A date from the query string; empty is none."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{field}: {value!r} is not a date (YYYY-MM-DD)") from None


def link(path: str, **params: Any) -> str:
    """``path`` with the given query parameters, leaving out the empty ones."""
    chosen = {key: value for key, value in params.items() if value not in (None, "")}
    return f"{path}?{urlencode(chosen)}" if chosen else path
