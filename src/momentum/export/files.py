"""Output files written whole or not at all, and never through a link planted beside them.

Each file is written into a new temporary file in its target's own folder, created under a
random name with ``O_CREAT | O_EXCL | O_NOFOLLOW`` (so a file or symbolic link planted there
is never opened, let alone written through), flushed to disk, and renamed over the target
with ``os.replace`` once every file of the set is complete. An existing target is replaced: a
regular file by the new one, a symbolic link by the file itself (what it pointed to is left
alone). A pipe or the null device (``--json /dev/null``, ``--json >(jq .)``) is not replaced
but written into on commit, from a temporary file in the system's temporary folder; any other
device is refused. A target that is a folder, or whose folder does not exist or cannot be
written, is refused when the file is reserved, before any work is done; leaving the set
without committing it (an error, Ctrl-C) removes every temporary file and changes no target.

    with OutputFiles() as outputs:
        report = outputs.reserve(Path("report.html"))   # refusals come here
        ...                                             # the long work
        with report.writing() as handle:
            handle.write(html)
        outputs.commit()                                # every target replaced
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TextIO

from momentum.errors import OutputError

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_CREATE |= getattr(os, "O_CLOEXEC", 0)


def _refused(target: Path, reason: str) -> OutputError:
    return OutputError(f"cannot write {target}: {reason}")


@dataclass
class PendingFile:
    """A target and the temporary file that will replace it."""

    target: Path
    temporary: Path
    _descriptor: int | None = field(default=None, repr=False)
    stream: bool = False  # a pipe or the null device: written into, not replaced

    @contextlib.contextmanager
    def writing(self, *, newline: str | None = None) -> Iterator[TextIO]:
        """The temporary file, open for UTF-8 text; flushed to disk when the block ends.
        A failed write (a full disk) is an output error naming the target."""
        descriptor, self._descriptor = self._descriptor, None
        if descriptor is None:
            raise RuntimeError(f"{self.target} is already written")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8", newline=newline) as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise _refused(self.target, exc.strerror or str(exc)) from None

    def write_text(self, text: str) -> None:
        with self.writing() as handle:
            handle.write(text)

    def write_bytes(self, data: bytes) -> None:
        with self.writing() as handle:
            handle.buffer.write(data)

    def discard(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None
        with contextlib.suppress(FileNotFoundError):
            self.temporary.unlink()


class OutputFiles:
    """A set of files that replace their targets together, on :meth:`commit`."""

    def __init__(self) -> None:
        self._pending: list[PendingFile] = []

    def __enter__(self) -> OutputFiles:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        for pending in self._pending:
            pending.discard()
        self._pending.clear()

    def reserve(self, target: Path) -> PendingFile:
        """A new temporary file beside ``target``; an output error if ``target`` cannot be
        written (its folder is missing, is not a folder, is read-only; it is a folder)."""
        folder = target.parent
        try:
            if not folder.is_dir():
                missing = not folder.exists()
                problem = "does not exist" if missing else "is not a folder"
                raise _refused(target, f"folder {folder} {problem}")
            if target.is_dir():
                raise _refused(target, "it is a folder")
            stream = _is_stream(target)
        except OSError as exc:  # a folder on the way that may not be entered
            raise _refused(target, exc.strerror or str(exc)) from None
        if stream:
            descriptor, name = tempfile.mkstemp(prefix=".momentum-", suffix=".partial")
            pending = PendingFile(target, Path(name), descriptor, stream=True)
            self._pending.append(pending)
            return pending
        for _ in range(16):
            temporary = folder / f".{target.name}.{secrets.token_hex(6)}.partial"
            try:
                descriptor = os.open(temporary, _CREATE, 0o666)
            except FileExistsError:
                continue
            except OSError as exc:
                raise _refused(target, f"{exc.strerror or exc} (in folder {folder})") from None
            pending = PendingFile(target, temporary, descriptor)
            self._pending.append(pending)
            return pending
        raise _refused(target, f"no free temporary name in folder {folder}")

    def commit(self) -> None:
        """Rename every written file over its target; then the set is done."""
        for pending in self._pending:
            if pending._descriptor is not None:
                raise RuntimeError(f"{pending.target} was reserved but not written")
        folders: set[Path] = set()
        for pending in self._pending:
            try:
                if pending.stream:
                    _write_into(pending.target, pending.temporary)
                    continue
                os.replace(pending.temporary, pending.target)
            except OSError as exc:
                raise _refused(pending.target, exc.strerror or str(exc)) from None
            folders.add(pending.target.parent)
        self._pending.clear()
        for folder in folders:
            _sync_folder(folder)


def _is_stream(target: Path) -> bool:
    """Whether ``target`` (its links followed) is a pipe or the null device, written into
    rather than replaced; a missing target, a file or a link to nothing is not. Any other
    device, and a socket, is refused: renaming a file over it would replace it (``/dev/full``
    was, by root), and writing into a disk or a terminal is not what an output file means."""
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return False
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return False
    if stat.S_ISFIFO(mode) or os.path.samefile(target, os.devnull):
        return True
    raise _refused(target, "it is a device or a socket, not a file")


def _write_into(target: Path, written: Path) -> None:
    """Copy the complete temporary file ``written`` into the pipe or null device ``target``,
    then remove it."""
    try:
        descriptor = os.open(target, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
        with open(written, "rb") as source, os.fdopen(descriptor, "wb") as into:
            if stat.S_ISREG(os.fstat(into.fileno()).st_mode):  # replaced since it was reserved
                raise _refused(target, "it became a file while the output was made")
            shutil.copyfileobj(source, into)
    finally:
        with contextlib.suppress(FileNotFoundError):
            written.unlink()


def _sync_folder(folder: Path) -> None:
    """Make the renames durable (where the system can open a folder to sync it)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
