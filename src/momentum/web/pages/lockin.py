"""Lock in meeting two in at most three steps: open the form (from meeting one, the deal, a
task or the calendar), pick a suggested slot or type a time and save; only when the time
deserves a second look (a weekend, a holiday, a gap beyond the target, a clash, a late hour
for the buyer) a third step shows the warnings and books on "Book anyway".

The agenda and homework templates are the playbook's current versions (the starting
playbook's where it has none); the booking records the playbook's revision.

Saving goes through ``NextStepService.lock_in_next_meeting``, as ``momentum meeting lock-in``
does: the meeting, the next step, the invitation (with the place as LOCATION) and the
reminders in the request's one unit of work, and the rules on commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from momentum.contact.schemas import Attendee
from momentum.errors import InputError
from momentum.meeting.models import MeetingStatus
from momentum.next_step.models import Side
from momentum.next_step.schemas import AgendaItem, LockIn
from momentum.playbook.schemas import LockInTemplates
from momentum.playbook.service import PlaybookService
from momentum.schedule.slots import Slot
from momentum.timetext import when_short
from momentum.value_asset.service import ValueAssetService
from momentum.web.deps import CurrentUser, DbSession, engine_of
from momentum.web.pages._rep import (
    attendee_problems,
    chosen_start,
    deal_url,
    in_form_order,
    problems,
    slot_service,
    timeline_service,
    valid_zones,
    viewer_zone,
)
from momentum.web.templating import render

router = APIRouter()
Problems = dict[str, str]  # form field -> what is wrong with it
DURATIONS = (15, 30, 45, 60, 90)


@dataclass
class LockInForm:
    """What the form shows, and what it sends back when it is shown again."""

    slot: str = ""
    when: str = ""
    minutes: int = 30
    location: str = ""
    template: str = ""  # the agenda template's key
    homework_template: str = ""
    seller: str = ""
    buyer: str = ""
    homework: str = ""
    asset: str = ""
    contact_tz: dict[str, str] = field(default_factory=dict)  # email -> zone
    attendee_email: str = ""
    attendee_name: str = ""
    attendee_tz: str = ""
    mark_held: bool = True

    def use_templates(
        self, templates: LockInTemplates, agenda_key: str | None, homework_key: str | None
    ) -> None:
        """Fill the agenda and the homework from the chosen templates (the first of each
        when the key names none)."""
        agenda = next((a for a in templates.agendas if a.key == agenda_key), None)
        agenda = agenda or (templates.agendas[0] if templates.agendas else None)
        if agenda is not None:
            self.template = agenda.key
            self.seller = "\n".join(agenda.seller)
            self.buyer = "\n".join(agenda.buyer)
        homework = next((h for h in templates.homework if h.key == homework_key), None)
        homework = homework or (templates.homework[0] if templates.homework else None)
        if homework is not None:
            self.homework_template = homework.key
            self.homework = homework.text

    def zones(self) -> list[str]:
        """The buyer's zones as the form has them (the contacts', then the one more
        person's), those that are zones: the slots show the buyer's time in them."""
        return valid_zones(*self.contact_tz.values(), self.attendee_tz)

    def lock_in(self, start: datetime | None, *, now: datetime) -> tuple[LockIn | None, Problems]:
        """The booking the form asks for, or what is wrong with it: every problem at once,
        each by the form field it is about (``start`` is ``None`` when the time is the
        problem; the rest is checked all the same)."""
        errors: Problems = {}
        agenda: list[AgendaItem] = []
        for side, name, text in (
            (Side.SELLER, "seller", self.seller),
            (Side.BUYER, "buyer", self.buyer),
        ):
            for line in _lines(text):
                try:
                    agenda.append(AgendaItem(side=side, text=line))
                except ValidationError as exc:
                    errors.setdefault(name, "; ".join(problems(exc, {}).values()))
        attendees: list[Attendee] = []
        for email, tz in self.contact_tz.items():
            try:
                attendees.append(Attendee(email=email, timezone=tz or None))
            except ValidationError as exc:
                errors.update(problems(exc, {}, default=f"contact_tz:{email}"))
        another, wrong = attendee_problems(
            self.attendee_email, self.attendee_name, self.attendee_tz
        )
        errors.update(wrong)
        if another is not None:
            attendees.append(another)
        try:
            lock_in = LockIn.model_validate(
                {
                    "start": start or now,  # a stand-in, to check the rest
                    "minutes": self.minutes,
                    "agenda": agenda,
                    "buyer_homework": self.homework,
                    "location": self.location,
                    "value_asset_id": int(self.asset) if self.asset.isdigit() else None,
                    "attendees": attendees,
                }
            )
        except ValidationError as exc:
            for name, message in problems(exc, LOCK_IN_FIELDS).items():
                errors.setdefault(name, message)
            return None, errors
        return (lock_in if start is not None and not errors else None), errors


# LockIn's fields, as the form names them
LOCK_IN_FIELDS = {
    "start": "when",
    "minutes": "minutes",
    "agenda": "seller",
    "buyer_homework": "homework",
    "location": "location",
    "value_asset_id": "asset",
    "attendees": "attendee_email",
}


def _templates(request: Request, session: DbSession) -> LockInTemplates:
    """The playbook's agenda and homework templates, as they stand now."""
    return PlaybookService(session, clock=engine_of(request).clock).lock_in_templates()


