"""Schemathesis over every route of the real app (SQLite), with a valid key of each role,
every check enabled: no server errors, no response that breaks the schema (status codes,
content types, headers, bodies), schema-invalid data refused, schema-valid data accepted,
auth not ignored, required headers enforced, unsupported methods refused with Allow,
deleted resources gone. Bounded: a few examples per operation and role.

Schema-valid data is accepted except where acceptance depends on state no schema can
state; those operations, and why, are listed in `STATEFUL_REJECTIONS`, and there a 400 or
422 problem is accepted for schema-valid data (a 5xx or a schema violation still fails).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.config import SchemathesisConfig

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
          checks.response_schema_conformance, checks.negative_data_rejection,
          checks.positive_data_acceptance, checks.ignored_auth, checks.missing_required_header,
          checks.unsupported_method, checks.use_after_free, checks.ensure_resource_availability,
          checks.allow_header_conformance]
# Operations where a schema-valid request may be refused because of what is stored, not
# how it is written.
STATEFUL_REJECTIONS = {
    # A cursor is an opaque token this API signed; any other string is refused.
    "GET /v1/borrowers": "cursor", "GET /v1/borrowers/{borrower_id}/consents": "cursor",
    "GET /v1/cycle-runs": "cursor", "GET /v1/erasure-requests": "cursor",
    "GET /v1/outbox/messages": "cursor",
    # Tree sizes and entry ranges must lie inside the log as it is now.
    "GET /v1/audit/consistency": "tree sizes up to the current log size",
    "GET /v1/audit/bundle": "entries inside the log",
    # The compliance report needs a cycle run; a cycle date must fall in the portfolio.
    "GET /v1/reports/compliance": "a cycle has run",
    "GET /v1/reports/compliance.html": "a cycle has run",
    "POST /v1/cycle-runs": "dates inside the portfolio's life",
    # A period's end must not come before its start (two fields; a schema checks one).
    "GET /v1/governance/regulator-report": "a period that ends after it starts",
    # RFC 6749 5.2: fields required by the grant type, each given once; 400 invalid_request.
    "POST /v1/oauth/token": "grant-type fields", "POST /v1/oauth/otp": "each field once",
    # The jurisdiction must name a rule pack that exists.
    "POST /v1/policy/replays": "a known rule pack",
    "POST /v1/policy/decisions": "a known rule pack and a consistent request",
    "GET /v1/policy/rules/{rule_id}": "a known rule pack",
    # A decision request inside a governance call is checked as the decision route checks it.
    "POST /v1/governance/attempts/decide": "a whole decision request",
    # Uploaded content is parsed: a playbook or override YAML, training rows with the target.
    "POST /v1/governance/strategies": "a well-formed playbook or override",
    "POST /v1/risk/models/{model_id}/train": "rows holding the target column",
    # A DP release needs a budget for its scope with epsilon left; a total never goes below
    # what was spent.
    "POST /v1/sharing/dp/releases": "a budget with epsilon left",
    "POST /v1/sharing/dp/budgets": "a total not below what was spent",
    "GET /v1/sharing/dp/budgets/{scope}": "a budget set for the scope",
    # An edit needs If-Match with the resource's current ETag (RFC 9110 13.1.1; 428, 412).
    "POST /v1/templates/{template_id}/approve": "the current ETag",
}
CONFIG = SchemathesisConfig.from_dict({"operations": [
    {"include-name": name, "checks": {"positive_data_acceptance": {
        "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "412", "422",
                              "428", "429"]}}}
    for name in STATEFUL_REJECTIONS]})
ROLES: dict[str, dict[str, Any]] = {
    "collector": {"scopes": ("decide",)},
    "supervisor": {"scopes": ("decide", "payments")},
    "compliance": {"scopes": ("decide",)},
    "auditor": {},
    "admin": {"scopes": ("payments",)},
    "legal": {},
    "borrower": {"borrower_id": "b-2"},
}
# The schema is read from the app alone (nothing is opened until a request needs the store);
# the fixture points the app at a seeded database before any case runs.
APP = create_app(Settings(home=Path("/nonexistent"), database_url=Secret("sqlite://")),
                 rate_limit=0)
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG)
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
    assert set(STATEFUL_REJECTIONS) <= set(OPERATIONS), "a listed operation no longer exists"


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
