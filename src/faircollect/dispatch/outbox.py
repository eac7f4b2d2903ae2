"""The transactional outbox: messages commit with the command that wants them sent.

Each message has an idempotency key; enqueueing the same key twice stores one message.
The worker claims due messages with a lease (`sending`, `claimed_by`, `claimed_until`),
commits the claim before it sends, and records the outcome afterwards. A message stuck in
`sending` after its lease ran out is claimed again only to be reconciled with the channel.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, Row, and_, func, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite

from faircollect.dispatch.message import OutboundMessage
from faircollect.errors import Conflict, NotFound
from faircollect.store.bulk import insert_rows
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


CHUNK = 900  # ids per IN list: under SQLite's old bound-parameter limit


def _chunks(items: Sequence[str], size: int = CHUNK) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _identity(m: OutboundMessage) -> tuple[str, str, str]:
    return (m.borrower_id, m.channel, m.template_id)


def _existing(conn: Connection, keys: Sequence[str]) -> dict[str, tuple[str, str, str]]:
    """Keys already in the outbox -> (borrower, channel, template), one query per chunk."""
    found: dict[str, tuple[str, str, str]] = {}
    cols = (outbox.c.idempotency_key, outbox.c.borrower_id, outbox.c.channel, outbox.c.template_id)
    for part in _chunks(keys):
        for key, borrower, channel, template in conn.execute(
            select(*cols).where(outbox.c.idempotency_key.in_(part))
        ):
            found[key] = (borrower, channel, template)
    return found


def _conflict(message: OutboundMessage) -> Conflict:
    return Conflict(
        "this idempotency key already names a different message", message_id=message.message_id
    )


def _ciphers(conn: Connection, vault: Vault, borrower_ids: list[str]) -> dict[str, AESGCM]:
    """Data-key ciphers of the borrowers; NotFound / KeyUnavailable like `enqueue` always did."""
    found = vault.ciphers(conn, borrower_ids)
    missing = [b for b in borrower_ids if b not in found]
    if missing:
        known: set[str] = set()
        for part in _chunks(missing):
            known.update(
                conn.execute(
                    select(borrowers.c.borrower_id).where(borrowers.c.borrower_id.in_(part))
                ).scalars()
            )
        for bid in missing:
            if bid not in known:
                raise NotFound("unknown borrower", borrower_id=bid)
        vault.cipher(conn, missing[0])  # raises KeyUnavailable: the key was shredded
    return found


def _row(message: OutboundMessage, body_ct: bytes, now: datetime) -> dict[str, Any]:
    return {
        "message_id": message.message_id,
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
        "expires_at": message.expires_at,
        "state": "pending",
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


def _insert_one(conn: Connection, row: dict[str, Any]) -> bool:
    """Insert unless the key (or its derived id) is already there; whether it was inserted."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    # RETURNING, not rowcount: psycopg reports no rowcount for ON CONFLICT DO NOTHING.
    stmt = (
        dialect.insert(outbox).values(**row).on_conflict_do_nothing().returning(outbox.c.message_id)
    )
    return bool(conn.execute(stmt).all())


def _insert(conn: Connection, rows: list[dict[str, Any]]) -> set[str]:
    """Insert the new rows in one executemany; the keys another transaction took meanwhile.

    On SQLite writers take turns (BEGIN IMMEDIATE), so the keys read before are still
    free. On PostgreSQL a concurrent enqueue of the same key can commit in between: the bulk
    insert then fails inside a savepoint and the rows go in one by one, skipping taken keys.
    """
    if conn.dialect.name != "postgresql":
        insert_rows(conn, outbox, rows)
        return set()
    try:
        with conn.begin_nested():
            insert_rows(conn, outbox, rows)
        return set()
    except sa_exc.IntegrityError:
        return {r["idempotency_key"] for r in rows if not _insert_one(conn, r)}


def enqueue_many(
    uow: UnitOfWork,
    vault: Vault,
    messages: Sequence[OutboundMessage],
    *,
    now: datetime | None = None,
) -> list[Enqueued]:
    """Store `messages` for sending within the caller's transaction, once per idempotency key.

    Returns one `Enqueued` per message, in order. Bodies are sealed with each borrower's
    data key. A key already stored (or repeated in `messages`) is not stored again; the
    same key for another borrower, channel or template is a Conflict, and an unknown
    borrower is NotFound (nothing is written then). Bulk: one query per 900 keys for the
    existing ones, one for the borrowers' data keys, one executemany for the new rows.
    """
    now = now or datetime.now(UTC)
    conn = uow.conn
    keys = list(dict.fromkeys(m.idempotency_key for m in messages))
    known = _existing(conn, keys)
    fresh: dict[str, OutboundMessage] = {}
    out: list[Enqueued] = []
    for m in messages:
        seen = known.get(m.idempotency_key)
        if seen is None:
            first = fresh.setdefault(m.idempotency_key, m)
            if first is not m and _identity(first) != _identity(m):
                raise _conflict(m)
            out.append(Enqueued(m.message_id, first is m))
        elif seen != _identity(m):
            raise _conflict(m)
        else:
            out.append(Enqueued(m.message_id, False))
    if not fresh:
        return out
    ciphers = _ciphers(conn, vault, list(dict.fromkeys(m.borrower_id for m in fresh.values())))
    seal = vault.seal
    rows = [
        _row(m, seal(ciphers[m.borrower_id], m.body, BODY_TABLE, BODY_COLUMN, m.message_id), now)
        for m in fresh.values()
    ]
    taken = _insert(conn, rows)
    if taken:  # lost a race for these keys: the same message is fine, another is not
        raced = _existing(conn, sorted(taken))
        for key in taken:
            if raced.get(key) != _identity(fresh[key]):
                raise _conflict(fresh[key])
        out = [
            Enqueued(e.message_id, False) if m.idempotency_key in taken else e
            for m, e in zip(messages, out, strict=True)
        ]
    return out


