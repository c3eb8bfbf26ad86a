"""The API: personal tokens (hashed, revocable), problem+json errors, cursor paging, and the
actions going through the same services as the command line."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from decimal import Decimal

from fastapi.testclient import TestClient

from momentum.contact.models import Contact
from momentum.outbox.models import MessageKind, OutboxMessage
from momentum.user.models import ApiToken
from momentum.web.security import SESSION_COOKIE
from tests.engine.conftest import NOW
from tests.factories import make_deal, make_meeting
from tests.web.conftest import USERS, Site, csrf_of

PROBLEM = "application/problem+json"


def _token(site: Site, who: str) -> tuple[int, str]:
    with site.engine.database.unit_of_work() as session:
        view, secret = site.accounts(session).create_token(USERS[who][0], name="test")
    return view.id, secret


def _api(site: Site, who: str) -> TestClient:
    client = site.client()
    client.headers["Authorization"] = f"Bearer {_token(site, who)[1]}"
    return client


def test_tokens_are_stored_hashed_and_stop_working_when_revoked(site: Site) -> None:
    token_id, secret = _token(site, "ana")
    client = site.client()
    client.headers["Authorization"] = f"Bearer {secret}"
    assert client.get("/api/v1/me").json() == {"user_id": 3, "role": "rep", "rep_id": "ana"}
    with site.engine.database.unit_of_work(write=False) as session:
        stored = session.get(ApiToken, token_id)
        assert stored is not None and secret not in (stored.token_hash, stored.prefix)
    with site.engine.database.unit_of_work() as session:
        site.accounts(session).revoke_token(token_id)
    refused = client.get("/api/v1/me")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == PROBLEM
    assert refused.headers["www-authenticate"] == "Bearer"


def test_a_disabled_users_tokens_stop_working(site: Site) -> None:
    client = _api(site, "bo")
    assert client.get("/api/v1/me").status_code == 200
    with site.engine.database.unit_of_work() as session:
        site.accounts(session).disable(USERS["bo"][0])
    assert client.get("/api/v1/me").status_code == 401


def test_errors_are_problem_documents(site: Site) -> None:
    client = _api(site, "ana")
    missing = client.get("/api/v1/deals/nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM
    assert missing.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "no deal 'nope'",
        "code": "not_found",
    }
    invalid = client.get("/api/v1/deals?limit=0&sort=sideways")
    assert invalid.status_code == 422
    assert invalid.headers["content-type"] == PROBLEM
    assert {e["field"] for e in invalid.json()["errors"]} == {"query.limit", "query.sort"}
    bad_body = client.post("/api/v1/meetings/M-ana/outcome", json={"outcome": "maybe"})
    assert bad_body.status_code == 422 and bad_body.json()["errors"][0]["field"] == "outcome"
    early = client.post(
        "/api/v1/deals/D1/lock-in", json={"start": (NOW - timedelta(days=1)).isoformat()}
    )
    assert early.status_code == 409 and early.json()["code"] == "conflict"
    # a time the store cannot hold (the importers' range): refused, nothing booked
    for far in ("9999-12-31T23:59:59", "2200-01-01T00:00:00+00:00"):
        answer = client.post("/api/v1/deals/D1/lock-in", json={"start": far})
        assert answer.status_code == 422, answer.text
        assert "outside the accepted range of instants" in answer.json()["detail"]
    moved = client.post("/api/v1/meetings/M-ana/reschedule", json={"start": "9999-01-01T10:00"})
    assert moved.status_code == 422 and moved.json()["detail"].startswith("start:")
    assert client.get("/api/v1/no-such-route").headers["content-type"] == PROBLEM
    # every problem has its code, not only the domain's
    for answer, code in (
        (client.get("/api/v1/no-such-route"), "not_found"),
        (client.delete("/api/v1/deals/D1"), "method_not_allowed"),
        (client.get("/api/v1/deals", headers={"Authorization": "Bearer wrong"}), "sign_in"),
        (client.get("/api/v1/deals/" + "9" * 30 + "/nope"), "not_found"),
    ):
        assert answer.json()["code"] == code, (answer.status_code, answer.text)
    assert client.get("/api/v1/deals?cursor=garbage").status_code == 422


def test_cursor_pages_cover_every_deal_once_in_every_order(site: Site) -> None:
    with site.engine.database.unit_of_work() as session:
        for n in range(23):
            make_deal(session, owner=site.world.rep, id=f"P{n:02}", name=f"Deal {n % 7}")
    client = _api(site, "ana")
    for sort in ("risk", "next_step", "amount", "name", "created"):
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            url = f"/api/v1/deals?sort={sort}&limit=5" + (f"&cursor={cursor}" if cursor else "")
            page = client.get(url).json()
            seen.extend(d["id"] for d in page["items"])
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted({"D1", *(f"P{n:02}" for n in range(23))}), sort
        assert len(seen) == len(set(seen)) and pages == 5, sort
        if sort == "risk":
            assert seen[0] == "D1"  # the only flagged deal comes first
        if sort == "name":
            assert seen.index("D1") < seen.index("P00")  # "Acme rollout" before "Deal 0"
    # a cursor from one order is refused by another
    first = client.get("/api/v1/deals?sort=name&limit=5").json()["next_cursor"]
    assert client.get(f"/api/v1/deals?sort=amount&cursor={first}").status_code == 422
    # and one from some filters by others: it would skip their rows without a word
    for other in ("q=Deal", "outcome=won", "rep=ana", "risk=critical"):
        answer = client.get(f"/api/v1/deals?sort=name&{other}&cursor={first}")
        assert answer.status_code == 422 and "filters" in answer.json()["detail"], other
    assert client.get(f"/api/v1/deals?sort=name&limit=9&cursor={first}").status_code == 200


def test_meeting_and_task_lists_page_by_cursor(site: Site) -> None:
    client = _api(site, "admin")
    # a rep that does not exist is not found, even by whoever sees every rep
    for path in ("/api/v1/deals?rep=nope", "/api/v1/tasks?rep=nope"):
        answer = client.get(path)
        assert answer.status_code == 404 and answer.json()["detail"] == "no rep 'nope'", path
    first = client.get("/api/v1/meetings?limit=1").json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = client.get(f"/api/v1/meetings?limit=1&cursor={first['next_cursor']}").json()
    assert second["next_cursor"] is None
    assert {first["items"][0]["id"], second["items"][0]["id"]} == {"M-ana", "M-bo"}
    awaiting = client.get("/api/v1/meetings?state=awaiting_outcome").json()["items"]
    assert {m["id"] for m in awaiting} == {"M-ana", "M-bo"}
    tasks = client.get("/api/v1/tasks?limit=1").json()
    rest = client.get(f"/api/v1/tasks?limit=1&cursor={tasks['next_cursor']}").json()
    assert len({tasks["items"][0]["id"], rest["items"][0]["id"]}) == 2
    for other in ("/api/v1/meetings?state=held", "/api/v1/meetings?deal=D1"):
        refused = client.get(f"{other}&cursor={first['next_cursor']}")
        assert refused.status_code == 422, other
    refused = client.get(f"/api/v1/tasks?include_closed=true&cursor={tasks['next_cursor']}")
    assert refused.status_code == 422


def test_lock_in_reschedule_cancel_and_outcome_go_through_the_services(site: Site) -> None:
    client = _api(site, "ana")
    held = client.post("/api/v1/meetings/M-ana/outcome", json={"outcome": "held"})
    assert held.status_code == 200 and held.json()["state"] == "held"
    retried = client.post("/api/v1/meetings/M-ana/outcome", json={"outcome": "held"})
    assert retried.status_code == 200 and retried.json() == held.json()  # nothing changed
    again = client.post("/api/v1/meetings/M-ana/outcome", json={"outcome": "no_show"})
    assert again.status_code == 409
    assert "was already marked held" in again.json()["detail"]
    start = (NOW + timedelta(days=5)).replace(hour=14, minute=0).isoformat()
    locked = client.post(
        "/api/v1/deals/D1/lock-in",
        json={
            "start": start,
            "agenda": [
                {"side": "seller", "text": "Their numbers in the ROI model"},
                {"side": "buyer", "text": "Last quarter's changeover data"},
            ],
            "buyer_homework": "Invite the plant manager",
        },
    )
    assert locked.status_code == 201, locked.text
    meeting = locked.json()["meeting"]
    # a field it does not know is refused, not dropped: "homework" is "buyer_homework"
    misspelt = client.post("/api/v1/deals/D1/lock-in", json={"start": start, "homework": "x"})
    assert misspelt.status_code == 422 and "homework" in misspelt.text
    # so is one the move does not know ("minute"), and a crowd of attendees
    later = (NOW + timedelta(days=6)).isoformat()
    for path, body in (
        (f"/api/v1/meetings/{meeting['id']}/reschedule", {"start": later, "minute": 90}),
        (f"/api/v1/meetings/{meeting['id']}/cancel", {"reason": "x", "notify": False}),
        (f"/api/v1/meetings/{meeting['id']}/outcome", {"outcome": "held", "at": "now"}),
        (
            "/api/v1/deals/D1/lock-in",
            {"start": start, "attendees": [{"email": f"p{n}@buyer.test"} for n in range(51)]},
        ),
        # inside a list too; and a time that is not a date-time string, or a length not a
        # whole number (a number would be read as seconds since 1970, a date as midnight)
        (
            "/api/v1/deals/D1/lock-in",
            {"start": start, "attendees": [{"email": "a@b.test", "x": 1}]},
        ),
        (
            "/api/v1/deals/D1/lock-in",
            {"start": start, "agenda": [{"side": "buyer", "text": "t", "x": 1}]},
        ),
        (
            f"/api/v1/meetings/{meeting['id']}/reschedule",
            {"start": later, "attendees": [{"email": "a@b.test", "x": 1}]},
        ),
        (f"/api/v1/meetings/{meeting['id']}/reschedule", {"start": 1797000000}),
        (f"/api/v1/meetings/{meeting['id']}/reschedule", {"start": later[:10]}),
        (f"/api/v1/meetings/{meeting['id']}/reschedule", {"start": later, "minutes": True}),
        ("/api/v1/deals/D1/lock-in", {"start": 12345}),
        ("/api/v1/deals/D1/lock-in", {"start": start, "minutes": 30.5}),
    ):
        refused = client.post(path, json=body)
        assert refused.status_code == 422, (path, body, refused.text)
    huge = client.post(
        "/api/v1/deals/D1/lock-in",
        content=b'{"start": "' + b"x" * 1_000_001 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert huge.status_code == 413 and huge.json()["code"] == "too_large"
    same = client.post(f"/api/v1/meetings/{meeting['id']}/reschedule", json={"start": start})
    assert same.status_code == 409 and "already at that time" in same.json()["detail"]
    moved = client.post(f"/api/v1/meetings/{meeting['id']}/reschedule", json={"start": later})
    assert moved.status_code == 201
    assert moved.json()["ical_uid"] == meeting["ical_uid"]
    assert moved.json()["sequence"] == meeting["sequence"] + 1
    canceled = client.post(f"/api/v1/meetings/{moved.json()['id']}/cancel")  # no reason, no body
    assert canceled.status_code == 200 and canceled.json()["state"] == "canceled"
    retried = client.post(f"/api/v1/meetings/{moved.json()['id']}/cancel")
    assert retried.status_code == 200 and retried.json() == canceled.json()
    with site.engine.database.unit_of_work(write=False) as session:
        kinds = [m.kind for m in session.query(OutboxMessage).order_by(OutboxMessage.id)]
    assert MessageKind.INVITATION in kinds and kinds.count(MessageKind.CANCELLATION) == 1
    detail = client.get("/api/v1/deals/D1").json()
    assert {m["state"] for m in detail["meetings"]} == {"held", "rescheduled", "canceled"}
    task_id = site.ids["ana"]["task_id"]
    done = client.post(f"/api/v1/tasks/{task_id}/complete")
    assert done.status_code == 200 and done.json()["status"] == "done"


def test_a_browser_session_may_call_the_api_but_changes_need_its_csrf_header(site: Site) -> None:
    client = site.signed_in("ana")
    assert SESSION_COOKIE in client.cookies
    assert client.get("/api/v1/deals").status_code == 200
    refused = client.post("/api/v1/meetings/M-ana/outcome", json={"outcome": "held"})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf"
    csrf = csrf_of(client.get("/deals").text)
    accepted = client.post(
        "/api/v1/meetings/M-ana/outcome", json={"outcome": "held"}, headers={"X-CSRF-Token": csrf}
    )
    assert accepted.status_code == 200


def test_the_openapi_description_lists_the_routes_and_their_problems(site: Site) -> None:
    schema = site.client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/deals",
        "/api/v1/deals/{deal_id}/lock-in",
        "/api/v1/meetings/{meeting_id}/reschedule",
        "/api/v1/meetings/{meeting_id}/cancel",
        "/api/v1/meetings/{meeting_id}/outcome",
        "/api/v1/tasks",
        "/api/v1/flags",
    ):
        assert path in paths
    assert not any(p.startswith("/deals") or p == "/login" for p in paths)  # pages are not API
    lock_in = paths["/api/v1/deals/{deal_id}/lock-in"]["post"]["responses"]
    assert {"201", "401", "404", "409", "422"} <= set(lock_in)
    assert PROBLEM in lock_in["404"]["content"]


def test_a_body_that_is_not_json_answers_400_and_one_sent_as_another_type_415(
    site: Site,
) -> None:
    client = _api(site, "ana")
    schema = client.get("/api/v1/openapi.json").json()
    with_body = [
        path.format(**site.ids["ana"])
        for path, operations in schema["paths"].items()
        for operation in operations.values()
        if "requestBody" in operation
        and {"400", "415"} <= set(operation["responses"])  # and the description says so
    ]
    assert len(with_body) == sum(
        "requestBody" in operation
        for operations in schema["paths"].values()
        for operation in operations.values()
    )
    assert len(with_body) == 4  # lock-in, reschedule, cancel, outcome
    for path in with_body:
        for body in (b'{"outcome": "held",}', b"outcome=held", b'{"start": "2026-'):
            broken = client.post(path, content=body, headers={"content-type": "application/json"})
            assert broken.status_code == 400, (path, body, broken.text)
            assert broken.headers["content-type"] == PROBLEM
            problem = broken.json()
            assert problem["code"] == "invalid_json", (path, problem)
            assert problem["detail"].startswith("the body is not valid JSON: "), problem
            assert "line 1, column" in problem["detail"], problem
        not_text = client.post(
            path, content=b'{"x": "\xff"}', headers={"content-type": "application/json"}
        )
        assert not_text.status_code == 400 and not_text.json()["code"] == "invalid_json"
        assert "UTF-8" in not_text.json()["detail"]
        for headers in ({"content-type": "text/plain"}, {}):
            as_text = client.post(path, content=b'{"outcome": "held"}', headers=headers)
            assert as_text.status_code == 415, (path, headers, as_text.text)
            assert as_text.headers["content-type"] == PROBLEM
            assert as_text.json()["code"] == "unsupported_media_type"
            assert "application/json" in as_text.json()["detail"]
        as_form = client.post(path, data={"outcome": "held"})
        assert as_form.status_code == 415, (path, as_form.text)
        assert "application/x-www-form-urlencoded" in as_form.json()["detail"]
    # nothing was changed by any of them; JSON with a charset, or as a +json type, is JSON
    assert client.get("/api/v1/meetings/M-ana").json()["state"] == "awaiting_outcome"
    held = client.post(
        "/api/v1/meetings/M-ana/outcome",
        content=b'{"outcome": "held"}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert held.status_code == 200, held.text
    # a route whose body may be left out still takes none, whatever the Content-Type says
    booked = client.post(
        "/api/v1/deals/D1/lock-in", json={"start": (NOW + timedelta(days=6)).isoformat()}
    )
    canceled = client.post(
        f"/api/v1/meetings/{booked.json()['meeting']['id']}/cancel",
        headers={"content-type": "text/plain"},
    )
    assert canceled.status_code == 200, canceled.text


def test_amount_sorts_within_each_currency_never_across_them(site: Site) -> None:
    amounts = {
        "J100": ("100", "JPY"),
        "E50": ("50", "EUR"),
        "J5000": ("5000", "JPY"),
        "E100b": ("100", "EUR"),
        "E100": ("100", "EUR"),
        "NOCUR": ("70", None),
        "ANOAMT": (None, "EUR"),
    }
    with site.engine.database.unit_of_work() as session:
        for deal_id, (amount, currency) in amounts.items():
            deal = make_deal(session, owner=site.world.rep, id=deal_id)
            deal.amount = Decimal(amount) if amount else None
            deal.currency = currency
    client = _api(site, "ana")
    seen: list[str] = []
    cursor = None
    while True:
        url = "/api/v1/deals?sort=amount&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url)
        assert page.status_code == 200, page.text
        seen.extend(d["id"] for d in page.json()["items"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    # the currencies A to Z, largest first in each (ties by id); an amount without its
    # currency after them; no amount last, by id whatever their currency (D1 has neither)
    assert seen == ["E100", "E100b", "E50", "J5000", "J100", "NOCUR", "ANOAMT", "D1"]
    # the cursor carries the currency with the amount; one without it was not given out
    first = client.get("/api/v1/deals?sort=amount&limit=1").json()["next_cursor"]
    order, key, deal_id = json.loads(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)))
    assert key == [0, "EUR", 100.0] and deal_id == "E100"
    for forged in ([order, 100.0, "E100"], [order, [0, "EUR"], "E100"], [order, [0, 1, 2], "E1"]):
        raw = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
        refused = client.get(f"/api/v1/deals?sort=amount&cursor={raw}")
        assert refused.status_code == 422 and refused.json()["code"] == "input", forged
    described = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/deals"]["get"]
    sort = next(p for p in described["parameters"] if p["name"] == "sort")
    assert "currency" in sort["description"]


def test_a_meeting_without_a_buyer_contact_moves_with_the_attendees_given(site: Site) -> None:
    """An imported meeting has no buyer contact: the move names who gets the update, as
    the lock-in does, and they become the deal's contacts."""
    with site.engine.database.unit_of_work() as session:
        deal = make_deal(session, owner=site.world.rep, id="IMP")
        make_meeting(session, deal=deal, id="M-imp", start=NOW + timedelta(days=3))
    client = _api(site, "ana")
    path = "/api/v1/meetings/M-imp/reschedule"
    later = (NOW + timedelta(days=4)).replace(hour=14, minute=0).isoformat()
    nobody = client.post(path, json={"start": later})
    assert nobody.status_code == 409 and "no buyer contact" in nobody.json()["detail"]
    for attendees, field in (
        ([{"email": "not an address"}], "attendees.0.email"),
        ([{"email": "x@imp.test", "timezone": "Mars/Olympus"}], "attendees.0.timezone"),
        ([{"email": f"p{n}@imp.test"} for n in range(51)], "attendees"),
    ):
        refused = client.post(path, json={"start": later, "attendees": attendees})
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == [field]
    moved = client.post(
        path,
        json={
            "start": later,
            "location": "https://call.example.test/imp",
            "attendees": [{"email": "Ida@Imp.test", "name": "Ida", "timezone": "Europe/Paris"}],
        },
    )
    assert moved.status_code == 201, moved.text
    assert moved.json()["location"] == "https://call.example.test/imp"
    with site.engine.database.unit_of_work(write=False) as session:
        contacts = [
            (c.email, c.name, c.timezone) for c in session.query(Contact).filter_by(deal_id="IMP")
        ]
        invitation = (
            session.query(OutboxMessage)
            .filter_by(meeting_id=moved.json()["id"], kind=MessageKind.INVITATION)
            .one()
        )
    assert contacts == [("ida@imp.test", "Ida", "Europe/Paris")]
    assert invitation.recipients == ["ida@imp.test"]
    assert client.get("/api/v1/meetings/M-imp").json()["state"] == "rescheduled"
