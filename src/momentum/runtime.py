"""The engine put together from the settings: the store, the rules hooked into every unit of
work, the services with the configured policies, and dispatchers.

``momentum worker`` and ``momentum serve`` build one :class:`Engine` and use it; tests build
one with a fixed clock and their own channels.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy.orm import Session

from momentum.clock import Clock, SystemClock
from momentum.config import Settings
from momentum.db.engine import Database
from momentum.deal.service import DealService
from momentum.digest.service import DigestPolicy, DigestService
from momentum.dispatch.channels.base import Sender
from momentum.dispatch.channels.slack import SlackSender
from momentum.dispatch.channels.smtp import SmtpSender
from momentum.dispatch.compose import Composer
from momentum.dispatch.dispatcher import BackgroundDispatcher, Dispatcher, RetryPolicy
from momentum.dispatch.templates import Templates
from momentum.meeting.service import MeetingService
from momentum.next_step.service import NextStepService
from momentum.outbox.models import Channel
from momentum.rules.config import EngineConfig, LoadedRules, load_rules, read_config
from momentum.rules.engine import EvaluationReport, RuleEngine
from momentum.task.service import TaskService


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Engine:
    def __init__(
        self,
        settings: Settings,
        *,
        database: Database | None = None,
        clock: Clock | None = None,
        config: EngineConfig | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.database = database or Database(settings.database_url)
        self.config = config or read_config(settings.rules_file, settings)
        self.rules: LoadedRules = load_rules(self.config)
        self.rule_engine = RuleEngine(
            self.rules, clock=self.clock, slack_enabled=settings.slack_webhook_url is not None
        )
        self.rule_engine.attach(self.database)
        self.templates = Templates(settings.templates_dir)

    # --- services, bound to one unit of work ---------------------------------------------

    def next_steps(self, session: Session) -> NextStepService:
        return NextStepService(
            session,
            clock=self.clock,
            reminder_policy=self.config.reminders,
            calendar_policy=self.config.calendar,
        )

    def meetings(self, session: Session) -> MeetingService:
        return MeetingService(
            session,
            clock=self.clock,
            reminder_policy=self.config.reminders,
            calendar_policy=self.config.calendar,
        )

    def deals(self, session: Session) -> DealService:
        return DealService(session, clock=self.clock)

    def tasks(self, session: Session) -> TaskService:
        return TaskService(session, clock=self.clock)

    # --- rules ----------------------------------------------------------------------------

    def sweep(self) -> EvaluationReport:
        """Evaluate every open deal and queue due-task alerts, in one unit of work; then queue
        the Monday digests that are due, in another."""
        with self.database.unit_of_work() as session:
            report = self.rule_engine.sweep(session)
        self.queue_digests()
        return report

    def digest_policy(self) -> DigestPolicy:
        settings = self.settings
        return DigestPolicy(
            send_at=settings.digest_send_at,
            public_url=settings.public_url,
            slack=settings.slack_webhook_url is not None,
            target_days=settings.target_business_days,
            grace=timedelta(minutes=settings.on_the_spot_grace_minutes),
            default_timezone=settings.default_timezone,
        )

    def queue_digests(self) -> int:
        """Queue each manager's Monday digest once it is due (and only once)."""
        with self.database.unit_of_work() as session:
            return DigestService(session, clock=self.clock, policy=self.digest_policy()).queue_due()

    # --- dispatch -------------------------------------------------------------------------

    def channels(self) -> dict[Channel, Sender]:
        settings = self.settings
        channels: dict[Channel, Sender] = {
            Channel.EMAIL: SmtpSender(
                host=settings.smtp_host,
                port=settings.smtp_port,
                starttls=settings.smtp_starttls,
                username=settings.smtp_username,
                password=(
                    settings.smtp_password.get_secret_value() if settings.smtp_password else None
                ),
                timeout=settings.smtp_timeout_seconds,
            )
        }
        if settings.slack_webhook_url is not None:
            channels[Channel.SLACK] = SlackSender(
                webhook_url=settings.slack_webhook_url.get_secret_value(),
                timeout=settings.slack_timeout_seconds,
            )
        return channels

    def dispatcher(
        self, *, worker_id: str | None = None, channels: Mapping[Channel, Sender] | None = None
    ) -> Dispatcher:
        settings = self.settings
        return Dispatcher(
            database=self.database,
            composer=Composer(
                templates=self.templates,
                mail_from=settings.mail_from,
                clock=self.clock,
                reminder_policy=self.config.reminders,
                calendar_policy=self.config.calendar,
            ),
            channels=channels if channels is not None else self.channels(),
            clock=self.clock,
            worker_id=worker_id or default_worker_id(),
            lease=timedelta(seconds=settings.worker_lease_seconds),
            batch_size=settings.worker_batch_size,
            retry=RetryPolicy(
                max_attempts=settings.worker_max_attempts,
                first_delay=timedelta(seconds=settings.worker_retry_seconds),
            ),
        )

    def start_background_dispatcher(
        self, *, worker_id: str | None = None, sweep: bool = True
    ) -> BackgroundDispatcher:
        """A dispatcher (and the scheduled rule sweep) on a background thread, for
        ``momentum serve``; call ``.stop()`` on shutdown."""
        return BackgroundDispatcher(
            self.dispatcher(worker_id=worker_id),
            poll_seconds=self.settings.worker_poll_seconds,
            sweep=self.sweep if sweep else None,
            sweep_seconds=self.settings.worker_sweep_seconds,
        ).start()

    def close(self) -> None:
        self.database.dispose()
