"""Seed data for the dispatch and cases tests: borrowers with vault-sealed addresses, loans."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from faircollect.dispatch.message import OutboundMessage
from faircollect.dispatch.outbox import enqueue
from faircollect.store.tables.audit import audit_entries
from faircollect.store.tables.foundation import (
    borrowers,
    contacts,
    data_keys,
    installments,
    loans,
    payments,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0 + timedelta(minutes=1)

    def __call__(self) -> Any:
        return self.now


def seed_borrower(
    app: Any,
    borrower_id: str = "b-1",
    *,
    phone: str = "+447700900001",
    email: str = "ada@example.test",
    jurisdiction: str = "UK",
    contact_id: str | None = None,
) -> None:
    """A borrower (and optionally a designated contact) with sealed phone and e-mail."""
    vault = app.vault
    with app.store.transaction("test") as uow:
        row, cipher = vault.new_key_row(uow.conn, borrower_id, T0)
        uow.conn.execute(insert(data_keys).values(**row))
        uow.conn.execute(
            insert(borrowers).values(
                borrower_id=borrower_id,
                jurisdiction=jurisdiction,
                timezone="Europe/London",
                locale="en",
                flags="",
                opted_out_channels="",
                phone_ct=vault.seal(cipher, phone, "borrowers", "phone", borrower_id),
                email_ct=vault.seal(cipher, email, "borrowers", "email", borrower_id),
                row_digest="x",
                created_at=T0,
                updated_at=T0,
            )
        )
        if contact_id:
            uow.conn.execute(
                insert(contacts).values(
                    contact_id=contact_id,
                    borrower_id=borrower_id,
                    relation="sibling",
                    source="borrower_designated",
                    phone_ct=vault.seal(cipher, "+447700900099", "contacts", "phone", contact_id),
                    refused_contact=False,
                    row_digest="x",
                    created_at=T0,
                    updated_at=T0,
                )
            )


def seed_loan(
    app: Any,
    borrower_id: str = "b-1",
    loan_id: str = "l-1",
    *,
    first_due: date = date(2026, 1, 1),
    months: int = 6,
    principal_minor: int = 10_000,
    interest_minor: int = 1_000,
    fees_minor: int = 0,
    paid: list[tuple[date, int]] | None = None,
) -> None:
    """A GBP loan with equal monthly installments and optional payments."""
    from faircollect.ledger.schedule import add_months

    with app.store.transaction("test") as uow:
        uow.conn.execute(
            insert(loans).values(
                loan_id=loan_id,
                borrower_id=borrower_id,
                currency="GBP",
                principal_minor=principal_minor * months,
                annual_rate="0.1",
                term_months=months,
                disbursed_on=first_due - timedelta(days=30),
                first_due_on=first_due,
                schedule="equal_principal",
                row_digest="x",
                created_at=T0,
                updated_at=T0,
            )
        )
        uow.conn.execute(
            insert(installments),
            [
                {
                    "loan_id": loan_id,
                    "number": n,
                    "due_on": add_months(first_due, n - 1),
                    "principal_minor": principal_minor,
                    "interest_minor": interest_minor,
                    "fees_minor": fees_minor,
                }
                for n in range(1, months + 1)
            ],
        )
        for i, (on, minor) in enumerate(paid or []):
            uow.conn.execute(
                insert(payments).values(
                    payment_id=f"{loan_id}-p{i}",
                    loan_id=loan_id,
                    paid_on=on,
                    amount_minor=minor,
                    row_digest="x",
                    created_at=T0,
                )
            )


def message(n: int, borrower_id: str = "b-1", **overrides: Any) -> OutboundMessage:
    """The n-th test message (an sms reminder to the borrower, due at T0)."""
    fields: dict[str, Any] = {
        "idempotency_key": f"test:{borrower_id}:{n}",
        "borrower_id": borrower_id,
        "channel": "sms",
        "template_id": "t-remind",
        "purpose": "reminder",
        "body": f"Hello Ada, reminder number {n}.",
        "planned_at": T0,
    }
    fields.update(overrides)
    return OutboundMessage(**fields)


def enqueue_many(app: Any, count: int, borrower_id: str = "b-1", **overrides: Any) -> list[str]:
    """Enqueue `count` messages in one transaction; returns their ids."""
    with app.store.transaction("test") as uow:
        return [
            enqueue(uow, app.vault, message(n, borrower_id, **overrides), now=T0).message_id
            for n in range(count)
        ]


def audit_actions(app: Any, subject_prefix: str = "") -> list[str]:
    """The audit log's actions, in order, for subjects starting with `subject_prefix`."""
    with app.store.read() as conn:
        rows = conn.execute(
            select(audit_entries.c.action, audit_entries.c.subject).order_by(audit_entries.c.seq)
        )
        return [r.action for r in rows if r.subject.startswith(subject_prefix)]
