"""KeyIndex answers exactly, whether or not ids share a hash."""

from __future__ import annotations

import polars as pl
import pytest

from momentum.keys import KeyIndex, hash64, may_have_duplicates

DEALS = pl.DataFrame(
    {"deal_id": ["a", "bb", "cc", "ddd", "e"], "owner_id": ["r1", "r2", "r3", "r4", "r5"]}
)
ASKED = pl.Series(["cc", None, "zz", "a", "ddd", "cc", "b", "e"])
OWNERS = ["r3", None, None, "r1", "r4", "r3", None, "r5"]

# "bb" and "cc" share a length (and "zz" too): a hash this weak makes ids collide
BY_LENGTH = lambda ids: ids.str.len_bytes().cast(pl.UInt64)  # noqa: E731


@pytest.mark.parametrize("hasher", [None, BY_LENGTH], ids=["hash64", "colliding"])
def test_lookups_are_exact_and_in_the_order_asked(hasher) -> None:  # type: ignore[no-untyped-def]
    index = (
        KeyIndex(DEALS, "deal_id") if hasher is None else KeyIndex(DEALS, "deal_id", hasher=hasher)
    )
    found = index.lookup(ASKED)
    assert found["deal_id"].to_list() == ASKED.to_list()
    assert found["owner_id"].to_list() == OWNERS
    assert index.contains(ASKED).to_list() == [owner is not None for owner in OWNERS]


def test_an_id_sharing_a_hash_with_an_indexed_one_is_not_found() -> None:
    # one id per hash in the index ("a", "bb", "ddd"), so lookups are binary searches
    index = KeyIndex(
        DEALS.filter(pl.col("deal_id").is_in(["a", "bb", "ddd"])), "deal_id", hasher=BY_LENGTH
    )
    assert index.contains(pl.Series(["zz", "bb", "x", "yyy", "ddd"])).to_list() == [
        False,
        True,
        False,
        False,
        True,
    ]
    assert index.lookup(pl.Series(["zz"]))["owner_id"].to_list() == [None]


def test_an_empty_index_finds_nothing() -> None:
    index = KeyIndex(DEALS.clear(), "deal_id")
    assert index.contains(pl.Series(["a", None])).to_list() == [False, False]
    assert index.lookup(pl.Series(["a"]))["owner_id"].to_list() == [None]


def test_duplicates_are_never_missed() -> None:
    assert not may_have_duplicates(pl.Series(["a", "b", None, None]))
    assert may_have_duplicates(pl.Series(["a", "b", "a"]))


@pytest.mark.parametrize("hasher", [hash64, lambda ids: ids.str.len_bytes().cast(pl.UInt64)])
def test_values_of_one_column_are_those_of_the_rows_found(hasher) -> None:  # type: ignore[no-untyped-def]
    index = KeyIndex(pl.DataFrame({"id": ["a", "bb", "c"], "row": [7, 8, 9]}), "id", hasher=hasher)
    asked = pl.Series(["c", None, "zz", "a", "bb", "c"])
    assert index.values(asked, "row").to_list() == [9, None, None, 7, 8, 9]
