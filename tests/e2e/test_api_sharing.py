"""The DP report over HTTP (live server, SQLite and PostgreSQL): a budget set by compliance,
releases that state their epsilon and noise scale and spend from it, the release past the
budget refused with nothing spent; the wrong role and no credentials are refused."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_calls import bearer, refused
from live_server import live_client
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from _privacy_seed import seed  # noqa: E402

from faircollect.api.app import create_app  # noqa: E402
from faircollect.sharing.dp import KEYS  # noqa: E402
from faircollect.store.tables.audit import audit_entries  # noqa: E402
from faircollect.store.tables.sharing import dp_releases  # noqa: E402

BUDGET = "/v1/sharing/dp/budgets"
RELEASE = "/v1/sharing/dp/releases"


@pytest.fixture
def client(app) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    seed(app)
    with live_client(create_app(app.settings, rate_limit=0)) as c:
        yield c


def _count(app, table, action: str | None = None) -> int:  # type: ignore[no-untyped-def]
    q = select(func.count()).select_from(table)
    if action is not None:
        q = q.where(audit_entries.c.action == action)
    with app.store.read() as conn:
        return int(conn.execute(q).scalar_one())


def test_release_spends_the_budget_and_is_refused_past_it(client, app) -> None:  # type: ignore[no-untyped-def]
    officer = bearer(app, "compliance", actor="dpo-1")
    refused(client.post(RELEASE, json={"epsilon": 0.5, "as_of": "2026-03-01"},
                        headers=officer), 404)  # no budget for the scope yet
    r = client.post(BUDGET, json={"scope": "industry", "total_epsilon": 1.0}, headers=officer)
    assert r.status_code == 200, r.text
    assert r.json() == {"scope": "industry", "total_epsilon": 1.0, "spent": 0.0,
                        "remaining": 1.0, "releases": 0}
    r = client.post(RELEASE, json={"dimension": "region", "epsilon": 0.6, "as_of": "2026-03-01"},
                    headers=officer)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["epsilon"] == 0.6 and body["noise_scale"] == pytest.approx(3 / 0.6)
    assert body["sensitivity"] == 3 and body["mechanism"]
    assert [row["key"] for row in body["rows"]] == list(KEYS["region"])  # public keys only
    assert all(isinstance(row["borrowers"], int) for row in body["rows"])
    assert body["budget"]["remaining"] == pytest.approx(0.4) and body["budget"]["releases"] == 1

    entries, releases = _count(app, audit_entries), _count(app, dp_releases)
    r = client.post(RELEASE, json={"dimension": "bucket", "epsilon": 0.5}, headers=officer)
    refused(r, 409)
    assert "exhausted" in r.json()["detail"]
    assert (_count(app, audit_entries), _count(app, dp_releases)) == (entries, releases)
    shown = client.get(f"{BUDGET}/industry", headers=bearer(app, "auditor"))
    assert shown.status_code == 200
    assert shown.json()["spent"] == pytest.approx(0.6) and shown.json()["releases"] == 1

    r = client.post(RELEASE, json={"dimension": "product", "epsilon": 0.4, "as_of": "2026-03-01"},
                    headers=bearer(app, "admin"))
    assert r.status_code == 201, r.text
    assert r.json()["budget"]["remaining"] == pytest.approx(0.0)
    assert [row["key"] for row in r.json()["rows"]] == list(KEYS["product"])
    refused(client.post(BUDGET, json={"scope": "industry", "total_epsilon": 0.5},
                        headers=officer), 409)  # never below what was spent
    assert _count(app, audit_entries, "sharing.dp_release") == 2
    refused(client.get(f"{BUDGET}/nowhere", headers=officer), 404)
    for eps in (0.0, 5e-324, 0.0009, 10.5):  # outside [0.001, 10]
        refused(client.post(RELEASE, json={"epsilon": eps}, headers=officer), 422)


def test_wrong_role_and_no_credentials_are_refused(client, app) -> None:  # type: ignore[no-untyped-def]
    client.post(BUDGET, json={"total_epsilon": 1.0}, headers=bearer(app, "compliance"))
    release = {"epsilon": 0.1, "as_of": "2026-03-01"}
    for role in ("collector", "supervisor", "auditor", "legal", "borrower"):
        head = bearer(app, role)
        refused(client.post(RELEASE, json=release, headers=head), 403)
        refused(client.post(BUDGET, json={"total_epsilon": 2.0}, headers=head), 403)
    for role in ("collector", "supervisor", "legal", "borrower"):
        refused(client.get(f"{BUDGET}/industry", headers=bearer(app, role)), 403)
    refused(client.post(RELEASE, json=release), 401)
    refused(client.post(BUDGET, json={"total_epsilon": 2.0}), 401)
    refused(client.get(f"{BUDGET}/industry"), 401)
    refused(client.post(RELEASE, json=release, headers={"Authorization": "Bearer nope"}), 401)
    # nothing was spent or changed by the refused calls
    shown = client.get(f"{BUDGET}/industry", headers=bearer(app, "admin")).json()
    assert (shown["total_epsilon"], shown["spent"], shown["releases"]) == (1.0, 0.0, 0)
    assert _count(app, dp_releases) == 0
