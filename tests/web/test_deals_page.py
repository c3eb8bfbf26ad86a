"""My deals: stage, next step, flags and risk; filters and sorting from the query string; user
text escaped."""

from __future__ import annotations

import re
from datetime import timedelta

from momentum.deal.models import Outcome
from momentum.flag.models import Severity
from momentum.flag.repository import FlagRepository
from tests.engine.conftest import NOW
from tests.factories import make_deal, make_meeting
from tests.web.conftest import Site

HOSTILE = '<script>alert("x")</script> & "quotes"'


def _deal_ids(html: str) -> list[str]:
    return re.findall(r'<a href="/deals/([^"]+)">', html)


def _seed(site: Site) -> None:
    with site.engine.database.unit_of_work() as session:
        rep = site.world.rep
        big = make_deal(session, owner=rep, id="BIG", name="Big renewal", account="Initech")
        big.amount, big.currency, big.stage = 90000, "EUR", "Proposal"  # type: ignore[assignment]
        soon = make_deal(session, owner=rep, id="SOON", name=HOSTILE, account="Hooli")
        soon.stage = "Demo"
        make_meeting(session, deal=soon, start=NOW + timedelta(days=2))
        make_deal(session, owner=rep, id="QUIET", name="Quiet one", account="Umbrella")
        FlagRepository(session).insert_many(
            [("QUIET", "stalled", "no activity for 20 days", Severity.CRITICAL)], raised_at=NOW
        )


def test_the_list_shows_stage_next_step_flags_and_risk(site: Site) -> None:
    _seed(site)
    html = site.signed_in("ana").get("/deals").text
    assert _deal_ids(html)[:2] == ["QUIET", "D1"]  # by risk: critical, then warning
    assert "stalled" in html and "no activity for 20 days" in html
    assert "risk-critical" in html and "risk-warning" in html and "risk-none" in html
    assert "90,000 EUR" in html and "Proposal" in html
    row = html[html.index('href="/deals/SOON"') :]
    row = row[: row.index("</tr>")]
    assert "Meeting" in row and "Fri 6 Mar 2026 " in row  # in the rep's zone


def test_user_text_is_escaped(site: Site) -> None:
    _seed(site)
    html = site.signed_in("ana").get("/deals?q=hooli").text
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;quotes&#34;" in html


def test_filters_and_sorts_on_the_server(site: Site) -> None:
    _seed(site)
    client = site.signed_in("ana")

    def ids(query: str) -> list[str]:
        response = client.get("/deals?" + query)
        assert response.status_code == 200, response.text
        return _deal_ids(response.text)

    assert ids("sort=amount")[0] == "BIG"
    by_name = [deal for deal in ids("sort=name") if deal != "SOON"]  # "<script>…": collation's
    assert by_name == ["D1", "BIG", "QUIET"]
    assert ids("sort=next_step")[-1] == "SOON"  # deals without a next step come first
    assert set(ids("next_step=set")) == {"SOON", "D1"}  # D1: a task to call, due tomorrow
    assert set(ids("next_step=missing")) == {"BIG", "QUIET"}
    assert set(ids("risk=flagged")) == {"QUIET", "D1"}
    assert set(ids("risk=critical")) == {"QUIET"}
    assert set(ids("risk=none")) == {"BIG", "SOON"}
    assert ids("stage=Proposal") == ["BIG"]
    assert ids("stage=proposal") == ["BIG"]  # as a person types it
    assert ids("q=initech") == ["BIG"]
    assert ids("q=100%25") == []  # a LIKE wildcard is a plain character
    assert ids("outcome=won") == []
    assert set(ids("rep=&team=&q=")) == {"QUIET", "D1", "BIG", "SOON"}  # empty fields: no filter
    assert client.get("/deals?sort=sideways").status_code == 422
    # a team outside the scope is not found, as on the calendar, risk and review pages
    assert client.get("/deals?team=nowhere").status_code == 404
    assert client.get("/api/v1/deals?team=nowhere").status_code == 404


def test_a_manager_filters_by_rep_and_pages_through(site: Site) -> None:
    with site.engine.database.unit_of_work() as session:
        for n in range(55):
            make_deal(session, owner=site.world.manager, id=f"M{n:02}", name=f"Own {n:02}")
    client = site.signed_in("mgr")
    first = client.get("/deals?sort=name")
    assert len(_deal_ids(first.text)) == 50
    assert '<option value="ana"' in first.text
    next_link = re.search(r'<a href="([^"]+)" rel="next">', first.text)
    assert next_link
    second = client.get(next_link.group(1).replace("&amp;", "&"))
    assert len(_deal_ids(second.text)) == 6  # 55 + D1, 50 a page
    assert set(_deal_ids(second.text)).isdisjoint(_deal_ids(first.text))
    assert _deal_ids(client.get("/deals?rep=ana").text) == ["D1"]


def test_all_outcomes_is_a_choice_on_the_page_and_in_the_api(site: Site) -> None:
    """The outcome filter had Open, Won and Lost, and ``outcome=all`` answered 422."""
    _seed(site)
    with site.engine.database.unit_of_work() as session:
        rep = site.world.rep
        make_deal(session, owner=rep, id="WON", outcome=Outcome.WON, closed_at=NOW, name="Won")
        make_deal(session, owner=rep, id="LOST", outcome=Outcome.LOST, closed_at=NOW, name="Lost")
    client = site.signed_in("ana")
    page = client.get("/deals?outcome=all")
    assert page.status_code == 200, page.text
    assert set(_deal_ids(page.text)) == {"QUIET", "D1", "BIG", "SOON", "WON", "LOST"}
    assert '<option value="all" selected>All</option>' in page.text
    row = page.text[page.text.index('href="/deals/WON"') :]
    assert " · won" in row[: row.index("</tr>")]  # a closed deal says so among the open ones
    assert set(_deal_ids(client.get("/deals").text)) == {"QUIET", "D1", "BIG", "SOON"}
    assert _deal_ids(client.get("/deals?outcome=lost").text) == ["LOST"]
    api = client.get("/api/v1/deals?outcome=all")
    assert api.status_code == 200, api.text
    assert {deal["id"] for deal in api.json()["items"]} >= {"WON", "LOST", "BIG"}
    spec = client.get("/api/v1/openapi.json").json()
    [outcome] = [
        p for p in spec["paths"]["/api/v1/deals"]["get"]["parameters"] if p["name"] == "outcome"
    ]
    schema = outcome["schema"]
    schema = (
        spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        if "$ref" in schema
        else schema
    )
    assert schema["enum"] == ["open", "won", "lost", "all"]
    assert client.get("/deals?outcome=maybe").status_code == 422
