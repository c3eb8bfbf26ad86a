"""Administration, for administrators only (anyone else: ``PermissionDenied``).

Users are added, disabled and enabled through :class:`~momentum.user.accounts.AccountService`
(what ``momentum user`` uses); a change of role or rep ends the user's sessions, so the new
scope applies at their next sign-in. A rep's zone and country decide their business days,
quiet hours and local dates everywhere; their working hours, the lock-in's suggested slots.
The rules' options set here take precedence over the rules file (``rules/settings.py``). A
test message goes straight through a channel (not the outbox), and the answer is what the
server said.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy.orm import Session

from momentum.admin.repository import open_deal_ids
from momentum.businessdays import holiday_country
from momentum.clock import Clock
from momentum.deal.changes import mark_changed
from momentum.dispatch.channels.base import DeliveryError, Sender, SlackPost
from momentum.errors import InputError, NotFound, PermissionDenied
from momentum.localtime import is_timezone
from momentum.outbox.models import Channel
from momentum.rep.models import Rep
from momentum.rep.repository import RepRepository
from momentum.rules.config import LoadedRules
from momentum.rules.settings import RuleSettingsService
from momentum.user.accounts import AccountService
from momentum.user.models import Role
from momentum.user.repository import UserRepository
from momentum.user.schemas import Actor, UserView


@dataclass(frozen=True)
class TestResult:
    channel: Channel
    ok: bool
    detail: str


class AdminService:
    def __init__(self, session: Session, *, clock: Clock, actor: Actor) -> None:
        if actor.role is not Role.ADMIN:
            raise PermissionDenied("only administrators change the settings")
        self.session = session
        self.clock = clock
        self.actor = actor
        self.accounts = AccountService(session, clock=clock)
        self.users = UserRepository(session)
        self.reps = RepRepository(session)

    # --- users and roles ------------------------------------------------------------------

    def users_list(self) -> list[UserView]:
        return sorted(self.accounts.list_users(), key=lambda u: u.email)

    def add_user(
        self, *, email: str, password: str, role: Role, rep_id: str | None, name: str | None
    ) -> UserView:
        return self.accounts.add_user(
            email=email, password=password, role=role, rep_id=rep_id or None, name=name or None
        )

    def change_role(self, user_id: int, *, role: Role, rep_id: str | None) -> UserView:
        user = self.users.get(user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        rep_id = rep_id or None
        if role in (Role.REP, Role.MANAGER) and rep_id is None:
            raise InputError(f"rep: a {role} is linked to a rep")
        if rep_id is not None and self.reps.get(rep_id) is None:
            raise NotFound(f"no rep {rep_id!r}")
        if user.id == self.actor.user_id and role is not Role.ADMIN:
            raise InputError("role: you cannot take away your own administrator role")
        if (user.role, user.rep_id) != (role, rep_id):
            user.role, user.rep_id = role, rep_id
            self.users.delete_sessions_of(user.id)
            self.session.flush()
        return UserView.model_validate(user)

    def set_active(self, user_id: int, *, active: bool) -> UserView:
        user = self.users.get(user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        if user.id == self.actor.user_id and not active:
            raise InputError("you cannot disable yourself")
        if active:
            return self.accounts.enable(user.email)
        return self.accounts.disable(user.email)

    # --- reps: time zone and holiday country ----------------------------------------------

    def reps_list(self) -> list[Rep]:
        return self.reps.all()

    def set_rep_calendar(
        self,
        rep_id: str,
        *,
        timezone: str,
        country: str | None,
        work_start: str = "",
        work_end: str = "",
    ) -> Rep:
        """The rep's zone, holiday country and working hours (blank: the slot policy's).
        When the zone or the country changes, their open deals are re-evaluated by the rules
        (deadlines and business days move with them); working hours only place the lock-in's
        suggested slots and its warnings."""
        rep = self.reps.get(rep_id)
        if rep is None:
            raise NotFound(f"no rep {rep_id!r}")
        problems: list[str] = []  # every one at once, not the first alone
        timezone = timezone.strip()
        if not is_timezone(timezone):
            problems.append(f"timezone: {timezone!r} is not an IANA time zone")
        code = None
        try:
            code = holiday_country((country or "").strip() or None)
        except ValueError as exc:
            problems.append(f"country: {exc}")
        hours: dict[str, time | None] = {}
        for field, text in (("work_start", work_start), ("work_end", work_end)):
            try:
                hours[field] = _clock_time(field, text)
            except InputError as error:
                problems.append(error.message)
        start, end = hours.get("work_start"), hours.get("work_end")
        if len(hours) < 2:
            pass  # a time that is not one: said above
        elif (start is None) != (end is None):
            problems.append("work_end: give both the start and the end, or neither")
        elif start is not None and end is not None and end <= start:
            problems.append(f"work_end: {end:%H:%M} is not after the start, {start:%H:%M}")
        if problems:
            raise InputError("; ".join(problems))
        calendar_changed = (rep.timezone, rep.country) != (timezone, code)
        if calendar_changed or (rep.work_start, rep.work_end) != (start, end):
            rep.timezone, rep.country = timezone, code
            rep.work_start, rep.work_end = start, end
            rep.updated_at = self.clock.now()
            self.session.flush()
        if calendar_changed:
            for deal_id in open_deal_ids(self.session, rep_id):
                mark_changed(self.session, deal_id)
        return rep

    # --- the rules' targets and windows ---------------------------------------------------

    def rule_settings(self, rules: LoadedRules) -> RuleSettingsService:
        """The rules' options as set in the app, over the configuration and the defaults."""
        return RuleSettingsService(self.session, rules=rules, clock=self.clock)

    # --- a test message -------------------------------------------------------------------

    def send_test(
        self, channels: Mapping[Channel, Sender], channel: Channel, *, to: str, mail_from: str
    ) -> TestResult:
        sender = channels.get(channel)
        if sender is None:
            return TestResult(channel, False, f"no {channel} channel is configured")
        now = self.clock.now()
        text = f"A test message from Momentum, sent {now:%Y-%m-%d %H:%M} UTC by an administrator."
        outgoing: EmailMessage | SlackPost
        if channel is Channel.EMAIL:
            if "@" not in to:
                raise InputError(f"to: {to!r} is not an email address")
            outgoing = EmailMessage()
            outgoing["From"] = mail_from
            outgoing["To"] = to
            outgoing["Subject"] = "Momentum test message"
            outgoing["Date"] = format_datetime(now)
            outgoing["Message-ID"] = make_msgid(domain=mail_from.rpartition("@")[2].strip("> "))
            outgoing.set_content(text)
        else:
            outgoing = SlackPost(key=f"test.{now:%Y%m%dT%H%M%S%f}", body={"text": text})
        try:
            sender.send(outgoing)
        except DeliveryError as failure:
            return TestResult(channel, False, failure.reason)
        finally:
            sender.close()
        where = to if channel is Channel.EMAIL else "the Slack webhook"
        return TestResult(channel, True, f"sent to {where}")


def _clock_time(field: str, text: str) -> time | None:
    """A wall-clock time typed as HH:MM (blank: none)."""
    text = text.strip()
    if not text:
        return None
    for parse in (lambda t: datetime.strptime(t, "%H:%M").time(), time.fromisoformat):
        try:
            return parse(text).replace(second=0, microsecond=0)
        except ValueError:
            continue
    raise InputError(f"{field}: {text!r} is not a time of day (HH:MM)")
