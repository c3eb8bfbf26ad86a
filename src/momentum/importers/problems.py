"""Collecting what is wrong with input files, in file order, without keeping millions of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from momentum.errors import Problem, ValidationFailed


class ProblemLog:
    """Every problem is counted; the first ``keep`` (by file, then row) are kept to show."""

    def __init__(self, keep: int = 50) -> None:
        self.keep = keep
        self.total = 0
        self._files: dict[str, int] = {}
        self._kept: list[tuple[int, int, str, Problem]] = []
        # Files of a folder that were skipped: told with the problems, which they may explain
        # (a deals.csv skipped as UTF-16 makes every meeting's deal unknown).
        self.skipped: list[str] = []
        # Values a problem already named, by file (``_row``, ``value``): a later check that
        # cannot read the same value in the same row has nothing to add (see :meth:`explain`).
        self._explained: dict[str, pl.DataFrame] = {}

    def __bool__(self) -> bool:
        return self.total > 0

    def __len__(self) -> int:
        return self.total

    def has_problems_in(self, file: str) -> bool:
        """Whether a problem was found in ``file`` (a label as problems name it)."""
        return file in self._files

    def _order(self, file: str) -> int:
        return self._files.setdefault(file, len(self._files))

    def add(self, problem: Problem) -> None:
        self.total += 1
        self._kept.append(
            (self._order(problem.file), problem.row or 0, problem.column or "", problem)
        )
        if len(self._kept) > 4 * self.keep:
            self._trim()

    def add_rows(
        self,
        file: str,
        frame: pl.DataFrame,
        mask: pl.Series | pl.Expr,
        column: str | None,
        reason: Callable[[dict[str, Any]], str],
        *,
        row_column: str = "_row",
        unless_explained: str | None = None,
    ) -> int:
        """Report every row of ``frame`` where ``mask`` holds; build messages for the first few.

        ``reason`` gets the row as a dict. With ``unless_explained`` (a column of ``frame``),
        a row whose value there was :meth:`explain`-ed for its row is not reported. Returns
        how many rows were reported.
        """
        bad = frame.filter(mask)
        if unless_explained is not None and file in self._explained and bad.height:
            bad = bad.join(
                self._explained[file],
                left_on=[pl.col(row_column).cast(pl.Int64), pl.col(unless_explained)],
                right_on=["_row", "value"],
                how="anti",
                maintain_order="left",
            )
        count = bad.height
        if count == 0:
            return 0
        self._order(file)
        for record in bad.head(self.keep).iter_rows(named=True):
            self._kept.append(
                (
                    self._files[file],
                    record[row_column],
                    column or "",
                    Problem(file, record[row_column], column, reason(record)),
                )
            )
        self.total += count
        self._trim()
        return count

    def explain(self, file: str, cells: pl.DataFrame) -> None:
        """Values of ``file`` (``_row``, ``value``) that a problem reported has named, such as
        a date written in the other order than the export's: a check that cannot read one of
        them in its row (``add_rows(…, unless_explained=…)``) does not report it again."""
        known = [self._explained[file]] if file in self._explained else []
        cells = cells.select(pl.col("_row").cast(pl.Int64), pl.col("value").cast(pl.String))
        self._explained[file] = pl.concat([*known, cells]).unique()

    def _trim(self) -> None:
        self._kept.sort(key=lambda item: item[:3])
        del self._kept[self.keep :]

    @property
    def shown(self) -> list[Problem]:
        self._trim()
        return [item[3] for item in self._kept]

    def raise_if_any(self) -> None:
        if self.total:
            raise ValidationFailed(self.shown, self.total, notes=self.skipped)
