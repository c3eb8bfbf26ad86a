"""rule options set in the app, and each rep's working hours

``rule_override`` holds an administrator's value for one option of one rule (who set it and
when); it takes precedence over the rules file and the environment. ``rep.work_start`` and
``rep.work_end`` are a rep's working day (local times) where set; the lock-in's suggested
slots fall inside it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 21:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import momentum.db.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rule_override",
        sa.Column("rule_key", momentum.db.base.key_text(80), nullable=False),
        sa.Column("option", sa.String(length=80), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("changed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", momentum.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_rule_override_changed_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("rule_key", "option", name=op.f("pk_rule_override")),
    )
    with op.batch_alter_table("rep") as batch:
        batch.add_column(sa.Column("work_start", sa.Time(), nullable=True))
        batch.add_column(sa.Column("work_end", sa.Time(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rep") as batch:
        batch.drop_column("work_end")
        batch.drop_column("work_start")
    op.drop_table("rule_override")
