"""Helpers for the preset tests: read a folder with a format (or none: detected)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from momentum.canonical import Dataset
from momentum.errors import ValidationFailed
from momentum.importers import open_reader
from momentum.importers.canonical import ReadOptions
from momentum.importers.problems import ProblemLog

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def read_format(
    paths: Path | list[Path], *, format: str | None = None, **options: object
) -> Dataset:
    paths = paths if isinstance(paths, list) else [paths]
    options.setdefault("now", NOW)
    reader = open_reader(
        paths,
        format=format,
        options=ReadOptions(**options),  # type: ignore[arg-type]
        problems=ProblemLog(),
    )
    return reader.read_all()


def problems_in(
    paths: Path | list[Path], *, format: str | None = None, **options: object
) -> list[str]:
    """The problems, each without the folder the test wrote its files into."""
    with pytest.raises(ValidationFailed) as failure:
        read_format(paths, format=format, **options)
    folder = (
        (paths[0] if isinstance(paths, list) else paths).parent
        if isinstance(paths, list)
        else paths
    )
    return [str(problem).replace(f"{folder}/", "") for problem in failure.value.problems]
