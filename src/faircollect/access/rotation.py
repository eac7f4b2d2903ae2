"""Master key rotation without downtime, and the state of key custody.

Rotation makes a new master key current, then rewraps data keys in small batches, each its
own audited transaction: readers keep working throughout because every data key row names
the master that wraps it and the keyring holds both until the end, and a reader that meets a
master retired under it reloads the keyring and re-reads the row. An old master is retired
only once no data key refers to it any more (a last rewrap under the exclusive custody lock
makes sure of that); running processes pick the new keyring up without a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from faircollect.store.custody import custody_exclusive, hold_custody_shared
from faircollect.store.tables.foundation import data_keys
from faircollect.store.unit_of_work import Store
from faircollect.vault.keys import KeyProvider
from faircollect.vault.vault import Vault

BATCH = 500
OnProgress = Callable[[int, int], None]


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
    store: Store, keys: KeyProvider, vault: Vault, *, actor: str, retire_old: bool = True,
    on_progress: OnProgress | None = None,
) -> Rotation:
    """Make a new master current, rewrap every data key under it, retire the old masters.

    The bulk rewrap runs in batches beside the live system. The last step holds key custody
    exclusively (see `store.custody`): every transaction that wrapped under an old master
    has committed by then, so one more rewrap catches its rows, and only then are the old
    masters destroyed. Other rotations running at the same time are safe too: each batch
    rewraps under whichever master is current when it starts. `on_progress(done, total)` is
    told of data keys rewrapped, batch by batch.
    """
    old = keys.master_ids()
    new = keys.rotate()
    with store.transaction(actor) as uow:
        uow.audit("keys.rotate", new, {"previous": old})
    tell = _Tally(store, new, on_progress)
    total = _rewrap_all(store, keys, vault, actor, hold_shared=True, tell=tell)
    retired: list[str] = []
    kept: list[str] = []
    if retire_old:
        with custody_exclusive(store.engine):
            total += _rewrap_all(store, keys, vault, actor, hold_shared=False, tell=tell)
            current = keys.current_master_id()
            with store.read() as conn:
                usage = master_usage(conn)
            for m in keys.master_ids():
                if m == current:
                    continue
                if usage.get(m):
                    kept.append(m)
                    continue
                keys.retire(m)
                retired.append(m)
        if retired:
            with store.transaction(actor) as uow:
                uow.audit("keys.retire", current, {"retired": retired})
    return Rotation(keys.current_master_id(), total, tuple(retired), tuple(kept))


class _Tally:
    """Counts rewrapped data keys for `on_progress`, against the live keys not yet under
    the new master when the rotation began (the total grows if writers add more)."""

    def __init__(self, store: Store, new_master: str, on_progress: OnProgress | None) -> None:
        self.on_progress = on_progress
        self.done = 0
        self.total = 0
        if on_progress is not None:
            with store.read() as conn:
                self.total = sum(n for m, n in master_usage(conn).items() if m != new_master)
            on_progress(0, self.total)

    def __call__(self, count: int) -> None:
        if self.on_progress is not None:
            self.done += count
            self.total = max(self.total, self.done)
            self.on_progress(self.done, self.total)


def _rewrap_all(store: Store, keys: KeyProvider, vault: Vault, actor: str, *,
                hold_shared: bool, tell: Callable[[int], None] = lambda _n: None) -> int:
    """Rewrap, batch by batch, every live data key not under the master current now."""
    total = 0
    while True:
        with store.transaction(actor) as uow:
            if hold_shared:
                hold_custody_shared(uow.conn)
            keys.refresh()
            current = keys.current_master_id()
            batch = uow.conn.execute(
                select(data_keys.c.borrower_id)
                .where(data_keys.c.wrapped_key.is_not(None),
                       data_keys.c.master_key_id != current)
                .order_by(data_keys.c.borrower_id)
                .limit(BATCH)
            ).scalars().all()
            if not batch:
                return total
            count = vault.rewrap(uow.conn, batch)
            uow.audit("keys.rewrap", current, {"data_keys": count, "first": batch[0],
                                               "last": batch[-1]})
            total += count
        tell(count)


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
