"""flags and tasks: their references checked once per statement on PostgreSQL

A first evaluation of a pipeline inserts flags and tasks by the hundred thousand, and a
foreign key checks each row on its own: one query per row and reference, more than half of
the insert (100,000 open deals: 2.3 s of inserts, 1.0 s without the checks). Here the three
references of those tables (``flag.deal_id`` and ``task.deal_id`` to ``deal``, ``task.owner_id``
to ``rep``) are kept by triggers instead, which check a whole statement's rows with one
query. What a foreign key does, they do: an insert or update that names a missing deal or rep
fails (SQLSTATE 23503); deleting deals deletes their flags and tasks; a rep with tasks cannot
be deleted; an id that is referred to cannot change; truncating deals (or reps) empties the
flags and tasks, as ``TRUNCATE … CASCADE`` would (a truncation that does not name them is not
refused, as it would be: it has to name meetings and the rest anyway).

Concurrency, as a foreign key has it: the statement that writes references locks the rows it
names ``FOR KEY SHARE`` (one query for all of them), so deleting or renumbering one of them
waits for that transaction and then sees its rows, and a reference to a row being deleted
waits for the deletion and then finds the row gone. The deleting side looks with a fresh
snapshot, so it runs under READ COMMITTED only (Momentum's isolation; it refuses otherwise,
where a foreign key would use a cross-check snapshot). The functions run as their owner with a
fixed ``search_path`` and schema-qualified names, as foreign-key checks run as the table's
owner: a role that may insert flags need not be able to lock deals.

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
REFERENCED = sorted({referenced for _, _, referenced, _, _ in REFERENCES})

CHECK_REFERENCES = """
CREATE FUNCTION momentum_check_references() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
-- After rows of TG_TABLE_NAME got a value in column TG_ARGV[1]: each names a row of
-- TG_ARGV[0] (by id), locked FOR KEY SHARE until the commit, as a foreign key locks it. A
-- statement's rows are in the transition table "written"; a row trigger checks NEW.
DECLARE
    referenced text := format('%I.%I', TG_TABLE_SCHEMA, TG_ARGV[0]);
    referring text := TG_ARGV[1];
    named bigint;
    locked bigint;
    missing text;
BEGIN
    IF TG_LEVEL = 'ROW' THEN
        missing := to_jsonb(NEW) ->> referring;
        IF missing IS NULL THEN
            RETURN NULL;
        END IF;
        EXECUTE format('SELECT count(*) FROM (SELECT FROM %s p WHERE p.id = $1 '
                       'FOR KEY SHARE OF p) l', referenced)
            INTO locked USING missing;
        named := 1;
    ELSE
        EXECUTE format('SELECT count(DISTINCT %I) FROM written', referring) INTO named;
        EXECUTE format('SELECT count(*) FROM (SELECT FROM %s p WHERE p.id IN '
                       '(SELECT %I FROM written) FOR KEY SHARE OF p) l', referenced, referring)
            INTO locked;
        IF locked < named THEN  -- which one: the error names it
            EXECUTE format('SELECT v FROM (SELECT DISTINCT %I AS v FROM written) r '
                           'WHERE v IS NOT NULL AND NOT EXISTS '
                           '(SELECT FROM %s p WHERE p.id = r.v) LIMIT 1', referring, referenced)
                INTO missing;
        END IF;
    END IF;
    IF locked < named THEN
        RAISE foreign_key_violation USING
            MESSAGE = format(
                'insert or update on table "%s" violates its reference to "%s": '
                'there is no %s with id %L', TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[0], missing
            ),
            DETAIL = format('Key (%s)=(%s) is not present in table "%s".',
                            referring, missing, TG_ARGV[0]),
            TABLE = TG_TABLE_NAME, COLUMN = referring;
    END IF;
    RETURN NULL;
