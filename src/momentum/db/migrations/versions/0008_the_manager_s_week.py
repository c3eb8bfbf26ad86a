"""the manager's week: playbook versions, review commitments, coaching notes, digests

The playbook keeps every version of every entry (``playbook_entry``, ``playbook_version``);
meetings and reminders record the playbook's revision (its newest version id) when they were
booked or planned. The weekly review keeps each rep's commitments (``review_commitment``),
coaching its private notes (``coaching_note``), the Monday digest one row per manager and week
(``manager_digest``, unique), and the outbox learns the message kind ``digest``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 08:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import momentum.db.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS_BEFORE = ("invitation", "cancellation", "value_reminder", "confirmation", "alert")
_KINDS_AFTER = (*_KINDS_BEFORE, "digest")


def _kinds(values: Sequence[str]) -> str:
    return "kind IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def _message_kinds(values: Sequence[str]) -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_constraint(op.f("ck_outbox_message_message_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_outbox_message_message_kind"), _kinds(values))


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


def upgrade() -> None:
    op.create_table(
        "playbook_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            _enum("playbook_kind", "talk_track", "agenda_template", "homework_template"),
            nullable=False,
        ),
        sa.Column(
            "step",
            _enum(
                "playbook_step",
                "lock_in",
                "homework",
                "sell_the_meeting",
                "shorten_the_gap",
                "confirm_with_value",
            ),
            nullable=True,
        ),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("created_at", momentum.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_entry")),
    )
    op.create_table(
        "playbook_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", momentum.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["user_account.id"],
            name=op.f("fk_playbook_version_author_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["playbook_entry.id"],
            name=op.f("fk_playbook_version_entry_id_playbook_entry"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_version")),
        sa.UniqueConstraint("entry_id", "number", name=op.f("uq_playbook_version_entry_id")),
    )
    op.create_index(
        op.f("ix_playbook_version_entry_id"), "playbook_version", ["entry_id"], unique=False
    )
    op.create_table(
        "review_commitment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rep_id", momentum.db.base.key_text(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column(
            "metric",
            _enum(
                "commitment_metric",
                "on_the_spot_rate",
                "not_booked",
                "gaps_beyond_target",
                "no_shows",
                "slipped",
            ),
            nullable=True,
        ),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("kept", sa.Boolean(), nullable=True),
        sa.Column("made_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", momentum.db.base.UTCDateTime(), nullable=False),
        sa.Column("checked_at", momentum.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["made_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_review_commitment_made_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rep_id"],
            ["rep.id"],
            name=op.f("fk_review_commitment_rep_id_rep"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_commitment")),
    )
    op.create_index(
        op.f("ix_review_commitment_rep_id"), "review_commitment", ["rep_id"], unique=False
    )
    op.create_index(op.f("ix_review_commitment_week"), "review_commitment", ["week"], unique=False)
    op.create_table(
        "coaching_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rep_id", momentum.db.base.key_text(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("created_at", momentum.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["user_account.id"],
            name=op.f("fk_coaching_note_author_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["rep.id"], name=op.f("fk_coaching_note_rep_id_rep"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_note")),
    )
    op.create_index(op.f("ix_coaching_note_rep_id"), "coaching_note", ["rep_id"], unique=False)
    op.create_table(
        "manager_digest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("created_at", momentum.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_manager_digest_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manager_digest")),
        sa.UniqueConstraint("user_id", "week", name=op.f("uq_manager_digest_user_id")),
    )
    op.add_column("meeting", sa.Column("playbook_revision", sa.Integer(), nullable=True))
    op.add_column("reminder", sa.Column("playbook_revision", sa.Integer(), nullable=True))
    _message_kinds(_KINDS_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM outbox_message WHERE kind = 'digest'")
    _message_kinds(_KINDS_BEFORE)
    with op.batch_alter_table("reminder") as batch:
        batch.drop_column("playbook_revision")
    with op.batch_alter_table("meeting") as batch:
        batch.drop_column("playbook_revision")
    op.drop_table("manager_digest")
    op.drop_index(op.f("ix_coaching_note_rep_id"), table_name="coaching_note")
    op.drop_table("coaching_note")
    op.drop_index(op.f("ix_review_commitment_week"), table_name="review_commitment")
    op.drop_index(op.f("ix_review_commitment_rep_id"), table_name="review_commitment")
    op.drop_table("review_commitment")
    op.drop_index(op.f("ix_playbook_version_entry_id"), table_name="playbook_version")
    op.drop_table("playbook_version")
    op.drop_table("playbook_entry")
