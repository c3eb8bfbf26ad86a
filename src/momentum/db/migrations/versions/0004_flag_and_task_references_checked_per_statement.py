"""flags and tasks: their references checked once per statement on PostgreSQL

A first evaluation of a pipeline inserts flags and tasks by the hundred thousand, and a
foreign key checks each row on its own: one query per row and reference, more than half of
the insert (100,000 open deals: 2.3 s of inserts, 1.0 s without the checks). Here the three
references of those tables (``flag.deal_id`` and ``task.deal_id`` to ``deal``, ``task.owner_id``
to ``rep``) are kept by triggers instead, which check a whole statement's rows with one
query: an insert that names a missing deal or rep fails as a foreign key does (SQLSTATE
23503), deleting deals deletes their flags and tasks, a rep with tasks cannot be deleted, and
an id that is referred to cannot change, and truncating deals or reps takes the flags and
tasks that refer to them along.

Concurrency, as a foreign key has it with row locks: the statement that writes references
holds ``ROW SHARE`` on the referenced table until it commits, and deleting (or renumbering)
referenced rows first takes ``EXCLUSIVE`` there, which waits for those writers and holds off
new ones; each side then looks with a fresh snapshot (READ COMMITTED, what Momentum runs), so
a reference and the deletion of what it names can never both commit.

SQLite keeps its foreign keys: its checks are cheap (no query per row) and it has one writer.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 13:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, referenced table, on delete, the foreign key it replaces)
REFERENCES = (
    ("flag", "deal_id", "deal", "CASCADE", "fk_flag_deal_id_deal"),
    ("task", "deal_id", "deal", "CASCADE", "fk_task_deal_id_deal"),
    ("task", "owner_id", "rep", "NO ACTION", "fk_task_owner_id_rep"),
)

CHECK_REFERENCES = """
CREATE FUNCTION momentum_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
-- After rows of TG_TABLE_NAME got a value in column TG_ARGV[1]: each names a row of
-- TG_ARGV[0] (by id). A statement's rows are in the transition table "written"; a row
-- trigger checks NEW.
DECLARE
    referenced text := TG_ARGV[0];
    referring text := TG_ARGV[1];
    missing text;
BEGIN
    -- Held to the commit: deleting referenced rows waits for this transaction.
    EXECUTE format('LOCK TABLE %I IN ROW SHARE MODE', referenced);
    IF TG_LEVEL = 'ROW' THEN
        EXECUTE format(
            'SELECT v FROM (SELECT $1 ->> %L AS v) r '
            'WHERE v IS NOT NULL AND NOT EXISTS (SELECT FROM %I p WHERE p.id = r.v)',
            referring, referenced
        ) INTO missing USING to_jsonb(NEW);
    ELSE
        EXECUTE format(
            'SELECT v FROM (SELECT DISTINCT %I AS v FROM written) r '
            'WHERE v IS NOT NULL AND NOT EXISTS (SELECT FROM %I p WHERE p.id = r.v) LIMIT 1',
            referring, referenced
        ) INTO missing;
    END IF;
    IF missing IS NOT NULL THEN
        RAISE foreign_key_violation USING
            MESSAGE = format(
                'insert or update on table "%s" violates its reference to "%s": '
                'there is no %s with id %L', TG_TABLE_NAME, referenced, referenced, missing
            ),
            DETAIL = format('Key (%s)=(%s) is not present in table "%s".',
                            referring, missing, referenced),
            TABLE = TG_TABLE_NAME, COLUMN = referring;
    END IF;
    RETURN NULL;
END $$
"""

REFERENCED_ROWS_GONE = """
CREATE FUNCTION momentum_referenced_rows_gone() RETURNS trigger LANGUAGE plpgsql AS $$
-- After rows of TG_TABLE_NAME were deleted (statement: the transition table "gone") or one
-- had its id changed (row: OLD): for each (table, column, on delete) triple in TG_ARGV, the
-- rows referring to them are deleted (CASCADE) or the change fails (NO ACTION).
DECLARE
    i int := 0;
    referring_table text;
    referring text;
    on_delete text;
    found_id text;
