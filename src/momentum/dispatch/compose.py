"""From an outbox row to a message: check it may still go, then render it.

Runs inside the dispatcher's unit of work, with the meeting (if any) locked, so what it
checks is what is true while the message is being sent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email import charset as email_charset
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any

import idna
from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.contact.models import Contact
from momentum.contact.repository import ContactRepository
from momentum.deal.models import Deal
from momentum.deal.repository import DealRepository
from momentum.dispatch import ics
from momentum.dispatch.channels.base import Outgoing, PermanentFailure, SlackPost
from momentum.dispatch.templates import Templates
from momentum.flag.repository import FlagRepository
from momentum.localtime import zone
from momentum.meeting.models import Meeting
from momentum.meeting.service import MeetingService
from momentum.next_step.models import Side
from momentum.next_step.schemas import parse_agenda
from momentum.outbox.models import Channel, MessageKind, OutboxMessage
from momentum.outbox.repository import OutboxRepository
from momentum.outbox.schemas import Send, SendDecision, Withdraw
from momentum.reminder.models import Reminder
from momentum.reminder.schemas import ReminderPolicy
from momentum.reminder.service import ReminderService
from momentum.rep.models import Rep
from momentum.rep.repository import RepRepository
from momentum.task.models import TaskStatus
from momentum.task.repository import TaskRepository
from momentum.timetext import when_long, when_short
from momentum.user.repository import UserRepository
from momentum.value_asset.models import ValueAsset, ValueAssetVersion
from momentum.value_asset.repository import ValueAssetRepository
from momentum.value_asset.schemas import is_web_link
from momentum.worktime import CalendarPolicy

_UTF8 = email_charset.Charset("utf-8")
_UTF8.body_encoding = email_charset.QP  # readable bodies, safe line lengths


def _text_part(text: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype)
    part.set_payload(text, _UTF8)
    return part


@dataclass
class Prepared:
    decision: SendDecision
    outgoing: Outgoing | None = None


def message_id(key: str, mail_from: str) -> str:
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "momentum.invalid"
    return f"<{key}@{domain}>"


def _ascii_domain(address: str) -> str:
    """``address`` with a non-ASCII domain written in ASCII (IDNA 2008, ``exämple.com`` ->
    ``xn--exmple-cua.com``), which every mail server takes. Non-ASCII before the ``@`` has no
    such form: the SMTP channel sends it only to a server that offers SMTPUTF8."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except UnicodeError:  # not a valid domain name: left as it is, for the server to judge
        return address


