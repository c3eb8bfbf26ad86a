"""Looking up ids among millions, exactly and fast: sorted 64-bit hashes and a bucket table.

A Polars join builds a hash table of the smaller side each time it runs. Reading meetings in
batches, the reader asks "which deal, and whose?" of every batch: joined against four million
deals, each batch would rebuild or re-probe a table that big. :class:`KeyIndex` sorts the ids'
hashes once; a lookup then goes straight to the hash's bucket, and the id found is compared
with the id asked, so an answer never rests on a hash alone. Measured against a plain Polars
join on the ten-million-meeting audit, the index wins by a quarter end to end (docs/audit.md,
"Performance"), which is why it is kept.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

Hasher = Callable[[pl.Expr], pl.Expr]


def hash64(ids: pl.Expr) -> pl.Expr:
    return ids.hash()


class KeyIndex:
    """The rows of ``frame``, found by their distinct ``key``. ``hasher`` is for tests: one
    that makes ids collide shows that answers stay exact (lookups are then joins)."""

    def __init__(self, frame: pl.DataFrame, key: str, *, hasher: Hasher = hash64) -> None:
        self.key = key
        self._hasher = hasher
        # rows in hash order: where a hash is found is where its row is
        self.frame = frame.with_columns(hasher(pl.col(key)).alias("_hash")).sort("_hash")
        self._hashes = self.frame["_hash"].to_numpy()
        self.frame = self.frame.drop("_hash")
        # Two ids with one hash cannot be told apart by their hash: join instead.
        self._searchable = not bool(np.any(self._hashes[1:] == self._hashes[:-1]))
        # where each bucket of hashes sharing their leading bits starts (see _rows)
        bits = int(max(1, min(28, np.ceil(np.log2(max(len(self._hashes), 2))))))
        self._shift = 64 - bits
        leading = self._hashes >> np.uint64(self._shift)
        self._starts = np.searchsorted(leading, np.arange(2**bits + 1, dtype=np.uint64)).astype(
            np.int64
        )

    def __len__(self) -> int:
        return self.frame.height

    def lookup(self, ids: pl.Series) -> pl.DataFrame:
        """One row per id of ``ids``, in their order: the indexed row, or nulls where the id
        is not indexed (or is null)."""
        if not self._searchable or self.frame.height == 0:
            asked = ids.alias(self.key).to_frame()
            return asked.join(self.frame, on=self.key, how="left", maintain_order="left")
        rows, found = self._matches(ids)
        others = [name for name in self.frame.columns if name != self.key]
        return self.frame[rows].select(
            ids.alias(self.key),
            *(pl.when(found).then(pl.col(name)).alias(name) for name in others),
        )

    def values(self, ids: pl.Series, name: str) -> pl.Series:
        """The indexed row's ``name`` for each id of ``ids``, in their order; null where the
        id is not indexed (or is null). One column: cheaper than :meth:`lookup`."""
        if not self._searchable or self.frame.height == 0:
            return self.lookup(ids)[name]
        rows, found = self._matches(ids)
        return pl.select(pl.when(found).then(self.frame[name].gather(rows))).to_series().alias(name)

    def contains(self, ids: pl.Series) -> pl.Series:
        """Whether each id is indexed (False for null)."""
        if not self._searchable or self.frame.height == 0:
            return ids.is_in(self.frame[self.key].implode()).fill_null(False)
        return self._matches(ids)[1]

    def _matches(self, ids: pl.Series) -> tuple[pl.Series, pl.Series]:
        """(the candidate row for each id, whether that row's id is the id asked)."""
        rows = self._rows(ids)
        return rows, (self.frame[self.key].gather(rows) == ids).fill_null(False)

    def _rows(self, ids: pl.Series) -> pl.Series:
        """The row of the frame whose id has each id's hash (or some row, where none has).
        The hashes are uniform, so their leading bits say almost exactly where each one is:
        a table of where each leading-bits bucket starts replaces a binary search (22 steps
        through memory for four million ids) by two lookups and a short scan of the bucket."""
        hashes = ids.to_frame(self.key).select(self._hasher(pl.col(self.key)))[:, 0].to_numpy()
        bucket = hashes >> np.uint64(self._shift)
        position = self._starts[bucket]
        end = self._starts[bucket + np.uint64(1)]
        scanning = np.flatnonzero(position < end)
        while scanning.size:  # a bucket holds one hash on average, rarely more than ten
            behind = self._hashes[position[scanning]] < hashes[scanning]
            scanning = scanning[behind]
            position[scanning] += 1
            scanning = scanning[position[scanning] < end[scanning]]
        np.minimum(position, len(self._hashes) - 1, out=position)
        return pl.Series(position)


def may_have_duplicates(values: pl.Series) -> bool:
    """Whether any non-null value occurs twice. Sorting hashes is much cheaper than a hash
    table of ten million strings; a shared hash sends the caller to the exact check."""
    hashes = values.drop_nulls().hash().sort()
    return bool((hashes == hashes.shift()).any())
