"""``momentum serve``: the web app and the API (and the dispatcher, unless ``--no-worker``)."""

from __future__ import annotations

from typing import Annotated

import typer

from momentum.cli.common import app_errors, console, load_settings


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
    ) -> None:
        """Serve the web app and the API (/api/v1, described at /api/v1/openapi.json).
        Processes keep no state of their own (sessions live in the store), so several may
        serve one PostgreSQL store behind a proxy. Stop with Ctrl-C."""
        import uvicorn

        from momentum.web.app import create_app

        with app_errors():
            settings = load_settings()
            web_app = create_app(settings, run_worker=worker)
            console.print(
                f"Momentum on http://{host}:{port}/ "
                + ("with the dispatcher" if worker else "(no dispatcher)")
            )
            uvicorn.run(web_app, host=host, port=port, log_level="info", proxy_headers=True)
