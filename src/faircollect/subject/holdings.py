"""Where a borrower's records live: every table with a borrower_id, and the loan-linked ones.

Found from the schema rather than listed by hand, so a part that adds a table about borrowers
is covered by export and retention without a change here.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Date, LargeBinary, Table

from faircollect.store.schema import UTCDateTime, metadata
from faircollect.store.tables import foundation

# Tables that are not records about the borrower: key custody, the audit log, assignments.
NOT_HOLDINGS = {"data_keys", "case_assignments", "audit_entries", "audit_nodes", "audit_head",
                "audit_checkpoints", "consent_notices", "api_otp_codes"}
# Columns that are not activity: planned or future instants, and the erasure markers.
NOT_ACTIVITY = {"erased_at", "destroyed_at", "claimed_until", "expires_at", "sla_due_at",
                "planned_at", "ends_on"}


def borrower_tables() -> Iterator[Table]:
    """Tables with a borrower_id column that hold records about a borrower."""
    import faircollect.store.tables  # noqa: F401  (registers every part's tables)

    for t in metadata.sorted_tables:
        if "borrower_id" in t.c and t.name not in NOT_HOLDINGS:
            yield t


def loan_tables() -> Iterator[Table]:
    """Tables keyed by loan_id without a borrower_id (installments, payments, ...)."""
    import faircollect.store.tables  # noqa: F401

    for t in metadata.sorted_tables:
        if "loan_id" in t.c and "borrower_id" not in t.c and t is not foundation.loans:
            yield t


def activity_columns(t: Table) -> list[str]:
    """The date and time columns of a table that record something happening."""
    return [c.name for c in t.columns
            if isinstance(c.type, UTCDateTime | Date) and c.name not in NOT_ACTIVITY]


def is_secret(t: Table, column: str) -> bool:
    """Ciphertext and keyed digests: never exported raw."""
    return isinstance(t.c[column].type, LargeBinary) or column.endswith(("_bidx", "row_digest"))
