"""Deals are matched to their meetings' figures through an index of hashed ids; a shared hash
must not mix two deals up."""

from __future__ import annotations

import polars as pl

from momentum.audit.facts import join_on_deal

DEALS = pl.DataFrame(
    {"deal_id": ["a", "bb", "cc", "ddd"], "outcome": ["won", "lost", "open", "won"]}
)
PER_DEAL = pl.DataFrame({"deal_id": ["cc", "a", "ddd"], "attempts": [2, 1, 3]})
EXPECTED = {"a": 1, "bb": None, "cc": 2, "ddd": 3}


def _attempts(frame: pl.DataFrame) -> dict[str, int | None]:
    assert frame.columns == ["deal_id", "outcome", "attempts"]
    return dict(zip(frame["deal_id"], frame["attempts"], strict=True))


def test_deals_are_matched_on_the_hash_of_their_id() -> None:
    assert _attempts(join_on_deal(DEALS, PER_DEAL)) == EXPECTED


def test_when_two_ids_share_a_key_the_ids_themselves_decide() -> None:
    # "bb" and "cc" share a length: matched on it alone, "bb" would take "cc"'s attempts
    def by_length(ids: pl.Expr) -> pl.Expr:
        return ids.str.len_bytes().cast(pl.UInt64)

    assert _attempts(join_on_deal(DEALS, PER_DEAL, hasher=by_length)) == EXPECTED
