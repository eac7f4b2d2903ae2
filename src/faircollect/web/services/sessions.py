"""Server-side web sessions: a random cookie value, kept only as its SHA-256 digest.

A session ends when it is signed out, when it has been idle longer than its kind allows
(staff 30 minutes, borrowers 10), or at its absolute limit (staff 8 hours, borrowers 1
hour), whichever comes first. Expired rows are refused at once and swept on sign-in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from sqlalchemy import delete, insert, select, update

from faircollect.api.auth import Principal
from faircollect.bootstrap import App
from faircollect.store.tables.web import web_sessions

IDLE: Final = {"staff": timedelta(minutes=30), "borrower": timedelta(minutes=10)}
ABSOLUTE: Final = {"staff": timedelta(hours=8), "borrower": timedelta(hours=1)}
_t = web_sessions


@dataclass(frozen=True, slots=True)
class WebSession:
    kind: str
    principal: Principal


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def start(app: App, kind: str, principal: Principal) -> str:
    """A new session for `principal`; returns the cookie value (never stored)."""
    now = app.store.clock()
    value = secrets.token_urlsafe(32)
    with app.store.transaction(principal.actor_id) as uow:
        uow.conn.execute(delete(_t).where(_t.c.expires_at <= now))
        uow.conn.execute(insert(_t).values(
            session_digest=_digest(value), kind=kind, actor_id=principal.actor_id,
            role=principal.role, borrower_id=principal.borrower_id, created_at=now,
            last_seen_at=now, expires_at=now + ABSOLUTE[kind]))
        uow.audit("web.session_started", principal.actor_id, {"kind": kind})
    return value


def current(app: App, value: str | None, kind: str) -> WebSession | None:
    """The live session of this cookie value and kind (its idle clock restarted), or None."""
    if not value:
        return None
    now = app.store.clock()
    digest = _digest(value)
    with app.store.engine.begin() as conn:
        row = conn.execute(select(_t).where(_t.c.session_digest == digest)).first()
        if (row is None or row.kind != kind or row.ended_at is not None
                or row.expires_at <= now or row.last_seen_at + IDLE[kind] <= now):
            return None
        conn.execute(update(_t).where(_t.c.session_digest == digest).values(last_seen_at=now))
    scopes = ("decide", "payments") if kind == "staff" else ()
    return WebSession(kind, Principal(row.actor_id, row.role, row.borrower_id, scopes))


def end(app: App, value: str | None) -> None:
    """Sign out: the session is over at once."""
    if not value:
        return
    now = app.store.clock()
    with app.store.transaction("web:signout") as uow:
        uow.conn.execute(update(_t).where(_t.c.session_digest == _digest(value),
                                          _t.c.ended_at.is_(None)).values(ended_at=now))
