"""Text files as people's tools write them: which encoding, which separator.

CRM exports and calendars arrive as UTF-8 with or without a byte-order mark, as UTF-16 (Excel's
"Unicode text"), or in a Windows code page. :func:`detect_encoding` tells which (a BOM first, then
whether the bytes are valid UTF-8, then charset-normalizer's guess), and :func:`readable_copy`
gives a UTF-8 file the fast readers can use: the original when it already is UTF-8 with LF or
CRLF line ends, else a transcoded temporary copy with the same lines (CR-only line ends, as old
Mac tools write, become LF), so row numbers stay those of the original.

A file that is UTF-8 but for a few stray bytes (a name pasted from a Latin-1 source) is UTF-8:
its valid multi-byte characters outnumber the bytes that are not, and re-reading the whole file
in a code page would garble every one of them. The reader then reports each row that holds a
stray byte, with the value as written, instead of guessing.
:func:`sniff_separator` asks the standard library's ``csv.Sniffer`` for the delimiter.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import os
import re
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
# control bytes text files do not hold (tab, line ends, form feed, escape and Ctrl-Z are left out)
_BINARY_BYTES = [*range(0, 9), 11, *range(14, 26), 28, 29, 30, 31]
SEPARATORS = ",;\t|"


@dataclass(frozen=True)
class Encoding:
    codec: str  # a Python codec name
    detected: bool  # True when guessed from the bytes rather than told by a BOM or valid UTF-8
    cr_only: bool = False  # lines end in a lone CR (classic Mac), which the fast readers miss

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


_LONE_CR = re.compile("\r(?!\n)")
_STRAY = re.compile("[\udc80-\udcff]")
_MULTIBYTE = re.compile("[^\x00-\x7f\udc80-\udcff]")


def _mostly_utf8(path: Path) -> bool:
    """Whether the characters of ``path`` written as valid UTF-8 multi-byte sequences outnumber
    the bytes that are not UTF-8: a UTF-8 file with stray bytes, not a code-page file (where a
    valid sequence is a rare accident of two adjacent letters)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    valid = stray = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            if chunk.isascii():
                continue
            text = decoder.decode(chunk)
            stray += len(_STRAY.findall(text))
            valid += len(_MULTIBYTE.findall(text))
    stray += len(_STRAY.findall(decoder.decode(b"", final=True)))
    return valid > 0 and valid >= stray


def _cr_only(head: bytes | str) -> bool:
    """Whether lines end in a lone CR: more of them than LFs (a value may hold a line break)."""
    data = head.encode("utf-8", "replace") if isinstance(head, str) else head
    return data.count(b"\r") - data.count(b"\r\n") > data.count(b"\n")


def not_text(path: Path) -> str | None:
    """Why ``path`` is not a text export, from its first bytes: binary (a workbook, an image, a
    program) or UTF-16 without a byte-order mark, which no reader can tell from binary for sure.
    None when it may be text (an empty file is left to the reader to report)."""
    with path.open("rb") as handle:
        head = handle.read(8192)
    if not head or any(head.startswith(bom) for bom, _ in _BOMS):
        return None
    if head.startswith(b"PK\x03\x04"):
        return "is a ZIP archive (a workbook?), not a text export; save it as CSV"
    nuls = sorted((head[0::2].count(0), head[1::2].count(0)))  # at even, at odd positions
    half = len(head) // 2
    if len(head) >= 4 and nuls[1] >= 0.4 * half and nuls[0] <= 0.1 * half:
        return (
            "looks like UTF-16 text without a byte-order mark, which cannot be told apart "
            "from binary data; save it as UTF-8 (or UTF-16 with a byte-order mark)"
        )
    first_line = head.split(b"\n", 1)[0]
    controls = sum(head.count(bytes([code])) for code in _BINARY_BYTES)
    if b"\x00" in first_line or controls > 0.05 * len(head):
        return "is binary data, not a text export (it holds control bytes such as NUL)"
    return None


def detect_encoding(path: Path) -> Encoding:
    """The encoding of ``path``: told by a BOM, else UTF-8 when every byte fits (or all but a
    few stray ones, which the reader reports row by row), else guessed."""
    with path.open("rb") as handle:
        head = handle.read(_SAMPLE)
    cr_only = _cr_only(head)
    for bom, codec in _BOMS:
        if head.startswith(bom):
            if codec.startswith(("utf-16", "utf-32")):
                width = 2 if codec == "utf-16" else 4
                text = head[: len(head) - len(head) % width].decode(codec, errors="replace")
                cr_only = _cr_only(text)
            return Encoding(codec, detected=False, cr_only=cr_only)
    if _valid_utf8(path) or _mostly_utf8(path):
        return Encoding("utf-8", detected=False, cr_only=cr_only)
    best = charset_normalizer.from_bytes(head).best()
    guess = best.encoding if best is not None else "cp1252"
    if not guess.startswith(_OTHER_SCRIPTS):
        guess = "cp1252"
    try:
        head.decode(guess)
    except UnicodeDecodeError:
        guess = "latin_1"  # every byte is a character: nothing is lost, nothing refused
    return Encoding(guess, detected=True, cr_only=cr_only)


def readable_copy(path: Path, encoding: Encoding, owner: object) -> Path:
    """``path`` itself when it is UTF-8 with LF or CRLF line ends; else a UTF-8 copy with LF
    line ends that lives as long as ``owner``. Bytes that are not UTF-8 in a UTF-8 file are
    kept as they are, for the reader to report with their row."""
    if encoding.is_utf8 and not encoding.cr_only:
        return path
    handle, name = tempfile.mkstemp(prefix="momentum-", suffix=path.suffix)
    errors = "surrogateescape" if encoding.is_utf8 else "replace"
    with (
        os.fdopen(handle, "w", encoding="utf-8", errors=errors, newline="") as target,
        path.open(encoding=encoding.codec, errors=errors, newline="") as source,
    ):
        held = ""  # a CR at a chunk's end, until the next chunk says whether an LF follows
        for chunk in iter(lambda: source.read(1 << 22), ""):
            if chunk.startswith("\ufeff"):
                chunk = chunk.replace("\ufeff", "", 1)
            if encoding.cr_only:
                chunk = held + chunk
                chunk, held = (chunk[:-1], "\r") if chunk.endswith("\r") else (chunk, "")
                chunk = _LONE_CR.sub("\n", chunk)
            target.write(chunk)
        target.write("\n" if held else "")
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
