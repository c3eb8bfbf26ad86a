"""``INSERT … ON CONFLICT DO NOTHING`` against a partial unique index, on both databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import FromClause, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_unless_open(session: Session, table: FromClause, open_when: str) -> Any:
    """An insert into ``table`` that skips rows conflicting on ``(deal_id, rule)`` among the
    rows where ``open_when`` holds (the partial unique index of flags and of tasks)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(
        index_elements=["deal_id", "rule"], index_where=text(open_when)
    )
