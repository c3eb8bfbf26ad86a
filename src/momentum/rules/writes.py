"""Inserting what an evaluation raises while the rules go on with the next deals.

A first evaluation of a whole pipeline raises flags and tasks by the hundred thousand, and
inserting them (index entries, foreign-key checks) keeps the database busy for seconds.
:class:`RaisedWriter` takes them a slice of deals at a time; in a large evaluation on
PostgreSQL it inserts each slice on a background thread while the rules evaluate the next
one, so the server works on one core while the rules run on another (the driver does not
hold the GIL while it waits). A small evaluation, or any on SQLite (which works inside this
process, holding the GIL to bind each row), writes inline.

The session is the caller's, in one transaction. While a slice is being written the caller
only runs rules, which never touch the session (a rule sees facts, not the store), and
nothing else may use it until :meth:`RaisedWriter.close` has waited for the last slice.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from types import TracebackType

from sqlalchemy.orm import Session

from momentum.db.upsert import Batch
from momentum.flag.repository import FlagRepository, RaisedFlag
from momentum.task.repository import OpenedTask, TaskRepository

SLICE_DEALS = 10_000  # deals per slice: big enough for bulk inserts, small enough to overlap


class RaisedWriter:
    """Inserts raised flags and tasks, slice by slice, in the order given."""

    def __init__(self, session: Session, *, now: datetime, background: bool) -> None:
        self._now = now  # when the flags are raised and the tasks opened
        self._flags = FlagRepository(session)
        self._tasks = TaskRepository(session)
        self._pool = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="momentum-rule-writes")
            if background
            else None
        )
        self._slices: list[Future[None]] = []
        self.flags = 0
        self.tasks = 0

    @property
    def background(self) -> bool:
        """Whether slices are written on the background thread."""
        return self._pool is not None

    def busy(self) -> bool:
        """Whether a slice is being written (or waits to be)."""
        return bool(self._slices) and not self._slices[-1].done()

    def write(self, flags: Sequence[RaisedFlag], tasks: Sequence[OpenedTask]) -> None:
        """Insert one slice's new flags and tasks (now, or queued behind the slices before).

        The rows are made ready here, on the caller's thread: the writer thread is the one
        the evaluation waits for, and the caller has time to spare while it writes."""
        self.flags += len(flags)
        self.tasks += len(tasks)
        batches = (
            self._flags.prepare(flags, raised_at=self._now),
            self._tasks.prepare(tasks, created_at=self._now),
        )
        if self._pool is None:
            self._insert(*batches)
            return
        for written in self._slices:  # a slice that failed stops the evaluation now
            if written.done():
                written.result()
        self._slices.append(self._pool.submit(self._insert, *batches))

    def _insert(self, flags: Batch, tasks: Batch) -> None:
        self._flags.insert_prepared(flags)
        self._tasks.insert_prepared(tasks)

    def close(self) -> None:
        """Wait until every slice is in; raise the first slice's error, if one failed."""
        if self._pool is None:
            return
        try:
            for written in self._slices:
                written.result()
        finally:
            self._stop()

    def _stop(self) -> None:
        """Let the slice being written finish, drop those queued behind it (after a failure
        the transaction is lost anyway), and end the thread."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> RaisedWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if error is None:
            self.close()
        else:  # the caller is about to roll back on this session: the thread must be done
            self._stop()
