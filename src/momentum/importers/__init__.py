"""Importers: one module per source format, each producing the canonical model.

``open_reader`` picks the reader for a format; every reader validates as it reads, logs
problems with file, row and column, and hands back canonical frames in batches.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

import polars as pl

from momentum.canonical import Dataset
from momentum.errors import InputError
from momentum.importers.canonical import CanonicalFiles, CanonicalReader, KnownEntities, ReadOptions
from momentum.importers.problems import ProblemLog

FORMATS = ("momentum",)


class Reader(Protocol):
    format: str
    problems: ProblemLog
    present: dict[str, set[str]]
    implied_reps: pl.DataFrame
    notes: list[str]

    def reps(self) -> pl.DataFrame: ...
    def deals(self) -> Iterator[pl.DataFrame]: ...
    def meetings(self) -> Iterator[pl.DataFrame]: ...
    def finish(self) -> None: ...
    def read_all(self) -> Dataset: ...


def open_reader(
    paths: Sequence[Path],
    *,
    format: str | None,
    options: ReadOptions,
    problems: ProblemLog,
    known: KnownEntities | None = None,
) -> Reader:
    """The reader for ``format`` over ``paths``; raises ``ValidationFailed`` if the files
    cannot even be told apart."""
    chosen = format or "momentum"
    if chosen not in FORMATS:
        raise InputError(f"unknown format {chosen!r}; expected one of {', '.join(FORMATS)}")
    files = CanonicalFiles.find(paths, problems)
    problems.raise_if_any()
    return CanonicalReader(files, options=options, problems=problems, known=known)


__all__ = ["FORMATS", "KnownEntities", "ProblemLog", "ReadOptions", "Reader", "open_reader"]
