"""Idempotency records: claim a key, complete it with the first response, or release it.

Used by the HTTP API's `Idempotency-Key` convention (faircollect.api.conventions). A claim
is its own short transaction before the route runs, so two requests with the same key at
once cannot both run: the second is told the first is still in progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from faircollect.errors import Conflict
from faircollect.store.tables.api import api_idempotency
from faircollect.store.unit_of_work import Store

# How long a key's first response is kept for replays.
RETENTION = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Stored:
    """A completed request's response, as first answered."""

    status: int
    headers: str
    body_ct: bytes


def _conflict(message: str) -> Conflict:
    return Conflict(message, field="header.Idempotency-Key")


def claim(store: Store, caller: str, key: str, fingerprint: str) -> Stored | None:
    """The stored response for a replay, or None after claiming the key for a new request.

    Conflict (409) when the key was used with another request, or its first request is
    still running.
    """
    now = store.clock()
    t = api_idempotency
    try:
        with store.engine.begin() as conn:
            conn.execute(delete(t).where(t.c.created_at < now - RETENTION))
            row = conn.execute(
                select(t.c.fingerprint, t.c.status, t.c.headers, t.c.body_ct).where(
                    t.c.caller == caller, t.c.idempotency_key == key)
            ).first()
            if row is None:
                conn.execute(insert(t).values(caller=caller, idempotency_key=key,
                                              fingerprint=fingerprint, created_at=now))
                return None
    except IntegrityError:  # another request claimed it between our read and insert
        raise _conflict("a request with this Idempotency-Key is still in progress; retry "
                        "later") from None
    if row.fingerprint != fingerprint:
        raise _conflict("this Idempotency-Key was already used for a different request")
    if row.status is None:
        raise _conflict("a request with this Idempotency-Key is still in progress; retry later")
    return Stored(int(row.status), str(row.headers or "{}"), bytes(row.body_ct or b""))


def complete(store: Store, caller: str, key: str, status: int, headers: str,
             body_ct: bytes) -> None:
    """Keep the first response of a claimed key."""
    t = api_idempotency
    with store.engine.begin() as conn:
        conn.execute(update(t).where(t.c.caller == caller, t.c.idempotency_key == key)
                     .values(status=status, headers=headers, body_ct=body_ct))


def release(store: Store, caller: str, key: str) -> None:
    """Forget a claimed key whose request failed, so it may be retried."""
    t = api_idempotency
    with store.engine.begin() as conn:
        conn.execute(delete(t).where(t.c.caller == caller, t.c.idempotency_key == key,
                                     t.c.status.is_(None)))


def expires(created_at: datetime) -> datetime:
    """When a record written at `created_at` is purged."""
    return created_at + RETENTION
