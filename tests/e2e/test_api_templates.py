"""Templates over HTTP (SQLite and PostgreSQL): lint, author, submit, maker-checker approval
with If-Match; the wrong role and no credentials are refused on every route."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from api_calls import refused as _refused
from live_server import live_client

from faircollect.api.app import create_app
from faircollect.api.auth import issue_key

CLEAN = {"template_id": "en-reminder-1", "locale": "en", "audience": "borrower",
         "purpose": "reminder", "channel": "sms",
         "body": "Hello {name}, a payment of {amount} is due on {due_date}. "
                 "Reply STOP to opt out."}


@pytest.fixture
def client(app) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    with live_client(create_app(app.settings, rate_limit=0)) as c:
        yield c


def _key(app: Any, role: str, actor: str | None = None) -> dict[str, str]:
    key = issue_key(app.settings.home, actor_id=actor or f"t-{role}", role=role,
                    borrower_id="b-1" if role == "borrower" else None)
    return {"Authorization": f"Bearer {key}"}


def test_lint_answers_one_result_per_template(client, app) -> None:  # type: ignore[no-untyped-def]
    body = {"templates": [
        {"id": "t1", "locale": "en", "audience": "third_party",
         "body": "{name} owes us {amount}."},
        {"id": 2, "locale": "en", "audience": "borrower", "body": "Please call us."}]}
    r = client.post("/v1/templates/lint", json=body, headers=_key(app, "collector"))
    assert r.status_code == 200, r.text
    out = r.json()["results"]
    assert [x["id"] for x in out] == ["t1", 2]
    assert out[0]["compliant"] is False and out[0]["findings"]
    _refused(client.post("/v1/templates/lint", json=body, headers=_key(app, "borrower")), 403)
    _refused(client.post("/v1/templates/lint", json=body), 401)
    _refused(client.post("/v1/templates/lint", json={"templates": [{**body["templates"][0],
                                                                    "locale": "fr"}]},
                         headers=_key(app, "collector")), 422)


def test_maker_checker_with_if_match(client, app) -> None:  # type: ignore[no-untyped-def]
    maker = _key(app, "compliance", actor="writer")
    checker = _key(app, "compliance", actor="officer")
    _refused(client.post("/v1/templates", json=CLEAN, headers=_key(app, "collector")), 403)
    _refused(client.post("/v1/templates", json=CLEAN), 401)
    made = client.post("/v1/templates", json=CLEAN, headers=maker)
    assert made.status_code == 201, made.text
    assert made.json()["state"] == "draft" and made.json()["version"] == 1
    sub = client.post("/v1/templates/en-reminder-1/submit", headers=maker)
    assert sub.status_code == 200, sub.text
    assert sub.json()["state"] == "in_review"
    queue = client.get("/v1/templates", params={"state": "in_review"},
                       headers=checker).json()["templates"]
    assert [t["template_id"] for t in queue] == ["en-reminder-1"]
    etag = client.get("/v1/templates/en-reminder-1", headers=checker).headers["etag"]
    _refused(client.post("/v1/templates/en-reminder-1/approve", headers=checker), 428)
    _refused(client.post("/v1/templates/en-reminder-1/approve",
                         headers={**checker, "If-Match": '"old"'}), 412)
    _refused(client.post("/v1/templates/en-reminder-1/approve",
                         headers={**maker, "If-Match": etag}), 403)
    _refused(client.post("/v1/templates/en-reminder-1/approve",
                         headers={**_key(app, "supervisor"), "If-Match": etag}), 403)
    _refused(client.post("/v1/templates/en-reminder-1/approve", headers={"If-Match": etag}),
             401)
    ok = client.post("/v1/templates/en-reminder-1/approve",
                     headers={**checker, "If-Match": etag})
    assert ok.status_code == 200, ok.text
    assert ok.json()["state"] == "approved" and ok.json()["approved_by"] == "officer"
    _refused(client.post("/v1/templates/en-reminder-1/retire",
                         headers=_key(app, "supervisor")), 403)
    gone = client.post("/v1/templates/en-reminder-1/retire", headers=checker)
    assert gone.status_code == 200 and gone.json()["state"] == "retired"
    _refused(client.get("/v1/templates/none", headers=checker), 404)
    _refused(client.get("/v1/templates", headers=_key(app, "borrower")), 403)
    _refused(client.get("/v1/templates"), 401)


def test_lint_findings_block_submission_and_send_back(client, app) -> None:  # type: ignore[no-untyped-def]
    maker = _key(app, "supervisor", actor="writer")
    bad = {**CLEAN, "template_id": "en-bad", "audience": "third_party",
           "body": "{name} owes us {amount}."}
    assert client.post("/v1/templates", json=bad, headers=maker).status_code == 201
    _refused(client.post("/v1/templates/en-bad/submit", headers=maker), 409)
    assert client.post("/v1/templates", json={**CLEAN, "template_id": "en-2"},
                       headers=maker).status_code == 201
    assert client.post("/v1/templates/en-2/submit", headers=maker).status_code == 200
    _refused(client.post("/v1/templates/en-2/send-back", headers=maker), 403)
    back = client.post("/v1/templates/en-2/send-back", headers=_key(app, "compliance"))
    assert back.status_code == 200 and back.json()["state"] == "draft"
    pages = client.get("/v1/templates", params={"limit": 1}, headers=maker).json()
    assert len(pages["templates"]) == 1 and pages["next_cursor"]
