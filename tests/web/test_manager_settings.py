"""Settings for administrators, on both databases: users and roles, a rep's zone and holiday
country, the rules as in force, and a test message to a real SMTP server (aiosmtpd) and a
loopback Slack receiver. Nobody else opens them."""

from __future__ import annotations

import html
import os
import re
from datetime import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from momentum.clock import FixedClock
from momentum.config import Settings
from momentum.db.engine import Database
from momentum.deal.models import Deal, Outcome
from momentum.rep.models import Rep
from momentum.rules.models import RuleOverride
from momentum.runtime import Engine
from momentum.user.models import Role, User
from momentum.web.app import create_app
from tests.engine.conftest import SlackReceiver, SmtpServer, slack_receiver, smtp_server
from tests.review.team import NOW, PASSWORD, ManagerSite, make_team
from tests.web.conftest import csrf_of

__all__ = ["slack_receiver", "smtp_server"]  # the fixtures, used by name


def _rule_row(page: str, rule_key: str, option: str) -> str:
    found = re.search(rf'<tr id="rule-{rule_key}-{option}".*?</tr>', page, re.S)
    assert found, f"no row for {rule_key}.{option}"
    return found.group(0)


@pytest.fixture
def site(database: Database, smtp_server: SmtpServer, slack_receiver: SlackReceiver) -> ManagerSite:
    with database.unit_of_work() as session:
        make_team(session)
    return ManagerSite(database, smtp_server, slack_webhook_url=slack_receiver.url)


def test_only_administrators_open_the_settings(site: ManagerSite) -> None:
    assert site.signed_in("maya@seller.test").get("/settings").status_code == 403
    page = site.signed_in("admin@seller.test").get("/settings")
    assert page.status_code == 200
    row = _rule_row(page.text, "meeting_two_not_booked", "grace_minutes")
    assert 'name="value" value="60"' in row and 'data-source="default"' in row


def test_users_roles_and_a_rep_s_calendar(site: ManagerSite, database: Database) -> None:
    admin = site.signed_in("admin@seller.test")
    page = admin.get("/settings").text
    token = csrf_of(page)
    # a new user is a rep unless the administrator picks more
    add_form = page[page.index('action="/settings/users"') :]
    assert '<option value="rep" selected>' in add_form[: add_form.index("</form>")]
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
    # every problem of the form at once, not the first alone
    wrong = {"timezone": "Mars/Base", "country": "ZZ", "work_start": "17:00", "work_end": "09:00"}
    refused = admin.post("/settings/reps/ana", data={"csrf_token": token, **wrong})
    assert refused.status_code == 422
    said = html.unescape(refused.text)
    for part in ("timezone: 'Mars/Base'", "country: ", "work_end: 09:00 is not after the start"):
        assert part in said, part
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
    assert sent.status_code == 200 and "sent to ops@seller.test" in sent.text
    assert [str(m["To"]) for m in smtp_server.messages] == ["ops@seller.test"]
    admin.post("/settings/test-message", data={"csrf_token": token, "channel": "slack"})
    assert "test message from Momentum" in slack_receiver.posts[0][0]["text"]
    slack_receiver.status = 500
    page = admin.post("/settings/test-message", data={"csrf_token": token, "channel": "slack"})
    assert "The test message failed: slack: Slack webhook answered 500" in page.text
    assert slack_receiver.url not in page.text  # the webhook is a secret
    # the result is the answer to the form, never read from an address someone could send
    forged = admin.get("/settings?failed=Call+support+at+evil.example&sent=x").text
    assert "evil.example" not in forged and "The test message" not in forged


