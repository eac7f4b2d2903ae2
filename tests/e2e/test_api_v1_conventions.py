"""Conventions of API v1 on SQLite and PostgreSQL: Idempotency-Key replays, per-key rate
limits (429 + Retry-After), cursor pagination and filters, ETag/If-Match, JSON access logs
with request ids and masked paths, and every route's error statuses in the schema."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from _privacy_seed import seed  # noqa: E402
from live_server import live_client

from faircollect.api.app import create_app  # noqa: E402
from faircollect.api.auth import issue_key  # noqa: E402
from faircollect.store.tables.api import api_idempotency  # noqa: E402
from faircollect.store.tables.audit import audit_entries  # noqa: E402
from faircollect.store.tables.foundation import consent_records  # noqa: E402

PROBLEM = "application/problem+json"
NOTICE = "We will text you about your loan. You can withdraw at any time."
GRANT = {"borrower_id": "b-2", "purpose": "electronic_communications", "notice_text": NOTICE,
         "policy_version": "privacy-2026.1"}


@pytest.fixture
def client(app) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    seed(app)
    with live_client(create_app(app.settings, rate_limit=0)) as c:
        yield c


def _key(app: Any, role: str = "borrower", **kw: Any) -> dict[str, str]:
    if role == "borrower":
        kw.setdefault("borrower_id", "b-2")
    key = issue_key(app.settings.home, actor_id=f"t-{role}", role=role, **kw)
    return {"Authorization": f"Bearer {key}"}


def _counts(app: Any) -> tuple[int, int]:
    with app.store.read() as conn:
        records = conn.execute(select(func.count()).select_from(consent_records)).scalar_one()
        head = conn.execute(select(func.max(audit_entries.c.seq))).scalar()
    return int(records), int(head or 0)


# -- Idempotency-Key --------------------------------------------------------------------

def test_replay_answers_the_first_response_and_changes_nothing(client, app) -> None:  # type: ignore[no-untyped-def]
    who = {**_key(app), "Idempotency-Key": "grant-0001"}
    first = client.post("/v1/consents", json=GRANT, headers=who)
    assert first.status_code == 201, first.text
    before = _counts(app)
    again = client.post("/v1/consents", json=GRANT, headers=who)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert _counts(app) == before
    other = client.post("/v1/consents", json={**GRANT, "policy_version": "v2"}, headers=who)
    assert other.status_code == 409 and other.headers["content-type"] == PROBLEM
    assert other.json()["field"] == "header.Idempotency-Key"
    assert _counts(app) == before
    # Without the key, the same body is a new grant.
    fresh = client.post("/v1/consents", json=GRANT, headers=_key(app))
    assert fresh.status_code == 201 and fresh.json()["consent_id"] != first.json()["consent_id"]


def test_keys_belong_to_one_credential_and_failures_are_not_kept(client, app) -> None:  # type: ignore[no-untyped-def]
    a = {**_key(app), "Idempotency-Key": "same"}
    b = {**_key(app), "Idempotency-Key": "same"}
    ra = client.post("/v1/consents", json=GRANT, headers=a)
    rb = client.post("/v1/consents", json=GRANT, headers=b)
    assert ra.status_code == rb.status_code == 201
    assert ra.json()["consent_id"] != rb.json()["consent_id"]
    # A refused request keeps nothing: corrected, the same key goes through.
    c = {**_key(app), "Idempotency-Key": "retry-me"}
    bad = client.post("/v1/consents", json={**GRANT, "purpose": "no-such-purpose"}, headers=c)
    assert bad.status_code in (404, 422), bad.text
    good = client.post("/v1/consents", json=GRANT, headers=c)
    assert good.status_code == 201, good.text


def test_stored_response_is_sealed_and_no_credential_no_replay(client, app) -> None:  # type: ignore[no-untyped-def]
    who = {**_key(app), "Idempotency-Key": "sealed-1"}
    first = client.post("/v1/consents", json=GRANT, headers=who)
    with app.store.read() as conn:
        rows = conn.execute(select(api_idempotency)).mappings().all()
    assert len(rows) == 1
    row = rows[0]
    assert b"b-2" not in row["body_ct"] and first.json()["consent_id"].encode() not in row[
        "body_ct"]
    token = who["Authorization"].removeprefix("Bearer ")
    assert token not in row["caller"] and row["status"] == 201
    anon = client.post("/v1/consents", json=GRANT, headers={"Idempotency-Key": "sealed-1"})
    assert anon.status_code == 401
    bad = client.post("/v1/consents", json=GRANT, headers={**who, "Idempotency-Key": "a b"})
    assert bad.status_code == 422 and bad.json()["field"] == "header.Idempotency-Key"


def test_payment_replay_with_key_changes_nothing(client, app) -> None:  # type: ignore[no-untyped-def]
    who = {**_key(app, "supervisor", scopes=("payments",)), "Idempotency-Key": "pay-7"}
    body = {"payment_id": "pay-k-1", "loan_id": "l-b-2", "paid_on": "2026-02-15",
            "amount": "10.00"}
    first = client.post("/v1/payments", json=body, headers=who)
    assert first.status_code == 201, first.text
    before = _counts(app)
    again = client.post("/v1/payments", json=body, headers=who)
    assert (again.status_code, again.json()) == (201, first.json())
    assert _counts(app) == before


# -- rate limits --------------------------------------------------------------------------

def test_rate_limit_is_per_key_with_retry_after(app) -> None:  # type: ignore[no-untyped-def]
    seed(app)
    with live_client(create_app(app.settings, rate_limit=3)) as c:
        a, b = _key(app, "compliance"), _key(app, "compliance")
        for _ in range(3):
            assert c.get("/v1/borrowers/b-2/consents", headers=a).status_code == 200
        r = c.get("/v1/borrowers/b-2/consents", headers=a)
        assert r.status_code == 429 and r.headers["content-type"] == PROBLEM
        assert int(r.headers["retry-after"]) >= 1 and r.json()["code"] == "rate_limited"
        assert c.get("/v1/borrowers/b-2/consents", headers=b).status_code == 200
        for _ in range(5):
            assert c.get("/healthz").status_code == 200


# -- pagination and filters -----------------------------------------------------------------

def test_consent_listing_pages_with_cursor_and_filters(client, app) -> None:  # type: ignore[no-untyped-def]
    who = _key(app)
    for purpose in ("electronic_communications", "marketing", "industry_data_sharing"):
        r = client.post("/v1/consents", json={**GRANT, "purpose": purpose}, headers=who)
        assert r.status_code in (201, 404, 422), r.text
    full = client.get("/v1/borrowers/b-2/consents", headers=who).json()
    assert full["next_cursor"] is None
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/borrowers/b-2/consents", params=params, headers=who).json()
        assert len(page["consents"]) <= 1
        seen += [c["consent_id"] for c in page["consents"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [c["consent_id"] for c in full["consents"]] and len(seen) >= 2
    only = client.get("/v1/borrowers/b-2/consents", params={"purpose": "marketing"},
                      headers=who).json()["consents"]
    assert all(c["purpose"] == "marketing" for c in only)
    bad = client.get("/v1/borrowers/b-2/consents", params={"cursor": "bm90LWEtbGlzdA"},
                     headers=who)
    assert bad.status_code == 422 and bad.json()["field"] == "query.cursor"
    assert client.get("/v1/borrowers/b-2/consents", params={"limit": 0},
                      headers=who).status_code == 422


# -- ETag / If-Match ----------------------------------------------------------------------

def test_withdraw_checks_if_match_against_the_consent_etag(client, app) -> None:  # type: ignore[no-untyped-def]
    who = _key(app)
    consent_id = client.post("/v1/consents", json=GRANT, headers=who).json()["consent_id"]
    shown = client.get(f"/v1/consents/{consent_id}", headers=who)
    assert shown.status_code == 200 and shown.json()["consent_id"] == consent_id
    etag = shown.headers["etag"]
    before = _counts(app)
    stale = client.post(f"/v1/consents/{consent_id}/withdraw",
                        headers={**who, "If-Match": '"0123456789abcdef0123456789abcdef"'})
    assert stale.status_code == 412 and stale.headers["content-type"] == PROBLEM
    assert _counts(app) == before
    ok = client.post(f"/v1/consents/{consent_id}/withdraw", headers={**who, "If-Match": etag})
    assert ok.status_code == 200, ok.text
    assert client.get(f"/v1/consents/{consent_id}", headers=who).headers["etag"] != etag
    # The wrong role, another borrower and no credentials may not read it.
    assert client.get(f"/v1/consents/{consent_id}", headers=_key(app, "collector")
                      ).status_code == 403
    other = _key(app, "borrower", borrower_id="b-1")
    assert client.get(f"/v1/consents/{consent_id}", headers=other).status_code == 403
    assert client.get(f"/v1/consents/{consent_id}").status_code == 401
    assert client.get("/v1/consents/k-none", headers=who).status_code == 404


# -- access logs ----------------------------------------------------------------------------

def test_access_log_is_json_with_request_id_and_masked_ids(client, app, caplog) -> None:  # type: ignore[no-untyped-def]
    who = _key(app, "compliance")
    with caplog.at_level(logging.INFO, logger="faircollect.api.access"):
        r = client.get("/v1/borrowers/b-2/consents?purpose=marketing",
                       headers={**who, "X-Request-ID": "req-42"})
        missing = client.get("/v1/borrowers/b-9/consents", headers=who)
    assert r.headers["x-request-id"] == "req-42"
    assert missing.json()["request_id"] == missing.headers["x-request-id"]
    lines = [json.loads(rec.getMessage()) for rec in caplog.records
             if rec.name == "faircollect.api.access"]
    first = next(line for line in lines if line["request_id"] == "req-42")
    assert first["route"] == "/v1/borrowers/{borrower_id}/consents"
    assert first["status"] == 200 and first["method"] == "GET"
    assert first["path"] == "/v1/borrowers/b-*/consents"
    text = caplog.text
    assert "b-2/" not in text and "b-9" not in text and "marketing" not in text
    assert who["Authorization"].removeprefix("Bearer ") not in text


# -- the schema -----------------------------------------------------------------------------

def test_every_route_documents_its_error_statuses(client) -> None:  # type: ignore[no-untyped-def]
    paths = client.get("/openapi.json").json()["paths"]
    for path, ops in paths.items():
        for method, op in ops.items():
            codes = set(op["responses"])
            if path.startswith("/v1"):
                assert {"401", "403", "422", "429"} <= codes, (method, path, codes)
            if method == "post" and not path.startswith("/v1/oauth/"):
                assert "409" in codes, (path, codes)
                names = {p["name"] for p in op.get("parameters", [])}
                assert "Idempotency-Key" in names, path


def test_serve_logs_json_lines_without_raw_ids(tmp_path: Path) -> None:
    """A real `faircollect serve` on 127.0.0.1: one JSON line per request on stderr, and
    no line (uvicorn's included) with the raw borrower id of the path."""
    import os
    import socket
    import subprocess
    import time

    import httpx

    home = tmp_path / "home"
    key = issue_key(home, actor_id="ops", role="compliance")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "FAIRCOLLECT_HOME": str(home),
           "FAIRCOLLECT_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    exe = Path(sys.executable).parent / "faircollect"
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port)], env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        r = httpx.get(base + "/v1/borrowers/b-7654321/consents",
                      headers={"Authorization": f"Bearer {key}", "X-Request-ID": "srv-1"})
        assert r.status_code == 404 and r.headers["x-request-id"] == "srv-1"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert "7654321" not in err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    hit = next(line for line in lines if line["request_id"] == "srv-1")
    assert hit["status"] == 404 and hit["path"] == "/v1/borrowers/b-*****21/consents"
