"""Notices the borrower is sent by case commands (dispute acknowledged, dispute resolved).

The wording is fixed and names no one, so it needs no personalisation; the message goes
through the outbox in the command's own transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from faircollect.cases.borrower import BorrowerRecord
from faircollect.dispatch.message import OutboundMessage
from faircollect.dispatch.outbox import enqueue
from faircollect.store.unit_of_work import UnitOfWork
from faircollect.vault.vault import Vault

BODIES: Final[dict[str, str]] = {
    "dispute_acknowledgement": (
        "We have received your dispute. We have stopped collecting this debt while we look "
        "into it and will write to you with the outcome."
    ),
    "dispute_resolution": (
        "We have finished looking into your dispute; the outcome is: {outcome}. If you "
        "disagree you may complain to us or to the regulator."
    ),
}


def send_notice(
    uow: UnitOfWork,
    vault: Vault,
    borrower: BorrowerRecord,
    *,
    kind: str,
    reference: str,
    channel: str,
    now: datetime,
    **fields: str,
) -> str:
    """Enqueue notice `kind` about `reference` (e.g. a dispute id); returns the message id.

    An opted-out channel is not used: the notice goes by letter instead.
    """
    if channel in borrower.opted_out_channels:
        channel = "letter"
    message = OutboundMessage(
        idempotency_key=f"notice:{kind}:{reference}",
        borrower_id=borrower.borrower_id,
        channel=channel,
        template_id=f"notice-{kind.replace('_', '-')}",
        purpose="reminder",
        body=BODIES[kind].format(**fields),
        planned_at=now,
        notice_kind=kind,
    )
    return enqueue(uow, vault, message, now=now).message_id
