"""The engine's real parts (fixed clock, loopback SMTP, engine factory) for the schedule's
services."""

from tests.engine.conftest import clock, make_engine, smtp_server

__all__ = ["clock", "make_engine", "smtp_server"]
