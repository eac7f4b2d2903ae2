"""API conventions: problem+json errors, auth on every route, body and field limits,
documented error statuses, probes, metrics and offline docs."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from _privacy_seed import seed  # noqa: E402
from live_server import live_client

from faircollect.api.app import create_app  # noqa: E402
from faircollect.api.auth import issue_key  # noqa: E402

PROBLEM = "application/problem+json"
# Every authenticated route, with a body that would pass validation.
ROUTES = [
    ("post", "/v1/policy/decisions", {}),
    ("post", "/v1/consents", {"borrower_id": "b-2", "purpose": "marketing",
                              "notice_text": "n", "policy_version": "p"}),
    ("post", "/v1/consents/k-1/withdraw", None),
    ("get", "/v1/borrowers/b-2/consents", None),
    ("post", "/v1/payments", {"payment_id": "x", "loan_id": "l-b-2", "paid_on": "2026-02-01",
                              "amount": "1.00"}),
    ("get", "/metrics", None),
]


@pytest.fixture
def client(app) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    seed(app)
    with live_client(create_app(app.settings, body_limit=64 * 1024)) as c:
        yield c


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _mounted(client: httpx.Client, path: str) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    if not any(re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", p), path) for p in paths):
        pytest.skip(f"{path} is not mounted")


def _is_problem(r, status: int) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    for member in ("type", "title", "status", "detail", "instance"):
        assert member in body
    assert body["status"] == status


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_route_refuses_no_key_with_401_and_www_authenticate(client, method, path, body):  # type: ignore[no-untyped-def]
    _mounted(client, path)
    r = client.request(method, path, json=body)
    _is_problem(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")
    r = client.request(method, path, json=body, headers=_auth("fc_unknown"))
    _is_problem(r, 401)


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_route_refuses_the_wrong_role_with_403(client, app, method, path, body):  # type: ignore[no-untyped-def]
    _mounted(client, path)
    if path == "/v1/consents/k-1/withdraw":
        from faircollect.consent.ledger import ConsentLedger

        issued = ConsentLedger(app.store, app.keys).grant(
            actor="t", borrower_id="b-1", purpose="marketing", notice_text="n",
            policy_version="p", channel="api")
        path = f"/v1/consents/{issued.consent_id}/withdraw"
    # A borrower acting for another borrower (or for staff work) is refused.
    key = issue_key(app.settings.home, actor_id="portal:b-3", role="borrower", borrower_id="b-3",
                    scopes=("decide", "payments"))
    _is_problem(client.request(method, path, json=body, headers=_auth(key)), 403)


def test_decisions_need_the_decide_scope(client, app) -> None:  # type: ignore[no-untyped-def]
    plain = issue_key(app.settings.home, actor_id="dialer", role="collector")
    r = client.post("/v1/policy/decisions", json={}, headers=_auth(plain))
    _is_problem(r, 403)
    assert "decide" in r.json()["detail"]
    scoped = issue_key(app.settings.home, actor_id="dialer", role="collector", scopes=("decide",))
    r = client.post("/v1/policy/decisions", json={}, headers=_auth(scoped))
    _is_problem(r, 422)


def test_body_over_the_limit_is_413_before_parsing(client, app) -> None:  # type: ignore[no-untyped-def]
    key = issue_key(app.settings.home, actor_id="dialer", role="collector", scopes=("decide",))
    big = b"[" + b"1," * 40_000 + b"1]"
    r = client.post("/v1/policy/decisions", content=big, headers=_auth(key))
    _is_problem(r, 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b"["
        for _ in range(50 * 1024):  # 50 MB if it were all read
            yield b"1," * 512

    r = client.post("/v1/policy/decisions", content=chunks(), headers=_auth(key))
    _is_problem(r, 413)


def test_field_lengths_and_validation_problems_name_fields(client, app) -> None:  # type: ignore[no-untyped-def]
    key = issue_key(app.settings.home, actor_id="portal:b-2", role="borrower", borrower_id="b-2")
    body = {"borrower_id": "b-2", "purpose": "marketing", "notice_text": "x" * 20_001,
            "policy_version": "p"}
    r = client.post("/v1/consents", json=body, headers=_auth(key))
    _is_problem(r, 422)
    assert [e["field"] for e in r.json()["errors"]] == ["body.notice_text"]


def test_unknown_borrower_is_404(client, app) -> None:  # type: ignore[no-untyped-def]
    key = issue_key(app.settings.home, actor_id="officer", role="compliance")
    _is_problem(client.get("/v1/borrowers/b-nobody/consents", headers=_auth(key)), 404)
    assert client.get("/v1/borrowers/b-1/consents", headers=_auth(key)).status_code == 200


def test_error_statuses_are_documented(client) -> None:  # type: ignore[no-untyped-def]
    schema = client.get("/openapi.json").json()
    assert "Problem" in schema["components"]["schemas"]
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if path in ("/healthz", "/readyz"):
                continue
            for status in ("400", "401", "403", "413", "422"):
                assert status in op["responses"], (method, path, status)
                assert PROBLEM in op["responses"][status]["content"]


def test_probes_and_metrics(client, app) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    key = issue_key(app.settings.home, actor_id="dialer", role="collector", scopes=("decide",))
    client.post("/v1/policy/decisions", json={}, headers=_auth(key))
    _is_problem(client.get("/metrics", headers=_auth(key)), 403)
    admin = issue_key(app.settings.home, actor_id="ops", role="admin")
    text = client.get("/metrics", headers=_auth(admin)).text
    assert 'route="/v1/policy/decisions",status="422"' in text
    assert "faircollect_http_request_seconds_bucket" in text


def test_readyz_names_what_failed(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from faircollect.config import Secret, Settings

    broken = Settings(home=tmp_path / "empty", database_url=Secret(
        f"sqlite:///{tmp_path / 'missing' / 'no.db'}"))
    with live_client(create_app(broken)) as c:
        r = c.get("/readyz")
    _is_problem(r, 503)
    assert "database" in r.json()["detail"] and "keys" in r.json()["detail"]


def test_docs_reference_only_local_assets(client) -> None:  # type: ignore[no-untyped-def]
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", html)
        assert urls, page
        for url in urls:
            assert url.startswith("/"), (page, url)
            assert client.get(url).status_code == 200, url
        assert "http://" not in html and "https://" not in html.replace(
            "https://faircollect.invalid", "")


def test_unknown_routes_and_methods_are_problems_too(client) -> None:  # type: ignore[no-untyped-def]
    _is_problem(client.get("/v1/nowhere"), 404)
    _is_problem(client.get("/v1/payments"), 405)


# Operations anyone may call: probes, the schema and docs, and the two ways to get a token.
PUBLIC = {("get", "/healthz"), ("get", "/readyz"), ("post", "/v1/oauth/token"),
          ("post", "/v1/oauth/otp"), ("post", "/v1/oauth/revoke")}


def _operations(client: httpx.Client) -> list[tuple[str, str]]:
    """Every operation the served schema lists, path parameters filled in."""
    paths = client.get("/openapi.json").json()["paths"]
    return sorted((method, re.sub(r"\{[^}]+\}", "x-1", path))
                  for path, item in paths.items() for method in item
                  if method in {"get", "post", "put", "patch", "delete"})


def test_every_operation_in_the_schema_needs_credentials(client) -> None:  # type: ignore[no-untyped-def]
    """Not only the routes listed above: every operation the schema documents (new routers
    included) answers 401 with WWW-Authenticate when no key or token is given."""
    ops = _operations(client)
    assert len(ops) > 60
    for method, path in ops:
        if (method, path) in PUBLIC:
            continue
        r = client.request(method, path, json={})
        assert r.status_code == 401, f"{method.upper()} {path}: {r.status_code}"
        assert r.headers["www-authenticate"].startswith("Bearer"), f"{method.upper()} {path}"


def test_no_operation_serves_a_borrower_another_account_or_staff_work(client, app) -> None:  # type: ignore[no-untyped-def]
    """A borrower's key (account b-3) calls every operation of the schema for account x-1:
    none succeeds. Each is refused with 403, or fails on the request itself (422, 404), and
    then fails the same way for an administrator, so it is the request, not access, that
    decided."""
    borrower = _auth(issue_key(app.settings.home, actor_id="portal:b-3", role="borrower",
                               borrower_id="b-3", scopes=("decide", "payments")))
    admin = _auth(issue_key(app.settings.home, actor_id="root", role="admin",
                            scopes=("decide", "payments")))
    wrong = []
    for method, path in _operations(client):
        if (method, path) in PUBLIC:
            continue
        r = client.request(method, path, json={}, headers=borrower)
        if r.status_code == 403:
            continue
        if r.status_code in (404, 422):
            staff = client.request(method, path, json={}, headers=admin)
            if staff.status_code == r.status_code:
                continue
        wrong.append(f"{method.upper()} {path}: {r.status_code}")
    assert not wrong, "\n".join(wrong)
