"""M1 and the meeting-two attempts, defined once (PRODUCT.md, "Metric definitions").

- **M1**: a deal's earliest-starting meeting with status ``held``.
- **Meeting-two attempts**: the deal's meetings starting after M1's end, in start order, up to
  and including the first ``held`` one; later meetings are meeting three and beyond.

Meetings that start at the same instant are ordered by end, then id, so nothing depends on
the order rows arrive in. The audit (``momentum.audit.facts``) and the rules
(``momentum.rules.facts``) both take M1 and the attempts from these frames. Input columns:
``meeting_id``, ``deal_id``, ``start``, ``end``, ``status`` (others are carried along).
"""

from __future__ import annotations

import polars as pl

HELD = "held"
ORDER = ("deal_id", "start", "end", "meeting_id")
DEAL_KEY = "_deal"


def in_order(meetings: pl.LazyFrame) -> pl.LazyFrame:
    """The meetings sorted as the definitions read them, with ``_deal``: an integer numbering
    the deals (sorted, a deal's meetings are adjacent, so the number costs nothing and groups,
    windows and joins on it avoid hashing deal ids again)."""
    deal_id = pl.col("deal_id")
    return meetings.sort(ORDER).with_columns(
        (deal_id != deal_id.shift()).fill_null(True).cum_sum().alias(DEAL_KEY)
    )


def first_meetings(ordered: pl.LazyFrame) -> pl.LazyFrame:
    """M1 of every deal that has one: ``_deal``, ``deal_id``, ``m1_id``, ``m1_start``,
    ``m1_end``. ``ordered`` comes from :func:`in_order`."""
    return (
        ordered.filter(pl.col("status") == HELD)
        .select(DEAL_KEY, "deal_id", "meeting_id", "start", "end")
        .group_by(DEAL_KEY, maintain_order=True)
        .first()
        .select(
            DEAL_KEY,
            "deal_id",
            pl.col("meeting_id").alias("m1_id"),
            pl.col("start").alias("m1_start"),
            pl.col("end").alias("m1_end"),
        )
    )


def second_meeting_attempts(ordered: pl.LazyFrame, firsts: pl.LazyFrame) -> pl.LazyFrame:
    """Every deal's meeting-two attempts, in order, with all of ``ordered``'s columns and
    ``m1_end``. ``firsts`` comes from :func:`first_meetings`."""
    held = (pl.col("status") == HELD).cast(pl.Int32)
    return (
        ordered.join(
            firsts.select(DEAL_KEY, "m1_end"), on=DEAL_KEY, how="inner", maintain_order="left"
        )
        .filter(pl.col("start") > pl.col("m1_end"))
        .filter((held.cum_sum() - held).over(DEAL_KEY) == 0)
    )
