"""schemathesis against the OpenAPI description: generated requests to every operation,
signed in with a token; no 5xx, and every response (problems included) matches what the
description says. Bounded: a few examples per operation, derandomized, no deadline."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.runtime import Engine
from momentum.user.accounts import AccountService
from momentum.user.models import Role
from momentum.web.app import create_app
from tests.engine.conftest import NOW, engine_settings
from tests.engine.world import make_world
from tests.web.conftest import PASSWORD, POLICY

EXAMPLES_PER_OPERATION = 12


@pytest.mark.slow
def test_the_api_keeps_to_its_openapi_description(sqlite_database: Database) -> None:
    clock = FixedClock(NOW)
    engine = Engine(engine_settings(sqlite_database), database=sqlite_database, clock=clock)
    with sqlite_database.unit_of_work() as session:
        make_world(session)
        accounts = AccountService(session, clock=clock, policy=POLICY)
        accounts.add_user(email="ana@seller.test", password=PASSWORD, role=Role.REP, rep_id="ana")
        secret = accounts.create_token("ana@seller.test")[1]
    app = create_app(engine.settings, engine=engine, policy=POLICY)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 13

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def check(case: Any) -> None:
            case.call_and_validate(
                headers={"Authorization": f"Bearer {secret}"},
                # random ids are rightly unknown (404), random bookings rightly refused (409)
                excluded_checks=[positive_data_acceptance],
            )

        check()


def test_the_description_says_how_to_sign_in(sqlite_database: Database) -> None:
    """Every operation names both ways in: a personal token and the browser's session."""
    engine = Engine(engine_settings(sqlite_database), database=sqlite_database)
    description = create_app(engine.settings, engine=engine).openapi()
    schemes = description["components"]["securitySchemes"]
    assert schemes["token"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["token"]["description"],
    }
    assert "momentum token create" in schemes["token"]["description"]
    assert schemes["session"]["type"] == "apiKey" and schemes["session"]["in"] == "cookie"
    operations = [op for path in description["paths"].values() for op in path.values()]
    assert len(operations) == 13
    for operation in operations:
        assert {"token": []} in operation["security"]
        assert {"session": []} in operation["security"]


def test_every_bound_is_stated_in_json_schema_words(sqlite_database: Database) -> None:
    """A bound pydantic cannot place on the type is written as its own keyword ("ge"), which
    no client generator reads: every one must be minimum, maximum, minLength..."""
    engine = Engine(engine_settings(sqlite_database), database=sqlite_database)
    description = create_app(engine.settings, engine=engine).openapi()
    raw: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            raw.extend(f"{where}.{key}" for key in ("ge", "le", "gt", "lt") if key in node)
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}[{index}]")

    walk(description, "")
    assert raw == []
    minutes = description["components"]["schemas"]["Reschedule"]["properties"]["minutes"]
    assert {"type": "integer", "minimum": 5, "maximum": 480} in minutes["anyOf"]
