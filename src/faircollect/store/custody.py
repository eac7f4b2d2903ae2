"""Key custody lock: a rotation never retires a master key a transaction still wraps under.

A transaction that wraps new data keys holds custody *shared* until it commits; the last
step of a rotation (rewrap the stragglers, then retire the old masters) holds it
*exclusively*, so it starts only after every such transaction has committed and its rows
are visible, and new ones wait until the retired masters are gone from the keyring.

PostgreSQL: an advisory lock (shared per transaction; exclusive per session, so it spans
the rewrap's commit and the keyring change after it). SQLite: a writing transaction holds
the database's write lock from its `BEGIN IMMEDIATE`, and the rotation's final rewrap is a
writing transaction too, which already gives the same order; nothing more is taken.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

# "FCKC": FairCollect key custody, as a 64-bit advisory lock key.
CUSTODY_LOCK_KEY = 0x46434B43


def hold_custody_shared(conn: Connection) -> None:
    """Hold custody shared until `conn`'s transaction ends."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": CUSTODY_LOCK_KEY})


@contextmanager
def custody_exclusive(engine: Engine) -> Iterator[None]:
    """Hold custody exclusively for the block (it may commit several transactions)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": CUSTODY_LOCK_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": CUSTODY_LOCK_KEY})
            conn.commit()
