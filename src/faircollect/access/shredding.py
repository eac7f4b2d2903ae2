"""The shred step: after erasures, no copy of the database made before them opens again.

An erasure destroys the borrower's wrapped data key in the live database, but a backup, a
dump or the WAL taken before it still holds that wrapped key, and the master key that
unwraps it is still in custody. Master keys are therefore also the *erasure epochs*: the
shred step starts a new epoch (a new master), rewraps every surviving data key under it and
destroys every older master, in the keyring or on the token. From then on an old copy holds
the erased person's data key wrapped under a master that no longer exists anywhere.

Between the erasure and the shred step (at most a day: the daily cycle runs it after
erasures, and `faircollect keys shred` runs it on demand) an old copy and the current keys
together could still open the erased data; `subject erase` says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select, update

from faircollect.access.rotation import rotate_master_key
from faircollect.errors import IntegrityError
from faircollect.store.tables.foundation import data_keys
from faircollect.store.unit_of_work import Store
from faircollect.vault.keys import KeyProvider
from faircollect.vault.vault import Vault

SHRED_WINDOW = ("until the shred step runs: the next daily cycle, or `faircollect keys "
                "shred` now")


@dataclass(frozen=True, slots=True)
class Shred:
    """What a shred step did."""

    shredded: int  # erased data keys whose old copies no longer open
    new_master: str | None
    retired: tuple[str, ...]
    rewrapped: int


def pending_shred(store: Store) -> int:
    """Destroyed data keys whose pre-erasure copies are still openable."""
    with store.read() as conn:
        return int(conn.execute(
            select(func.count()).select_from(data_keys).where(
                data_keys.c.wrapped_key.is_(None), data_keys.c.shredded_at.is_(None))
        ).scalar_one())


def shred_erased(store: Store, keys: KeyProvider, vault: Vault, *, actor: str,
                 force: bool = False,
                 on_progress: Callable[[int, int], None] | None = None) -> Shred:
    """Start a new key epoch when erasures await it (or `force`); see the module docstring.
    `on_progress(done, total)` is told of data keys rewrapped under the new master."""
    with store.read() as conn:
        pending = list(conn.execute(
            select(data_keys.c.borrower_id).where(
                data_keys.c.wrapped_key.is_(None), data_keys.c.shredded_at.is_(None))
        ).scalars())
    if not pending and not force:
        return Shred(0, None, (), 0)
    rotation = rotate_master_key(store, keys, vault, actor=actor, retire_old=True,
                                 on_progress=on_progress)
    if rotation.kept:
        # Only a writer that ignored the custody lock could cause this; say so, mark nothing.
        raise IntegrityError(
            f"the shred step could not retire {len(rotation.kept)} old master key(s) still "
            "wrapping live data keys; run `faircollect keys shred` again"
        )
    now = store.clock()
    with store.transaction(actor) as uow:
        for i in range(0, len(pending), 900):
            uow.conn.execute(
                update(data_keys)
                .where(data_keys.c.borrower_id.in_(pending[i : i + 900]))
                .values(shredded_at=now)
            )
        uow.audit("keys.shred", rotation.new_master, {
            "erased_data_keys": len(pending), "retired": list(rotation.retired),
            "rewrapped": rotation.rewrapped,
        })
    return Shred(len(pending), rotation.new_master, rotation.retired, rotation.rewrapped)
