"""The borrower and loan records case commands act on, and the flags they change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import Connection, select, update

from faircollect.errors import InputError, NotFound
from faircollect.store.tables.foundation import borrowers, loans
from faircollect.vocabulary import CHANNELS, HOLD_FLAGS  # noqa: F401  (HOLD_FLAGS re-exported)

# The decision request's channels: a borrower may opt out of any of them.
CONTACT_CHANNELS: Final[tuple[str, ...]] = CHANNELS


def new_id(prefix: str) -> str:
    """A fresh record id such as `ptp-3f2a...`."""
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


def split(text: str | None) -> list[str]:
    """A ';'-joined column as a list, blanks dropped."""
    return [part for part in (text or "").split(";") if part]


@dataclass(frozen=True, slots=True)
class BorrowerRecord:
    """What case commands need to know of a borrower."""

    borrower_id: str
    jurisdiction: str
    flags: tuple[str, ...]
    opted_out_channels: tuple[str, ...]
    locale: str = ""


def load_borrower(conn: Connection, borrower_id: str, *, lock: bool = False) -> BorrowerRecord:
    """The borrower, or NotFound; `lock` holds the row for the rest of the transaction."""
    if not borrower_id:
        raise InputError("borrower_id: required", field="borrower_id")
    query = select(
        borrowers.c.borrower_id,
        borrowers.c.jurisdiction,
        borrowers.c.flags,
        borrowers.c.opted_out_channels,
        borrowers.c.locale,
    ).where(borrowers.c.borrower_id == borrower_id)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound("unknown borrower", borrower_id=borrower_id)
    return BorrowerRecord(
        row.borrower_id,
        row.jurisdiction,
        tuple(split(row.flags)),
        tuple(split(row.opted_out_channels)),
        str(row.locale or ""),
    )


def load_loan_currency(conn: Connection, borrower_id: str, loan_id: str) -> str:
    """The loan's currency, checking that the loan is the borrower's."""
    row = conn.execute(
        select(loans.c.borrower_id, loans.c.currency).where(loans.c.loan_id == loan_id)
    ).first()
    if row is None or row.borrower_id != borrower_id:
        raise NotFound("unknown loan for this borrower", borrower_id=borrower_id, loan_id=loan_id)
    return str(row.currency)


def write_flags(
    conn: Connection,
    borrower_id: str,
    now: datetime,
    *,
    flags: tuple[str, ...] | None = None,
    opted_out: tuple[str, ...] | None = None,
) -> None:
    """Store a borrower's flags and/or opted-out channels (sorted, ';'-joined)."""
    values: dict[str, object] = {"updated_at": now}
    if flags is not None:
        values["flags"] = ";".join(sorted(set(flags)))
    if opted_out is not None:
        values["opted_out_channels"] = ";".join(sorted(set(opted_out)))
    conn.execute(update(borrowers).where(borrowers.c.borrower_id == borrower_id).values(**values))
