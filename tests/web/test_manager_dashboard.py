"""The dashboard and the audit API in the web app, on both databases: the API answers what
`momentum audit --json` prints for the same scope and period, the page shows the figures and
opens the deals behind them, pending weeks are marked, and scope is enforced (404)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from momentum.db.engine import Database
from tests.review.team import NOW, ManagerSite, make_team


@pytest.fixture
def site(database: Database) -> ManagerSite:
    with database.unit_of_work() as session:
        make_team(session)
    return ManagerSite(database)


def test_the_api_answers_what_momentum_audit_prints(
    site: ManagerSite, database: Database, tmp_path: Path
) -> None:
    maya = site.signed_in("maya@seller.test")
    as_of = ["--as-of", NOW.isoformat()]  # the app's clock
    for query, args in (
        ("team=north", ["--team", "north"]),
        (
            "rep=ana&since=2026-03-01&until=2026-03-08",
            ["--rep", "ana", "--since", "2026-03-01", "--until", "2026-03-08"],
        ),
    ):
        answer = maya.get(f"/api/v1/audit?{query}")
        assert answer.status_code == 200, answer.text
        printed = subprocess.run(
            [sys.executable, "-m", "momentum", "audit", "--json", "-", *as_of, *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**os.environ, "MOMENTUM_DATABASE_URL": database.url},
            check=True,
        )
        assert answer.json() == json.loads(printed.stdout)
    assert maya.get("/api/v1/audit?team=south").status_code == 404
    assert maya.get("/api/v1/audit?rep=cy").status_code == 404


def test_the_page_opens_the_deals_behind_each_figure(site: ManagerSite) -> None:
    maya = site.signed_in("maya@seller.test")
    page = maya.get("/dashboard?team=north")
    assert page.status_code == 200, page.text
    assert 'data-figure="second_meeting.booked_on_the_spot_rate"' in page.text
    assert "pending: 3" in page.text  # 2026-W10
    deals = maya.get(
        "/dashboard/deals?team=north&figure=second_meeting.booked_on_the_spot_rate&part=numerator"
    )
    assert deals.status_code == 200
    assert "/deals/D1" in deals.text and "/deals/D5" in deals.text and "/deals/D2" not in deals.text
    assert maya.get("/dashboard?team=south").status_code == 404
    assert maya.get("/dashboard/deals?figure=nonsense").status_code == 404
    assert maya.get("/dashboard?since=yesterday").status_code == 422
    ana = site.signed_in("ana@seller.test")
    assert ana.get("/dashboard?rep=cy").status_code == 404
