"""Schemathesis over every route of the real app (SQLite), with a valid key of each role:
no server errors and no response that breaks the schema (status codes, content types,
headers, bodies). Bounded: a few examples per operation and role, about a minute."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from _privacy_seed import seed  # noqa: E402

from faircollect.api.app import create_app  # noqa: E402
from faircollect.api.auth import issue_key  # noqa: E402
from faircollect.bootstrap import build_app  # noqa: E402
from faircollect.config import Secret, Settings  # noqa: E402
from faircollect.demo import approve_starter_library  # noqa: E402

EXAMPLES = 3
CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance, checks.response_headers_conformance,
          checks.response_schema_conformance]
ROLES: dict[str, dict[str, Any]] = {
    "collector": {"scopes": ("decide",)},
    "supervisor": {"scopes": ("decide", "payments")},
    "compliance": {"scopes": ("decide",)},
    "auditor": {},
    "admin": {"scopes": ("payments",)},
    "borrower": {"borrower_id": "b-2"},
}
# The schema is read from the app alone (nothing is opened until a request needs the store);
# the fixture points the app at a seeded database before any case runs.
APP = create_app(Settings(home=Path("/nonexistent"), database_url=Secret("sqlite://")),
                 rate_limit=0)
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
OPERATIONS = {op.ok().label: op.ok() for op in SCHEMA.get_all_operations()}


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, str]]]:
    home = tmp_path_factory.mktemp("fuzz") / "home"
    config = Settings(home=home, database_url=Secret(f"sqlite:///{home.parent / 'db.sqlite'}"))
    app = build_app(config)
    seed(app)
    approve_starter_library(app)
    app.store.dispose()
    out = {}
    for role, extra in ROLES.items():
        key = issue_key(home, actor_id=f"fuzz-{role}", role=role, **extra)
        out[role] = {"Authorization": f"Bearer {key}"}
    APP.state.settings, APP.state.services = config, None
    yield out
    if APP.state.services is not None:
        APP.state.services.store.dispose()
        APP.state.services = None


def test_every_operation_is_fuzzed() -> None:
    assert len(OPERATIONS) > 50 and "POST /v1/payments" in OPERATIONS


@pytest.mark.slow
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_route_keeps_its_schema(label: str, keys: dict[str, dict[str, str]]) -> None:
    operation = OPERATIONS[label]

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        for headers in keys.values():
            case.call_and_validate(headers={**(case.headers or {}), **headers}, checks=CHECKS)

    run()
