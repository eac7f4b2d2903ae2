"""The transactional outbox: messages commit with the command that wants them sent.

Each message has an idempotency key; enqueueing the same key twice stores one message.
The worker claims due messages with a lease (`sending`, `claimed_by`, `claimed_until`),
commits the claim before it sends, and records the outcome afterwards. A message stuck in
`sending` after its lease ran out is claimed again only to be reconciled with the channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from faircollect.dispatch.message import OutboundMessage
from faircollect.errors import Conflict, NotFound
from faircollect.store.tables.dispatch import outbox
from faircollect.store.tables.foundation import borrowers
from faircollect.store.unit_of_work import UnitOfWork
from faircollect.vault.vault import Vault

BODY_TABLE, BODY_COLUMN = "outbox", "body"


@dataclass(frozen=True, slots=True)
class Enqueued:
    """The outbox id of a message and whether this call created it."""

    message_id: str
    created: bool


def _insert(conn: Connection, row: dict[str, Any]) -> int:
    """Insert unless the key (or its derived id) is already there; returns rows inserted."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    # RETURNING, not rowcount: psycopg reports no rowcount for ON CONFLICT DO NOTHING.
    stmt = (
        dialect.insert(outbox).values(**row).on_conflict_do_nothing().returning(outbox.c.message_id)
    )
    return len(conn.execute(stmt).all())


def enqueue(
    uow: UnitOfWork, vault: Vault, message: OutboundMessage, *, now: datetime | None = None
) -> Enqueued:
    """Store `message` for sending within the caller's transaction, once per idempotency key.

    The body is sealed with the borrower's data key. Enqueueing a key again returns the
    existing message; the same key for another borrower, channel or template is a Conflict.
    """
    now = now or datetime.now(UTC)
    conn = uow.conn
    known = conn.execute(
        select(borrowers.c.borrower_id).where(borrowers.c.borrower_id == message.borrower_id)
    ).first()
    if known is None:
        raise NotFound("unknown borrower", borrower_id=message.borrower_id)
    message_id = message.message_id
    body_ct = vault.seal(
        vault.cipher(conn, message.borrower_id), message.body, BODY_TABLE, BODY_COLUMN, message_id
    )
    inserted = _insert(
        conn,
        {
            "message_id": message_id,
            "idempotency_key": message.idempotency_key,
            "borrower_id": message.borrower_id,
            "audience": message.audience,
            "contact_id": message.contact_id,
            "channel": message.channel,
            "template_id": message.template_id,
            "purpose": message.purpose,
            "notice_kind": message.notice_kind,
            "body_ct": body_ct,
            "planned_at": message.planned_at,
            "state": "pending",
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        },
    )
    if inserted:
        return Enqueued(message_id, True)
    existing = conn.execute(
        select(outbox.c.borrower_id, outbox.c.channel, outbox.c.template_id).where(
            outbox.c.idempotency_key == message.idempotency_key
        )
    ).first()
    if existing is None or (existing.borrower_id, existing.channel, existing.template_id) != (
        message.borrower_id,
        message.channel,
        message.template_id,
    ):
        raise Conflict(
            "this idempotency key already names a different message",
            message_id=message_id,
        )
    return Enqueued(message_id, False)


def open_body(conn: Connection, vault: Vault, row: Row[Any]) -> str:
    """The plaintext body of an outbox row (for the sender only)."""
    cipher = vault.cipher(conn, row.borrower_id)
    return vault.open(cipher, row.body_ct, BODY_TABLE, BODY_COLUMN, row.message_id)


def _lock_ids(conn: Connection, condition: Any, order: Sequence[Any], limit: int) -> list[str]:
    # FOR UPDATE SKIP LOCKED lets PostgreSQL workers take disjoint batches without waiting;
    # SQLite ignores it and serialises writers with BEGIN IMMEDIATE instead.
    query = (
        select(outbox.c.message_id)
        .where(condition)
        .order_by(*order)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [r.message_id for r in conn.execute(query)]


def claim_due(
    uow: UnitOfWork, worker_id: str, *, now: datetime, limit: int, lease: timedelta
) -> list[Row[Any]]:
    """Claim up to `limit` pending messages due by `now` for `worker_id`, with a lease."""
    due = and_(outbox.c.state == "pending", outbox.c.planned_at <= now)
    ids = _lock_ids(uow.conn, due, (outbox.c.planned_at, outbox.c.message_id), limit)
    if not ids:
        return []
    uow.conn.execute(
        update(outbox)
        .where(outbox.c.message_id.in_(ids), outbox.c.state == "pending")
        .values(
            state="sending",
            claimed_by=worker_id,
            claimed_until=now + lease,
            attempts=outbox.c.attempts + 1,
            updated_at=now,
        )
    )
    return _rows(uow.conn, ids, worker_id)


def claim_expired(
    uow: UnitOfWork, worker_id: str, *, now: datetime, limit: int, lease: timedelta
) -> list[Row[Any]]:
    """Take over messages left in `sending` by a worker whose lease ran out, to reconcile."""
    stale = and_(outbox.c.state == "sending", outbox.c.claimed_until < now)
    ids = _lock_ids(uow.conn, stale, (outbox.c.claimed_until, outbox.c.message_id), limit)
    if not ids:
        return []
    uow.conn.execute(
        update(outbox)
        .where(outbox.c.message_id.in_(ids), outbox.c.state == "sending")
        .values(claimed_by=worker_id, claimed_until=now + lease, updated_at=now)
    )
    return _rows(uow.conn, ids, worker_id)


def _rows(conn: Connection, ids: list[str], worker_id: str) -> list[Row[Any]]:
    query = (
        select(outbox)
        .where(outbox.c.message_id.in_(ids), outbox.c.claimed_by == worker_id)
        .order_by(outbox.c.planned_at, outbox.c.message_id)
    )
    return list(conn.execute(query))


def finish(
    conn: Connection, message_id: str, worker_id: str, *, now: datetime, **values: Any
) -> bool:
    """Move a message this worker holds out of `sending`; False when its lease was lost."""
    result = conn.execute(
        update(outbox)
        .where(
            outbox.c.message_id == message_id,
            outbox.c.state == "sending",
            outbox.c.claimed_by == worker_id,
        )
        .values(claimed_by=None, claimed_until=None, updated_at=now, **values)
    )
    return bool(result.rowcount)


def counts(conn: Connection) -> dict[str, int]:
    """How many messages are in each state."""
    rows = conn.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state))
    return {str(state): int(n) for state, n in rows}
