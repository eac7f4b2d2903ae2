"""Borrowers, loans and cases over HTTP (SQLite and PostgreSQL): masked views through the
access guard, positions as of a day, case commands; for each route the right role works,
the wrong role and no credentials are refused."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_calls import bearer as _key
from api_calls import refused as _refused
from live_server import live_client
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from _privacy_seed import seed  # noqa: E402

from faircollect.access.assignment import assign  # noqa: E402
from faircollect.api.app import create_app  # noqa: E402
from faircollect.api.auth import issue_key  # noqa: E402
from faircollect.store.tables.audit import audit_entries  # noqa: E402


@pytest.fixture
def client(app) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    seed(app)
    assign(app.store, actor="lead", borrower_id="b-1", collector_id="agent-1")
    with live_client(create_app(app.settings, rate_limit=0)) as c:
        yield c


def test_borrower_listing_pages_filters_and_scopes(client, app) -> None:  # type: ignore[no-untyped-def]
    sup = _key(app, "supervisor")
    first = client.get("/v1/borrowers", params={"limit": 2}, headers=sup).json()
    assert [b["borrower_id"] for b in first["borrowers"]] == ["b-1", "b-2"]
    rest = client.get("/v1/borrowers", params={"cursor": first["next_cursor"]},
                      headers=sup).json()
    assert [b["borrower_id"] for b in rest["borrowers"]] == ["b-3"] and rest["next_cursor"] is None
    us = client.get("/v1/borrowers", params={"jurisdiction": "US"}, headers=sup).json()
    assert [b["borrower_id"] for b in us["borrowers"]] == ["b-2"]
    assert "full_name" not in str(first) and "Jane" not in str(first)
    mine = client.get("/v1/borrowers", headers=_key(app, "collector", actor="agent-1")).json()
    assert [b["borrower_id"] for b in mine["borrowers"]] == ["b-1"]
    _refused(client.get("/v1/borrowers", headers=_key(app, "borrower")), 403)
    _refused(client.get("/v1/borrowers"), 401)


def test_borrower_view_is_masked_and_audited(client, app) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/v1/borrowers/b-2", headers=_key(app, "supervisor"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["view"] == "masked" and body["jurisdiction"] == "US"
    assert body["personal"]["full_name"] == "J*** D**" and "Jane" not in r.text
    assert r.headers["etag"]
    with app.store.read() as conn:
        actions = [a for (a,) in conn.execute(select(audit_entries.c.action))]
    assert any("read" in a for a in actions)
    own = client.get("/v1/borrowers/b-2", headers=_key(app, "borrower"))
    assert own.status_code == 200 and own.json()["view"] == "masked"
    agent = _key(app, "collector", actor="agent-1")
    assert client.get("/v1/borrowers/b-1", headers=agent).status_code == 200
    _refused(client.get("/v1/borrowers/b-2", headers=agent), 403)
    _refused(client.get("/v1/borrowers/b-1", headers=_key(app, "borrower")), 403)
    _refused(client.get("/v1/borrowers/b-2",
                        params={"purpose": "regulatory_inquiry"},
                        headers=_key(app, "supervisor")), 403)
    _refused(client.get("/v1/borrowers/b-2"), 401)
    _refused(client.get("/v1/borrowers/b-404", headers=_key(app, "supervisor")), 404)


def test_loans_show_schedule_payments_dpd_and_bucket(client, app) -> None:  # type: ignore[no-untyped-def]
    sup = _key(app, "supervisor")
    loans = client.get("/v1/borrowers/b-2/loans", params={"as_of": "2026-03-01"},
                       headers=sup).json()["loans"]
    assert [ln["loan_id"] for ln in loans] == ["l-b-2"]
    assert loans[0]["position"]["days_past_due"] == 59
    assert loans[0]["position"]["bucket"] == "M2"
    assert loans[0]["position"]["overdue_amount"] == "718.00"
    loan = client.get("/v1/loans/l-b-2", params={"as_of": "2026-03-01"}, headers=sup)
    assert loan.status_code == 200, loan.text
    detail = loan.json()
    assert detail["installments"] == [{"number": 1, "due_on": "2026-01-01",
                                       "principal": "1200.00", "interest": "18.00",
                                       "fees": "0.00"}]
    assert [p["amount"] for p in detail["payments"]] == ["500.00"]
    pay = issue_key(app.settings.home, actor_id="loan-system", role="supervisor",
                    scopes=("payments",))
    posted = client.post("/v1/payments", headers={"Authorization": f"Bearer {pay}"},
                         json={"payment_id": "pay-x", "loan_id": "l-b-2",
                               "paid_on": "2026-02-15", "amount": "718.00"})
    assert posted.status_code == 201
    after = client.get("/v1/loans/l-b-2", params={"as_of": "2026-03-01"}, headers=sup).json()
    assert (after["position"]["days_past_due"], after["position"]["bucket"]) == (0, "M0")
    assert client.get("/v1/loans/l-b-2", headers=_key(app, "borrower")).status_code == 200
    _refused(client.get("/v1/loans/l-b-2", headers=_key(app, "borrower", "b-1")), 403)
    _refused(client.get("/v1/loans/l-b-2", headers=_key(app, "collector", actor="agent-1")),
             403)
    _refused(client.get("/v1/borrowers/b-2/loans"), 401)
    _refused(client.get("/v1/loans/l-b-2"), 401)
    _refused(client.get("/v1/loans/l-none", headers=sup), 404)


def test_case_commands_and_state(client, app) -> None:  # type: ignore[no-untyped-def]
    sup = _key(app, "supervisor")
    r = client.post("/v1/borrowers/b-2/promises", headers=sup,
                    json={"loan_id": "l-b-2", "amount": "100.00", "due_on": "2027-01-15"})
    assert r.status_code == 201, r.text
    assert r.json()["promise_id"]
    state = client.get("/v1/borrowers/b-2/case", headers=sup)
    assert state.status_code == 200, state.text
    assert "promise" in state.text
    agent = _key(app, "collector", actor="agent-1")
    _refused(client.post("/v1/borrowers/b-2/promises", headers=agent,
                         json={"loan_id": "l-b-2", "amount": "1.00", "due_on": "2027-01-15"}),
             403)
    ok = client.post("/v1/borrowers/b-1/promises", headers=agent,
                     json={"loan_id": "l-b-1", "amount": "1.00", "due_on": "2027-01-15"})
    assert ok.status_code == 201, ok.text
    _refused(client.post("/v1/borrowers/b-2/promises", headers=_key(app, "borrower"),
                         json={"loan_id": "l-b-2", "amount": "1.00", "due_on": "2027-01-15"}),
             403)
    plan = client.post("/v1/borrowers/b-2/plans", headers=sup,
                       json={"loan_id": "l-b-2", "installments": 3,
                             "first_due_on": "2027-01-31"})
    assert plan.status_code in (201, 409), plan.text
    _refused(client.post("/v1/borrowers/b-2/plans", headers=agent,
                         json={"loan_id": "l-b-2", "installments": 3,
                               "first_due_on": "2027-01-31"}), 403)
    pause = client.post("/v1/borrowers/b-3/hardship", headers=_key(app, "compliance"),
                        json={"until": "2027-02-01"})
    assert pause.status_code == 201, pause.text
    _refused(client.post("/v1/borrowers/b-3/hardship", headers=agent,
                         json={"until": "2027-02-01"}), 403)
    _refused(client.get("/v1/borrowers/b-2/case", headers=agent), 403)
    _refused(client.get("/v1/borrowers/b-2/case"), 401)


def test_borrower_disputes_complains_ceases_and_opts_out(client, app) -> None:  # type: ignore[no-untyped-def]
    me = _key(app, "borrower")
    d = client.post("/v1/borrowers/b-2/disputes", headers=me, json={"reason": "wrong_amount"})
    assert d.status_code == 201, d.text
    dispute_id = d.json()["dispute_id"]
    _refused(client.post(f"/v1/disputes/{dispute_id}/resolve", headers=me,
                         json={"resolution": "rejected"}), 403)
    _refused(client.post(f"/v1/disputes/{dispute_id}/resolve",
                         json={"resolution": "rejected"}), 401)
    done = client.post(f"/v1/disputes/{dispute_id}/resolve", headers=_key(app, "compliance"),
                       json={"resolution": "rejected"})
    assert done.status_code == 200, done.text
    c = client.post("/v1/borrowers/b-2/complaints", headers=me,
                    json={"category": "harassment"})
    assert c.status_code == 201, c.text
    cid = c.json()["complaint_id"]
    _refused(client.post(f"/v1/complaints/{cid}/close", headers=me,
                         json={"root_cause": "no_fault_found"}), 403)
    closed = client.post(f"/v1/complaints/{cid}/close", headers=_key(app, "supervisor"),
                         json={"root_cause": "no_fault_found"})
    assert closed.status_code == 200, closed.text
    _refused(client.post("/v1/borrowers/b-1/cease", headers=me), 403)
    _refused(client.post("/v1/borrowers/b-2/cease", headers=_key(app, "auditor")), 403)
    _refused(client.post("/v1/borrowers/b-2/cease"), 401)
    assert client.post("/v1/borrowers/b-2/cease", headers=me).status_code == 201
    _refused(client.post("/v1/borrowers/b-2/cease", headers=me), 409)
    _refused(client.post("/v1/borrowers/b-2/opt-outs", headers=me,
                         json={"channel": "carrier-pigeon"}), 422)
    assert client.post("/v1/borrowers/b-2/opt-outs", headers=me,
                       json={"channel": "sms"}).status_code == 201
    _refused(client.post("/v1/borrowers/b-2/opt-outs", headers=_key(app, "borrower", "b-1"),
                         json={"channel": "sms"}), 403)
    _refused(client.post("/v1/borrowers/b-404/opt-outs", headers=_key(app, "supervisor"),
                         json={"channel": "sms"}), 404)
