"""The store's trouble reaches a browser or an API client as 503, without the store's address:
here a SQLite store whose write lock another process holds past the busy timeout."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.runtime import Engine
from momentum.user.accounts import AccountService
from momentum.user.models import Role
from momentum.web.app import create_app
from tests.engine.conftest import NOW, engine_settings
from tests.web.conftest import PASSWORD, sign_in


def test_a_busy_store_is_503_without_its_address(tmp_path: Path, sqlite_template: Path) -> None:
    path = tmp_path / "momentum.db"
    path.write_bytes(sqlite_template.read_bytes())
    database = Database(f"sqlite:///{path}?timeout=0.1", migrate=False)
    clock = FixedClock(NOW)
    engine = Engine(engine_settings(database), database=database, clock=clock)
    with database.unit_of_work() as session:
        AccountService(session, clock=clock).add_user(
            email="admin@seller.test", password=PASSWORD, role=Role.ADMIN, rep_id=None
        )
    app = create_app(engine.settings, engine=engine)
    from fastapi.testclient import TestClient

    client = TestClient(app, base_url="http://testserver", follow_redirects=False)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        response = sign_in(client, "admin@seller.test")  # signing in writes a session
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        database.dispose()
    assert response.status_code == 503
    assert "try again shortly" in response.text
    assert str(path) not in response.text and "momentum.db" not in response.text


def test_a_bug_or_a_panic_in_polars_is_the_error_page_with_the_security_headers(
    sqlite_template: Path, tmp_path: Path
) -> None:
    """Polars' PanicException is a BaseException: it passed every handler and the browser
    got a bare 500 without the error page or the headers."""
    from fastapi.testclient import TestClient
    from polars.exceptions import PanicException

    path = tmp_path / "momentum.db"
    path.write_bytes(sqlite_template.read_bytes())
    database = Database(f"sqlite:///{path}", migrate=False)
    engine = Engine(engine_settings(database), database=database, clock=FixedClock(NOW))
    app = create_app(engine.settings, engine=engine)

    def panics() -> None:
        raise PanicException("assertion failed: i < self.len()")

    def fails() -> None:
        raise ValueError("a bug")

    app.add_api_route("/bug/panic", panics)
    app.add_api_route("/bug/plain", fails)
    app.add_api_route("/api/v1/bug/panic", panics)
    client = TestClient(app, raise_server_exceptions=False)
    try:
        for page in ("/bug/panic", "/bug/plain"):
            answer = client.get(page)
            assert answer.status_code == 500
            assert "something went wrong on our side" in answer.text
            assert "self.len" not in answer.text
            assert answer.headers["x-frame-options"] == "DENY"
            assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        api = client.get("/api/v1/bug/panic")
        assert api.status_code == 500
        assert api.headers["content-type"].startswith("application/problem+json")
    finally:
        database.dispose()
