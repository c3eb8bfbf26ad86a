"""meetings by status and start: the scheduled meetings that await an outcome

Today counts and lists the scheduled meetings that have started (their outcome is not
recorded yet); without this index PostgreSQL reads every meeting to find the few.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 01:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_meeting_status_start_at", "meeting", ["status", "start_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_meeting_status_start_at", table_name="meeting")
