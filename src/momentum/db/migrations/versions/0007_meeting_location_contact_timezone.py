"""where a meeting happens, and a buyer contact's time zone

``meeting.location`` (a place or a call link) goes into the invitation as LOCATION;
``contact.timezone`` (an IANA name) is the zone buyer e-mails give times in, where known.

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-05 08:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meeting") as batch:
        batch.add_column(sa.Column("location", sa.String(length=500), nullable=True))
    with op.batch_alter_table("contact") as batch:
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contact") as batch:
        batch.drop_column("timezone")
    with op.batch_alter_table("meeting") as batch:
        batch.drop_column("location")
