"""Scope on every route, for every role: a rep sees their own, a manager their reports'
(transitively), an admin everything; an id outside the scope answers 404 exactly like an id
that does not exist. The walk covers every page and API route the app has, so a new route
with an id in its path must say here which ids it takes.

Most ids belong to a rep (their deals, meetings, tasks, coaching notes, review commitments,
their user). The playbook's entries, value assets and the rules' options belong to the team:
everyone reads them, managers and administrators (the rules: administrators) change them. Some routes are for some roles only: another role
gets 403 whatever the id, which tells nothing about the id."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from momentum.web.app import area_routes
from tests.engine.conftest import NOW
from tests.web.conftest import USERS, Site, csrf_of

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
# Form fields of the page routes that take some, by the path's last part.
FORMS: dict[str, dict[str, str]] = {
    "notes": {"body": "Asked for the next meeting before the end"},
    "mark": {"kept": "yes"},
    "assign": {"rep_id": "{owner}"},
    "role": {"role": "rep", "rep_id": "{owner}"},
    "active": {"active": "yes"},
    "days": {"value": "21"},  # a rule's option, set in the settings
}
# Things only managers and administrators see, whoever they are about: a rep is told there
# is no such thing (404), also about themselves.
MANAGERS_ONLY = ("/coaching/{rep_id}/notes", "/coaching/notes/")
# Routes only some roles may use at all (by method and path).
ROLES_ONLY = {
    ("POST", "/settings/"): {"admin"},
    ("POST", "/playbook/"): {"admin", "mgr"},
    ("POST", "/risk/"): {"admin", "mgr"},
}
# Ids of things that belong to the team, not to a rep: the playbook, the rules' options, and
# the dashboard's charts (whose scope is in the query, checked in test_manager_dashboard).
SHARED = {"entry_id", "asset_id", "rule_key", "option", "key"}
_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def _routes_with_ids() -> list[tuple[str, str, str]]:
    return [route for route in area_routes() if "{" in route[2] and route[1] != "HEAD"]


def _concrete(path: str, ids: dict[str, str]) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in ids, f"{path}: teach the scope walk which ids {{{name}}} takes"
        return ids[name]

    return _PARAM.sub(sub, path)


def _call(client: TestClient, kind: str, method: str, path: str, csrf: str, owner: str) -> Response:
    if method == "GET":
        return client.get(path)
    last = path.rsplit("/", 1)[-1]
    if kind == "api":
        body = BODIES.get(last)
        return client.request(method, path, json=body, headers={"X-CSRF-Token": csrf})
    form = {name: value.format(owner=owner) for name, value in FORMS.get(last, {}).items()}
    if path.startswith("/playbook/assets/") and last.isdigit():
        form = {"title": "ROI model", "kind": "roi_model", "summary": "The sums, again"}
    elif path.startswith("/playbook/") and last.isdigit():
        form = {"title": "Talk track", "body": "Ask for the second meeting before the end"}
    if path.startswith("/settings/reps/"):
        form = {"timezone": "Europe/London"}
    return client.request(method, path, data={"csrf_token": csrf, **form})


def _sees(who: str, path: str) -> set[str]:
    if path.startswith(MANAGERS_ONLY) and who in ("ana", "bo"):
        return set()
    return SEES[who]


def _role_allowed(who: str, method: str, path: str) -> bool:
    return all(
        who in roles
        for (only_method, prefix), roles in ROLES_ONLY.items()
        if method == only_method and path.startswith(prefix)
    )


@pytest.fixture
def ids(site: Site) -> dict[str, dict[str, str]]:
    """Each rep's things by path parameter, and the team's playbook entry and value asset."""
    from momentum.coaching.schemas import NewNote
    from momentum.coaching.service import CoachingService
    from momentum.playbook.models import PlaybookKind
    from momentum.playbook.schemas import NewPlaybookEntry
    from momentum.playbook.service import PlaybookService
    from momentum.review.schemas import NewCommitment
    from momentum.review.service import WeeklyReviewService
    from momentum.user.models import User
    from momentum.user.schemas import Actor
    from momentum.value_asset.models import ValueAssetKind
    from momentum.value_asset.schemas import NewValueAsset
    from momentum.value_asset.service import ValueAssetService
    from momentum.web.pages._manager import audit_defaults, rule_titles

    clock = site.clock
    ids = {owner: dict(owned) for owner, owned in site.ids.items()}
    with site.engine.database.unit_of_work() as session:
        users = {u.email: u for u in session.query(User)}
        admin = Actor.of(users[USERS["admin"][0]])
        coaching = CoachingService(
            session,
            clock=clock,
            defaults=audit_defaults(site.engine),
            rule_titles=rule_titles(site.engine),
        )
        review = WeeklyReviewService(session, clock=clock)
        for owner in ("ana", "bo"):
            user = users[USERS[owner][0]]
            note = coaching.add_note(admin, owner, NewNote(body="Books later too often"))
            commitment = review.commit(
                admin, owner, week="2026-W11", new=NewCommitment(text="Book on the spot")
            )
            ids[owner] |= {
                "rep_id": owner,
                "user_id": str(user.id),
                "note_id": str(note.id),
                "commitment_id": str(commitment.id),
            }
        entry = PlaybookService(session, clock=clock).add(
            admin,
            NewPlaybookEntry(
                kind=PlaybookKind.AGENDA_TEMPLATE, title="Meeting two", body="Their data"
            ),
        )
        asset = ValueAssetService(session, clock=clock).add(
            admin,
            NewValueAsset(title="ROI model", kind=ValueAssetKind.ROI_MODEL, summary="The sums"),
        )
    for owner in ids:
        ids[owner] |= {
            "entry_id": str(entry.entry_id),
            "asset_id": str(asset.id),
            "rule_key": "stalled",
            "option": "days",
            "key": "funnel",
        }
    return ids


def test_every_route_with_an_id_is_walked() -> None:
    paths = {path for _, _, path in _routes_with_ids()}
    assert "/api/v1/deals/{deal_id}" in paths
    assert "/api/v1/tasks/{task_id}/complete" in paths


@pytest.mark.parametrize("who", sorted(SEES))
def test_ids_outside_the_scope_answer_404_like_unknown_ones(
    site: Site, ids: dict[str, dict[str, str]], who: str
) -> None:
    client = site.signed_in(who)
    csrf = csrf_of(client.get("/deals").text)
    unknown_ids = dict.fromkeys(ids["ana"], "999999") | {
        "deal_id": "nope",
        "meeting_id": "nope",
        "rep_id": "nope",
    }
    for kind, method, path in _routes_with_ids():
        allowed = _role_allowed(who, method, path)
        shared = set(_PARAM.findall(path)) <= SHARED
        for owner in ("ana", "bo"):
            url = _concrete(path, ids[owner])
            answer = _call(client, kind, method, url, csrf, owner)
            status = answer.status_code
            if not allowed:
                assert status == 403, (who, method, url, status)
            elif shared or owner in _sees(who, path):
                assert status not in (404, 500), (who, method, url, status)
            else:
                assert status == 404, (who, method, url, status)
                # nothing behind the id shows through, such as the deal a meeting belongs to
                # (the session's random CSRF token left out: it may hold "D2" by chance)
                deal_id = ids[owner]["deal_id"]
                shown = answer.text.replace(csrf, "")
                assert deal_id in url or deal_id not in shown, (who, method, url)
        # unknown ids, and a blank or padded one (" ", " D1"), which a lookup that trims its
        # input could take for "no filter" or for another id
        text_ids = ("deal_id", "meeting_id", "rep_id")  # the others are numbers
        blank = unknown_ids | dict.fromkeys(text_ids, "%20")
        padded = unknown_ids | {name: f"%20{ids['ana'][name]}" for name in text_ids}
        # (blank and padded ids as the administrator, whom no scope narrows: the others'
        # scopes go through the same lookups)
        for wrong in (unknown_ids, blank, padded) if who == "admin" else (unknown_ids,):
            unknown = _concrete(path, wrong)
            status = _call(client, kind, method, unknown, csrf, "ana").status_code
            assert status == (404 if allowed else 403), (who, method, unknown, status)


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