def _lines(text: str) -> list[str]:
    return [line.strip(" -•\t") for line in text.splitlines() if line.strip(" -•\t")]


def _page(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    deal_id: str,
    form: LockInForm,
    *,
    picked: Slot | None = None,
    errors: Problems | None = None,
    status_code: int = 200,
    templates: LockInTemplates | None = None,  # read here when the caller has not
) -> Response:
    engine = engine_of(request)
    slots = slot_service(request, session)
    contacts = slots.repository.contacts_of(deal_id)
    for contact in contacts:
        form.contact_tz.setdefault(contact.email, contact.timezone or "")
    # the buyer's zones as typed on the form (the contacts' on file until then)
    suggestions = slots.suggest(user.actor, deal_id, minutes=form.minutes, buyer_zones=form.zones())
    assets = ValueAssetService(session, clock=engine.clock)
    library = assets.library()
    if not form.asset:
        chosen = assets.choose(deal_id=deal_id, asked=None)
        form.asset = str(chosen.id) if chosen else ""
    one = suggestions.meeting_one
    return render(
        request,
        "rep/lockin.html",
        {
            "s": suggestions,
            "form": form,
            "templates": templates if templates is not None else _templates(request, session),
            "library": library,
            "contacts": contacts,
            "durations": DURATIONS,
            "meeting_one_unmarked": one is not None and one.status is MeetingStatus.SCHEDULED,
            "picked": picked,
            "warnings": picked.warnings if picked else None,
            "errors": in_form_order(errors or {}),
            "tz": viewer_zone(request, user),
            "deal_url": deal_url(deal_id),
        },
        status_code=status_code,
    )


@router.get("/lock-in/{deal_id:path}")
def lock_in_form(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    deal_id: str,
    template: Annotated[str | None, Query(max_length=40)] = None,
    homework_template: Annotated[str | None, Query(max_length=40)] = None,
    minutes: Annotated[int, Query(ge=5, le=480)] = 30,
) -> Response:
    slots = slot_service(request, session)
    deal, _ = slots.deal_and_rep(user.actor, deal_id)
    if slots.booked_ahead(deal.id) is not None:  # opened from a page that is out of date
        return _already_booked(request, session, user, deal_id, status_code=200)
    form = LockInForm(minutes=minutes)
    templates = _templates(request, session)
    form.use_templates(templates, template, homework_template)
    return _page(request, session, user, deal_id, form, templates=templates)


