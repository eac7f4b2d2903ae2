"""Complaints from a borrower or a third party, linked to the attempts that came before.

Each complaint gets an SLA due date (the jurisdiction's default unless given) and, when
closed, a root cause from a fixed list so reports can count causes across lenders.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import insert, select, update

from faircollect.cases.borrower import load_borrower, new_id
from faircollect.errors import Conflict, InputError, NotFound
from faircollect.store.tables.cases import complaint_attempts, complaints
from faircollect.store.tables.dispatch import contact_history
from faircollect.store.tables.foundation import contacts
from faircollect.store.unit_of_work import UnitOfWork

COMPLAINANTS: Final[tuple[str, ...]] = ("borrower", "third_party")
CATEGORIES: Final[tuple[str, ...]] = (
    "harassment",
    "contact_frequency",
    "contact_hours",
    "third_party_contact",
    "disclosure",
    "wrong_person",
    "amount",
    "tone",
    "other",
)
ROOT_CAUSES: Final[tuple[str, ...]] = (
    "policy_breach",
    "playbook_design",
    "agent_conduct",
    "data_error",
    "wrong_number",
    "template_wording",
    "system_fault",
    "no_fault_found",
)
# Days to a final answer: FCA DISP 1.6 gives eight weeks; the others are house defaults.
SLA_DAYS: Final[dict[str, int]] = {"UK": 56, "US": 30, "CN": 15}
DEFAULT_SLA_DAYS: Final = 15
LOOKBACK_DAYS: Final = 30


def open_complaint(
    uow: UnitOfWork,
    *,
    borrower_id: str,
    complainant: str,
    category: str,
    received_at: datetime,
    now: datetime,
    contact_id: str | None = None,
    sla_days: int | None = None,
    lookback_days: int = LOOKBACK_DAYS,
) -> str:
    """Record a complaint and link the attempts of the `lookback_days` before it.

    A third party's complaint names the contact (`contact_id`) and links only the attempts
    made to that person.
    """
    borrower = load_borrower(uow.conn, borrower_id)
    if complainant not in COMPLAINANTS:
        raise InputError(f"from: must be one of {', '.join(COMPLAINANTS)}", field="from")
    if category not in CATEGORIES:
        raise InputError(f"category: must be one of {', '.join(CATEGORIES)}", field="category")
    if (complainant == "third_party") != (contact_id is not None):
        raise InputError(
            "contact_id: required for a third party's complaint, absent for the borrower's",
            field="contact_id",
        )
    if received_at > now:
        raise InputError("received_at: cannot be in the future", field="received_at")
    if sla_days is not None and not 1 <= sla_days <= 365:
        raise InputError("sla_days: must be 1 to 365", field="sla_days")
    if not 0 <= lookback_days <= 365:
        raise InputError("lookback_days: must be 0 to 365", field="lookback_days")
    if contact_id is not None:
        owner = uow.conn.execute(
            select(contacts.c.borrower_id).where(contacts.c.contact_id == contact_id)
        ).scalar()
        if owner != borrower_id:
            raise NotFound("unknown contact for this borrower", contact_id=contact_id)
    days = sla_days or SLA_DAYS.get(borrower.jurisdiction, DEFAULT_SLA_DAYS)
    complaint_id = new_id("cmp")
    uow.conn.execute(
        insert(complaints).values(
            complaint_id=complaint_id,
            borrower_id=borrower_id,
            complainant=complainant,
            contact_id=contact_id,
            category=category,
            received_at=received_at,
            sla_due_at=received_at + timedelta(days=days),
            state="open",
        )
    )
    attempts = select(contact_history.c.history_id).where(
        contact_history.c.borrower_id == borrower_id,
        contact_history.c.at <= received_at,
        contact_history.c.at >= received_at - timedelta(days=lookback_days),
    )
    if contact_id is not None:
        attempts = attempts.where(contact_history.c.contact_id == contact_id)
    linked = [r.history_id for r in uow.conn.execute(attempts)]
    if linked:
        uow.conn.execute(
            insert(complaint_attempts),
            [{"complaint_id": complaint_id, "history_id": h} for h in linked],
        )
    uow.audit(
        "case.complaint.open",
        f"borrower:{borrower_id}",
        {
            "complaint_id": complaint_id,
            "from": complainant,
            "category": category,
            "contact_id": contact_id,
            "sla_days": days,
            "attempts": len(linked),
        },
    )
    return complaint_id


def close_complaint(uow: UnitOfWork, *, complaint_id: str, root_cause: str, now: datetime) -> None:
    """Close an open complaint with its root cause."""
    if root_cause not in ROOT_CAUSES:
        raise InputError(f"root_cause: must be one of {', '.join(ROOT_CAUSES)}", field="root_cause")
    row = uow.conn.execute(
        select(complaints.c.borrower_id, complaints.c.sla_due_at).where(
            complaints.c.complaint_id == complaint_id
        )
    ).first()
    if row is None:
        raise NotFound("unknown complaint", complaint_id=complaint_id)
    changed = uow.conn.execute(
        update(complaints)
        .where(complaints.c.complaint_id == complaint_id, complaints.c.state == "open")
        .values(state="closed", closed_at=now, root_cause=root_cause)
    ).rowcount
    if not changed:
        raise Conflict("the complaint is already closed", complaint_id=complaint_id)
    uow.audit(
        "case.complaint.close",
        f"borrower:{row.borrower_id}",
        {
            "complaint_id": complaint_id,
            "root_cause": root_cause,
            "within_sla": now <= row.sla_due_at,
        },
    )


def linked_attempts(uow: UnitOfWork, complaint_id: str) -> list[int]:
    """The history ids a complaint is linked to."""
    query = (
        select(complaint_attempts.c.history_id)
        .where(complaint_attempts.c.complaint_id == complaint_id)
        .order_by(complaint_attempts.c.history_id)
    )
    return [int(r.history_id) for r in uow.conn.execute(query)]