BEGIN
    -- Waits for the writers of references to commit, and holds off new ones until this does.
    EXECUTE format('LOCK TABLE %I IN EXCLUSIVE MODE', TG_TABLE_NAME);
    WHILE i < TG_NARGS LOOP
        referring_table := TG_ARGV[i];
        referring := TG_ARGV[i + 1];
        on_delete := TG_ARGV[i + 2];
        i := i + 3;
        IF TG_LEVEL = 'ROW' THEN
            EXECUTE format('SELECT %1$I FROM %2$I WHERE %1$I = $1 LIMIT 1',
                           referring, referring_table)
                INTO found_id USING OLD.id;
        ELSIF on_delete = 'CASCADE' THEN
            EXECUTE format('DELETE FROM %2$I WHERE %1$I IN (SELECT id FROM gone)',
                           referring, referring_table);
            CONTINUE;
        ELSE
            EXECUTE format('SELECT %1$I FROM %2$I WHERE %1$I IN (SELECT id FROM gone) LIMIT 1',
                           referring, referring_table)
                INTO found_id;
        END IF;
        IF found_id IS NOT NULL THEN
            RAISE foreign_key_violation USING
                MESSAGE = format(
                    'update or delete on table "%s" violates the reference from "%s": '
                    '%s %L is still referred to', TG_TABLE_NAME, referring_table,
                    TG_TABLE_NAME, found_id
                ),
                DETAIL = format('Key (id)=(%s) is still referenced from table "%s".',
                                found_id, referring_table),
                TABLE = TG_TABLE_NAME;
        END IF;
    END LOOP;
    RETURN NULL;
END $$
"""

REFERENCED_TABLE_TRUNCATED = """
CREATE FUNCTION momentum_referenced_table_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
-- Before TG_TABLE_NAME is truncated: the rows referring to it go, for each (table, column)
-- pair in TG_ARGV. (Deleted, not truncated: a TRUNCATE here would clash with the one that
-- fired it, which may truncate the same tables.)
DECLARE
    i int := 0;
BEGIN
    WHILE i < TG_NARGS LOOP
        EXECUTE format('DELETE FROM %I WHERE %I IS NOT NULL', TG_ARGV[i], TG_ARGV[i + 1]);
        i := i + 2;
    END LOOP;
    RETURN NULL;
END $$
"""


def _referring(table: str) -> list[tuple[str, str, str]]:
    return [(t, c, d) for t, c, r, d, _ in REFERENCES if r == table]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for function in (CHECK_REFERENCES, REFERENCED_ROWS_GONE, REFERENCED_TABLE_TRUNCATED):
        op.execute(function)
    for table, column, referenced, _, foreign_key in REFERENCES:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {foreign_key}")
        arguments = f"'{referenced}', '{column}'"
        op.execute(
            f"CREATE TRIGGER {table}_{column}_inserted AFTER INSERT ON {table} "
            "REFERENCING NEW TABLE AS written FOR EACH STATEMENT "
            f"EXECUTE FUNCTION momentum_check_references({arguments})"
        )
        op.execute(
            f"CREATE TRIGGER {table}_{column}_changed AFTER UPDATE OF {column} ON {table} "
            f"FOR EACH ROW WHEN (OLD.{column} IS DISTINCT FROM NEW.{column}) "
            f"EXECUTE FUNCTION momentum_check_references({arguments})"
        )
    for referenced in sorted({r for _, _, r, _, _ in REFERENCES}):
        triples = _referring(referenced)
        arguments = ", ".join(f"'{part}'" for triple in triples for part in triple)
        op.execute(
            f"CREATE TRIGGER {referenced}_referred_deleted AFTER DELETE ON {referenced} "
            "REFERENCING OLD TABLE AS gone FOR EACH STATEMENT "
            f"EXECUTE FUNCTION momentum_referenced_rows_gone({arguments})"
        )
        op.execute(
            f"CREATE TRIGGER {referenced}_referred_id_changed AFTER UPDATE OF id ON {referenced} "
            "FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) "
            f"EXECUTE FUNCTION momentum_referenced_rows_gone({arguments})"
        )
        pairs = ", ".join(f"'{part}'" for t, c, _ in triples for part in (t, c))
        op.execute(
            f"CREATE TRIGGER {referenced}_referred_truncated BEFORE TRUNCATE ON {referenced} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION momentum_referenced_table_truncated({pairs})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for referenced in sorted({r for _, _, r, _, _ in REFERENCES}):
        for trigger in ("deleted", "id_changed", "truncated"):
            op.execute(f"DROP TRIGGER {referenced}_referred_{trigger} ON {referenced}")
    for table, column, referenced, on_delete, foreign_key in REFERENCES:
        op.execute(f"DROP TRIGGER {table}_{column}_inserted ON {table}")
        op.execute(f"DROP TRIGGER {table}_{column}_changed ON {table}")
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {foreign_key} FOREIGN KEY ({column}) "
            f"REFERENCES {referenced} (id) ON DELETE {on_delete}"
        )
    for function in (
        "momentum_check_references",
        "momentum_referenced_rows_gone",
        "momentum_referenced_table_truncated",
    ):
        op.execute(f"DROP FUNCTION {function}()")
