"""Alembic, driven from code: the migrations ship inside the package.

Opening a store checks its revision in a read transaction and upgrades only when it is
behind, so a command on an up-to-date store never waits for another's write lock. The
upgrade itself is serialised between processes: on SQLite it runs in a ``BEGIN IMMEDIATE``
transaction (the write lock, taken before anything is read, so four commands started at once
on a new store queue for it, and each after the first finds the schema made); on PostgreSQL
under a transaction-level advisory lock. Either way each then re-reads the revision.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).parent / "migrations"
_PG_MIGRATION_LOCK = 7_213_841_202  # any constant; serialises concurrent upgrades


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        # the ini-style config reads "%" as interpolation: a URL may hold one (an escaped
        # password, "options=-c%20lock_timeout%3D500")
        url = engine.url.render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(engine: Engine) -> None:
    config = alembic_config(engine)
    if current_revision(engine) == ScriptDirectory.from_config(config).get_current_head():
        return
    with engine.connect() as connection:
        # BEGIN IMMEDIATE on SQLite (db.engine's begin hook)
        connection.execution_options(momentum_write=True)
        with connection.begin():
            if engine.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
