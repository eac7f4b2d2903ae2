"""Seed data for the consent, access, subject and retention integration tests.

Writes borrowers and contacts the way the import does (fields sealed under each borrower's
data key, bound to table, column and id), plus a loan with installments and a payment.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert

from faircollect.bootstrap import App
from faircollect.store.tables.foundation import (
    borrowers,
    contacts,
    data_keys,
    installments,
    loans,
    payments,
)

T0 = datetime(2026, 1, 1, 9, tzinfo=UTC)

PEOPLE: dict[str, dict[str, Any]] = {
    "b-1": {"jurisdiction": "CN", "full_name": "张三丰", "national_id": "110101199003071234",
            "phone": "+8613812345699", "email": "zhang@example.com"},
    "b-2": {"jurisdiction": "US", "full_name": "Jane Doe", "national_id": "123-45-6789",
            "phone": "+12025550143", "email": "jane@example.com"},
    "b-3": {"jurisdiction": "UK", "full_name": "Tom Smith", "national_id": "QQ123456C",
            "phone": "+447700900123", "email": None},
}
# contact id -> (borrower, relation, source, name, phone)
CONTACTS: dict[str, tuple[str, str, str, str, str]] = {
    "c-1": ("b-1", "sibling", "borrower_designated", "李四", "+8613900001111"),
    "c-2": ("b-1", "friend", "address_book", "王五", "+8613900002222"),
    "c-3": ("b-2", "parent", "borrower_designated", "Mary Doe", "+12025550188"),
    "c-4": ("b-3", "friend", "borrower_designated", "Ann Lee", "+447700900456"),
}


def seed(app: App, *, at: datetime = T0, last_payment: date = date(2026, 2, 1)) -> None:
    """Three borrowers (CN, US, UK) with contacts, a loan each and one payment each."""
    vault = app.vault
    with app.store.transaction("seed") as uow:
        for bid, p in PEOPLE.items():
            key_row, cipher = vault.new_key_row(uow.conn, bid, at)
            uow.conn.execute(insert(data_keys).values(**key_row))
            sealed = {
                f"{f}_ct": vault.seal(cipher, p[f], "borrowers", f, bid) if p[f] else None
                for f in ("full_name", "national_id", "phone", "email")
            }
            uow.conn.execute(insert(borrowers).values(
                borrower_id=bid, jurisdiction=p["jurisdiction"], timezone="UTC",
                locale="zh-CN" if p["jurisdiction"] == "CN" else "en", flags="",
                opted_out_channels="", phone_bidx=vault.indexer.index("phone", p["phone"]),
                row_digest="d", created_at=at, updated_at=at, **sealed,
            ))
            loan = f"l-{bid}"
            uow.conn.execute(insert(loans).values(
                loan_id=loan, borrower_id=bid, currency="CNY", principal_minor=120000,
                annual_rate=Decimal("0.18"), term_months=1, disbursed_on=date(2025, 12, 1),
                first_due_on=date(2026, 1, 1), schedule="bullet", row_digest="d",
                created_at=at, updated_at=at,
            ))
            uow.conn.execute(insert(installments).values(
                loan_id=loan, number=1, due_on=date(2026, 1, 1), principal_minor=120000,
                interest_minor=1800, fees_minor=0,
            ))
            uow.conn.execute(insert(payments).values(
                payment_id=f"p-{bid}", loan_id=loan, paid_on=last_payment, amount_minor=50000,
                row_digest="d", created_at=at,
            ))
        for cid, (bid, rel, source, name, phone) in CONTACTS.items():
            cipher = vault.cipher(uow.conn, bid)
            uow.conn.execute(insert(contacts).values(
                contact_id=cid, borrower_id=bid, relation=rel, source=source,
                name_ct=vault.seal(cipher, name, "contacts", "name", cid),
                phone_ct=vault.seal(cipher, phone, "contacts", "phone", cid),
                phone_bidx=vault.indexer.index("phone", phone), refused_contact=False,
                row_digest="d", created_at=at, updated_at=at,
            ))
        uow.audit("seed", "portfolio", {"borrowers": len(PEOPLE)})
