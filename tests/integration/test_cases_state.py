"""case_state reads promises and plans as kept or broken from the ledger's payments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from dispatch_seed import seed_borrower, seed_loan
from sqlalchemy import insert

from faircollect.cases.hardship import pause_for_hardship
from faircollect.cases.plans import create_plan
from faircollect.cases.promises import promise_to_pay
from faircollect.cases.state import case_state
from faircollect.dispatch.history import add_attempt
from faircollect.store.tables.foundation import payments

DAY = date(2026, 7, 10)
NOW = datetime(2026, 7, 10, 12, tzinfo=UTC)


def _pay(app: Any, payment_id: str, on: date, minor: int) -> None:
    with app.store.transaction("test") as uow:
        uow.conn.execute(
            insert(payments).values(
                payment_id=payment_id,
                loan_id="l-1",
                paid_on=on,
                amount_minor=minor,
                row_digest="x",
                created_at=NOW,
            )
        )


def _state(app: Any, on: date) -> dict[str, Any]:
    with app.store.read() as conn:
        at = datetime(on.year, on.month, on.day, 12, tzinfo=UTC)
        return case_state(conn, ["b-1"], as_of=at)["b-1"]


def test_promise_kept_or_broken_from_payments(app: Any) -> None:
    seed_borrower(app)
    seed_loan(app)
    with app.store.transaction("test") as uow:
        promise_to_pay(
            uow,
            borrower_id="b-1",
            loan_id="l-1",
            amount="80.00",
            due_on=DAY + timedelta(days=5),
            today=DAY,
            now=NOW,
        )
    assert _state(app, DAY)["promise"]["status"] == "pending"
    assert _state(app, DAY + timedelta(days=6))["promises"][0]["status"] == "broken"
    _pay(app, "p1", DAY + timedelta(days=2), 5000)
    _pay(app, "p2", DAY + timedelta(days=4), 3000)
    later = _state(app, DAY + timedelta(days=6))
    assert later["promises"][0]["status"] == "kept" and later["promise"] is None


def test_plan_active_broken_and_completed(app: Any) -> None:
    seed_borrower(app)
    seed_loan(app, months=2)  # due 2026-01-01 and 2026-02-01: 220.00 overdue on DAY
    with app.store.transaction("test") as uow:
        create_plan(
            uow,
            borrower_id="b-1",
            loan_id="l-1",
            count=2,
            first_due_on=DAY + timedelta(days=5),
            today=DAY,
            now=NOW,
        )
    plan = _state(app, DAY)["plan"]
    assert plan["arrears_minor"] == 22_000 and plan["status"] == "active"
    assert [i["due_on"] for i in plan["installments"]] == [date(2026, 7, 15), date(2026, 8, 15)]
    assert _state(app, date(2026, 7, 16))["plans"][0]["status"] == "broken"
    _pay(app, "p1", date(2026, 7, 14), 11_000)
    assert _state(app, date(2026, 7, 16))["plan"]["status"] == "active"
    _pay(app, "p2", date(2026, 8, 1), 11_000)
    done = _state(app, date(2026, 8, 2))
    assert done["plans"][0]["status"] == "completed" and done["plan"] is None


def test_hardship_pause_lapses_and_history_is_as_of(app: Any) -> None:
    seed_borrower(app)
    with app.store.transaction("test") as uow:
        pause_for_hardship(
            uow,
            borrower_id="b-1",
            until=DAY + timedelta(days=10),
            reason="income_loss",
            today=DAY,
            now=NOW,
        )
        add_attempt(
            uow.conn,
            borrower_id="b-1",
            contact_id=None,
            channel="sms",
            audience="borrower",
            at=NOW + timedelta(days=1),
            outcome="delivered",
        )
    during = _state(app, DAY)
    assert during["holds"] == ["hardship_pause"] and during["history"] == []
    after = _state(app, DAY + timedelta(days=11))
    assert after["holds"] == [] and after["flags"] == [] and after["hardship_until"] is None
    assert [h["outcome"] for h in after["history"]] == ["delivered"]
    assert set(after) == {
        "flags",
        "opted_out_channels",
        "holds",
        "hardship_until",
        "promise",
        "promises",
        "plan",
        "plans",
        "disputes_open",
        "complaints_open",
        "history",
        "notices",
    }
