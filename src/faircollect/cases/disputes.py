"""Disputes: open (the account goes on hold) -> resolved, the borrower told at each step."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import func, insert, select, update

from faircollect.cases.borrower import load_borrower, load_loan_currency, new_id, write_flags
from faircollect.cases.notices import send_notice
from faircollect.errors import Conflict, InputError, NotFound
from faircollect.store.tables.cases import disputes
from faircollect.store.unit_of_work import UnitOfWork
from faircollect.vault.vault import Vault

REASONS: Final[tuple[str, ...]] = (
    "not_my_debt",
    "wrong_amount",
    "already_paid",
    "identity_theft",
    "other",
)
RESOLUTIONS: Final[tuple[str, ...]] = ("upheld", "rejected", "withdrawn")


def open_dispute(
    uow: UnitOfWork,
    vault: Vault,
    *,
    borrower_id: str,
    reason: str,
    now: datetime,
    loan_id: str | None = None,
    channel: str = "letter",
) -> str:
    """Open a dispute: flag `dispute_open` (a hold) and send the borrower an acknowledgement.

    The acknowledgement is an approved template in the borrower's language; when there is
    none, nothing is sent and the audit entry's `notice_skipped` says why.
    """
    borrower = load_borrower(uow.conn, borrower_id, lock=True)
    if reason not in REASONS:
        raise InputError(f"reason: must be one of {', '.join(REASONS)}", field="reason")
    if loan_id is not None:
        load_loan_currency(uow.conn, borrower_id, loan_id)
    dispute_id = new_id("dsp")
    uow.conn.execute(
        insert(disputes).values(
            dispute_id=dispute_id,
            borrower_id=borrower_id,
            loan_id=loan_id,
            reason=reason,
            state="open",
            opened_at=now,
        )
    )
    write_flags(uow.conn, borrower_id, now, flags=(*borrower.flags, "dispute_open"))
    notice = send_notice(
        uow,
        vault,
        borrower,
        kind="dispute_acknowledgement",
        reference=dispute_id,
        channel=channel,
        now=now,
    )
    uow.audit(
        "case.dispute.open",
        f"borrower:{borrower_id}",
        {"dispute_id": dispute_id, "reason": reason, "loan_id": loan_id, **notice.audit()},
    )
    return dispute_id


def resolve_dispute(
    uow: UnitOfWork,
    vault: Vault,
    *,
    dispute_id: str,
    resolution: str,
    now: datetime,
    channel: str = "letter",
) -> str | None:
    """Resolve an open dispute, lift the hold if no other is open, and tell the borrower.

    Returns the notice's message id, or None when the borrower's language has no approved
    notice template (the audit entry's `notice_skipped` says why).
    """
    if resolution not in RESOLUTIONS:
        raise InputError(f"resolution: must be one of {', '.join(RESOLUTIONS)}", field="resolution")
    row = uow.conn.execute(
        select(disputes.c.borrower_id, disputes.c.state).where(disputes.c.dispute_id == dispute_id)
    ).first()
    if row is None:
        raise NotFound("unknown dispute", dispute_id=dispute_id)
    borrower = load_borrower(uow.conn, row.borrower_id, lock=True)
    changed = uow.conn.execute(
        update(disputes)
        .where(disputes.c.dispute_id == dispute_id, disputes.c.state == "open")
        .values(state="resolved", resolved_at=now, resolution=resolution)
    ).rowcount
    if not changed:
        raise Conflict("the dispute is not open", dispute_id=dispute_id)
    still_open = uow.conn.execute(
        select(func.count()).where(
            disputes.c.borrower_id == borrower.borrower_id, disputes.c.state == "open"
        )
    ).scalar_one()
    if not still_open:
        flags = tuple(f for f in borrower.flags if f != "dispute_open")
        write_flags(uow.conn, borrower.borrower_id, now, flags=flags)
    notice = send_notice(
        uow,
        vault,
        borrower,
        kind="dispute_resolution",
        reference=dispute_id,
        channel=channel,
        now=now,
        outcome=resolution,
    )
    uow.audit(
        "case.dispute.resolve",
        f"borrower:{borrower.borrower_id}",
        {
            "dispute_id": dispute_id,
            "resolution": resolution,
            "hold_lifted": not still_open,
            **notice.audit(),
        },
    )
    return notice.message_id
