"""value-asset versions: every edit of a value asset keeps the previous version

``value_asset_version`` holds each version of each asset (number 1 is the asset as it was
added); ``value_asset`` keeps its newest version's text. Reminders and next steps record the
version they used (``value_asset_version_id``, a plain number like ``playbook_revision``, so
neither table is rebuilt on SQLite). Existing assets get their version 1 from their current
text, and the reminders and next steps that carry one record it: assets could not be edited
before this revision, so that is the text they used.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 01:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import momentum.db.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_USERS = ("reminder", "next_step")


def upgrade() -> None:
    op.create_table(
        "value_asset_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "insight",
                "article",
                "data_point",
                "case_study",
                "roi_model",
                name="value_asset_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("tags", sa.String(), nullable=True),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", momentum.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["value_asset.id"],
            name=op.f("fk_value_asset_version_asset_id_value_asset"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["user_account.id"],
            name=op.f("fk_value_asset_version_author_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_value_asset_version")),
        sa.UniqueConstraint("asset_id", "number", name=op.f("uq_value_asset_version_asset_id")),
    )
    op.create_index(
        op.f("ix_value_asset_version_asset_id"), "value_asset_version", ["asset_id"], unique=False
    )
    op.execute(
        "INSERT INTO value_asset_version "
        "(asset_id, number, title, kind, summary, url, tags, author_user_id, created_at) "
        "SELECT id, 1, title, kind, summary, url, tags, NULL, created_at FROM value_asset "
        "ORDER BY id"
    )
    for table in _USERS:
        op.add_column(table, sa.Column("value_asset_version_id", sa.Integer(), nullable=True))
        op.execute(
            f"UPDATE {table} SET value_asset_version_id = (SELECT v.id FROM value_asset_version v "
            f"WHERE v.asset_id = {table}.value_asset_id AND v.number = 1) "
            "WHERE value_asset_id IS NOT NULL"
        )
    op.create_index(
        op.f("ix_reminder_value_asset_version_id"),
        "reminder",
        ["value_asset_version_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_reminder_value_asset_version_id"), table_name="reminder")
    for table in _USERS:
        op.drop_column(table, "value_asset_version_id")
    op.drop_index(op.f("ix_value_asset_version_asset_id"), table_name="value_asset_version")
    op.drop_table("value_asset_version")
