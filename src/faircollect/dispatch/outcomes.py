"""What happened to claimed messages, written for a whole batch in one transaction.

Every function takes the worker's id and touches only messages still `sending` under that
worker's claim: a message whose lease ran out and was taken over by a reconciler is left
alone (the reconciler records it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, Row, bindparam, update

from faircollect.dispatch import outbox as box
from faircollect.dispatch.channels.base import SendResult
from faircollect.dispatch.history import add_attempt
from faircollect.store.bulk import insert_rows
from faircollect.store.tables.dispatch import contact_history, outbox
from faircollect.store.unit_of_work import UnitOfWork

log = logging.getLogger("faircollect.dispatch")

_MARKS: Final = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def _same(value: Any) -> Any:
    return value


def _mark_sent(
    conn: Connection, worker_id: str, todo: Sequence[tuple[Row[Any], SendResult]], now: datetime
) -> None:
    """One UPDATE executemany, handed to the driver as tuples (SQLAlchemy's per-row
    parameter processing would cost more than the update itself)."""
    mark = _MARKS.get(conn.dialect.paramstyle)
    instant: Callable[[Any], Any] = outbox.c.sent_at.type.bind_processor(conn.dialect) or _same
    if mark is None:  # another driver: let SQLAlchemy bind the parameters
        stmt = (
            update(outbox)
            .where(
                outbox.c.message_id == bindparam("m_id"),
                outbox.c.state == "sending",
                outbox.c.claimed_by == worker_id,
            )
            .values(
                state="sent",
                sent_at=bindparam("m_at"),
                provider_ref=bindparam("m_ref"),
                last_error=None,
                claimed_by=None,
                claimed_until=None,
                updated_at=now,
            )
        )
        conn.execute(
            stmt,
            [
                {"m_id": row.message_id, "m_at": result.at, "m_ref": result.provider_ref}
                for row, result in todo
            ],
        )
        return
    table = conn.dialect.identifier_preparer.format_table(outbox)
    sql = (
        f"UPDATE {table} SET state = 'sent', sent_at = {mark}, provider_ref = {mark}, "
        f"last_error = NULL, claimed_by = NULL, claimed_until = NULL, updated_at = {mark} "
        f"WHERE message_id = {mark} AND state = 'sending' AND claimed_by = {mark}"
    )
    stamp = instant(now)
    conn.exec_driver_sql(
        sql,
        [
            (instant(result.at), result.provider_ref, stamp, row.message_id, worker_id)
            for row, result in todo
        ],
    )


def record_sent(
    uow: UnitOfWork,
    worker_id: str,
    sent: Sequence[tuple[Row[Any], SendResult]],
    *,
    now: datetime,
    action: str,
    adapter: str,
) -> int:
    """Mark messages sent, add their history rows and audit entries; returns how many.

    One query for the claims still held, one UPDATE executemany, one bulk insert into
    contact history, one audit entry per message (appended in one go at commit).
    """
    if not sent:
        return 0
    mine = box.held(uow.conn, worker_id)
    todo = [(row, result) for row, result in sent if row.message_id in mine]
    if len(todo) < len(sent):
        log.warning("%d claims were lost before their outcome was recorded", len(sent) - len(todo))
    if not todo:
        return 0
    _mark_sent(uow.conn, worker_id, todo, now)
    insert_rows(
        uow.conn,
        contact_history,
        [
            {
                "borrower_id": row.borrower_id,
                "contact_id": row.contact_id,
                "channel": row.channel,
                "audience": row.audience,
                "at": result.at,
                "outcome": result.outcome,
                "message_id": row.message_id,
                "source": "dispatch",
            }
            for row, result in todo
        ],
    )
    for row, result in todo:
        uow.audit(
            action,
            f"message:{row.message_id}",
            {
                "borrower_id": row.borrower_id,
                "channel": row.channel,
                "channel_adapter": adapter,
                "template_id": row.template_id,
                "provider_ref": result.provider_ref,
                "outcome": result.outcome,
            },
        )
    return len(todo)


def fail(
    uow: UnitOfWork,
    worker_id: str,
    row: Row[Any],
    reason: str,
    now: datetime,
    *,
    state: str = "failed",
) -> bool:
    """Move a message to `failed` or `dead` with a `failed` history row, audited."""
    if not box.finish(uow.conn, row.message_id, worker_id, now=now, state=state, last_error=reason):
        return False
    add_attempt(
        uow.conn,
        borrower_id=row.borrower_id,
        contact_id=row.contact_id,
        channel=row.channel,
        audience=row.audience,
        at=now,
        outcome="failed",
        message_id=row.message_id,
    )
    uow.audit(
        f"dispatch.{state}",
        f"message:{row.message_id}",
        {"borrower_id": row.borrower_id, "channel": row.channel, "reason": reason},
    )
    return True


def retry_later(
    uow: UnitOfWork, worker_id: str, row: Row[Any], reason: str, now: datetime, at: datetime
) -> bool:
    """Put a message back to `pending`, planned again at `at` (after a passing failure)."""
    return box.finish(
        uow.conn,
        row.message_id,
        worker_id,
        now=now,
        state="pending",
        planned_at=at,
        last_error=reason,
    )


def requeue(uow: UnitOfWork, worker_id: str, row: Row[Any], now: datetime) -> bool:
    """Back to `pending` after reconciling: the channel has no record of the message."""
    if not box.finish(uow.conn, row.message_id, worker_id, now=now, state="pending"):
        return False
    uow.audit(
        "dispatch.requeued",
        f"message:{row.message_id}",
        {"reason": "the channel has no record of it after the sender stopped"},
    )
    return True


def release(uow: UnitOfWork, worker_id: str, rows: Sequence[Row[Any]], now: datetime) -> int:
    """Hand unsent messages back (`pending`) before the lease runs out; returns how many."""
    return sum(
        box.finish(uow.conn, row.message_id, worker_id, now=now, state="pending") for row in rows
    )
