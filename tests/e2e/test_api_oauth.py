"""Staff bearer tokens (SQLite and PostgreSQL): OAuth2 client credentials with an API key,
tokens carrying the key's role and scopes, refresh with rotation and reuse detection,
revocation, expiry, and a revoked key ending its tokens."""

from __future__ import annotations

import base64
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from _privacy_seed import seed  # noqa: E402
from live_server import live_client

from faircollect.api.app import create_app  # noqa: E402
from faircollect.api.auth import issue_key, list_keys, revoke_key  # noqa: E402

PROBLEM = "application/problem+json"
PAYMENT = {"payment_id": "pay-tok-1", "loan_id": "l-b-2", "paid_on": "2026-02-15",
           "amount": "1.00"}


@pytest.fixture
def client(app) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    seed(app)
    with live_client(create_app(app.settings, rate_limit=0)) as c:
        yield c


def _client_key(app: Any, role: str = "supervisor", **kw: Any) -> tuple[str, str]:
    key = issue_key(app.settings.home, actor_id=f"staff-{role}", role=role, **kw)
    key_id = next(k.key_id for k in list_keys(app.settings.home)
                  if k.actor_id == f"staff-{role}")
    return key_id, key


def _grant(client: httpx.Client, key_id: str, key: str, **extra: str) -> Any:
    return client.post("/v1/oauth/token", data={"grant_type": "client_credentials",
                                                "client_id": key_id, "client_secret": key,
                                                **extra})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_client_credentials_token_carries_role_and_scopes(client, app) -> None:  # type: ignore[no-untyped-def]
    key_id, key = _client_key(app, scopes=("payments",))
    r = _grant(client, key_id, key)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["access_token"].startswith("fct_") and body["scope"] == "payments"
    access = _bearer(body["access_token"])
    assert client.get("/v1/borrowers", headers=access).status_code == 200
    assert client.post("/v1/payments", json=PAYMENT, headers=access).status_code == 201
    narrow = _grant(client, key_id, key, scope="").json()
    assert narrow["scope"] == "payments"
    bad_scope = _grant(client, key_id, key, scope="decide")
    assert bad_scope.status_code == 400 and bad_scope.json()["error"] == "invalid_scope"
    basic = base64.b64encode(f"{key_id}:{key}".encode()).decode()
    viab = client.post("/v1/oauth/token", data={"grant_type": "client_credentials"},
                       headers={"Authorization": f"Basic {basic}"})
    assert viab.status_code == 200, viab.text


def test_wrong_credentials_and_wrong_role_are_refused(client, app) -> None:  # type: ignore[no-untyped-def]
    key_id, key = _client_key(app, "auditor")
    wrong = _grant(client, key_id, key + "x")
    assert wrong.status_code == 401 and wrong.headers["content-type"] == PROBLEM
    assert wrong.json()["error"] == "invalid_client"
    other = _grant(client, "k-000000000000", key)
    assert other.status_code == 401
    none = client.post("/v1/oauth/token", data={"grant_type": "client_credentials"})
    assert none.status_code == 401
    odd = client.post("/v1/oauth/token", data={"grant_type": "password"})
    assert odd.status_code == 400 and odd.json()["error"] == "unsupported_grant_type"
    as_json = client.post("/v1/oauth/token", json={"grant_type": "client_credentials"})
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    access = _bearer(_grant(client, key_id, key).json()["access_token"])
    r = client.post("/v1/payments", json=PAYMENT, headers=access)
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    assert client.get("/v1/borrowers", headers=_bearer("fct_not-a-token")).status_code == 401
    # A borrower's token is the borrower's: their own data only.
    bid, bkey = _client_key(app, "borrower", borrower_id="b-2")
    mine = _bearer(_grant(client, bid, bkey).json()["access_token"])
    assert client.get("/v1/borrowers/b-2/loans", headers=mine).status_code == 200
    assert client.get("/v1/borrowers/b-1/loans", headers=mine).status_code == 403


def test_refresh_rotates_and_reuse_revokes_the_family(client, app) -> None:  # type: ignore[no-untyped-def]
    key_id, key = _client_key(app)
    first = _grant(client, key_id, key).json()
    second = client.post("/v1/oauth/token", data={"grant_type": "refresh_token",
                                                  "refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    pair = second.json()
    assert pair["refresh_token"] != first["refresh_token"]
    assert client.get("/v1/borrowers", headers=_bearer(pair["access_token"])).status_code == 200
    reused = client.post("/v1/oauth/token", data={"grant_type": "refresh_token",
                                                  "refresh_token": first["refresh_token"]})
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    for token in (pair["access_token"], first["access_token"]):
        assert client.get("/v1/borrowers", headers=_bearer(token)).status_code == 401
    gone = client.post("/v1/oauth/token", data={"grant_type": "refresh_token",
                                                "refresh_token": pair["refresh_token"]})
    assert gone.status_code == 400


def test_revocation_expiry_and_revoked_keys(client, app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    key_id, key = _client_key(app)
    grant = _grant(client, key_id, key).json()
    ok = client.post("/v1/oauth/revoke", data={"token": grant["access_token"]})
    assert ok.status_code == 200
    assert client.get("/v1/borrowers", headers=_bearer(grant["access_token"])).status_code == 401
    assert client.post("/v1/oauth/revoke", data={"token": "unknown"}).status_code == 200
    monkeypatch.setenv("FAIRCOLLECT_API_TOKEN_TTL", "1")
    short = _grant(client, key_id, key).json()
    assert short["expires_in"] == 1
    time.sleep(1.2)
    assert client.get("/v1/borrowers", headers=_bearer(short["access_token"])).status_code == 401
    monkeypatch.delenv("FAIRCOLLECT_API_TOKEN_TTL")
    live = _grant(client, key_id, key).json()
    revoke_key(app.settings.home, key_id)
    assert client.get("/v1/borrowers", headers=_bearer(live["access_token"])).status_code == 401
    again = client.post("/v1/oauth/token", data={"grant_type": "refresh_token",
                                                 "refresh_token": live["refresh_token"]})
    assert again.status_code == 400
