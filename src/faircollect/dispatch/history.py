"""Contact history: every attempt and its outcome, the record the policy requests are built from.

The worker adds a row when a message is delivered or finally fails; agents and provider
callbacks add rows for calls answered, numbers busy, people who refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, insert, select

from faircollect.errors import InputError, NotFound
from faircollect.store.tables.dispatch import contact_history, outbox
from faircollect.store.unit_of_work import UnitOfWork

OUTCOMES: Final[tuple[str, ...]] = (
    "connected",
    "no_answer",
    "busy",
    "delivered",
    "failed",
    "refused",
)


def add_attempt(
    conn: Connection,
    *,
    borrower_id: str,
    contact_id: str | None,
    channel: str,
    audience: str,
    at: datetime,
    outcome: str,
    message_id: str | None = None,
    source: str = "dispatch",
) -> int:
    """Insert one history row; returns its id."""
    if outcome not in OUTCOMES:
        raise InputError(
            f"outcome: {outcome!r} is not one of {', '.join(OUTCOMES)}", field="outcome"
        )
    result = conn.execute(
        insert(contact_history).values(
            borrower_id=borrower_id,
            contact_id=contact_id,
            channel=channel,
            audience=audience,
            at=at,
            outcome=outcome,
            message_id=message_id,
            source=source,
        )
    )
    key = result.inserted_primary_key
    return int(key[0]) if key is not None else 0


def record_outcome(uow: UnitOfWork, message_id: str, outcome: str, at: datetime) -> int:
    """Record a later outcome of a sent message (a call answered, a refusal), audited."""
    row = uow.conn.execute(select(outbox).where(outbox.c.message_id == message_id)).first()
    if row is None:
        raise NotFound("unknown message", message_id=message_id)
    if row.state != "sent":
        raise InputError("only a sent message can have an outcome", message_id=message_id)
    history_id = add_attempt(
        uow.conn,
        borrower_id=row.borrower_id,
        contact_id=row.contact_id,
        channel=row.channel,
        audience=row.audience,
        at=at,
        outcome=outcome,
        message_id=message_id,
        source="callback",
    )
    uow.audit("dispatch.outcome", f"message:{message_id}", {"outcome": outcome})
    return history_id


def history_for(conn: Connection, borrower_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Each borrower's attempts, oldest first, in the decision request's `history` shape."""
    ids = list(borrower_ids)
    found: dict[str, list[dict[str, Any]]] = {b: [] for b in ids}
    if not ids:
        return found
    query = (
        select(contact_history)
        .where(contact_history.c.borrower_id.in_(ids))
        .order_by(contact_history.c.borrower_id, contact_history.c.at, contact_history.c.history_id)
    )
    for row in conn.execute(query):
        found[row.borrower_id].append(
            {
                "history_id": row.history_id,
                "at": row.at,
                "channel": row.channel,
                "audience": row.audience,
                "contact_id": row.contact_id,
                "outcome": row.outcome,
            }
        )
    return found


def notices_for(conn: Connection, borrower_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Notices sent to each borrower, oldest first, in the decision request's `notices` shape."""
    ids = list(borrower_ids)
    found: dict[str, list[dict[str, Any]]] = {b: [] for b in ids}
    if not ids:
        return found
    query = (
        select(outbox.c.borrower_id, outbox.c.sent_at, outbox.c.notice_kind)
        .where(
            outbox.c.borrower_id.in_(ids),
            outbox.c.notice_kind.is_not(None),
            outbox.c.state == "sent",
            outbox.c.audience == "borrower",
        )
        .order_by(outbox.c.borrower_id, outbox.c.sent_at)
    )
    for row in conn.execute(query):
        found[row.borrower_id].append({"at": row.sent_at, "kind": row.notice_kind})
    return found