def enqueue(
    uow: UnitOfWork, vault: Vault, message: OutboundMessage, *, now: datetime | None = None
) -> Enqueued:
    """Store `message` for sending within the caller's transaction, once per idempotency key.

    The body is sealed with the borrower's data key. Enqueueing a key again returns the
    existing message; the same key for another borrower, channel or template is a Conflict.
    """
    return enqueue_many(uow, vault, [message], now=now)[0]


def open_body(conn: Connection, vault: Vault, row: Row[Any]) -> str:
    """The plaintext body of an outbox row (for the sender only)."""
    cipher = vault.cipher(conn, row.borrower_id)
    return vault.open(cipher, row.body_ct, BODY_TABLE, BODY_COLUMN, row.message_id)


def _claim(
    conn: Connection,
    condition: Any,
    order: Sequence[Any],
    limit: int,
    values: dict[str, Any],
) -> list[Row[Any]]:
    """Pick up to `limit` rows matching `condition` and update them in one statement.

    The pick is a CTE with FOR UPDATE SKIP LOCKED, so PostgreSQL workers take disjoint
    batches without waiting (and the pick runs once); SQLite ignores the locking clause and
    serialises writers with BEGIN IMMEDIATE. RETURNING hands the claimed rows back.
    """
    pick = (
        select(outbox.c.message_id)
        .where(condition)
        .order_by(*order)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("pick")
    )
    stmt = (
        update(outbox)
        .where(outbox.c.message_id.in_(select(pick.c.message_id)), condition)
        .values(**values)
        .returning(*outbox.c)
    )
    rows = list(conn.execute(stmt))
    rows.sort(key=lambda r: (r.planned_at, r.message_id))
    return rows


def claim_due(
    uow: UnitOfWork,
    worker_id: str,
    *,
    now: datetime,
    limit: int,
    lease: timedelta,
    due_by: datetime | None = None,
) -> list[Row[Any]]:
    """Claim up to `limit` pending messages planned by `due_by` (default `now`), leased."""
    due = and_(outbox.c.state == "pending", outbox.c.planned_at <= (due_by or now))
    return _claim(
        uow.conn,
        due,
        (outbox.c.planned_at, outbox.c.message_id),
        limit,
        {
            "state": "sending",
            "claimed_by": worker_id,
            "claimed_until": now + lease,
            "attempts": outbox.c.attempts + 1,
            "updated_at": now,
        },
    )


def claim_expired(
    uow: UnitOfWork, worker_id: str, *, now: datetime, limit: int, lease: timedelta
) -> list[Row[Any]]:
    """Take over messages left in `sending` by a worker whose lease ran out, to reconcile."""
    stale = and_(outbox.c.state == "sending", outbox.c.claimed_until < now)
    return _claim(
        uow.conn,
        stale,
        (outbox.c.claimed_until, outbox.c.message_id),
        limit,
        {"claimed_by": worker_id, "claimed_until": now + lease, "updated_at": now},
    )


def held(conn: Connection, worker_id: str) -> set[str]:
    """The messages still `sending` under this worker's claim, locked until commit."""
    query = (
        select(outbox.c.message_id)
        .where(outbox.c.state == "sending", outbox.c.claimed_by == worker_id)
        .with_for_update()
    )
    return set(conn.execute(query).scalars())


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


# -- what operators see and do (never the body: it is sealed and may name the borrower) ----

_VIEW = ("message_id", "borrower_id", "audience", "contact_id", "channel", "template_id",
         "purpose", "notice_kind", "state", "attempts", "planned_at", "expires_at", "sent_at",
         "created_at", "updated_at")


def _view(row: Any) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v)
            for k, v in zip(_VIEW, (getattr(row, k) for k in _VIEW), strict=True)}


def message_view(conn: Connection, message_id: str) -> dict[str, Any]:
    """One message's metadata (no body, no address); NotFound when there is none."""
    row = conn.execute(select(*(outbox.c[k] for k in _VIEW))
                       .where(outbox.c.message_id == message_id)).first()
    if row is None:
        raise NotFound("unknown message", message_id=message_id)
    return _view(row)


def list_messages(conn: Connection, *, limit: int, after: str | None = None,
                  state: str | None = None, borrower_id: str | None = None,
                  channel: str | None = None) -> list[dict[str, Any]]:
    """Messages' metadata in id order after `after`, optionally filtered."""
    query = select(*(outbox.c[k] for k in _VIEW)).order_by(outbox.c.message_id).limit(limit)
    if after is not None:
        query = query.where(outbox.c.message_id > after)
    for column, value in (("state", state), ("borrower_id", borrower_id),
                          ("channel", channel)):
        if value is not None:
            query = query.where(outbox.c[column] == value)
    return [_view(r) for r in conn.execute(query)]


def cancel_message(uow: UnitOfWork, message_id: str, *, now: datetime,
                   reason: str) -> dict[str, Any]:
    """Cancel a message that is still pending (never one being sent or sent): Conflict
    otherwise. Audited as `dispatch.cancelled` with the operator's reason."""
    current = message_view(uow.conn, message_id)
    result = uow.conn.execute(
        update(outbox).where(outbox.c.message_id == message_id, outbox.c.state == "pending")
        .values(state="cancelled", last_error=f"cancelled: {reason}", updated_at=now))
    if not result.rowcount:
        raise Conflict(f"only a pending message can be cancelled; this one is "
                       f"{current['state']}", message_id=message_id, state=current["state"])
    uow.audit("dispatch.cancelled", f"message:{message_id}", {"reason": reason,
                                                              "by": "operator"})
    return message_view(uow.conn, message_id)
