"""The app factory: ``create_app(settings)`` builds the web app on the engine.

Pages and API routes live one area per module, and the factory finds them:

- ``momentum.web.pages.<area>``: ``router`` (an ``APIRouter``) and, optionally, ``NAV`` (the
  navigation entries the area adds). Every page router gets the CSRF check; pages are left
  out of the OpenAPI description.
- ``momentum.web.api.<area>``: ``router``, mounted under ``/api/v1`` and described by
  ``/api/v1/openapi.json``.

Templates go in ``web/templates/`` (extending ``base.html``), static files in ``web/static/``.
Adding an area is adding its module(s): nothing here changes.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from types import ModuleType

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from momentum import __version__
from momentum.config import Settings
from momentum.review.cache import AuditCache
from momentum.runtime import Engine
from momentum.user.accounts import SignInPolicy
from momentum.web import api, pages
from momentum.web.deps import verify_csrf
from momentum.web.errors import BodiesAreSmall, PanicsAreBugs, install_error_handlers
from momentum.web.nav import NavItem
from momentum.web.pages._manager import read_frames
from momentum.web.security import SecurityHeaders
from momentum.web.templating import make_templates

STATIC = Path(__file__).parent / "static"
API_PREFIX = "/api/v1"


def area_modules(package: ModuleType) -> Iterator[ModuleType]:
    """Every module of ``package`` (pages or api), in name order."""
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{package.__name__}.{info.name}")


def area_routes() -> Iterator[tuple[str, str, str]]:
    """(kind, method, path) of every page ("page") and API ("api") route, for checks that
    walk them all."""
    for kind, package, prefix in (("page", pages, ""), ("api", api, API_PREFIX)):
        for module in area_modules(package):
            for route in module.router.routes:
                for method in sorted(getattr(route, "methods", ()) or ()):
                    yield kind, method, prefix + route.path


def sign_in_policy(settings: Settings) -> SignInPolicy:
    return SignInPolicy(
        session_lifetime=timedelta(hours=settings.session_hours),
        window=timedelta(minutes=settings.sign_in_window_minutes),
        max_failures_per_email=settings.sign_in_max_failures,
        max_failures_per_client=settings.sign_in_max_failures_per_client,
    )


def app_from_environment() -> FastAPI:
    """The pages and the API on the store the environment names, without the dispatcher:
    what each process of ``momentum serve --workers N`` serves."""
    return create_app(Settings(), read_frames_at_start=True)


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    run_worker: bool = False,
    read_frames_at_start: bool = False,
    policy: SignInPolicy | None = None,
) -> FastAPI:
    """The web app on ``engine`` (built from ``settings`` when not given). With
    ``run_worker`` it also runs the dispatcher and the rule sweep while it serves. With
    ``read_frames_at_start`` (and the dashboard's cache on) it reads the store's frames for
    the dashboard once it starts, on a thread of its own, while it serves. ``policy``
    replaces the sign-in policy the settings give."""
    owned = engine is None
    live = engine or Engine(settings)
    cache = AuditCache(max_age=settings.dashboard_cache_seconds)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if read_frames_at_start and cache.max_age > 0:
            threading.Thread(
                target=read_frames, args=(live, cache), name="dashboard-frames", daemon=True
            ).start()
        background = live.start_background_dispatcher() if run_worker else None
        try:
            yield
        finally:
            if background is not None:
                background.stop()
            if owned:
                live.close()

    app = FastAPI(
        title="Momentum API",
        version=__version__,
        description="Deals, meetings, tasks and flags, scoped to the caller; lock in, move, "
        "cancel and close meetings through the same services as the command line.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # the interactive docs load scripts from a CDN
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = live
    app.state.sign_in_policy = policy or sign_in_policy(settings)
    app.state.templates = make_templates()
    app.state.audit_cache = cache
    nav: list[NavItem] = []
    for module in area_modules(pages):
        app.include_router(
            module.router, include_in_schema=False, dependencies=[Depends(verify_csrf)]
        )
        nav.extend(getattr(module, "NAV", ()))
    app.state.nav = sorted(nav, key=lambda item: (item.order, item.label))
    for module in area_modules(api):
        app.include_router(module.router, prefix=API_PREFIX)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_error_handlers(app)
    app.add_middleware(BodiesAreSmall)
    app.add_middleware(PanicsAreBugs)
    app.add_middleware(SecurityHeaders)
    return app
