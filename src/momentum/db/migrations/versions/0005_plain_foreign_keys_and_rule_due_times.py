"""plain foreign keys for flags and tasks; when each deal's rules are next due

PostgreSQL gets back the three foreign keys migration 0004 replaced with triggers
(``flag.deal_id`` and ``task.deal_id`` to ``deal``, deleting a deal deletes its flags and
tasks; ``task.owner_id`` to ``rep``), so both databases keep references the same way.

Every deal gets ``rules_due_at`` (when the passing of time alone may next change what the
rules find on it; empty when nothing will) and ``rules_seen_at`` (the latest change to the
deal, its meetings or its owner that the last evaluation saw; empty: never evaluated). The
worker's sweep re-evaluates only the deals that fell due or changed since.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 08:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from momentum.db.base import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, referenced table, on delete, constraint)
REFERENCES = (
    ("flag", "deal_id", "deal", "CASCADE", "fk_flag_deal_id_deal"),
    ("task", "deal_id", "deal", "CASCADE", "fk_task_deal_id_deal"),
    ("task", "owner_id", "rep", "NO ACTION", "fk_task_owner_id_rep"),
)


def upgrade() -> None:
    op.add_column("deal", sa.Column("rules_due_at", UTCDateTime(), nullable=True))
    op.add_column("deal", sa.Column("rules_seen_at", UTCDateTime(), nullable=True))
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite kept its foreign keys
    for referenced in ("deal", "rep"):
        for trigger in ("deleted", "id_changed", "truncated"):
            op.execute(f"DROP TRIGGER {referenced}_referred_{trigger} ON {referenced}")
    for table, column, referenced, on_delete, constraint in REFERENCES:
        op.execute(f"DROP TRIGGER {table}_{column}_inserted ON {table}")
        op.execute(f"DROP TRIGGER {table}_{column}_changed ON {table}")
        op.create_foreign_key(constraint, table, referenced, [column], ["id"], ondelete=on_delete)
    for function in (
        "momentum_check_references",
        "momentum_referenced_rows_gone",
        "momentum_referenced_table_truncated",
    ):
        op.execute(f"DROP FUNCTION {function}()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Migration 0004's upgrade drops these foreign keys and makes its triggers again.
        context.script.get_revision("0004").module.upgrade()
    with op.batch_alter_table("deal") as deal:
        deal.drop_column("rules_seen_at")
        deal.drop_column("rules_due_at")
