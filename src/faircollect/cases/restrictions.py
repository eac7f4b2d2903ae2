"""Cease requests and channel opt-outs: what the borrower asked us not to do."""

from __future__ import annotations

from datetime import datetime

from faircollect.cases.borrower import CONTACT_CHANNELS, load_borrower, write_flags
from faircollect.errors import Conflict, InputError
from faircollect.store.unit_of_work import UnitOfWork


def request_cease(
    uow: UnitOfWork, *, borrower_id: str, now: datetime, written: bool = True
) -> None:
    """Record the borrower's request to stop collection contact (flag `cease_requested`)."""
    borrower = load_borrower(uow.conn, borrower_id, lock=True)
    if "cease_requested" in borrower.flags:
        raise Conflict("the borrower has already asked to stop contact", borrower_id=borrower_id)
    write_flags(uow.conn, borrower_id, now, flags=(*borrower.flags, "cease_requested"))
    uow.audit("case.cease", f"borrower:{borrower_id}", {"written": written})


def opt_out(uow: UnitOfWork, *, borrower_id: str, channel: str, now: datetime) -> None:
    """Stop using one channel for the borrower."""
    if channel not in CONTACT_CHANNELS:
        raise InputError(f"channel: must be one of {', '.join(CONTACT_CHANNELS)}", field="channel")
    borrower = load_borrower(uow.conn, borrower_id, lock=True)
    if channel in borrower.opted_out_channels:
        raise Conflict(f"the borrower has already opted out of {channel}", borrower_id=borrower_id)
    write_flags(uow.conn, borrower_id, now, opted_out=(*borrower.opted_out_channels, channel))
    uow.audit("case.opt_out", f"borrower:{borrower_id}", {"channel": channel})
