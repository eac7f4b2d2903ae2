"""Taking and keeping signed checkpoints of the stored log."""

from __future__ import annotations

from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, select

from faircollect.audit import checkpoint as cp
from faircollect.audit.canonical import format_time
from faircollect.audit.log import insert_ignore, read_head
from faircollect.audit.tree import root_at
from faircollect.errors import IntegrityError
from faircollect.store.tables.audit import audit_checkpoints


def store_checkpoint(conn: Connection, key: Ed25519PrivateKey, *, now: datetime,
                     origin: str = cp.DEFAULT_ORIGIN) -> str:
    """Sign the current tree head, keep it, and return the signed note.

    A size already checkpointed returns the stored note, so a checkpoint is never re-signed
    with another time. Before signing, the head's root is cross-checked against the root the
    stored subtree cache gives: the key must never bless a head that disagrees with the tree.
    """
    head = read_head(conn)
    c = audit_checkpoints.c
    existing = conn.execute(select(c.note).where(c.size == head.size)).scalar_one_or_none()
    if existing is not None:
        return str(existing)
    if root_at(conn, head.size) != head.root:
        raise IntegrityError("audit log damaged: the head disagrees with the stored tree; run "
                             "`faircollect audit verify`")
    checkpoint = cp.Checkpoint(origin, head.size, head.root, format_time(now))
    note = cp.sign(checkpoint, key)
    conn.execute(insert_ignore(conn, audit_checkpoints).values(
        size=head.size, root=head.root, at=checkpoint.at, note=note))
    stored = conn.execute(select(c.note).where(c.size == head.size)).scalar_one()
    return str(stored)
