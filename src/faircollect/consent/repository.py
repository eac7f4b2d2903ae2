"""Reading the consent ledger and what it refers to from the store (no writes here)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Connection, select

from faircollect.consent.frame import RECORD_SCHEMA
from faircollect.consent.record import ConsentRecord
from faircollect.errors import NotFound
from faircollect.store.tables.consent import consent_receipts
from faircollect.store.tables.foundation import borrowers, consent_records, contacts

_COLS = (
    consent_records.c.record_id, consent_records.c.consent_id, consent_records.c.borrower_id,
    consent_records.c.purpose, consent_records.c.contact_id, consent_records.c.kind,
    consent_records.c.granted_at, consent_records.c.expires_at, consent_records.c.withdrawn_at,
    consent_records.c.channel, consent_records.c.policy_version, consent_records.c.notice_sha256,
    consent_records.c.recorded_at,
)


@dataclass(frozen=True, slots=True)
class BorrowerRef:
    """What consent needs to know about a borrower: no personal data."""

    borrower_id: str
    jurisdiction: str
    locale: str
    erased: bool


@dataclass(frozen=True, slots=True)
class ContactRef:
    """What consent needs to know about a contact person: whose, and where it came from."""

    contact_id: str
    borrower_id: str
    source: str


def load_records(
    conn: Connection, *, borrower_id: str | None = None, consent_id: str | None = None
) -> list[ConsentRecord]:
    """Ledger records in write order, for one borrower, one consent or (neither) all."""
    query = select(*_COLS).order_by(consent_records.c.record_id)
    if borrower_id is not None:
        query = query.where(consent_records.c.borrower_id == borrower_id)
    if consent_id is not None:
        query = query.where(consent_records.c.consent_id == consent_id)
    return [ConsentRecord(*row) for row in conn.execute(query)]


def load_records_frame(conn: Connection, borrower_ids: Iterable[str] | None = None) -> pl.DataFrame:
    """Ledger records as a Polars frame (RECORD_SCHEMA), for the whole portfolio or some."""
    query = select(*_COLS[:9]).order_by(consent_records.c.record_id)
    if borrower_ids is not None:
        query = query.where(consent_records.c.borrower_id.in_(list(borrower_ids)))
    rows = conn.execute(query).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=RECORD_SCHEMA, orient="row")


def load_borrower(conn: Connection, borrower_id: str) -> BorrowerRef:
    """The borrower called `borrower_id`; NotFound when there is none."""
    row = conn.execute(
        select(borrowers.c.jurisdiction, borrowers.c.locale, borrowers.c.erased_at).where(
            borrowers.c.borrower_id == borrower_id
        )
    ).first()
    if row is None:
        raise NotFound(f"no borrower {borrower_id!r}", borrower_id=borrower_id)
    return BorrowerRef(borrower_id, row.jurisdiction, row.locale, row.erased_at is not None)


def load_contact(conn: Connection, contact_id: str) -> ContactRef:
    """The contact person called `contact_id`; NotFound when there is none."""
    row = conn.execute(
        select(contacts.c.borrower_id, contacts.c.source).where(
            contacts.c.contact_id == contact_id
        )
    ).first()
    if row is None:
        raise NotFound(f"no contact {contact_id!r}", contact_id=contact_id)
    return ContactRef(contact_id, row.borrower_id, row.source)


def load_receipt_documents(conn: Connection, ident: str) -> list[dict[str, Any]]:
    """Stored receipts by receipt id, or every receipt of a consent id, oldest first."""
    import orjson

    rows = conn.execute(
        select(consent_receipts.c.document)
        .where(
            (consent_receipts.c.receipt_id == ident) | (consent_receipts.c.consent_id == ident)
        )
        .order_by(consent_receipts.c.issued_at, consent_receipts.c.record_id)
    ).all()
    return [orjson.loads(r.document) for r in rows]
