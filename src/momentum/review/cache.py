"""A short-lived cache of the dashboard's views, per process.

Reading a large store into frames takes seconds, and a view's audit and charts a good part of
one; managers open the same views again and again. Each process keeps the store's frames and
each view (a scope and a period) for ``max_age`` seconds, so a view opened again within that
time is served from memory, and a new view is computed from the frames already read (so its
figures are at most twice ``max_age`` old; the dashboard says when they were read). Views
expire one by one, not all with the frames: when the frames are read again, the views kept
meanwhile still answer. ``max_age = 0`` turns the cache off. The command line never uses it.

Whatever is missing is computed once: while one request reads the frames or computes a view,
the others that need the same wait for its value instead of computing it again (a single
flight per key). While an expired value is computed again, the others get the expired one
meanwhile (reading a large store again takes seconds), unless they asked for a refresh. At
most ``max_views`` views are kept, the least recently used leaving first, plus the frames.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
MAX_VIEWS = 64
_FRAMES = ("the store's frames",)  # the key of the frames: never evicted for a view


class _Flight:
    """One computation under way, and its value (or error) for those waiting on it."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None

    def wait(self) -> Any:
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.value


class AuditCache:
    def __init__(self, max_age: float, *, max_views: int = MAX_VIEWS) -> None:
        self.max_age = max_age
        self.max_views = max_views
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._flights: dict[Hashable, _Flight] = {}

    def frames(self, read: Callable[[], T], *, refresh: bool = False) -> T:
        """The store's frames, ``read()`` at most once per ``max_age`` seconds (and now when
        ``refresh``)."""
        return self._get(_FRAMES, read, refresh)

    def result(self, key: Hashable, compute: Callable[[], T], *, refresh: bool = False) -> T:
        """``compute()``'s value for ``key``, kept ``max_age`` seconds (computed again now
        when ``refresh``)."""
        return self._get(key, compute, refresh)

    def _get(self, key: Hashable, compute: Callable[[], T], refresh: bool) -> T:
        if self.max_age <= 0:
            return compute()
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and not refresh and time.monotonic() - kept[0] < self.max_age:
                self._kept.move_to_end(key)
                return kept[1]  # type: ignore[no-any-return]
            flight = self._flights.get(key)
            if flight is not None and kept is not None and not refresh:
                return kept[1]  # type: ignore[no-any-return]  # the old value meanwhile
            if flight is not None:  # being computed: its value is as fresh as a new one
                leader = False
            else:
                leader, flight = True, _Flight()
                self._flights[key] = flight
        if not leader:
            return flight.wait()  # type: ignore[no-any-return]
        try:
            value = compute()
        except BaseException as error:
            with self._lock:
                del self._flights[key]
            flight.error = error
            flight.done.set()
            raise
        with self._lock:
            self._kept[key] = (time.monotonic(), value)
            self._kept.move_to_end(key)
            views = [k for k in self._kept if k != _FRAMES]
            for old in views[: max(0, len(views) - self.max_views)]:
                del self._kept[old]
            del self._flights[key]
        flight.value = value
        flight.done.set()
        return value
