"""Text files as people's tools write them: which encoding, which separator.

CRM exports and calendars arrive as UTF-8 with or without a byte-order mark, as UTF-16 (Excel's
"Unicode text"), or in a Windows code page. :func:`detect_encoding` tells which (a BOM first, then
whether the bytes are valid UTF-8, then charset-normalizer's guess), and :func:`readable_copy`
gives a UTF-8 file the fast readers can use: the original when it already is UTF-8, else a
transcoded temporary copy with the same lines, so row numbers stay those of the original.
:func:`sniff_separator` asks the standard library's ``csv.Sniffer`` for the delimiter.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import os
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# charset-normalizer's guess is used when it names another script; among the Latin-script code
# pages it cannot tell apart from short text, the one Excel on a Western Windows writes wins.
_OTHER_SCRIPTS = (
    "cp1251",
    "cp1253",
    "cp1255",
    "cp1256",
    "cp866",
    "koi8",
    "mac_cyrillic",
    "mac_greek",
    "iso8859_5",
    "iso8859_6",
    "iso8859_7",
    "iso8859_8",
    "shift_jis",
    "cp932",
    "euc",
    "gb",
    "big5",
    "cp949",
    "johab",
    "hz",
    "iso2022",
    "tis_620",
    "cp874",
)
_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16",
    "utf-32": "UTF-32",
    "cp1252": "Windows-1252",
}
_SAMPLE = 1 << 20
SEPARATORS = ",;\t|"


@dataclass(frozen=True)
class Encoding:
    codec: str  # a Python codec name
    detected: bool  # True when guessed from the bytes rather than told by a BOM or valid UTF-8

    @property
    def name(self) -> str:
        return _NAMES.get(self.codec, self.codec)

    @property
    def is_utf8(self) -> bool:
        return self.codec in ("utf-8", "utf-8-sig")


def _valid_utf8(path: Path) -> bool:
    """Whether every byte of ``path`` is UTF-8. Chunks of plain ASCII (most of most CRM
    exports) are checked by ``isascii``, several times faster than decoding them."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    buffer = bytearray(1 << 22)
    with path.open("rb", buffering=0) as handle:
        try:
            while size := handle.readinto(buffer):
                chunk = buffer if size == len(buffer) else buffer[:size]
                pending = decoder.getstate()[0]  # a character cut at the last chunk's end
                if not pending and chunk.isascii():
                    continue
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def detect_encoding(path: Path) -> Encoding:
    """The encoding of ``path``: told by a BOM, else UTF-8 when every byte fits, else guessed."""
    with path.open("rb") as handle:
        head = handle.read(_SAMPLE)
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return Encoding(codec, detected=False)
    if _valid_utf8(path):
        return Encoding("utf-8", detected=False)
    best = charset_normalizer.from_bytes(head).best()
    guess = best.encoding if best is not None else "cp1252"
    if not guess.startswith(_OTHER_SCRIPTS):
        guess = "cp1252"
    try:
        head.decode(guess)
    except UnicodeDecodeError:
        guess = "latin_1"  # every byte is a character: nothing is lost, nothing refused
    return Encoding(guess, detected=True)


def readable_copy(path: Path, encoding: Encoding, owner: object) -> Path:
    """``path`` itself when it is UTF-8; else a UTF-8 copy that lives as long as ``owner``."""
    if encoding.is_utf8:
        return path
    handle, name = tempfile.mkstemp(prefix="momentum-", suffix=path.suffix)
    with (
        os.fdopen(handle, "w", encoding="utf-8", newline="") as target,
        path.open(encoding=encoding.codec, errors="replace", newline="") as source,
    ):
        for chunk in iter(lambda: source.read(1 << 22), ""):
            target.write(chunk.replace("\ufeff", "") if chunk.startswith("\ufeff") else chunk)
    weakref.finalize(owner, _remove, name)
    return Path(name)


def _remove(name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name)


def read_text(path: Path) -> tuple[str, Encoding]:
    """The whole text of a small file (a calendar), decoded as :func:`detect_encoding` says."""
    encoding = detect_encoding(path)
    text = path.read_bytes().decode(encoding.codec, errors="replace")
    return text.removeprefix("\ufeff"), encoding


def sniff_separator(path: Path, codec: str = "utf-8") -> str:
    """The field separator of a delimited text file: comma, semicolon, tab or bar."""
    with path.open(encoding=codec, errors="replace", newline="") as handle:
        sample = handle.read(64 * 1024)
    sample = sample.removeprefix("\ufeff")
    lines = sample.splitlines()
    if len(sample) == 64 * 1024 and len(lines) > 1:
        sample = "\n".join(lines[:-1])  # the last line may be cut in half
    header = lines[0] if lines else ""
    counts = {separator: header.count(separator) for separator in SEPARATORS}
    used = [separator for separator in SEPARATORS if counts[separator]]
    if len(used) <= 1:  # header names rarely hold a separator: the one there is, is it
        return used[0] if used else ","
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(used)).delimiter
    except csv.Error:
        return max(used, key=lambda separator: counts[separator])
