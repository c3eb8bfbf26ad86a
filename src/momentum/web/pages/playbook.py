"""The playbook: talk tracks per step, meeting-two agenda templates, buyer homework
templates, and the value-asset library. Managers and administrators edit (each edit a new
version, the old ones kept); reps read."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError

from momentum.errors import InputError, plain
from momentum.playbook.models import PlaybookKind
from momentum.playbook.schemas import STEP_TITLES, NewPlaybookEntry, PlaybookText
from momentum.playbook.service import PlaybookService
from momentum.user.models import Role
from momentum.value_asset.models import ValueAssetKind
from momentum.value_asset.schemas import NewValueAsset
from momentum.value_asset.service import ValueAssetService
from momentum.web.deps import DbSession, PageActor, engine_of
from momentum.web.nav import NavItem
from momentum.web.templating import render

router = APIRouter()
NAV = [NavItem("Playbook", "/playbook", order=50, roles=frozenset(Role))]
KIND_TITLES = {
    PlaybookKind.TALK_TRACK: "Talk tracks",
    PlaybookKind.AGENDA_TEMPLATE: "Meeting-two agenda templates",
    PlaybookKind.HOMEWORK_TEMPLATE: "Buyer homework templates",
}
EDITORS = (Role.MANAGER, Role.ADMIN)

M = TypeVar("M", bound=BaseModel)


def _playbook(request: Request, session: DbSession) -> PlaybookService:
    return PlaybookService(session, clock=engine_of(request).clock)


def _valid(model: type[M], **values: Any) -> M:
    """A form's values as ``model``, or an input error naming the field."""
    try:
        return model(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        reason = plain(first)
        raise InputError(f"{field}: {reason}" if field else reason) from None


@router.get("/playbook")
def playbook_page(request: Request, session: DbSession, actor: PageActor) -> Response:
    playbook = _playbook(request, session)
    entries = playbook.entries()
    return render(
        request,
        "manager/playbook.html",
        {
            "kinds": KIND_TITLES,
            "by_kind": {kind: [e for e in entries if e.kind is kind] for kind in PlaybookKind},
            "steps": STEP_TITLES,
            "assets": ValueAssetService(session, clock=engine_of(request).clock).library(),
            "asset_kinds": list(ValueAssetKind),
            "edits": actor.role in EDITORS,
            "empty": playbook.revision() is None,
            "missing": len(playbook.missing_defaults()),
        },
    )


@router.get("/playbook/{entry_id}")
def entry_page(request: Request, session: DbSession, actor: PageActor, entry_id: int) -> Response:
    playbook = _playbook(request, session)
    item = playbook.item(entry_id)
    return render(
        request,
        "manager/playbook_entry.html",
        {
            "item": item,
            "history": playbook.history(entry_id),
            "uses": playbook.bookings_per_version(entry_id),
            "kinds": KIND_TITLES,
            "steps": STEP_TITLES,
            "edits": actor.role in EDITORS,
        },
    )


@router.post("/playbook")
def add_entry(
    request: Request,
    session: DbSession,
    actor: PageActor,
    kind: Annotated[str, Form(max_length=40)],
    title: Annotated[str, Form(max_length=200)],
    body: Annotated[str, Form(max_length=20_000)],
    step: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    new = _valid(NewPlaybookEntry, kind=kind, step=step or None, title=title, body=body)
    item = _playbook(request, session).add(actor, new)
    return RedirectResponse(f"/playbook/{item.entry_id}", status_code=303)


@router.post("/playbook/start")
def start_playbook(request: Request, session: DbSession, actor: PageActor) -> Response:
    _playbook(request, session).start_with_defaults(actor)
    return RedirectResponse("/playbook", status_code=303)


@router.post("/playbook/{entry_id}")
def edit_entry(
    request: Request,
    session: DbSession,
    actor: PageActor,
    entry_id: int,
    title: Annotated[str, Form(max_length=200)],
    body: Annotated[str, Form(max_length=20_000)],
) -> Response:
    text = _valid(PlaybookText, title=title, body=body)
    _playbook(request, session).edit(actor, entry_id, text)
    return RedirectResponse(f"/playbook/{entry_id}", status_code=303)


@router.post("/playbook/{entry_id}/retire")
def retire_entry(request: Request, session: DbSession, actor: PageActor, entry_id: int) -> Response:
    _playbook(request, session).retire(actor, entry_id)
    return RedirectResponse("/playbook", status_code=303)


class AssetForm(BaseModel):
    """The value-asset form, as the add and edit pages post it (tags comma-separated)."""

    title: str = Field(max_length=200)
    kind: str = Field(max_length=40)
    summary: str = Field(max_length=2000)
    url: str = Field(default="", max_length=2000)
    tags: str = Field(default="", max_length=500)

    def asset(self) -> NewValueAsset:
        return _valid(
            NewValueAsset,
            title=self.title,
            kind=self.kind,
            summary=self.summary,
            url=self.url.strip() or None,
            tags=[tag for tag in self.tags.split(",") if tag.strip()],
        )


@router.post("/playbook/assets/new")
def add_asset(
    request: Request,
    session: DbSession,
    actor: PageActor,
    form: Annotated[AssetForm, Form()],
) -> Response:
    ValueAssetService(session, clock=engine_of(request).clock).add(actor, form.asset())
    return RedirectResponse("/playbook#assets", status_code=303)


@router.get("/playbook/assets/{asset_id}")
def asset_page(request: Request, session: DbSession, actor: PageActor, asset_id: int) -> Response:
    """The asset as it stands; for managers and administrators also its edit form and every
    version with the value reminders that carried it."""
    assets = ValueAssetService(session, clock=engine_of(request).clock)
    asset = assets.get(asset_id)
    edits = actor.role in EDITORS
    return render(
        request,
        "manager/value_asset.html",
        {
            "asset": asset,
            "history": assets.history(asset_id) if edits else [],
            "asset_kinds": list(ValueAssetKind),
            "edits": edits,
        },
    )


@router.post("/playbook/assets/{asset_id}")
def edit_asset(
    request: Request,
    session: DbSession,
    actor: PageActor,
    asset_id: int,
    form: Annotated[AssetForm, Form()],
) -> Response:
    ValueAssetService(session, clock=engine_of(request).clock).edit(actor, asset_id, form.asset())
    return RedirectResponse(f"/playbook/assets/{asset_id}", status_code=303)


@router.post("/playbook/assets/{asset_id}/retire")
def retire_asset(request: Request, session: DbSession, actor: PageActor, asset_id: int) -> Response:
    ValueAssetService(session, clock=engine_of(request).clock).retire(actor, asset_id)
    return RedirectResponse("/playbook#assets", status_code=303)
