"""Subject requests over HTTP (SQLite and PostgreSQL): export through the access guard, and
erasure with four eyes (asked by one, approved by another, If-Match required)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_calls import bearer as _key
from api_calls import refused as _refused
from live_server import live_client
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from _privacy_seed import seed  # noqa: E402

from faircollect.api.app import create_app  # noqa: E402
from faircollect.store.tables.foundation import borrowers  # noqa: E402


@pytest.fixture
def client(app) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    seed(app)
    with live_client(create_app(app.settings, rate_limit=0)) as c:
        yield c


def _erased(app: Any, borrower_id: str) -> bool:
    with app.store.read() as conn:
        return conn.execute(select(borrowers.c.erased_at).where(
            borrowers.c.borrower_id == borrower_id)).scalar() is not None


def test_export_for_the_borrower_and_compliance_only(client, app) -> None:  # type: ignore[no-untyped-def]
    own = client.get("/v1/borrowers/b-2/export", headers=_key(app, "borrower"))
    assert own.status_code == 200, own.text
    assert "Jane Doe" in own.text
    assert client.get("/v1/borrowers/b-2/export",
                      headers=_key(app, "compliance")).status_code == 200
    _refused(client.get("/v1/borrowers/b-1/export", headers=_key(app, "borrower")), 403)
    for role in ("collector", "supervisor", "auditor"):
        _refused(client.get("/v1/borrowers/b-2/export", headers=_key(app, role)), 403)
    _refused(client.get("/v1/borrowers/b-2/export"), 401)
    _refused(client.get("/v1/borrowers/b-404/export", headers=_key(app, "compliance")), 404)


def test_erasure_needs_a_second_person_and_if_match(client, app) -> None:  # type: ignore[no-untyped-def]
    asker = _key(app, "compliance", actor="officer-a")
    approver = _key(app, "compliance", actor="officer-b")
    made = client.post("/v1/borrowers/b-2/erasure-requests", headers=asker,
                       json={"reason": "request"})
    assert made.status_code == 201, made.text
    rid = made.json()["request_id"]
    assert made.json()["state"] == "pending"
    _refused(client.post("/v1/borrowers/b-2/erasure-requests", headers=asker), 409)
    queue = client.get("/v1/erasure-requests", params={"state": "pending"},
                       headers=approver).json()
    assert [r["request_id"] for r in queue["requests"]] == [rid]
    etag = client.get(f"/v1/erasure-requests/{rid}", headers=approver).headers["etag"]
    _refused(client.post(f"/v1/erasure-requests/{rid}/approve", headers=approver), 428)
    _refused(client.post(f"/v1/erasure-requests/{rid}/approve",
                         headers={**approver, "If-Match": '"stale"'}), 412)
    _refused(client.post(f"/v1/erasure-requests/{rid}/approve",
                         headers={**asker, "If-Match": etag}), 403)
    _refused(client.post(f"/v1/erasure-requests/{rid}/approve",
                         headers={**_key(app, "supervisor"), "If-Match": etag}), 403)
    _refused(client.post(f"/v1/erasure-requests/{rid}/approve", headers={"If-Match": etag}),
             401)
    assert not _erased(app, "b-2")
    done = client.post(f"/v1/erasure-requests/{rid}/approve",
                       headers={**approver, "If-Match": etag})
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "approved" and done.json()["data_key_destroyed"] is True
    assert _erased(app, "b-2")
    _refused(client.post(f"/v1/erasure-requests/{rid}/approve",
                         headers={**approver, "If-Match": "*"}), 409)


def test_borrower_asks_and_compliance_rejects(client, app) -> None:  # type: ignore[no-untyped-def]
    me = _key(app, "borrower")
    made = client.post("/v1/borrowers/b-2/erasure-requests", headers=me)
    assert made.status_code == 201, made.text
    rid = made.json()["request_id"]
    _refused(client.post("/v1/borrowers/b-1/erasure-requests", headers=me), 403)
    _refused(client.post("/v1/borrowers/b-2/erasure-requests",
                         headers=_key(app, "collector")), 403)
    _refused(client.post("/v1/borrowers/b-2/erasure-requests"), 401)
    _refused(client.get("/v1/erasure-requests", headers=me), 403)
    _refused(client.get(f"/v1/erasure-requests/{rid}", headers=me), 403)
    _refused(client.get("/v1/erasure-requests"), 401)
    officer = _key(app, "compliance")
    etag = client.get(f"/v1/erasure-requests/{rid}", headers=officer).headers["etag"]
    _refused(client.post(f"/v1/erasure-requests/{rid}/reject",
                         headers={**me, "If-Match": etag}), 403)
    rejected = client.post(f"/v1/erasure-requests/{rid}/reject",
                           headers={**officer, "If-Match": etag})
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    assert not _erased(app, "b-2")
    _refused(client.get("/v1/erasure-requests/sr-none", headers=officer), 404)
