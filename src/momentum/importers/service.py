"""``momentum import``: files in, one transaction, a summary out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from momentum.clock import Clock
from momentum.db.engine import Database
from momentum.importers import open_reader
from momentum.importers.canonical import ReadOptions
from momentum.importers.problems import ProblemLog
from momentum.importers.store import ImportSummary, StoreEntities, import_into_store


def import_files(
    database: Database,
    paths: Sequence[Path],
    *,
    format: str | None,
    options: ReadOptions,
    clock: Clock,
    on_progress: Callable[[str, int], None] | None = None,
) -> ImportSummary:
    """Validate and load ``paths`` into the store in one unit of work: every row, or none."""
    problems = ProblemLog()
    with database.unit_of_work() as session:
        reader = open_reader(
            paths, format=format, options=options, problems=problems, known=StoreEntities(session)
        )
        return import_into_store(
            session,
            reader,
            now=clock.now(),
            sources=[str(path) for path in paths],
            on_progress=on_progress,
        )
