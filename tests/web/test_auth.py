"""Signing in and out: argon2id, CSRF on every form, the rate limit, sessions in the store
that end at sign-out, at expiry, on disable and on a new password; security headers."""

from __future__ import annotations

from datetime import timedelta

from momentum.user.models import User
from momentum.user.passwords import Passwords
from momentum.web.app import area_routes
from momentum.web.security import SESSION_COOKIE
from tests.web.conftest import PASSWORD, USERS, Site, csrf_of, sign_in


def test_sign_in_sets_a_session_and_sign_out_ends_it(site: Site) -> None:
    client = site.client()
    assert client.get("/deals").headers["location"] == "/login?next=%2Fdeals"
    response = sign_in(client, USERS["ana"][0])
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    stolen = client.cookies[SESSION_COOKIE]
    home = client.get("/deals")
    assert home.status_code == 200
    assert client.post("/logout", data={"csrf_token": csrf_of(home.text)}).status_code == 303
    # the old cookie no longer opens anything: the session is gone from the store
    replay = site.client()
    replay.cookies.set(SESSION_COOKIE, stolen)
    assert replay.get("/deals").status_code == 303


def test_passwords_are_argon2id_and_wrong_ones_are_refused(site: Site) -> None:
    with site.engine.database.unit_of_work(write=False) as session:
        hashes = [u.password_hash for u in session.query(User).all()]
    assert all(h.startswith("$argon2id$") for h in hashes)
    default = Passwords().hash("a password")
    assert default.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert Passwords().verify(default, "a password")
    assert not Passwords().verify(default, "another")
    assert not Passwords().verify(None, "a password")
    response = sign_in(site.client(), USERS["ana"][0], "wrong password")
    assert response.status_code == 401
    assert "do not match" in response.text
    assert SESSION_COOKIE not in response.cookies
    # nothing typed: the form again, saying what is missing (it was a bare error page)
    empty = sign_in(site.client(), "", "")
    assert empty.status_code == 422 and "Enter your email and your password." in empty.text
    assert 'name="password"' in empty.text


def test_the_next_page_is_kept_but_never_leaves_the_site(site: Site) -> None:
    client = site.client()
    page = client.get("/login?next=//evil.test/x")
    response = client.post(
        "/login",
        data={
            "email": USERS["ana"][0],
            "password": PASSWORD,
            "next": "//evil.test/x",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert response.headers["location"] == "/"


def test_sign_in_without_the_forms_token_is_refused(site: Site) -> None:
    client = site.client()
    client.get("/login")
    response = client.post("/login", data={"email": USERS["ana"][0], "password": PASSWORD})
    assert response.status_code == 403
    assert SESSION_COOKIE not in client.cookies


def test_signed_in_forms_without_the_sessions_token_are_refused(site: Site) -> None:
    client = site.signed_in("ana")
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/deals").status_code == 200  # still signed in


def test_every_state_changing_page_route_requires_the_csrf_token(site: Site) -> None:
    client = site.signed_in("admin")
    posts = [
        path
        for kind, method, path in area_routes()
        if kind == "page" and method not in {"GET", "HEAD"} and path != "/login"
    ]
    assert "/logout" in posts
    for path in posts:
        concrete = path.replace("{", "").replace("}", "")
        assert client.post(concrete, data={}).status_code == 403, path


def test_sign_in_is_throttled_per_email_in_the_store(site: Site) -> None:
    email = USERS["bo"][0]
    limit = site.app.state.sign_in_policy.max_failures_per_email
    for _ in range(limit):
        assert sign_in(site.client(), email, "nope nope").status_code == 401
    # a fresh client (another process would see the same rows): refused, even the right password
    throttled = sign_in(site.client(), email, PASSWORD)
    assert throttled.status_code == 429
    assert "Too many" in throttled.text
    assert int(throttled.headers["retry-after"]) > 0
    # another user is not affected
    assert sign_in(site.client(), USERS["ana"][0]).status_code == 303
    site.clock.advance(site.app.state.sign_in_policy.window + timedelta(seconds=1))
    assert sign_in(site.client(), email).status_code == 303


def test_sign_in_is_throttled_per_client_address(site: Site) -> None:
    limit = site.app.state.sign_in_policy.max_failures_per_client
    for n in range(limit):
        sign_in(site.client(), f"nobody{n}@seller.test", "nope nope")
    assert sign_in(site.client(), USERS["ana"][0]).status_code == 429


def test_a_session_ends_at_expiry(site: Site) -> None:
    client = site.signed_in("ana")
    assert client.get("/deals").status_code == 200
    site.clock.advance(site.app.state.sign_in_policy.session_lifetime + timedelta(seconds=1))
    assert client.get("/deals").headers["location"].startswith("/login")


def test_a_session_ends_when_the_user_is_disabled_or_the_password_changes(site: Site) -> None:
    ana, bo = site.signed_in("ana"), site.signed_in("bo")
    with site.engine.database.unit_of_work() as session:
        site.accounts(session).disable(USERS["ana"][0])
        site.accounts(session).set_password(USERS["bo"][0], "a brand new one")
    assert ana.get("/deals").status_code == 303
    assert bo.get("/deals").status_code == 303
    assert sign_in(site.client(), USERS["ana"][0]).status_code == 401
    assert sign_in(site.client(), USERS["bo"][0], "a brand new one").status_code == 303


def test_security_headers_on_pages_and_errors(site: Site) -> None:
    client = site.client()
    for response in (client.get("/login"), client.get("/no/such/page")):
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
    assert client.get("/static/momentum.css").status_code == 200


def test_the_icon_is_where_browsers_look_for_it_without_signing_in(site: Site) -> None:
    client = site.client()
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301
    assert answer.headers["location"] == "/static/favicon.svg"
    icon = client.get(answer.headers["location"])
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
