"""Cells a spreadsheet would run as formulas, neutralised the way spreadsheets expect.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (after any
leading whitespace) is written with a leading apostrophe, which Excel, LibreOffice and Google
Sheets show as "this is text" and do not display. So that the apostrophe can always be told
from one the user typed, a cell that already starts with apostrophes before such a character
gets one more. ``momentum import`` removes exactly one leading apostrophe from any value of
that shape (:func:`momentum.importers.csvfile.unescape_formula`), so an export reads back as
what was exported.

Numbers and ISO 8601 times that Momentum writes itself are not text and are never changed: a
negative amount stays ``-1500``.
"""

from __future__ import annotations

import re

import polars as pl

FORMULA = re.compile(r"^'*\s*[=+\-@\t\r]")


def neutralise(text: str | None) -> str | None:
    if text is None or not FORMULA.match(text):
        return text
    return "'" + text


def neutralised(name: str) -> pl.Expr:
    """:func:`neutralise` on a text column of a frame, named ``name`` still."""
    column = pl.col(name)
    quoted = pl.lit("'") + column
    return pl.when(column.str.contains(FORMULA.pattern)).then(quoted).otherwise(column).alias(name)
