"""Dates and numbers beyond what a date or the store holds, in an address or a form, are the
caller's mistake: a 4xx with a message, never a 500 (they raised OverflowError)."""

from __future__ import annotations

import html

import pytest

from tests.web.conftest import Site, csrf_of

HUGE = "99999999999999999999999"
# a cursor of the deals list whose position holds a number beyond any integer column
HUGE_CURSOR = "WyJkZWFscy5yaXNrIiw5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OSwiZDEiXQ"

PAGES = [
    "/calendar?date=9999-12-31",
    "/calendar?date=0001-01-01",
    "/calendar?view=month&date=9999-12-31",
    "/review?week=9999-W52",
    "/review.csv?week=9999-W52",
    f"/playbook/{HUGE}",
    f"/playbook/assets/{HUGE}",
    f"/deals?cursor={HUGE_CURSOR}",
    f"/api/v1/deals?cursor={HUGE_CURSOR}",
]


@pytest.mark.parametrize("path", PAGES)
def test_an_address_out_of_range_is_a_4xx(site: Site, path: str) -> None:
    answer = site.signed_in("admin").get(path)
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("/calendar?date=9999-12-31", "date: '9999-12-31' is out of range"),
        ("/calendar?view=month&date=0001-01-01", "date: '0001-01-01' is out of range"),
        ("/review?week=9999-W52", "week 9999-W52 has not begun"),
        ("/review?week=0001-W01", "week '0001-W01' is out of range"),
    ],
)
def test_a_date_out_of_range_is_named(site: Site, path: str, said: str) -> None:
    answer = site.signed_in("admin").get(path)
    assert answer.status_code == 422
    assert said in html.unescape(answer.text)


@pytest.mark.parametrize("path", [f"/coaching/notes/{HUGE}/delete", f"/settings/users/{HUGE}/role"])
def test_a_form_posted_to_an_id_out_of_range_is_a_4xx(site: Site, path: str) -> None:
    client = site.signed_in("admin")
    token = csrf_of(client.get("/today").text)
    answer = client.post(path, data={"csrf_token": token, "role": "rep"})
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])
