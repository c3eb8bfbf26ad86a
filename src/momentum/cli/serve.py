"""``momentum serve``: the web app and the API (and the dispatcher, unless ``--no-worker``)."""

from __future__ import annotations

import copy
from typing import Annotated, Any

import typer

from momentum.cli.common import app_errors, console, load_settings
from momentum.errors import ConfigurationError

# How long an idle connection stays open: longer than a proxy in front keeps its own (nginx's
# upstream keepalive_timeout and a cloud load balancer's idle timeout are 60 s), so that the
# proxy never sends a request on a connection this side is closing, which it answers with a
# 502; and long enough that a person reading a page finds the connection still open. uvicorn
# closes them after 5 s.
KEEP_ALIVE_SECONDS = 75


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve_command(
        host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8000,
        worker: Annotated[
            bool,
            typer.Option(
                "--worker/--no-worker",
                help="Also run the dispatcher and the rule sweep in this process.",
            ),
        ] = True,
        workers: Annotated[
            int,
            typer.Option(
                "--workers",
                min=1,
                max=64,
                help="Processes serving pages and the API (more than one needs --no-worker).",
            ),
        ] = 1,
    ) -> None:
        """Serve the web app and the API (/api/v1, described at /api/v1/openapi.json).
        Processes keep no state of their own (sessions live in the store), so several may
        serve one PostgreSQL store behind a proxy. Stop with Ctrl-C."""
        import uvicorn

        from momentum.web.app import create_app

        with app_errors():
            if workers > 1 and worker:
                raise ConfigurationError(
                    "--workers above 1 serves pages and the API only: add --no-worker and run "
                    "the dispatcher apart (momentum worker)"
                )
            settings = load_settings()
            console.print(
                f"Momentum on http://{host}:{port}/ "
                + ("with the dispatcher" if worker else "(no dispatcher)")
                + (f", {workers} processes" if workers > 1 else "")
            )
            options: dict[str, Any] = {
                "host": host,
                "port": port,
                "proxy_headers": True,
                "timeout_keep_alive": KEEP_ALIVE_SECONDS,
                "log_config": _log_config(),
            }
            if workers == 1:
                app = create_app(settings, run_worker=worker, read_frames_at_start=True)
                uvicorn.run(app, log_level="info", **options)
            else:  # each process builds its own app from the environment, as checked above
                uvicorn.run(
                    "momentum.web.app:app_from_environment",
                    factory=True,
                    workers=workers,
                    log_level="info",
                    **options,
                )


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, with Momentum's own messages (``momentum.*``: the dispatcher, the
    digest, the dashboard's read of the store) on its console too, from every process."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["momentum"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