@router.post("/lock-in/{deal_id:path}")
def lock_in_save(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    deal_id: str,
    slot: Annotated[str, Form(max_length=50)] = "",
    when: Annotated[str, Form(max_length=30)] = "",
    minutes: Annotated[int, Form(ge=5, le=480)] = 30,
    location: Annotated[str, Form(max_length=500)] = "",
    template: Annotated[str, Form(max_length=40)] = "",
    homework_template: Annotated[str, Form(max_length=40)] = "",
    seller: Annotated[str, Form(max_length=4000)] = "",
    buyer: Annotated[str, Form(max_length=4000)] = "",
    homework: Annotated[str, Form(max_length=2000)] = "",
    asset: Annotated[str, Form(max_length=20)] = "",
    contact_email: Annotated[list[str] | None, Form()] = None,
    contact_tz: Annotated[list[str] | None, Form()] = None,
    attendee_email: Annotated[str, Form(max_length=320)] = "",
    attendee_name: Annotated[str, Form(max_length=200)] = "",
    attendee_tz: Annotated[str, Form(max_length=64)] = "",
    mark_held: Annotated[str, Form(max_length=5)] = "",
    confirm: Annotated[str, Form(max_length=50)] = "",
    apply_template: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    form = LockInForm(
        slot=slot,
        when=when,
        minutes=minutes,
        location=location,
        template=template,
        homework_template=homework_template,
        seller=seller,
        buyer=buyer,
        homework=homework,
        asset=asset,
        contact_tz=dict(zip(contact_email or [], contact_tz or [], strict=False)),
        attendee_email=attendee_email,
        attendee_name=attendee_name,
        attendee_tz=attendee_tz,
        mark_held=bool(mark_held),
    )
    if apply_template:  # "Use these templates" without JavaScript
        templates = _templates(request, session)
        form.use_templates(templates, template, homework_template)
        return _page(request, session, user, deal_id, form, templates=templates)
    engine = engine_of(request)
    slots = slot_service(request, session)
    deal, rep = slots.deal_and_rep(user.actor, deal_id)
    now = engine.clock.now()
    if slots.booked_ahead(deal.id) is not None:
        # booked already (a resubmitted form, a second click, someone else): never twice
        return _already_booked(request, session, user, deal_id, status_code=409)
    errors: Problems = {}
    start: datetime | None = None
    try:
        start = chosen_start(slot, when, rep.timezone, now=now)
    except InputError as exc:
        errors["when"] = exc.message
    lock_in, wrong = form.lock_in(start, now=now)
    errors.update(wrong)
    if (
        not form.attendee_email.strip()
        and not form.contact_tz
        and not slots.repository.contacts_of(deal.id)
    ):
        errors["attendee_email"] = (
            "add the buyer's e-mail address: the invitation needs someone to go to"
        )
    if errors or lock_in is None or start is None:
        return _page(request, session, user, deal_id, form, errors=errors, status_code=422)
    zones = [a.timezone for a in lock_in.attendees if a.timezone]
    one, later = slots.gap_from(deal_id)
    checked = slots.check_for(
        rep, one, deal_id, start, minutes=form.minutes, buyer_zones=list(dict.fromkeys(zones))
    )
    if checked.warnings and confirm != start.isoformat():  # warned about this very time
        form.slot, form.when = start.isoformat(), ""
        return _page(request, session, user, deal_id, form, picked=checked)
    engine.next_steps(session).lock_in_next_meeting(user.actor, deal_id, lock_in)
    if form.mark_held and one is not None and one.status is MeetingStatus.SCHEDULED:
        engine.meetings(session).mark_held(user.actor, one.id)
    return RedirectResponse(deal_url(deal_id, "booked_later" if later else "booked"), 303)


def _already_booked(
    request: Request, session: DbSession, user: CurrentUser, deal_id: str, *, status_code: int
) -> Response:
    """The deal has a meeting booked ahead: say which and when, with the way to move it."""
    tz = viewer_zone(request, user)
    page = timeline_service(request, session).timeline(user.actor, deal_id, tz=tz)
    return render(
        request,
        "rep/booked.html",
        {
            "page": page,
            "when": when_short(page.upcoming.start, tz) if page.upcoming else None,
            "deal_url": deal_url(deal_id),
        },
        status_code=status_code,
    )
