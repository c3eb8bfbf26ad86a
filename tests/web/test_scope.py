"""Scope on every route, for every role: a rep sees their own, a manager their reports'
(transitively), an admin everything; an id outside the scope answers 404 exactly like an id
that does not exist. The walk covers every page and API route the app has, so a new route
with an id in its path must say here which ids it takes."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from momentum.web.app import area_routes
from tests.engine.conftest import NOW
from tests.web.conftest import Site, csrf_of

# who may see whose things
SEES = {
    "admin": {"ana", "bo"},
    "mgr": {"ana"},
    "ana": {"ana"},
    "bo": {"bo"},
}
FUTURE = (NOW + timedelta(days=6)).isoformat()
BODIES: dict[str, Any] = {
    "lock-in": {
        "start": FUTURE,
        "agenda": [{"side": "seller", "text": "ROI model"}, {"side": "buyer", "text": "data"}],
    },
    "reschedule": {"start": FUTURE},
    "cancel": {},
    "outcome": {"outcome": "held"},
    "complete": None,
}
_PARAM = re.compile(r"\{(\w+)\}")


def _routes_with_ids() -> list[tuple[str, str, str]]:
    return [route for route in area_routes() if "{" in route[2] and route[1] != "HEAD"]


def _concrete(path: str, ids: dict[str, str]) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in ids, f"{path}: teach the scope walk which ids {{{name}}} takes"
        return ids[name]

    return _PARAM.sub(sub, path)


def _call(client: TestClient, kind: str, method: str, path: str, csrf: str) -> int:
    if method == "GET":
        return client.get(path).status_code
    if kind == "api":
        body = BODIES.get(path.rsplit("/", 1)[-1])
        return client.request(method, path, json=body, headers={"X-CSRF-Token": csrf}).status_code
    return client.request(method, path, data={"csrf_token": csrf}).status_code


def test_every_route_with_an_id_is_walked() -> None:
    paths = {path for _, _, path in _routes_with_ids()}
    assert "/api/v1/deals/{deal_id}" in paths
    assert "/api/v1/tasks/{task_id}/complete" in paths


@pytest.mark.parametrize("who", sorted(SEES))
def test_ids_outside_the_scope_answer_404_like_unknown_ones(site: Site, who: str) -> None:
    client = site.signed_in(who)
    csrf = csrf_of(client.get("/deals").text)
    for kind, method, path in _routes_with_ids():
        for owner in ("ana", "bo"):
            url = _concrete(path, site.ids[owner])
            status = _call(client, kind, method, url, csrf)
            if owner in SEES[who]:
                assert status not in (404, 500), (who, method, url, status)
            else:
                assert status == 404, (who, method, url, status)
        unknown = _concrete(path, {"deal_id": "nope", "meeting_id": "nope", "task_id": "999999"})
        assert _call(client, kind, method, unknown, csrf) == 404, (who, method, unknown)


@pytest.mark.parametrize("who", sorted(SEES))
def test_lists_hold_only_what_the_role_may_see(site: Site, who: str) -> None:
    client = site.signed_in(who)
    expected_deals = {site.ids[rep]["deal_id"] for rep in SEES[who]}
    deals = client.get("/api/v1/deals").json()["items"]
    assert {d["id"] for d in deals} == expected_deals
    meetings = client.get("/api/v1/meetings").json()["items"]
    assert {m["deal_id"] for m in meetings} == expected_deals
    tasks = client.get("/api/v1/tasks").json()["items"]
    assert {t["deal_id"] for t in tasks} == expected_deals
    flags = client.get("/api/v1/flags").json()["items"]
    assert {f["deal_id"] for f in flags} == expected_deals & {"D1"}
    page = client.get("/deals").text
    for rep, ids in site.ids.items():
        assert (f'href="/deals/{ids["deal_id"]}"' in page) == (rep in SEES[who]), rep
    # filters naming something outside the scope: 404, as if it did not exist
    for rep in {"ana", "bo"} - SEES[who]:
        deal = site.ids[rep]["deal_id"]
        assert client.get(f"/api/v1/deals?rep={rep}").status_code == 404
        assert client.get(f"/api/v1/meetings?deal={deal}").status_code == 404
        assert client.get(f"/api/v1/tasks?deal={deal}").status_code == 404
        assert client.get(f"/api/v1/tasks?rep={rep}").status_code == 404
        assert client.get(f"/api/v1/flags?deal={deal}").status_code == 404
        assert client.get(f"/deals?rep={rep}").status_code == 404


def test_a_manager_sees_reports_of_reports(site: Site) -> None:
    from tests.factories import make_deal, make_rep

    with site.engine.database.unit_of_work() as session:
        junior = make_rep(session, id="jun", manager_id="ana")
        make_deal(session, owner=junior, id="D-jun", name="Junior's deal")
    ids = {d["id"] for d in site.signed_in("mgr").get("/api/v1/deals").json()["items"]}
    assert ids == {"D1", "D-jun"}
    assert site.signed_in("mgr").get("/api/v1/deals/D-jun").status_code == 200
    assert site.signed_in("bo").get("/api/v1/deals/D-jun").status_code == 404
