"""Borrower look-ups the faces share (no personal data is read)."""

from __future__ import annotations

from faircollect.cases.borrower import load_borrower
from faircollect.store.unit_of_work import Store


def require_borrower(store: Store, borrower_id: str) -> None:
    """NotFound (HTTP 404) unless the borrower exists."""
    with store.read() as conn:
        load_borrower(conn, borrower_id)
