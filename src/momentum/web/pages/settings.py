"""Settings, for administrators: users and roles, each rep's time zone, holiday country and
working hours, the rules' targets and windows (set in the app over the rules file and the
defaults, each shown with where it comes from), and a test message for email and Slack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from momentum.admin.service import AdminService
from momentum.config import Settings
from momentum.dispatch.dispatcher import RetryPolicy
from momentum.errors import InputError
from momentum.outbox.models import Channel
from momentum.schedule.slots import SlotPolicy
from momentum.user.models import Role
from momentum.web.deps import DbSession, PageActor, engine_of
from momentum.web.nav import NavItem
from momentum.web.templating import render

router = APIRouter()
NAV = [NavItem("Settings", "/settings", order=90, roles=frozenset({Role.ADMIN}))]


NO_EMAIL = (
    "email is not configured (MOMENTUM_SMTP_HOST is not set), so nothing was sent: set it "
    "(and MOMENTUM_SMTP_PORT, unless 25) and restart Momentum"
)


@dataclass(frozen=True)
class EmailSetup:
    """How email goes out, as the page says it: the SMTP server named in the settings, or
    none, and then what the outbox does with email meanwhile."""

    configured: bool
    server: str  # host:port, and whether STARTTLS is required, used or never
    attempts: int  # tries of a message whose server cannot be reached, before it fails
    retry_span: str  # from the first try to the last: "about 64 minutes"

    @classmethod
    def of(cls, settings: Settings) -> EmailSetup:
        starttls = {
            "auto": " (STARTTLS whenever the server offers it)",
            "required": " (STARTTLS required)",
            "off": " (never STARTTLS)",
        }
        retry = RetryPolicy(
            max_attempts=settings.worker_max_attempts,
            first_delay=timedelta(seconds=settings.worker_retry_seconds),
        )
        span = sum((retry.delay(n) for n in range(1, retry.max_attempts)), timedelta())
        return cls(
            configured=settings.smtp_configured,
            server=f"{settings.smtp_host}:{settings.smtp_port}"
            + starttls.get(settings.smtp_starttls, ""),
            attempts=retry.max_attempts,
            retry_span=_about(span),
        )


def _about(span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    if minutes < 2:
        return f"about {max(round(span.total_seconds()), 0)} seconds"
    if minutes < 120:
        return f"about {minutes} minutes"
    return f"about {round(minutes / 60)} hours"


def _admin(request: Request, session: DbSession, actor: PageActor) -> AdminService:
    return AdminService(session, clock=engine_of(request).clock, actor=actor)


@router.get("/settings")
def settings_page(request: Request, session: DbSession, actor: PageActor) -> Response:
    return _settings(request, session, actor)


def _settings(
    request: Request,
    session: DbSession,
    actor: PageActor,
    *,
    sent: str | None = None,
    failed: str | None = None,
) -> Response:
    """The page; with the result of a test message just sent (shown from here, not from the
    address: a link could otherwise make the page say anything)."""
    admin = _admin(request, session, actor)
    engine = engine_of(request)
    settings = engine.settings
    rule_settings = admin.rule_settings(engine.rules).settings()
    return render(
        request,
        "manager/settings.html",
        {
            "users": admin.users_list(),
            "reps": admin.reps_list(),
            "roles": list(Role),
            "rules": [
                (key, [s for s in rule_settings if s.rule_key == key])
                for key in dict.fromkeys(s.rule_key for s in rule_settings)
            ],
            "rules_file": settings.rules_file,
            "figures_target": settings.target_business_days,
            "slot_policy": SlotPolicy(),
            "calendar": engine.config.calendar,
            "reminders": engine.config.reminders,
            "email": EmailSetup.of(settings),
            "slack": settings.slack_webhook_url is not None,
            "sent": sent,
            "failed": failed,
        },
    )


@router.post("/settings/users")
def add_user(
    request: Request,
    session: DbSession,
    actor: PageActor,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=200)],
    role: Annotated[Role, Form()],
    rep_id: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    _admin(request, session, actor).add_user(
        email=email, password=password, role=role, rep_id=rep_id.strip(), name=name.strip()
    )
    return RedirectResponse("/settings#users", status_code=303)


@router.post("/settings/users/{user_id}/role")
def change_role(
    request: Request,
    session: DbSession,
    actor: PageActor,
    user_id: int,
    role: Annotated[Role, Form()],
    rep_id: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    _admin(request, session, actor).change_role(user_id, role=role, rep_id=rep_id.strip())
    return RedirectResponse("/settings#users", status_code=303)


@router.post("/settings/users/{user_id}/active")
def set_active(
    request: Request,
    session: DbSession,
    actor: PageActor,
    user_id: int,
    active: Annotated[str, Form(pattern="^(yes|no)$")],
) -> Response:
    _admin(request, session, actor).set_active(user_id, active=active == "yes")
    return RedirectResponse("/settings#users", status_code=303)


@router.post("/settings/reps/{rep_id}")
def set_rep_calendar(
    request: Request,
    session: DbSession,
    actor: PageActor,
    rep_id: str,
    timezone: Annotated[str, Form(max_length=64)],
    country: Annotated[str, Form(max_length=8)] = "",
    work_start: Annotated[str, Form(max_length=8)] = "",
    work_end: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    _admin(request, session, actor).set_rep_calendar(
        rep_id, timezone=timezone, country=country, work_start=work_start, work_end=work_end
    )
    return RedirectResponse("/settings#reps", status_code=303)


@router.post("/settings/rules/{rule_key}/{option}")
def set_rule_option(
    request: Request,
    session: DbSession,
    actor: PageActor,
    rule_key: str,
    option: str,
    value: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    rules = _admin(request, session, actor).rule_settings(engine_of(request).rules)
    rules.set(actor, rule_key, option, value)
    return RedirectResponse(f"/settings#rule-{rule_key}-{option}", status_code=303)


@router.post("/settings/rules/{rule_key}/{option}/reset")
def reset_rule_option(
    request: Request, session: DbSession, actor: PageActor, rule_key: str, option: str
) -> Response:
    rules = _admin(request, session, actor).rule_settings(engine_of(request).rules)
    rules.reset(actor, rule_key, option)
    return RedirectResponse(f"/settings#rule-{rule_key}-{option}", status_code=303)


@router.post("/settings/test-message")
def send_test_message(
    request: Request,
    session: DbSession,
    actor: PageActor,
    channel: Annotated[Channel, Form()],
    to: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    admin = _admin(request, session, actor)
    engine = engine_of(request)
    if channel is Channel.EMAIL and not engine.settings.smtp_configured:
        return _settings(request, session, actor, failed=NO_EMAIL)
    if channel is Channel.EMAIL and not to.strip():
        raise InputError("to: the address to send the test message to")
    result = admin.send_test(
        engine.channels(), channel, to=to.strip(), mail_from=engine.settings.mail_from
    )
    if result.ok:
        return _settings(request, session, actor, sent=result.detail)
    return _settings(request, session, actor, failed=f"{channel}: {result.detail}")