def test_without_an_smtp_server_the_page_says_email_is_not_configured(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No MOMENTUM_SMTP_HOST: the page said "Email through localhost:25", and the test
    message tried it. It says email is not configured and what happens to email meanwhile,
    and the test message says so without connecting anywhere."""
    for name in [n for n in os.environ if n.startswith("MOMENTUM_SMTP_")]:
        monkeypatch.delenv(name)
    with database.unit_of_work() as session:
        make_team(session)
    settings = Settings(_env_file=None, database_url=database.url)  # type: ignore[call-arg]
    assert not settings.smtp_configured
    engine = Engine(settings, database=database, clock=FixedClock(NOW))
    admin = TestClient(
        create_app(settings, engine=engine), base_url="http://testserver", follow_redirects=False
    )
    login = admin.get("/login")
    admin.post(
        "/login",
        data={
            "email": "admin@seller.test",
            "password": PASSWORD,
            "csrf_token": csrf_of(login.text),
        },
    )
    page = admin.get("/settings").text
    assert "Email through" not in page
    note = re.search(r'<p class="notice" id="email-not-configured">(.*?)</p>', page, re.S)
    assert note is not None, page
    said = " ".join(note.group(1).split())
    assert "Email is not configured</strong>: MOMENTUM_SMTP_HOST is not set" in said
    # the defaults: 8 tries, 30 s doubling (30 + 60 + ... + 1920 s = 3810 s) before failing
    assert "each email is tried 8 times over about 64 minutes, then marked failed" in said
    assert '<button type="submit" disabled>Send a test email</button>' in page
    answer = admin.post(
        "/settings/test-message",
        data={"csrf_token": csrf_of(page), "channel": "email", "to": "ops@seller.test"},
    )
    assert answer.status_code == 200
    assert "The test message failed: email is not configured (MOMENTUM_SMTP_HOST" in answer.text
    # nothing tried: neither sent (through whatever listens there) nor a connection error
    assert "cannot reach SMTP server" not in answer.text and "sent to" not in answer.text


def test_an_smtp_server_named_in_the_settings_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [n for n in os.environ if n.startswith("MOMENTUM_SMTP_")]:
        monkeypatch.delenv(name)
    assert not Settings(_env_file=None).smtp_configured  # type: ignore[call-arg]
    assert Settings(_env_file=None, smtp_host="localhost").smtp_configured  # type: ignore[call-arg]
    monkeypatch.setenv("MOMENTUM_SMTP_PORT", "1025")
    assert Settings(_env_file=None).smtp_configured  # type: ignore[call-arg]


def test_an_administrator_sets_a_rule_s_target_and_resets_it(
    site: ManagerSite, database: Database
) -> None:
    admin = site.signed_in("admin@seller.test")
    token = csrf_of(admin.get("/settings").text)
    url = "/settings/rules/gap_too_long/target_business_days"
    saved = admin.post(url, data={"csrf_token": token, "value": "3"})
    assert saved.status_code == 303
    assert saved.headers["location"] == "/settings#rule-gap_too_long-target_business_days"
    row = _rule_row(admin.get("/settings").text, "gap_too_long", "target_business_days")
    assert 'name="value" value="3"' in row and 'data-source="app"' in row
    assert "set here by admin@seller.test, 2026-03-11 09:00 UTC" in row
    assert "otherwise 5" in row
    # the figures keep their own target, and the row says so
    assert (
        "measure the gap against <code>MOMENTUM_TARGET_BUSINESS_DAYS</code>: 5 business days, not 3"
        in row
    )
    with database.unit_of_work(write=False) as session:
        stored = session.scalars(select(RuleOverride)).one()
        assert (stored.rule_key, stored.option, stored.value) == (
            "gap_too_long",
            "target_business_days",
            3,
        )
        open_deals = session.scalars(select(Deal).where(Deal.outcome == Outcome.OPEN)).all()
        assert open_deals and all(d.rules_due_at == site.clock.now() for d in open_deals)

    assert admin.post(f"{url}/reset", data={"csrf_token": token}).status_code == 303
    row = _rule_row(admin.get("/settings").text, "gap_too_long", "target_business_days")
    assert 'name="value" value="5"' in row and 'data-source="default"' in row
    assert "<code>MOMENTUM_TARGET_BUSINESS_DAYS</code>: 5 business days." in row
    # a yes/no option reads yes or no, not Python's True
    alert = "/settings/rules/no_show/alert"
    assert admin.post(alert, data={"csrf_token": token, "value": "false"}).status_code == 303
    row = _rule_row(admin.get("/settings").text, "no_show", "alert")
    assert "otherwise yes" in row and "True" not in row


@pytest.mark.parametrize(
    ("url", "value", "status", "message"),
    [
        (
            "/settings/rules/stalled/days",
            "0",
            422,
            "days: Input should be greater than or equal to 1",
        ),
        ("/settings/rules/stalled/days", "2.5", 422, "days: Input should be a valid integer"),
        ("/settings/rules/stalled/days", "", 422, "days: enter a value"),
        ("/settings/rules/no_show/alert", "perhaps", 422, "alert: Input should be a valid boolean"),
        ("/settings/rules/nothing/days", "3", 404, "no rule"),
        (  # it was stored as 1e+23, then dropped unread: the default came back silently
            "/settings/rules/gap_too_long/target_business_days",
            "99999999999999999999999",
            422,
            "target_business_days: Input should be less than or equal to 260",
        ),
        ("/settings/rules/stalled/days", "100000", 422, "days: Input should be less than or"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field(
    site: ManagerSite, database: Database, url: str, value: str, status: int, message: str
) -> None:
    admin = site.signed_in("admin@seller.test")
    token = csrf_of(admin.get("/settings").text)
    refused = admin.post(url, data={"csrf_token": token, "value": value})
    assert refused.status_code == status
    assert message in refused.text
    with database.unit_of_work(write=False) as session:
        assert session.scalars(select(RuleOverride)).all() == []


def test_nobody_else_changes_the_rules_and_every_form_needs_its_token(
    site: ManagerSite, database: Database
) -> None:
    url = "/settings/rules/stalled/days"
    for email in ("maya@seller.test", "ana@seller.test"):
        client = site.signed_in(email)
        token = csrf_of(client.get("/today").text)
        assert client.post(url, data={"csrf_token": token, "value": "3"}).status_code == 403
        assert client.post(f"{url}/reset", data={"csrf_token": token}).status_code == 403
    admin = site.signed_in("admin@seller.test")
    assert admin.post(url, data={"value": "3"}).status_code == 403
    assert admin.post(url, data={"csrf_token": "forged", "value": "3"}).status_code == 403
    with database.unit_of_work(write=False) as session:
        assert session.scalars(select(RuleOverride)).all() == []
    page = admin.get("/settings").text
    forms = re.findall(r"<form method=\"post\".*?</form>", page, re.S)
    assert forms and all('name="csrf_token"' in form for form in forms)


def test_a_rep_s_working_hours(site: ManagerSite, database: Database) -> None:
    admin = site.signed_in("admin@seller.test")
    token = csrf_of(admin.get("/settings").text)
    hours = {"csrf_token": token, "timezone": "Europe/Berlin", "country": "DE"}
    saved = admin.post(
        "/settings/reps/ana", data={**hours, "work_start": "08:00", "work_end": "12:30"}
    )
    assert saved.status_code == 303
    with database.unit_of_work(write=False) as session:
        ana = session.get(Rep, "ana")
        assert ana is not None and (ana.work_start, ana.work_end) == (time(8, 0), time(12, 30))
    assert 'value="08:00"' in admin.get("/settings").text
    for start, end, message in (
        ("12:00", "09:00", "work_end: 09:00 is not after the start, 12:00"),
        ("8 am", "12:00", "work_start: &#39;8 am&#39; is not a time of day"),
        ("08:00", "", "work_end: give both"),
    ):
        refused = admin.post(
            "/settings/reps/ana", data={**hours, "work_start": start, "work_end": end}
        )
        assert refused.status_code == 422 and message in refused.text, refused.text
    # blank: back to the policy's working day
    admin.post("/settings/reps/ana", data=hours)
    with database.unit_of_work(write=False) as session:
        ana = session.get(Rep, "ana")
        assert ana is not None and (ana.work_start, ana.work_end) == (None, None)
