"""Master key rotation without downtime, and the state of key custody.

Rotation makes a new master key current, then rewraps data keys in small batches, each its
own audited transaction: readers keep working throughout because every data key row names
the master that wraps it and the keyring holds both until the end. An old master is retired
only once no data key refers to it any more; if a writer that still had the old key current
wrapped a new data key meanwhile, that master stays, and the next rotation picks it up.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from faircollect.store.tables.foundation import data_keys
from faircollect.store.unit_of_work import Store
from faircollect.vault.keys import KeyProvider
from faircollect.vault.vault import Vault

BATCH = 500


@dataclass(frozen=True, slots=True)
class Rotation:
    """What a rotation did."""

    new_master: str
    rewrapped: int
    retired: tuple[str, ...]
    kept: tuple[str, ...]  # old masters still referenced (retire on the next rotation)


@dataclass(frozen=True, slots=True)
class KeyStatus:
    """Which masters exist, how many data keys each wraps, how many were shredded."""

    current: str
    masters: dict[str, int]
    destroyed: int


def master_usage(conn: Connection) -> dict[str, int]:
    """Live data keys per master key id."""
    rows = conn.execute(
        select(data_keys.c.master_key_id, func.count())
        .where(data_keys.c.wrapped_key.is_not(None))
        .group_by(data_keys.c.master_key_id)
    ).all()
    return {str(m): int(n) for m, n in rows}


def rotate_master_key(
    store: Store, keys: KeyProvider, vault: Vault, *, actor: str, retire_old: bool = True
) -> Rotation:
    """Make a new master current, rewrap every data key under it, retire the old masters."""
    old = [m for m in keys.master_ids()]
    new = keys.rotate()
    with store.transaction(actor) as uow:
        uow.audit("keys.rotate", new, {"previous": old})
    total = 0
    while True:
        with store.transaction(actor) as uow:
            batch = uow.conn.execute(
                select(data_keys.c.borrower_id)
                .where(data_keys.c.wrapped_key.is_not(None), data_keys.c.master_key_id != new)
                .order_by(data_keys.c.borrower_id)
                .limit(BATCH)
            ).scalars().all()
            if not batch:
                break
            count = vault.rewrap(uow.conn, batch)
            uow.audit("keys.rewrap", new, {"data_keys": count, "first": batch[0],
                                           "last": batch[-1]})
            total += count
    retired: list[str] = []
    kept: list[str] = []
    if retire_old:
        with store.read() as conn:
            usage = master_usage(conn)
        for m in old:
            if m == new:
                continue
            if usage.get(m):
                kept.append(m)
                continue
            keys.retire(m)
            retired.append(m)
        if retired:
            with store.transaction(actor) as uow:
                uow.audit("keys.retire", new, {"retired": retired})
    return Rotation(new, total, tuple(retired), tuple(kept))


def key_status(store: Store, keys: KeyProvider) -> KeyStatus:
    """The current master, data keys per master (known masters listed even when unused)."""
    with store.read() as conn:
        usage = master_usage(conn)
        destroyed = conn.execute(
            select(func.count()).select_from(data_keys).where(data_keys.c.wrapped_key.is_(None))
        ).scalar_one()
    masters = {m: usage.get(m, 0) for m in keys.master_ids()}
    for m, n in usage.items():
        masters.setdefault(m, n)  # a referenced master missing from the keyring shows up here
    return KeyStatus(keys.current_master_id(), masters, int(destroyed))
