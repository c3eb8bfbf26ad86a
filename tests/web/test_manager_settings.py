"""Settings for administrators, on both databases: users and roles, a rep's zone and holiday
country, the rules as in force, and a test message to a real SMTP server (aiosmtpd) and a
loopback Slack receiver. Nobody else opens them."""

from __future__ import annotations

import pytest

from momentum.db.engine import Database
from momentum.rep.models import Rep
from momentum.user.models import Role, User
from tests.engine.conftest import SlackReceiver, SmtpServer, slack_receiver, smtp_server
from tests.review.team import ManagerSite, make_team
from tests.web.conftest import csrf_of

__all__ = ["slack_receiver", "smtp_server"]  # the fixtures, used by name


@pytest.fixture
def site(database: Database, smtp_server: SmtpServer, slack_receiver: SlackReceiver) -> ManagerSite:
    with database.unit_of_work() as session:
        make_team(session)
    return ManagerSite(database, smtp_server, slack_webhook_url=slack_receiver.url)


def test_only_administrators_open_the_settings(site: ManagerSite) -> None:
    assert site.signed_in("maya@seller.test").get("/settings").status_code == 403
    page = site.signed_in("admin@seller.test").get("/settings")
    assert page.status_code == 200
    assert "meeting_two_not_booked" in page.text and "grace minutes: 60" in page.text


def test_users_roles_and_a_rep_s_calendar(site: ManagerSite, database: Database) -> None:
    admin = site.signed_in("admin@seller.test")
    token = csrf_of(admin.get("/settings").text)
    added = admin.post(
        "/settings/users",
        data={
            "csrf_token": token,
            "email": "Lee@Seller.test",
            "password": "a long enough password",
            "role": "rep",
            "rep_id": "bo",
        },
    )
    assert added.status_code == 303
    with database.unit_of_work(write=False) as session:
        lee = session.query(User).filter_by(email="lee@seller.test").one()
        maya = session.query(User).filter_by(email="maya@seller.test").one()
    maya_client = site.signed_in("maya@seller.test")
    assert (
        admin.post(
            f"/settings/users/{lee.id}/role",
            data={"csrf_token": token, "role": "manager", "rep_id": "bo"},
        ).status_code
        == 303
    )
    # a manager made a rep: their session ends, the new scope applies at the next sign-in
    admin.post(
        f"/settings/users/{maya.id}/role",
        data={"csrf_token": token, "role": "rep", "rep_id": "maya"},
    )
    assert maya_client.get("/review").status_code == 303
    assert (
        admin.post(
            f"/settings/users/{lee.id}/role",
            data={"csrf_token": token, "role": "rep", "rep_id": ""},
        ).status_code
        == 422
    )
    assert (
        admin.post(
            f"/settings/users/{lee.id}/active", data={"csrf_token": token, "active": "no"}
        ).status_code
        == 303
    )
    assert (
        admin.post(
            "/settings/reps/ana",
            data={"csrf_token": token, "timezone": "Europe/Paris", "country": "fr"},
        ).status_code
        == 303
    )
    assert (
        admin.post(
            "/settings/reps/ana", data={"csrf_token": token, "timezone": "Mars/Olympus"}
        ).status_code
        == 422
    )
    assert (
        admin.post(
            "/settings/reps/nobody", data={"csrf_token": token, "timezone": "UTC"}
        ).status_code
        == 404
    )
    with database.unit_of_work(write=False) as session:
        ana = session.get(Rep, "ana")
        assert ana is not None and (ana.timezone, ana.country) == ("Europe/Paris", "FR")
        lee = session.query(User).filter_by(email="lee@seller.test").one()
        assert (lee.role, lee.active) == (Role.MANAGER, False)


def test_a_test_message_by_email_and_slack(
    site: ManagerSite, smtp_server: SmtpServer, slack_receiver: SlackReceiver
) -> None:
    admin = site.signed_in("admin@seller.test")
    token = csrf_of(admin.get("/settings").text)
    sent = admin.post(
        "/settings/test-message",
        data={"csrf_token": token, "channel": "email", "to": "ops@seller.test"},
    )
    assert "sent=sent+to+ops%40seller.test" in sent.headers["location"]
    assert [str(m["To"]) for m in smtp_server.messages] == ["ops@seller.test"]
    admin.post("/settings/test-message", data={"csrf_token": token, "channel": "slack"})
    assert "test message from Momentum" in slack_receiver.posts[0][0]["text"]
    slack_receiver.status = 500
    failed = admin.post("/settings/test-message", data={"csrf_token": token, "channel": "slack"})
    page = admin.get(failed.headers["location"])
    assert "The test message failed: slack: Slack webhook answered 500" in page.text
    assert slack_receiver.url not in page.text  # the webhook is a secret
