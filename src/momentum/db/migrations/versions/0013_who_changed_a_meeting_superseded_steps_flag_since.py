"""who changed a meeting's status; superseded next steps; since when a flag's condition holds

``meeting_status_change.changed_by_user_id`` is the signed-in user who held, missed,
canceled, moved or booked the meeting (empty for imports, the command line, and every change
recorded before this revision). A plain number, like ``meeting.playbook_revision`` (users are
disabled, never deleted), so the table, as long as a store's meeting history, is not rebuilt
on SQLite.

``next_step.status`` may be ``superseded``: a newer next step was set on the deal while this
one was open (a deal has one next step). The column widens and its CHECK constraint is
replaced; on SQLite the table is rebuilt (it holds the next steps set in the app only).

``flag.condition_since`` is when the rule's condition began to hold, as the rule says (for
meeting two not booked: meeting one's end plus the grace), so a flag raised on imported
history shows its age from then rather than from the import. Empty for the flags raised
before this revision until the rules evaluate their deal again.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import momentum.db.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STEP_STATUS_CHECK = "ck_next_step_next_step_status"


def _step_statuses(*values: str) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    op.add_column(
        "meeting_status_change", sa.Column("changed_by_user_id", sa.Integer(), nullable=True)
    )
    with op.batch_alter_table("next_step") as batch:
        batch.drop_constraint(op.f(_STEP_STATUS_CHECK), type_="check")
        batch.alter_column("status", existing_type=sa.String(length=8), type_=sa.String(length=10))
        batch.create_check_constraint(
            op.f(_STEP_STATUS_CHECK), _step_statuses("open", "done", "canceled", "superseded")
        )
    op.add_column(
        "flag", sa.Column("condition_since", momentum.db.base.UTCDateTime(), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("flag") as batch:
        batch.drop_column("condition_since")
    # before this revision a replaced step was closed as done, whatever it had been
    op.execute("UPDATE next_step SET status = 'done' WHERE status = 'superseded'")
    with op.batch_alter_table("next_step") as batch:
        batch.drop_constraint(op.f(_STEP_STATUS_CHECK), type_="check")
        batch.alter_column("status", existing_type=sa.String(length=10), type_=sa.String(length=8))
        batch.create_check_constraint(
            op.f(_STEP_STATUS_CHECK), _step_statuses("open", "done", "canceled")
        )
    with op.batch_alter_table("meeting_status_change") as batch:
        batch.drop_column("changed_by_user_id")