def _boundary(key: str, part: str) -> str:
    """A MIME boundary made from the message's key, not at random: the stdlib's random one
    costs a regular expression compiled per message to prove it absent from the text. This
    one cannot occur in the parts: they are quoted-printable, where ``=`` is always followed
    by two hex digits or a line end, or base64, which has no ``=_`` (RFC 2045 suggests
    boundaries starting ``=_`` for this reason). A resend gets the same boundaries."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=12).hexdigest()
    return f"=_{part}_{digest}"


class BatchLookup:
    """What a batch reads but never decides on (deals, reps, contacts, assets), read once per
    batch. The meeting, the reminder and the message are read under lock for every message."""

    def __init__(self) -> None:
        self.deals: dict[str, Deal | None] = {}
        self.reps: dict[str, Rep | None] = {}
        self.contacts: dict[str, list[Contact]] = {}
        self.assets: dict[int, ValueAsset | None] = {}

    def prefetch(self, session: Session, meeting_ids: list[str]) -> None:
        """Load the deals, owners and contacts of a claimed batch in three queries."""
        deals = DealRepository(session).of_meetings(sorted(set(meeting_ids)))
        for deal in deals:
            self.deals[deal.id] = deal
        for rep in RepRepository(session).many(sorted({d.owner_id for d in deals})):
            self.reps[rep.id] = rep
        ids = sorted(self.deals)
        for deal_id in ids:
            self.contacts.setdefault(deal_id, [])
        for contact in ContactRepository(session).for_deals(ids):
            self.contacts[contact.deal_id].append(contact)

    def deal(self, session: Session, deal_id: str) -> Deal | None:
        if deal_id not in self.deals:
            self.deals[deal_id] = DealRepository(session).get(deal_id)
        return self.deals[deal_id]

    def rep(self, session: Session, rep_id: str) -> Rep | None:
        if rep_id not in self.reps:
            self.reps[rep_id] = RepRepository(session).get(rep_id)
        return self.reps[rep_id]

    def contacts_of(self, session: Session, deal_id: str) -> list[Contact]:
        if deal_id not in self.contacts:
            self.contacts[deal_id] = ContactRepository(session).for_deal(deal_id)
        return self.contacts[deal_id]

    def asset(self, session: Session, asset_id: int) -> ValueAsset | None:
        if asset_id not in self.assets:
            self.assets[asset_id] = ValueAssetRepository(session).get(asset_id)
        return self.assets[asset_id]


class Composer:
    def __init__(
        self,
        *,
        templates: Templates,
        mail_from: str,
        clock: Clock,
        reminder_policy: ReminderPolicy,
        calendar_policy: CalendarPolicy,
    ) -> None:
        self.templates = templates
        self.mail_from = mail_from
        self.clock = clock
        self.reminder_policy = reminder_policy
        self.calendar_policy = calendar_policy
        self._from_name, self._from_address = parseaddr(mail_from)

    def prepare(
        self,
        session: Session,
        message: OutboxMessage,
        meeting: Meeting | None,
        reminder: Reminder | None = None,
        lookup: BatchLookup | None = None,
    ) -> Prepared:
        """Whether ``message`` may still go, and if so the message itself. ``meeting`` and
        ``reminder`` are the rows read under the meeting's lock."""
        lookup = lookup or BatchLookup()
        if message.kind is MessageKind.ALERT:
            return self._alert(session, message)
        if message.kind is MessageKind.DIGEST:
            return self._digest(session, message)
        if meeting is None:
            return Prepared(Withdraw("the meeting no longer exists"))
        deal = lookup.deal(session, meeting.deal_id)
        rep = lookup.rep(session, deal.owner_id) if deal else None
        if deal is None or rep is None:
            return Prepared(Withdraw("the deal no longer exists"))
        if message.kind in (MessageKind.INVITATION, MessageKind.CANCELLATION):
            decision = MeetingService(
                session,
                clock=self.clock,
                reminder_policy=self.reminder_policy,
                calendar_policy=self.calendar_policy,
            ).check_ical_before_sending(message, meeting)
            if not isinstance(decision, Send):
                return Prepared(decision)
            # the time these recipients were last sent: an update names it, a cancellation
            # calls off the meeting their calendars show; a move made before any invitation
            # reached them is their first invitation, not news of a move
            told = (
                OutboxRepository(session).last_invited(meeting.ical_uid, message.recipients)
                if meeting.ical_uid
                else None
            )
            cancel = message.kind is MessageKind.CANCELLATION
            context = self._context(
                lookup.contacts_of(session, deal.id),
                told if cancel and told is not None else meeting,
                deal,
                rep,
                message,
                told=None if cancel else told,
                update=told is not None or cancel,
                sequence=meeting.sequence,
            )
            return Prepared(decision, self._ical_email(message, meeting, rep, context))
        decision = ReminderService(
            session,
            clock=self.clock,
            policy=self.reminder_policy,
            calendar_policy=self.calendar_policy,
        ).check_before_sending(reminder, meeting, rep)
        if not isinstance(decision, Send) or reminder is None:
            return Prepared(decision)
        context = self._context(lookup.contacts_of(session, deal.id), meeting, deal, rep, message)
        if message.kind is MessageKind.VALUE_REMINDER:
            asset = lookup.asset(session, reminder.value_asset_id or -1)
            if asset is None:
                raise PermanentFailure("the value asset this reminder carries was deleted")
            # the version recorded when the reminder was planned: what it measures is sent
            carried = (
                ValueAssetRepository(session).version(reminder.value_asset_version_id)
                if reminder.value_asset_version_id is not None
                else None
            )
            content: ValueAsset | ValueAssetVersion = carried or asset
            if content.url is not None and not is_web_link(content.url):
                # refused when the asset is added; a row written before that rule never
                # reaches a buyer either
                raise PermanentFailure(
                    f"value asset {asset.id} links to something other than an http(s) address"
                )
            context["asset"] = content
            return Prepared(decision, self._email(message, rep, "value_reminder", context))
        return Prepared(decision, self._email(message, rep, "confirmation", context))

    # --- buyer emails ---------------------------------------------------------------------

    def _context(
        self,
        contacts: list[Contact],
        meeting: Meeting,
        deal: Deal,
        rep: Rep,
        message: OutboxMessage,
        *,
        told: Meeting | None = None,
        update: bool = True,
        sequence: int | None = None,
    ) -> dict[str, Any]:
        """What the buyer templates show, of ``meeting`` (for a cancellation, the one the
        buyer was last sent: its time, length and place). Times are in the buyer's zone where
        a recipient's is known (the others' zones follow), else in the rep's; every one names
        its zone. For an invitation, ``update`` says the buyer had one before, ``told`` which
        (its time and length); ``sequence`` is the meeting's own, if ``meeting`` is another."""
        zones = buyer_zones(contacts, message.recipients) or [rep.timezone]
        tz = zones[0]
        begin, finish = meeting.start_at, meeting.end_at
        previous = told if told is not None and told.start_at != meeting.start_at else None
        named = [c.name for c in contacts if c.name]
        lines = parse_agenda(meeting.agenda)
        label = deal.account or deal.name or deal.id
        return {
            "title": f"{label} · follow-up with {rep.name or 'us'}",
            "deal_label": label,
            "start": begin,
            "end": finish,
            "when": when_long(begin, finish, tz),
            "when_also": [when_long(begin, finish, other) for other in zones[1:]],
            "when_short": when_short(begin, tz),
            "previous_when": (
                when_long(previous.start_at, previous.end_at, tz) if previous is not None else None
            ),
            "previous_when_short": (
                when_short(previous.start_at, tz) if previous is not None else None
            ),
            "location": meeting.location,
            "weekday": weekday(begin, zones),
            "greeting_name": named[0] if len(contacts) == 1 and named else None,
            "sender_name": rep.name or self._from_name or "Momentum",
            "sender_email": rep.email,
            "agenda": bool(lines),
            "agenda_seller": [text for side, text in lines if side is Side.SELLER],
            "agenda_buyer": [text for side, text in lines if side is Side.BUYER],
            "agenda_other": [text for side, text in lines if side is None],
            "homework": meeting.homework,
            "sequence": (meeting.sequence if sequence is None else sequence) if update else 0,
            "contacts": contacts,
        }

    def _headers(
        self, email: Message, message: OutboxMessage, rep: Rep | None, subject: str
    ) -> None:
        display, address = self._from_name, self._from_address
        if rep is not None and rep.name:
            display = f"{rep.name} via {display or 'Momentum'}"
        email["From"] = formataddr((display, address), charset="utf-8")
        if rep is not None and rep.email:
            email["Reply-To"] = rep.email
        email["To"] = ", ".join(_ascii_domain(address) for address in message.recipients)
        email["Subject"] = (
            subject
            if subject.isascii()
            else Header(subject, "utf-8", header_name="Subject").encode()
        )
        email["Date"] = format_datetime(self.clock.now())
        email["Message-ID"] = message_id(message.key, self.mail_from)
        email["X-Momentum-Key"] = message.key

    def _alternative(
        self, message: OutboxMessage, name: str, context: dict[str, Any]
    ) -> tuple[str, MIMEMultipart]:
        subject, text, html = self.templates.render_email(name, context)
        body = MIMEMultipart("alternative", boundary=_boundary(message.key, "alt"))
        body.attach(_text_part(text, "plain"))
        body.attach(_text_part(html, "html"))
        return subject, body

    def _email(
        self, message: OutboxMessage, rep: Rep | None, name: str, context: dict[str, Any]
    ) -> Message:
        """Plain text and HTML (the stdlib's MIME classes: several times faster to build than
        ``EmailMessage``, which matters at hundreds of messages a second)."""
        subject, email = self._alternative(message, name, context)
        self._headers(email, message, rep, subject)
        return email

    def _ical_email(
        self, message: OutboxMessage, meeting: Meeting, rep: Rep, context: dict[str, Any]
    ) -> Message:
        method = str(message.payload.get("method", "REQUEST"))
        name = "cancellation" if message.kind is MessageKind.CANCELLATION else "invitation"
        subject, body = self._alternative(message, name, context)
        description = self.templates.email.get_template("email/_agenda.txt").render(context)
        if meeting.homework:
            description += f"\nBefore we meet: {meeting.homework}\n"
        calendar = ics.invitation(
            method=method,
            uid=meeting.ical_uid or meeting.id,
            sequence=int(message.payload.get("sequence", meeting.sequence)),
            start=context["start"],
            end=context["end"],
            stamp=self.clock.now(),
            summary=context["title"],
            description=description.strip(),
            organizer_email=rep.email or self._from_address,
            organizer_name=rep.name,
            location=context["location"],
            attendees=[
                (c.email, c.name) for c in context["contacts"] if c.email in message.recipients
            ],
        )
        inline = _text_part(calendar.decode("utf-8"), "calendar")
        inline.set_param("method", method)
        body.attach(inline)
        email = MIMEMultipart("mixed", boundary=_boundary(message.key, "mix"))
        email.attach(body)
        attachment = MIMEApplication(calendar, "ics")
        attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
        email.attach(attachment)
        self._headers(email, message, rep, subject)
        return email

    # --- the Monday digest ----------------------------------------------------------------

    def _digest(self, session: Session, message: OutboxMessage) -> Prepared:
        """A manager's digest, as composed when it was queued."""
        user = UserRepository(session).get(int(message.payload["user_id"]))
        if user is None or not user.active:
            return Prepared(Withdraw("the manager's login was removed or disabled"))
        context = {
            **message.payload,
            "percent": _percent,
            "sender_name": "Momentum",
            "sender_email": None,
        }
        if message.channel is Channel.SLACK:
            text = self.templates.render_slack("digest", context)
            return Prepared(Send(), SlackPost(key=message.key, body={"text": text}))
        return Prepared(Send(), self._email(message, None, "digest", context))

    # --- alerts ---------------------------------------------------------------------------

    def _alert(self, session: Session, message: OutboxMessage) -> Prepared:
        payload = dict(message.payload)
        if payload.get("topic") == "flagged":
            if not FlagRepository(session).is_open(int(payload["flag_id"])):
                return Prepared(Withdraw("the flag was cleared before the alert went out"))
        elif payload.get("topic") == "task_due":
            task = TaskRepository(session).get(int(payload["task_id"]))
            if task is None or task.status is not TaskStatus.OPEN:
                return Prepared(Withdraw("the task was closed before the alert went out"))
            payload["due"] = _format_due(task.due_at, RepRepository(session).get(task.owner_id))
        context = {
            "topic": None,
            "rule_title": None,
            "reason": None,
            "task": None,
            "title": None,
            "due": None,
            "deal_label": None,
            "owner_name": None,
            "owner_id": None,
            **payload,
            "sender_name": "Momentum",
            "sender_email": None,
        }
        if message.channel is Channel.SLACK:
            return Prepared(
                Send(),
                SlackPost(
                    key=message.key, body={"text": self.templates.render_slack("alert", context)}
                ),
            )
        return Prepared(Send(), self._email(message, None, "alert", context))


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def weekday(start: datetime, zones: list[str]) -> str:
    """The meeting's day for a subject line, "Tuesday"; with its time and zone where the
    recipients' zones do not agree on the day ("Mon 14 Dec, 16:00 GMT (Europe/London)")."""
    days = {f"{start.astimezone(zone(tz)):%A}" for tz in zones}
    return days.pop() if len(days) == 1 else when_short(start, zones[0])


def buyer_zones(contacts: list[Contact], recipients: list[str]) -> list[str]:
    """The distinct time zones known for the recipients, the most common first (then in the
    order the contacts were added)."""
    counts: dict[str, int] = {}
    for contact in contacts:
        if contact.timezone and contact.email in recipients:
            counts[contact.timezone] = counts.get(contact.timezone, 0) + 1
    return sorted(counts, key=lambda tz: -counts[tz])


def _format_due(due_at: datetime, rep: Rep | None) -> str:
    if rep is None:
        return f"{due_at:%a %-d %b %H:%M} UTC"
    return f"{due_at.astimezone(zone(rep.timezone)):%a %-d %b %H:%M} ({rep.timezone})"
