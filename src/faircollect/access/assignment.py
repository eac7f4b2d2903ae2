"""Case assignments: which collector works which borrower's case (分案 / 调案).

A collector without valid training for the case's jurisdiction is refused (HOUSE-TRAINING).

Assigning and releasing are audited commands; an assignment is closed, never deleted, so the
record of who could see a case stays.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, insert, select, update

from faircollect.consent.repository import load_borrower
from faircollect.errors import Conflict, InputError
from faircollect.governance.training_service import gate
from faircollect.store.tables.consent import case_assignments
from faircollect.store.unit_of_work import Store

_c = case_assignments.c


def assign(store: Store, *, actor: str, borrower_id: str, collector_id: str) -> None:
    """Assign a borrower's case to a collector; Conflict if it already is."""
    if not collector_id.strip():
        raise InputError("collector id is required", field="collector_id")
    now = store.clock()
    with store.transaction(actor) as uow:
        borrower = load_borrower(uow.conn, borrower_id)
        # HOUSE-TRAINING: an untrained collector is never given a case of this jurisdiction.
        gate(uow.conn, collector_id, borrower.jurisdiction, now, "be assigned cases")
        if borrower_id in assigned_borrowers(uow.conn, collector_id, [borrower_id]):
            raise Conflict(f"case {borrower_id} is already assigned to {collector_id}",
                           borrower_id=borrower_id)
        uow.conn.execute(insert(case_assignments).values(
            borrower_id=borrower_id, collector_id=collector_id, assigned_at=now))
        uow.audit("case.assign", borrower_id, {"collector_id": collector_id})


def release(store: Store, *, actor: str, borrower_id: str, collector_id: str) -> None:
    """End a collector's assignment to a case; NotFound-style InputError if there is none."""
    now = store.clock()
    with store.transaction(actor) as uow:
        result = uow.conn.execute(
            update(case_assignments)
            .where(_c.borrower_id == borrower_id, _c.collector_id == collector_id,
                   _c.released_at.is_(None))
            .values(released_at=now)
        )
        if not result.rowcount:
            raise InputError(f"case {borrower_id} is not assigned to {collector_id}",
                             field="borrower_id")
        uow.audit("case.release", borrower_id, {"collector_id": collector_id})


def assigned_borrowers(
    conn: Connection, collector_id: str, among: Iterable[str] | None = None
) -> set[str]:
    """The borrowers whose cases are assigned to `collector_id` now (optionally among some)."""
    query = select(_c.borrower_id).where(
        _c.collector_id == collector_id, _c.released_at.is_(None)
    )
    if among is None:
        return {r[0] for r in conn.execute(query)}
    wanted = list(dict.fromkeys(among))
    out: set[str] = set()
    for i in range(0, len(wanted), 900):  # stay under SQLite's bound-parameter limit
        chunk = wanted[i : i + 900]
        out.update(r[0] for r in conn.execute(query.where(_c.borrower_id.in_(chunk))))
    return out
