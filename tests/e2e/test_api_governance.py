"""Governance over HTTP: an untrained collector's attempt is denied citing HOUSE-TRAINING,
allowed once compliance records a completion; the wrong role is refused."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_calls import bearer, refused
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "policy"))
from policy_requests import build  # noqa: E402

from faircollect.api.app import create_app  # noqa: E402
from faircollect.governance.training import Course  # noqa: E402
from faircollect.governance.training_service import TrainingService  # noqa: E402


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(create_app(app.settings, rate_limit=0)) as c:
        yield c


def test_training_gates_the_attempt_over_http(client, app) -> None:  # type: ignore[no-untyped-def]
    TrainingService(app.store).add_course(
        "officer", Course("cn-law", "PRC rules", "CN", ("PIPL",), 365, 80))
    body = {"person_id": "col-7", "request": build()}
    r = client.post("/v1/governance/attempts/decide", json=body,
                    headers=bearer(app, "collector"))
    assert r.status_code == 200, r.text
    assert not r.json()["allowed"]
    assert [v["rule"] for v in r.json()["violations"]] == ["HOUSE-TRAINING"]
    done = {"course_id": "cn-law", "person_id": "col-7", "score": 92,
            "completed_at": "2026-05-01T00:00:00Z"}
    refused(client.post("/v1/governance/training/completions", json=done,
                        headers=bearer(app, "collector")), 403)
    r = client.post("/v1/governance/training/completions", json=done,
                    headers=bearer(app, "compliance"))
    assert r.status_code == 201 and r.json()["passed"] is True, r.text
    r = client.post("/v1/governance/attempts/decide", json=body,
                    headers=bearer(app, "collector"))
    assert r.json()["allowed"] is True and r.json()["violations"] == []
    r = client.get("/v1/governance/training/status/col-7", params={"jurisdiction": "CN"},
                   headers=bearer(app, "supervisor"))
    assert r.json()["training_valid"] is True
    refused(client.get("/v1/governance/regulator-report",
                       params={"jurisdiction": "CN", "from": "2026-05-01", "to": "2026-05-31"},
                       headers=bearer(app, "collector")), 403)
    r = client.get("/v1/governance/regulator-report",
                   params={"jurisdiction": "CN", "from": "2026-05-01", "to": "2026-05-31"},
                   headers=bearer(app, "auditor"))
    assert r.status_code == 200 and r.json()["audit_checkpoint"].startswith("faircollect/audit")
