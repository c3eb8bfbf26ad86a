"""Jinja2 for the pages: autoescaped, one ``base.html`` with blocks, filters registered once.

:func:`render` hands every template the signed-in user, their CSRF token, the navigation
their role may open and the viewer's time zone, so a page's own context is only its view.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from momentum.audit.presentation import NO_ESTABLISHED, NOT_ESTABLISHED
from momentum.timetext import when_short
from momentum.user.accounts import SignedIn

TEMPLATES = Path(__file__).parent / "templates"


def local_time(value: datetime | None, zone: str, fmt: str = "%a %-d %b %Y %H:%M") -> str:
    """An instant as wall-clock time in ``zone``."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(zone)).strftime(fmt)


def money(amount: Decimal | float | None, currency: str | None = None) -> str:
    if amount is None:
        return ""
    text = f"{amount:,.0f}"
    return f"{text} {currency}" if currency else text


def percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.0%}"


def make_templates() -> Jinja2Templates:
    """The templates, each read and compiled once per process (they are part of the
    installed package: no file is checked for changes on every page)."""
    loader = FileSystemLoader(TEMPLATES)
    environment = Environment(loader=loader, autoescape=True, auto_reload=False)
    templates = Jinja2Templates(env=environment)
    templates.env.filters["local_time"] = local_time
    templates.env.filters["when_short"] = when_short  # "Tue 10 Mar, 14:00 CET (Europe/Berlin)"
    templates.env.filters["money"] = money
    templates.env.filters["percent"] = percent
    templates.env.globals["findings_words"] = {
        "none": NO_ESTABLISHED,
        "others_explained": NOT_ESTABLISHED,
    }
    return templates


def signed_in_of(request: Request) -> SignedIn | None:
    signed_in: SignedIn | None = getattr(request.state, "signed_in", None)
    return signed_in


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    app = request.app
    user = signed_in_of(request)
    nav = [item for item in app.state.nav if user is not None and item.visible_to(user.actor.role)]
    base = {
        "user": user,
        "csrf_token": user.csrf_token if user else None,
        "nav": nav,
        "zone": (user.timezone if user else None) or app.state.settings.default_timezone,
        "path": request.url.path,
    }
    templates: Jinja2Templates = app.state.templates
    return templates.TemplateResponse(
        request, template, {**base, **(context or {})}, status_code=status_code
    )
