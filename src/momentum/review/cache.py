"""A short-lived cache of the dashboard's audits, per process.

Reading a large store into frames and computing its audit takes seconds; managers open the
same views again and again. Each process keeps the store's frames and each (scope, period)
audit for ``max_age`` seconds, so a view opened again within that time is served from memory,
and a new scope is computed from the frames already read. Figures are at most ``max_age``
seconds old; ``max_age = 0`` turns the cache off. The command line never uses it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from momentum.audit.store import load_dataset
from momentum.canonical import Dataset

T = TypeVar("T")
MAX_ENTRIES = 64


class AuditCache:
    def __init__(self, max_age: float) -> None:
        self.max_age = max_age
        self._lock = threading.Lock()
        self._loading = threading.Lock()  # one reader of the store at a time
        self._dataset: tuple[float, Dataset] | None = None
        self._results: dict[Hashable, tuple[float, Any]] = {}

    def _fresh(self, stamp: float) -> bool:
        return time.monotonic() - stamp < self.max_age

    def dataset(self, session: Session) -> Dataset:
        """The store's frames, read at most once per ``max_age`` seconds."""
        if self.max_age <= 0:
            return load_dataset(session)
        with self._loading:
            cached = self._dataset
            if cached is not None and self._fresh(cached[0]):
                return cached[1]
            data = load_dataset(session)
            self._dataset = (time.monotonic(), data)
            return data

    def result(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``'s value for ``key``, kept ``max_age`` seconds."""
        if self.max_age <= 0:
            return compute()
        with self._lock:
            cached = self._results.get(key)
        if cached is not None and self._fresh(cached[0]):
            return cached[1]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            if len(self._results) >= MAX_ENTRIES:
                stale = [k for k, (stamp, _) in self._results.items() if not self._fresh(stamp)]
                for k in stale or list(self._results)[: MAX_ENTRIES // 2]:
                    del self._results[k]
            self._results[key] = (time.monotonic(), value)
        return value
