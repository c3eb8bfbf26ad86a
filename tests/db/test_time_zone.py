"""PostgreSQL sessions run in UTC whatever the server's (or the URL's) default: the store holds
naive UTC, and the rule engine reads instants back as ``timestamptz``."""

from __future__ import annotations

from datetime import UTC, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import text

from momentum.db.engine import Database
from momentum.rules.facts import load_facts
from tests.factories import T0, make_deal, make_meeting, make_rep


def test_a_session_in_another_zone_still_reads_instants_as_utc(postgres_url: str | None) -> None:
    if postgres_url is None:
        pytest.skip("no PostgreSQL server reachable")
    elsewhere = postgres_url + "?options=" + quote("-c TimeZone=America/New_York")
    database = Database(elsewhere, migrate=False)
    try:
        with database.unit_of_work() as session:
            assert session.execute(text("SHOW TIME ZONE")).scalar_one() == "UTC"
            deal = make_deal(session, owner=make_rep(session, id="ana"), id="D1")
            make_meeting(session, deal=deal, start=T0 + timedelta(days=1))
        with database.unit_of_work(write=False) as session:
            facts = load_facts(session, None, now=T0, open_task_rules={})
        [meeting] = facts["D1"].meetings
        assert meeting.start_at == T0 + timedelta(days=1)
        assert meeting.start_at.tzinfo is UTC
        assert facts["D1"].opened_at == T0
    finally:
        from tests.conftest import _empty_postgres

        _empty_postgres(database)
        database.dispose()
