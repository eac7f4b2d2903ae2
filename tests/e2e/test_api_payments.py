"""POST /v1/payments and `faircollect payments import`: payments re-age the ledger, replays
change nothing, conflicts and unknown loans are refused (SQLite and PostgreSQL)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date
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
from faircollect.portfolio.snapshot import portfolio_snapshot  # noqa: E402
from faircollect.store.tables.audit import audit_entries  # noqa: E402
from faircollect.store.tables.foundation import payments  # noqa: E402

AS_OF = date(2026, 3, 1)
# The seeded loan l-b-2 owes 1,218.00 CNY due 2026-01-01 and has 500.00 paid: 718.00 remains.
REST = {"payment_id": "pay-api-1", "loan_id": "l-b-2", "paid_on": "2026-02-15",
        "amount": "718.00"}


@pytest.fixture
def client(app) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    seed(app)
    with live_client(create_app(app.settings)) as c:
        yield c


def _key(app: Any, role: str = "supervisor", scopes: tuple[str, ...] = ("payments",)) -> dict[
        str, str]:
    key = issue_key(app.settings.home, actor_id="loan-system", role=role, scopes=scopes)
    return {"Authorization": f"Bearer {key}"}


def _position(app: Any, loan_id: str) -> tuple[int, str]:
    with app.store.read() as conn:
        snap = portfolio_snapshot(conn, AS_OF)
    row = snap.filter(snap["loan_id"] == loan_id).row(0, named=True)
    return int(row["days_past_due"]), str(row["bucket"])


def _counts(app: Any) -> tuple[int, int]:
    with app.store.read() as conn:
        n_pay = conn.execute(select(func.count()).select_from(payments)).scalar_one()
        head = conn.execute(select(func.max(audit_entries.c.seq))).scalar()
    return int(n_pay), int(head or 0)


def test_posted_payment_moves_dpd_and_bucket_and_replay_changes_nothing(client, app) -> None:  # type: ignore[no-untyped-def]
    assert _position(app, "l-b-2") == (59, "M2")
    headers = _key(app)
    r = client.post("/v1/payments", json=REST, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json() == {**REST, "currency": "CNY", "created": True}
    assert _position(app, "l-b-2") == (0, "M0")
    before = _counts(app)
    again = client.post("/v1/payments", json=REST, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["created"] is False
    assert _counts(app) == before
    changed = client.post("/v1/payments", json={**REST, "amount": "700.00"}, headers=headers)
    assert changed.status_code == 409 and changed.headers["content-type"].startswith(
        "application/problem+json")
    assert _counts(app) == before


def test_batch_is_all_or_nothing(client, app) -> None:  # type: ignore[no-untyped-def]
    headers = _key(app)
    before = _counts(app)
    batch = [{**REST, "payment_id": "pay-a", "loan_id": "l-b-1", "amount": "100.00"},
             {**REST, "payment_id": "pay-b", "loan_id": "l-nope"}]
    r = client.post("/v1/payments", json=batch, headers=headers)
    assert r.status_code == 404 and "payments[1]" in r.json()["detail"]
    assert _counts(app) == before
    r = client.post("/v1/payments", json=batch[:1], headers=headers)
    assert r.status_code == 201 and r.json()["payments"][0]["created"] is True
    assert _counts(app)[0] == before[0] + 1


@pytest.mark.parametrize(("change", "field"), [
    ({"currency": "USD"}, "currency"),
    ({"amount": "1.234"}, "amount"),
    ({"amount": "0"}, "amount"),
    ({"amount": "1e3"}, "body.amount"),
    ({"paid_on": "2025-01-01"}, "paid_on"),
    ({"payment_id": "x" * 65}, "body.payment_id"),
])
def test_bad_payments_are_422_naming_the_field(client, app, change, field) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/v1/payments", json={**REST, **change}, headers=_key(app))
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]


def test_payments_need_the_scope_and_a_posting_role(client, app) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/v1/payments", json=REST, headers=_key(app, scopes=())).status_code == 403
    assert client.post("/v1/payments", json=REST,
                       headers=_key(app, role="collector")).status_code == 403
    r = client.post("/v1/payments", json=REST)
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")


def test_cli_payments_import_uses_the_same_service(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess

    seed(app)
    env = {**os.environ, "FAIRCOLLECT_HOME": str(app.settings.home),
           "FAIRCOLLECT_DATABASE_URL": app.settings.database_url.value}

    def run(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "faircollect", "payments", "import",
                               str(path)], env=env, capture_output=True, text=True, check=False)

    f = tmp_path / "payments.csv"
    f.write_text("payment_id,loan_id,paid_on,amount\npay-csv-1,l-b-2,2026-02-15,718.00\n")
    done = run(f)
    assert done.returncode == 0, done.stderr
    assert "1 created" in done.stdout
    assert _position(app, "l-b-2") == (0, "M0")
    before = _counts(app)
    assert run(f).returncode == 0
    assert _counts(app) == before
    f.write_text("payment_id,loan_id,paid_on,amount\npay-csv-2,l-nope,2026-02-15,1.00\n")
    bad = run(f)
    assert bad.returncode == 2 and "payments.csv:2" in bad.stderr
    assert _counts(app) == before
