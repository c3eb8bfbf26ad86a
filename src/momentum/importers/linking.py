"""Which deal a meeting belongs to when all that is known is its account.

CRM activities logged on an account (or on a contact of it), and calendar meetings with people
of a company, name an account, not a deal. The rule, the same for every format:

1. The account's deals that were open on the meeting's date: still open, or closed on or after
   that date. Of these, the one that closes (or is expected to close) soonest after the
   meeting; a deal with no close date comes after those with one; equal dates by deal id.
2. If every deal of the account had closed before the meeting: the one that closed last
   (equal dates by deal id).

Dates are calendar dates as the source writes them (UTC for instants).
"""

from __future__ import annotations

import polars as pl


def deals_for_accounts(meetings: pl.DataFrame, deals: pl.DataFrame) -> pl.DataFrame:
    """``meetings`` has ``_i`` (a row key), ``account_key`` and ``day`` (a date); ``deals`` is a
    deal directory (``deal_id``, ``account_key``, ``outcome``, ``close_day``). Returns ``_i`` and
    ``deal_id`` for every meeting whose account has a deal."""
    candidates = meetings.filter(pl.col("account_key").is_not_null()).join(
        deals.select("deal_id", "account_key", "outcome", "close_day").filter(
            pl.col("account_key").is_not_null()
        ),
        on="account_key",
    )
    open_then = (pl.col("outcome") == "open") | (pl.col("close_day") >= pl.col("day"))
    open_choice = (
        candidates.filter(open_then)
        .sort(["_i", "close_day", "deal_id"], nulls_last=True)
        .group_by("_i", maintain_order=True)
        .first()
        .select("_i", "deal_id")
    )
    closed_choice = (
        candidates.filter(~open_then & ~pl.col("_i").is_in(open_choice["_i"].implode()))
        .sort(["_i", "close_day", "deal_id"], descending=[False, True, False], nulls_last=True)
        .group_by("_i", maintain_order=True)
        .first()
        .select("_i", "deal_id")
    )
    return pl.concat([open_choice, closed_choice])
