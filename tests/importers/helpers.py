from __future__ import annotations

from pathlib import Path

import pytest

from momentum.canonical import Dataset
from momentum.errors import ValidationFailed
from momentum.importers import open_reader
from momentum.importers.canonical import ReadOptions
from momentum.importers.problems import ProblemLog

REPS = "rep_id,name,timezone,country\nr1,Ann,America/New_York,US\nr2,Bo,Europe/Berlin,DE\n"
DEALS = "deal_id,owner_id,outcome,closed_at\nd1,r1,won,2026-03-20\nd2,r2,open,\n"


def read(paths: Path | list[Path], **options: object) -> Dataset:
    paths = paths if isinstance(paths, list) else [paths]
    problems = ProblemLog()
    reader = open_reader(
        paths,
        format="momentum",
        options=ReadOptions(**options),  # type: ignore[arg-type]
        problems=problems,
    )
    return reader.read_all()


def problems_of(paths: Path | list[Path], **options: object) -> list[str]:
    with pytest.raises(ValidationFailed) as failure:
        read(paths, **options)
    return [str(problem) for problem in failure.value.problems]
