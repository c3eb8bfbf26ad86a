"""ids and rule keys compare byte by byte on PostgreSQL (collation "C")

Every id, every column referring to one, and the rule keys of flags and tasks: the order
SQLite and Python give them, and index lookups, joins and sorts without the language rules
of the database's default collation (see ``momentum.db.base.key_text``). SQLite compares
text byte by byte already: nothing changes there.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, length): the ids first, then the columns that refer to them.
COLUMNS = (
    ("rep", "id", 200),
    ("deal", "id", 200),
    ("meeting", "id", 200),
    ("rep", "manager_id", 200),
    ("deal", "owner_id", 200),
    ("user_account", "rep_id", 200),
    ("contact", "deal_id", 200),
    ("flag", "deal_id", 200),
    ("flag", "rule", 80),
    ("meeting", "deal_id", 200),
    ("meeting", "rescheduled_to_id", 200),
    ("task", "deal_id", 200),
    ("task", "owner_id", 200),
    ("task", "rule", 80),
    ("meeting_status_change", "meeting_id", 200),
    ("next_step", "deal_id", 200),
    ("next_step", "meeting_id", 200),
    ("reminder", "meeting_id", 200),
    ("outbox_message", "deal_id", 200),
    ("outbox_message", "meeting_id", 200),
)


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    tables: dict[str, list[str]] = {}
    for table, column, length in COLUMNS:
        tables.setdefault(table, []).append(
            f'ALTER COLUMN {column} TYPE VARCHAR({length}) COLLATE "{collation}"'
        )
    for table, changes in tables.items():  # one rewrite of each table's indexes
        op.execute(f'ALTER TABLE "{table}" ' + ", ".join(changes))


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate("default")