END $$
"""

REFERENCED_ROWS_GONE = """
CREATE FUNCTION momentum_referenced_rows_gone() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
-- After rows of TG_TABLE_NAME were deleted (statement: the transition table "gone") or one
-- had its id changed (row: OLD): for each (table, column, on delete) triple in TG_ARGV, the
-- rows referring to them are deleted (CASCADE) or the change fails (NO ACTION). A writer of
-- references holds its rows FOR KEY SHARE, so this ran after it committed; the fresh
-- snapshot of READ COMMITTED sees what it wrote.
DECLARE
    i int := 0;
    referring_table text;
    referring text;
    on_delete text;
    found_id text;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE feature_not_supported USING MESSAGE = format(
            'deleting or renumbering rows of "%s" needs READ COMMITTED isolation: the flags '
            'and tasks that refer to them are found with a fresh snapshot', TG_TABLE_NAME);
    END IF;
    WHILE i < TG_NARGS LOOP
        referring_table := format('%I.%I', TG_TABLE_SCHEMA, TG_ARGV[i]);
        referring := TG_ARGV[i + 1];
        on_delete := TG_ARGV[i + 2];
        i := i + 3;
        IF TG_LEVEL = 'ROW' THEN
            EXECUTE format('SELECT %1$I FROM %2$s WHERE %1$I = $1 LIMIT 1',
                           referring, referring_table)
                INTO found_id USING OLD.id;
        ELSIF on_delete = 'CASCADE' THEN
            EXECUTE format('DELETE FROM %2$s WHERE %1$I IN (SELECT id FROM gone)',
                           referring, referring_table);
            CONTINUE;
        ELSE
            EXECUTE format('SELECT %1$I FROM %2$s WHERE %1$I IN (SELECT id FROM gone) LIMIT 1',
                           referring, referring_table)
                INTO found_id;
        END IF;
        IF found_id IS NOT NULL THEN
            RAISE foreign_key_violation USING
                MESSAGE = format(
                    'update or delete on table "%s" violates the reference from "%s": '
                    '%s %L is still referred to', TG_TABLE_NAME, TG_ARGV[i - 3],
                    TG_TABLE_NAME, found_id
                ),
                DETAIL = format('Key (id)=(%s) is still referenced from table "%s".',
                                found_id, TG_ARGV[i - 3]),
                TABLE = TG_TABLE_NAME;
        END IF;
    END LOOP;
    RETURN NULL;
END $$
"""

REFERENCED_TABLE_TRUNCATED = """
CREATE FUNCTION momentum_referenced_table_truncated() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
-- Before TG_TABLE_NAME is truncated: the tables in TG_ARGV that refer to it are emptied, as
-- TRUNCATE … CASCADE empties the tables whose foreign keys refer to a truncated one. (Rows are
-- deleted, not truncated: a TRUNCATE here would clash with the one that fired it, which may
-- truncate the same tables.)
DECLARE
    referring_table text;
BEGIN
    FOREACH referring_table IN ARRAY TG_ARGV LOOP
        EXECUTE format('DELETE FROM %I.%I', TG_TABLE_SCHEMA, referring_table);
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
    for referenced in REFERENCED:
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
        tables = ", ".join(f"'{t}'" for t in sorted({t for t, _, _ in triples}))
        op.execute(
            f"CREATE TRIGGER {referenced}_referred_truncated BEFORE TRUNCATE ON {referenced} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION momentum_referenced_table_truncated({tables})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, referenced, _, _ in REFERENCES:  # the triggers keep none; make sure
        orphan = op.get_bind().exec_driver_sql(
            f"SELECT {column} FROM {table} t WHERE {column} IS NOT NULL AND NOT EXISTS "
            f"(SELECT FROM {referenced} r WHERE r.id = t.{column}) LIMIT 1"
        )
        for (missing,) in orphan:
            raise RuntimeError(
                f"cannot go back to foreign keys: {table}.{column} refers to {missing!r}, "
                f"which is not in {referenced}"
            )
    for referenced in REFERENCED:
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
