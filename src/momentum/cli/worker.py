"""``momentum worker``: the rules and reminder dispatcher, in the foreground."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from momentum.cli import engine as engine_commands
from momentum.cli.common import app_errors, console, errors, load_settings, open_store


def register(app: typer.Typer) -> None:
    """``momentum worker`` and the engine's command groups (rules, outbox, meeting, assets)."""
    engine_commands.register(app)

    @app.command("worker")
    def worker_command(
        once: Annotated[
            bool,
            typer.Option("--once", help="Send everything due now, run one rule sweep, and exit."),
        ] = False,
        poll: Annotated[
            float | None,
            typer.Option(
                "--poll",
                min=0.01,
                help="Seconds between looks for due messages when idle "
                "(default: MOMENTUM_WORKER_POLL_SECONDS).",
                show_default=False,
            ),
        ] = None,
        worker_id: Annotated[
            str | None,
            typer.Option(
                "--worker-id",
                help="This worker's name on the messages it claims (default: host-pid). "
                "A worker restarted under the same name takes its claims back at once.",
                show_default=False,
            ),
        ] = None,
        sweep: Annotated[
            bool,
            typer.Option(
                "--sweep/--no-sweep",
                help="Also evaluate every open deal's rules on a schedule "
                "(every MOMENTUM_WORKER_SWEEP_SECONDS).",
            ),
        ] = True,
    ) -> None:
        """Send due invitations, reminders and alerts from the outbox, and evaluate the rules
        on a schedule. Several workers may share a PostgreSQL store. SIGTERM or Ctrl-C stops
        it cleanly: the message in hand is finished, the rest of the claimed batch is handed
        back for another worker at once, and it exits 0; a second signal stops it at once
        (the message in hand may then be sent again, under the same Message-ID)."""
        from momentum.runtime import Engine

        stop = threading.Event()

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            errors.print(
                f"{signal.Signals(signum).name}: finishing the message in hand and handing "
                "the rest of the batch back (send it again to stop at once)"
            )
            stop.set()
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        with app_errors():
            settings = load_settings()
            engine = Engine(settings, database=open_store(settings, existing=True))
            dispatcher = engine.dispatcher(worker_id=worker_id)
            if not settings.smtp_configured:
                errors.print(
                    "no SMTP server is configured (MOMENTUM_SMTP_HOST, MOMENTUM_SMTP_PORT): "
                    f"emails go to {settings.smtp_host}:{settings.smtp_port}, and unless a mail "
                    "server listens there, each fails after its retries",
                    soft_wrap=True,
                )
            if once:
                if sweep:
                    report = engine.sweep(progress=engine_commands.show_rules_progress)
                    console.print(
                        f"rules: {engine_commands.counted(report.deals, 'open deal')} "
                        f"evaluated, {engine_commands.counted(report.flags_raised, 'flag')} "
                        f"raised, {report.flags_cleared:,} cleared, "
                        f"{engine_commands.counted(report.tasks_opened, 'task')} opened, "
                        f"{report.tasks_closed:,} closed"
                    )
                sent = dispatcher.drain(stop=stop)
                console.print(
                    f"dispatch: {sent.sent:,} sent, {sent.withdrawn:,} withdrawn, "
                    f"{sent.deferred:,} deferred, {sent.retrying:,} to retry, {sent.failed:,} failed"
                    + (f", {sent.released:,} handed back" if sent.released else "")
                )
                engine.close()
                return
            console.print(f"worker {dispatcher.worker_id} started")
            total = dispatcher.run(
                stop,
                poll_seconds=poll or settings.worker_poll_seconds,
                sweep=(lambda: engine.sweep(progress=engine_commands.show_rules_progress))
                if sweep
                else None,
                sweep_seconds=settings.worker_sweep_seconds,
            )
            console.print(
                f"worker {dispatcher.worker_id} stopped: {total.sent:,} sent, "
                f"{total.withdrawn:,} withdrawn, {total.failed:,} failed, "
                f"{total.released:,} handed back"
            )
            engine.close()
