"""Looking up ids among millions, exactly and fast: binary search over sorted 64-bit hashes.

A Polars join builds a hash table of the smaller side each time it runs. Reading meetings in
batches, the reader asks "which deal, and whose?" of every batch: joined against four million
deals, each batch would rebuild or re-probe a table that big. :class:`KeyIndex` sorts the ids'
hashes once; a lookup is then a binary search per id, and the id found is compared with the id
asked, so an answer never rests on a hash alone.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

HASH = "_key_hash"
Hasher = Callable[[pl.Expr], pl.Expr]


def _hash64(ids: pl.Expr) -> pl.Expr:
    return ids.hash()


class KeyIndex:
    """The rows of ``frame``, found by their distinct ``key``. ``hasher`` is for tests: one
    that makes ids collide shows that answers stay exact (lookups are then joins)."""

    def __init__(self, frame: pl.DataFrame, key: str, *, hasher: Hasher = _hash64) -> None:
        self.key = key
        self._hasher = hasher
        self._frame = frame.with_columns(hasher(pl.col(key)).alias(HASH)).sort(HASH)
        # Two ids with one hash cannot be told apart by a binary search: join instead.
        self._searchable = not self._frame.select(
            (pl.col(HASH) == pl.col(HASH).shift()).any()
        ).item()
        self._hashes = self._frame[HASH].to_numpy()

    def __len__(self) -> int:
        return self._frame.height

    @property
    def frame(self) -> pl.DataFrame:
        return self._frame.drop(HASH)

    def lookup(self, ids: pl.Series) -> pl.DataFrame:
        """One row per id of ``ids``, in their order: the indexed row, or nulls where the id
        is not indexed (or is null)."""
        asked = ids.alias(self.key).to_frame()
        if not self._searchable or self._frame.height == 0:
            return asked.join(self.frame, on=self.key, how="left", maintain_order="left")
        candidates = self.frame[self._positions(ids)]
        found = (candidates[self.key] == ids).fill_null(False)
        others = [name for name in candidates.columns if name != self.key]
        return candidates.select(
            ids.alias(self.key),
            *(pl.when(found).then(pl.col(name)).alias(name) for name in others),
        )

    def contains(self, ids: pl.Series) -> pl.Series:
        """Whether each id is indexed (False for null)."""
        if not self._searchable or self._frame.height == 0:
            return ids.is_in(self._frame[self.key].implode()).fill_null(False)
        return (self._frame[self.key].gather(self._positions(ids)) == ids).fill_null(False)

    def _positions(self, ids: pl.Series) -> pl.Series:
        """Where each id's hash is (or would be) in the index. The hashes asked are searched
        in sorted order: one search then starts where the last ended, in memory already read,
        which makes a batch of lookups several times faster than searching in arrival order."""
        hashes = ids.to_frame(self.key).select(self._hasher(pl.col(self.key)))[:, 0].to_numpy()
        order = np.argsort(hashes, kind="stable")
        positions = np.empty(len(hashes), dtype=np.int64)
        positions[order] = np.searchsorted(self._hashes, hashes[order], side="left")
        np.minimum(positions, len(self._hashes) - 1, out=positions)
        return pl.Series(positions)


def may_have_duplicates(values: pl.Series) -> bool:
    """Whether any non-null value occurs twice. Sorting hashes is much cheaper than a hash
    table of ten million strings; a shared hash sends the caller to the exact check."""
    hashes = values.drop_nulls().hash().sort()
    return bool((hashes == hashes.shift()).any())
