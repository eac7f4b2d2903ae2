"""The `legal` role over HTTP (SQLite and PostgreSQL): a legal key, or an OAuth token from
one, approves a strategy draft it did not author, reads strategies, replays and reports, and
is refused every collector action and every read of personal data."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_calls import bearer, refused
from live_server import live_client
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "policy"))
from _privacy_seed import seed  # noqa: E402
from policy_requests import build  # noqa: E402

from faircollect.access.guard import Actor, Guard  # noqa: E402
from faircollect.api.app import create_app  # noqa: E402
from faircollect.api.auth import issue_key, list_keys  # noqa: E402
from faircollect.demo import approve_starter_library  # noqa: E402
from faircollect.errors import AccessDenied  # noqa: E402
from faircollect.store.tables.audit import audit_entries  # noqa: E402

EARLY_CALL = ("      - {id: cn-early-call, channel: call, template: cn-early-call, hours: "
              "[\"14:00\", \"18:00\"], every_days: 2, max_attempts: 5, after_days: 2}\n")
PLAYBOOK = "cn-standard-2026.1"
OVERRIDE = """id: acme-cn
pack: CN
title: Acme calls only in the morning hour
rules:
  - id: ACME-CALL-HOURS
    kind: contact_hours
    category: HOURS
    citation: "Acme Lending collection policy 2026 s.4"
    summary: Calls only between 09:00 and 10:00 local time.
    applies_to: {channels: [call]}
    params: {start: "09:00", end: "10:00", honour_agreed_windows: false}
"""


@pytest.fixture
def client(app) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    seed(app)
    approve_starter_library(app)
    with live_client(create_app(app.settings, rate_limit=0)) as c:
        yield c


def _draft(client: httpx.Client, app: Any, author: str = "u-author") -> None:
    text = resources.files("faircollect.strategy").joinpath(
        "playbooks", "cn-standard.yaml").read_text("utf-8")
    assert EARLY_CALL in text
    head = bearer(app, "compliance", actor=author)
    r = client.post("/v1/governance/strategies",
                    json={"kind": "playbook", "yaml": text.replace(EARLY_CALL, "")}, headers=head)
    assert r.status_code == 201, r.text
    r = client.post(f"/v1/governance/strategies/playbook/{PLAYBOOK}/submit", headers=head)
    assert r.status_code == 200 and r.json()["state"] == "in_review", r.text


def _token(client: httpx.Client, app: Any, actor: str) -> dict[str, str]:
    key = issue_key(app.settings.home, actor_id=actor, role="legal")
    key_id = next(k.key_id for k in list_keys(app.settings.home) if k.actor_id == actor)
    r = client.post("/v1/oauth/token", data={"grant_type": "client_credentials",
                                             "client_id": key_id, "client_secret": key})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_legal_key_approves_a_draft_it_did_not_author(client, app) -> None:  # type: ignore[no-untyped-def]
    _draft(client, app)
    legal = bearer(app, "legal", actor="u-legal")
    shown = client.get(f"/v1/governance/strategies/playbook/{PLAYBOOK}", headers=legal)
    assert shown.status_code == 200, shown.text
    assert "-      - {id: cn-early-call" in shown.json()["diff"]
    # Neither a collector nor an auditor approves; legal does, and the log names it.
    for role in ("collector", "auditor", "supervisor"):
        refused(client.post(f"/v1/governance/strategies/playbook/{PLAYBOOK}/approve",
                            headers=bearer(app, role)), 403)
    r = client.post(f"/v1/governance/strategies/playbook/{PLAYBOOK}/approve", headers=legal)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "approved" and r.json()["approved_by"] == "u-legal"
    with app.store.read() as conn:
        trail = [(e.actor, e.action) for e in conn.execute(
            select(audit_entries.c.actor, audit_entries.c.action).where(
                audit_entries.c.action.like("strategy.%")).order_by(audit_entries.c.seq))]
    assert trail[-1] == ("u-legal", "strategy.approved")
    # The playbook listing (what the cycle runs) and the compliance report are readable.
    assert client.get("/v1/playbooks", headers=legal).status_code == 200
    assert client.get("/v1/policy/packs", headers=legal).status_code == 200


def test_legal_token_approves_but_never_its_own_draft(client, app) -> None:  # type: ignore[no-untyped-def]
    # A legal author is not possible over HTTP (legal writes no drafts); a compliance
    # officer's own draft is refused to them, and a legal token approves it.
    refused(client.post("/v1/governance/strategies", json={"kind": "playbook", "yaml": "x"},
                        headers=bearer(app, "legal")), 403)
    _draft(client, app, author="u-officer")
    own = bearer(app, "compliance", actor="u-officer")
    refused(client.post(f"/v1/governance/strategies/playbook/{PLAYBOOK}/approve",
                        headers=own), 403)
    token = _token(client, app, "u-legal-2")
    r = client.post(f"/v1/governance/strategies/playbook/{PLAYBOOK}/approve", headers=token)
    assert r.status_code == 200 and r.json()["approved_by"] == "u-legal-2", r.text
    # A pack override goes the same way: a compliance officer's draft, a legal approval.
    r = client.post("/v1/governance/strategies", json={"kind": "override", "yaml": OVERRIDE},
                    headers=own)
    assert r.status_code == 201, r.text
    assert client.post("/v1/governance/strategies/override/acme-cn/submit",
                       headers=own).status_code == 200
    r = client.post("/v1/governance/strategies/override/acme-cn/approve", headers=token)
    assert r.status_code == 200 and r.json()["state"] == "approved", r.text


def test_legal_is_refused_collector_actions_and_personal_data(client, app) -> None:  # type: ignore[no-untyped-def]
    legal = bearer(app, "legal")
    promise = {"loan_id": "l-b-2", "amount": "10.00", "due_on": "2026-03-01"}
    refused(client.post("/v1/borrowers/b-2/promises", json=promise, headers=legal), 403)
    refused(client.get("/v1/borrowers/b-2", headers=legal), 403)
    refused(client.get("/v1/borrowers", headers=legal), 403)
    refused(client.get("/v1/borrowers/b-2/loans", headers=legal), 403)
    refused(client.post("/v1/policy/decisions", json=build(), headers=legal), 403)
    refused(client.post("/v1/governance/attempts/decide", headers=legal,
                        json={"person_id": "u-legal", "request": build()}), 403)
    refused(client.post("/v1/governance/training/completions", headers=legal,
                        json={"course_id": "c", "person_id": "p", "score": 90,
                              "completed_at": "2026-05-01T00:00:00Z"}), 403)
    # The guard itself refuses legal every purpose of access, and audits the refusal.
    guard = Guard(app.store, app.vault)
    for purpose in ("collection", "regulatory_inquiry", "complaint_handling"):
        with pytest.raises(AccessDenied):
            guard.borrower(Actor("u-legal", "legal"), "b-1", purpose=purpose)
    with app.store.read() as conn:
        denied = conn.execute(select(audit_entries.c.actor).where(
            audit_entries.c.action == "access.denied")).scalars().all()
    assert denied.count("u-legal") == 3
