"""Opaque cursors for keyset paging: a list names its order and filters (:func:`listing`),
the cursor carries that name and the last row's sort key (one value, or a tuple of them for
an order on several columns) and id, and the next page starts after them. Deep pages cost
what the first does, and rows added meanwhile neither repeat nor vanish; a cursor given back
with other filters or another order is refused, since it would skip rows without a word."""

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


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, Decimal):
        return float(value)
    return value


def encode_cursor(order: str, key: Any, row_id: str | int) -> str:
    """``key`` is the row's sort value, or a tuple of them (sent as a list)."""
    plain = [_plain(value) for value in key] if isinstance(key, tuple) else _plain(key)
    raw = json.dumps([order, plain, row_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _value(value: Any) -> Any:
    """One sort value as :func:`_plain` wrote it; anything else is not a cursor's."""
    if isinstance(value, dict):
        value = datetime.fromisoformat(value["t"])
        if value.tzinfo is None:
            raise ValueError("naive")
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, str | int | float | datetime)
    ):
        raise ValueError("malformed")
    return value


def decode_cursor(cursor: str, order: str) -> tuple[Any, str | int]:
    """The (sort key, id) a cursor of the list ordered by ``order`` carries: the key a
    tuple where :func:`encode_cursor` was given one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_order, key, row_id = json.loads(raw)
        key = tuple(_value(value) for value in key) if isinstance(key, list) else _value(key)
        if isinstance(row_id, bool) or not isinstance(row_id, str | int):
            raise ValueError("malformed")
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise InputError("the cursor is not one this list gave out") from None
    if cursor_order != order:
        raise InputError(
            "the cursor belongs to another list, order or filters: start again without it"
        )
    return key, row_id
