"""deals' stage history: when each deal entered each stage

``deal_stage_entry`` holds what an import's stage history gives (HubSpot's "Date entered"
columns, Salesforce's OpportunityHistory, ``deal_stages.csv``); the audit's stage timeline
reads it. Deleting a deal deletes its entries.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import momentum.db.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deal_stage_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", momentum.db.base.key_text(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("entered_at", momentum.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deal.id"],
            name=op.f("fk_deal_stage_entry_deal_id_deal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_stage_entry")),
    )
    with op.batch_alter_table("deal_stage_entry") as batch:
        batch.create_index(batch.f("ix_deal_stage_entry_deal_id"), ["deal_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deal_stage_entry") as batch:
        batch.drop_index(batch.f("ix_deal_stage_entry_deal_id"))
    op.drop_table("deal_stage_entry")
