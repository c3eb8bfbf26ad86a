"""The engine's real parts (SMTP, Slack receiver, fixed clock, engine factory) here too."""

from tests.engine.conftest import clock, make_engine, slack_receiver, smtp_server

__all__ = ["clock", "make_engine", "slack_receiver", "smtp_server"]
