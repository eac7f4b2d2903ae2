"""`faircollect subject erase ID --yes`: erasure by crypto-shredding (PIPL Art. 47, GDPR Art. 17).

One transaction destroys the borrower's data key (so every ciphertext of theirs, in any table
and in every backup, is unreadable), clears the ciphertexts, blind indexes and keyed digests
of the borrower and their contact persons, closes case assignments, and writes the audit
entry. Records the law requires the lender to keep (loans, installments, payments, consent
records and receipts, contact history) stay as tokens and amounts. The audit log holds no
personal data, so it is never touched and still verifies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update

from faircollect.consent.repository import load_borrower
from faircollect.errors import Conflict
from faircollect.store.tables.consent import case_assignments
from faircollect.store.tables.foundation import borrowers, contacts
from faircollect.store.unit_of_work import Store, UnitOfWork
from faircollect.vault.vault import Vault

ERASED_DIGEST = "erased"


@dataclass(frozen=True, slots=True)
class Erasure:
    """What an erasure did."""

    borrower_id: str
    key_destroyed: bool
    contacts_cleared: int


def erase_subject(
    store: Store, vault: Vault, *, actor: str, borrower_id: str, reason: str = "request"
) -> Erasure:
    """Erase one borrower; Conflict when they were erased already, NotFound when unknown."""
    with store.transaction(actor) as uow:
        result = erase_in(uow, vault, borrower_id, reason=reason, now=store.clock())
    return result


def erase_in(uow: UnitOfWork, vault: Vault, borrower_id: str, *, reason: str,
             now: datetime) -> Erasure:
    """The erasure inside a caller's transaction (retention erases many in one run)."""
    ref = load_borrower(uow.conn, borrower_id)
    if ref.erased:
        raise Conflict(f"borrower {borrower_id} was already erased", borrower_id=borrower_id)
    destroyed = vault.shred(uow.conn, borrower_id, now)
    uow.conn.execute(
        update(borrowers).where(borrowers.c.borrower_id == borrower_id).values(
            full_name_ct=None, national_id_ct=None, phone_ct=None, email_ct=None,
            phone_bidx=None, national_id_bidx=None, email_bidx=None,
            row_digest=ERASED_DIGEST, erased_at=now, updated_at=now,
        )
    )
    cleared = uow.conn.execute(
        update(contacts).where(contacts.c.borrower_id == borrower_id).values(
            name_ct=None, phone_ct=None, phone_bidx=None, row_digest=ERASED_DIGEST,
            updated_at=now,
        )
    ).rowcount
    uow.conn.execute(
        update(case_assignments)
        .where(case_assignments.c.borrower_id == borrower_id,
               case_assignments.c.released_at.is_(None))
        .values(released_at=now)
    )
    uow.audit("subject.erase", borrower_id, {
        "reason": reason, "data_key_destroyed": destroyed, "contacts_cleared": int(cleared),
    })
    return Erasure(borrower_id, destroyed, int(cleared))
