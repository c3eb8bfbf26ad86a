"""The Monday digest: once a manager's Monday has reached the send time (in their own zone),
the week just ended is composed from the weekly review's figures, recorded once per manager
and week, and put in the outbox for email and Slack in the same unit of work. The outbox
keys (``digest.<week>.<user>.<channel>``) and the record's unique constraint make two workers,
or a worker that crashed and ran again, queue it once; the dispatcher sends each message
once, with the key as its Message-ID."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from momentum import defaults
from momentum.clock import Clock
from momentum.digest.repository import DigestRepository
from momentum.digest.schemas import DigestFigures, DigestRep
from momentum.localtime import zone
from momentum.outbox.models import Channel, MessageKind
from momentum.outbox.service import OutboxService
from momentum.rep.repository import RepRepository
from momentum.review import weeks
from momentum.review.scope import resolve_scope
from momentum.review.service import WeeklyReviewService
from momentum.user.models import User
from momentum.user.schemas import Actor

log = logging.getLogger("momentum.digest")


@dataclass(frozen=True)
class DigestPolicy:
    send_at: time = time(7, 0)  # on Monday, in the manager's zone
    public_url: str | None = None  # where the app is served, for the link to the review
    slack: bool = False  # also post to Slack
    target_days: int = defaults.TARGET_BUSINESS_DAYS
    grace: timedelta = timedelta(minutes=defaults.ON_THE_SPOT_GRACE_MINUTES)
    default_timezone: str = "UTC"


def review_link(public_url: str | None, week: str) -> str | None:
    return f"{public_url.rstrip('/')}/review?week={week}" if public_url else None


def message_key(week: str, user_id: int, channel: Channel) -> str:
    return f"digest.{week}.{user_id}.{channel}"


class DigestService:
    def __init__(self, session: Session, *, clock: Clock, policy: DigestPolicy) -> None:
        self.session = session
        self.clock = clock
        self.policy = policy
        self.digests = DigestRepository(session)

    def due_week(self, user: User) -> str | None:
        """The week whose digest ``user`` gets now: the one before this week, once this
        week's Monday has reached the send time in their zone; ``None`` before that."""
        rep = RepRepository(self.session).get(user.rep_id or "")
        local = self.clock.now().astimezone(
            zone(rep.timezone if rep else self.policy.default_timezone)
        )
        monday = local.date() - timedelta(days=local.weekday())
        if local.replace(tzinfo=None) < datetime.combine(monday, self.policy.send_at):
            return None
        return weeks.week_of(monday - timedelta(days=7))

    def compose(self, user: User, week: str) -> DigestFigures:
        actor = Actor.of(user)
        policy = self.policy
        review = WeeklyReviewService(
            self.session,
            clock=self.clock,
            target_days=policy.target_days,
            grace=policy.grace,
            default_timezone=policy.default_timezone,
        ).review(actor, week=week)
        this = [rep.week for rep in review.reps]
        before = [w for rep in review.reps for w in rep.previous]
        spot, later = sum(w.on_the_spot for w in this), sum(w.booked_later for w in this)
        spot_before = sum(w.on_the_spot for w in before)
        known_before = spot_before + sum(w.booked_later for w in before)
        held = sum(w.second_meetings_held for w in this)
        within = held - sum(w.gaps_beyond_target for w in this)
        scope = resolve_scope(self.session, actor)
        now = self.clock.now()
        coming = self.digests.second_meetings_unprepared(
            scope.owner_ids, since=now, until=now + timedelta(days=7)
        )
        return DigestFigures(
            week=week,
            starts=review.starts.isoformat(),
            ends=review.ends.isoformat(),
            manager=user.name or user.email,
            on_the_spot=spot,
            booked_later=later,
            on_the_spot_rate=spot / (spot + later) if spot + later else None,
            booked_timing_unknown=sum(w.booked_timing_unknown for w in this),
            on_the_spot_rate_before=spot_before / known_before if known_before else None,
            second_meetings_held=held,
            within_target=within,
            within_target_rate=within / held if held else None,
            target_days=policy.target_days,
            coming_unprepared=len(coming),
            coming_without_agenda=sum(1 for *_, agenda, _h in coming if not agenda),
            coming_without_homework=sum(1 for *_, homework in coming if not homework),
            no_shows_to_rebook=self.digests.no_shows_to_rebook(scope.owner_ids),
            review_url=review_link(policy.public_url, week),
            reps=[
                DigestRep(
                    rep_id=rep.rep_id,
                    name=rep.name,
                    first_meetings=rep.week.first_meetings,
                    on_the_spot=rep.week.on_the_spot,
                    not_booked=rep.week.not_booked,
                    no_shows=rep.week.no_shows,
                )
                for rep in review.reps
                if rep.week.first_meetings or rep.week.no_shows
            ],
        )

    def queue_due(self) -> int:
        """Queue every digest that is due and not queued yet; how many managers got one."""
        queued = 0
        for user in self.digests.managers():
            week = self.due_week(user)
            if week is None or self.digests.recorded(user.id, week) is not None:
                continue
            figures = self.compose(user, week)
            if self.queue(user, figures):
                queued += 1
        return queued

    def queue(self, user: User, figures: DigestFigures) -> bool:
        """Record and queue one digest; False when it already was (by another worker)."""
        payload = figures.model_dump(mode="json")
        now = self.clock.now()
        if not self.digests.record(user_id=user.id, week=figures.week, figures=payload, now=now):
            return False
        channels = [Channel.EMAIL, *([Channel.SLACK] if self.policy.slack else [])]
        OutboxService(self.session, clock=self.clock).enqueue_once(
            [
                {
                    "key": message_key(figures.week, user.id, channel),
                    "channel": channel,
                    "kind": MessageKind.DIGEST,
                    "recipients": [user.email] if channel is Channel.EMAIL else [],
                    "payload": {"user_id": user.id, **payload},
                }
                for channel in channels
            ]
        )
        log.info("digest of %s queued for %s", figures.week, user.email)
        return True
