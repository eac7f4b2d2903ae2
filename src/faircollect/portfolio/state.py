"""What the store already holds, loaded once per import to classify rows as new, changed or same."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import Connection, select

from faircollect.store.tables.foundation import (
    borrowers,
    consent_records,
    contacts,
    loans,
    payments,
)


@dataclass(frozen=True, slots=True)
class ConsentState:
    borrower_id: str
    purpose: str
    contact_id: str | None
    granted_at: datetime
    expires_at: datetime | None
    withdrawn_at: datetime | None


@dataclass
class StoredPortfolio:
    borrowers: dict[str, tuple[str, str, datetime | None]] = field(default_factory=dict)
    contacts: dict[str, tuple[str, str]] = field(default_factory=dict)
    consents: dict[str, ConsentState] = field(default_factory=dict)
    loans: dict[str, tuple[str, str, str, date]] = field(default_factory=dict)
    payments: dict[str, str] = field(default_factory=dict)


def load_stored(conn: Connection) -> StoredPortfolio:
    """Ids and digests of everything stored (no ciphertext is read)."""
    s = StoredPortfolio()
    b = borrowers.c
    for row in conn.execute(select(b.borrower_id, b.row_digest, b.jurisdiction, b.erased_at)):
        s.borrowers[row.borrower_id] = (row.row_digest, row.jurisdiction, row.erased_at)
    c = contacts.c
    for crow in conn.execute(select(c.contact_id, c.borrower_id, c.row_digest)):
        s.contacts[crow.contact_id] = (crow.borrower_id, crow.row_digest)
    r = consent_records.c
    query = select(
        r.consent_id,
        r.borrower_id,
        r.purpose,
        r.contact_id,
        r.kind,
        r.granted_at,
        r.expires_at,
        r.withdrawn_at,
    ).order_by(r.consent_id, r.record_id)
    for rec in conn.execute(query):
        prev = s.consents.get(rec.consent_id)
        if prev is None or rec.kind == "grant":
            s.consents[rec.consent_id] = ConsentState(
                rec.borrower_id,
                rec.purpose,
                rec.contact_id,
                rec.granted_at,
                rec.expires_at,
                rec.withdrawn_at,
            )
        elif rec.kind == "renew":
            s.consents[rec.consent_id] = replace(prev, expires_at=rec.expires_at)
        elif rec.kind == "withdraw":
            s.consents[rec.consent_id] = replace(prev, withdrawn_at=rec.withdrawn_at)
        # `expire` records (a review stopping a lapsed consent) change nothing an import
        # compares against.
    ln = loans.c
    for lrow in conn.execute(
        select(ln.loan_id, ln.borrower_id, ln.row_digest, ln.currency, ln.disbursed_on)
    ):
        s.loans[lrow.loan_id] = (lrow.borrower_id, lrow.row_digest, lrow.currency, lrow.disbursed_on)
    p = payments.c
    for prow in conn.execute(select(p.payment_id, p.row_digest)):
        s.payments[prow.payment_id] = prow.row_digest
    return s
