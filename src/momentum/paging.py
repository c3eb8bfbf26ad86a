"""Opaque cursors for keyset paging: a list names its order and filters (:func:`listing`),
the cursor carries that name and the last row's sort key and id, and the next page starts
after them. Deep pages cost what the first does, and rows added meanwhile neither repeat nor
vanish; a cursor given back with other filters or another order is refused, since it would
skip rows without a word."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from momentum.errors import InputError

MAX_PAGE = 200


def listing(name: str, **filters: object) -> str:
    """The name of a list as its cursors carry it: ``name`` (the list and its order) and a
    digest of its ``filters``."""
    given = json.dumps(filters, sort_keys=True, default=str, separators=(",", ":"))
    return f"{name}#{hashlib.sha256(given.encode()).hexdigest()[:16]}"


def encode_cursor(order: str, key: Any, row_id: str | int) -> str:
    if isinstance(key, datetime):
        key = {"t": key.isoformat()}
    elif isinstance(key, Decimal):
        key = float(key)
    raw = json.dumps([order, key, row_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, order: str) -> tuple[Any, str | int]:
    """The (sort key, id) a cursor of the list ordered by ``order`` carries."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_order, key, row_id = json.loads(raw)
        if isinstance(key, dict):
            key = datetime.fromisoformat(key["t"])
            if key.tzinfo is None:
                raise ValueError("naive")
        if isinstance(row_id, bool) or not isinstance(row_id, str | int):
            raise ValueError("malformed")
        if key is not None and (
            isinstance(key, bool) or not isinstance(key, str | int | float | datetime)
        ):
            raise ValueError("malformed")
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise InputError("the cursor is not one this list gave out") from None
    if cursor_order != order:
        raise InputError(
            "the cursor belongs to another list, order or filters: start again without it"
        )
    return key, row_id
