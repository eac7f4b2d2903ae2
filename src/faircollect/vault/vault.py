"""The vault service: data keys per borrower, sealing and opening fields, shredding.

Callers outside `access` never open fields themselves: every decryption of personal data
for a person goes through the access guard, which checks role and purpose and audits the read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, select, update

from faircollect.errors import KeyUnavailable
from faircollect.store.custody import hold_custody_shared
from faircollect.store.tables.foundation import data_keys
from faircollect.vault.blind_index import BlindIndexer
from faircollect.vault.envelope import (
    data_key_context,
    field_context,
    new_data_key,
    open_sealed,
    seal,
)
from faircollect.vault.keys import KeyProvider

_CUSTODY_HELD = "faircollect.custody_held"


class Vault:
    """Envelope encryption over the store's `data_keys` table."""

    def __init__(self, keys: KeyProvider) -> None:
        self.keys = keys
        self.indexer = BlindIndexer(keys.blind_index_key())
        self._ciphers: dict[str, AESGCM] = {}

    def __repr__(self) -> str:
        return f"Vault(cached_keys={len(self._ciphers)})"

    def new_key_row(self, conn: Connection, borrower_id: str,
                    now: datetime) -> tuple[dict[str, object], AESGCM]:
        """A fresh wrapped data key for a borrower (the row to insert in `conn`) and its cipher.

        The first wrap in a transaction holds key custody shared until it commits, so a
        rotation cannot retire the master this transaction wraps under before its rows are
        visible to the rotation's last rewrap; after taking it, the keyring is re-read so
        the wrap uses the master that is current now.
        """
        if conn.info.get(_CUSTODY_HELD) is not conn.get_transaction():
            hold_custody_shared(conn)
            self.keys.refresh()
            conn.info[_CUSTODY_HELD] = conn.get_transaction()
        key = new_data_key()
        master_id, wrapped = self.keys.wrap(key, context=data_key_context(borrower_id))
        cipher = self._ciphers[borrower_id] = AESGCM(key)
        row = {
            "borrower_id": borrower_id,
            "master_key_id": master_id,
            "wrapped_key": wrapped,
            "created_at": now,
            "destroyed_at": None,
        }
        return row, cipher

    def cipher(self, conn: Connection, borrower_id: str) -> AESGCM:
        """The borrower's data-key cipher; KeyUnavailable once the key was shredded."""
        cached = self._ciphers.get(borrower_id)
        if cached is not None:
            return cached
        row = conn.execute(
            select(data_keys.c.master_key_id, data_keys.c.wrapped_key).where(
                data_keys.c.borrower_id == borrower_id
            )
        ).first()
        if row is None or row.wrapped_key is None:
            raise KeyUnavailable(
                "the borrower's data key does not exist or was destroyed (erased)",
                borrower_id=borrower_id,
            )
        key = self._unwrap(conn, borrower_id, row.master_key_id, row.wrapped_key)
        cipher = self._ciphers[borrower_id] = AESGCM(key)
        return cipher

    def _unwrap(self, conn: Connection, borrower_id: str, master_id: str,
                wrapped: bytes) -> bytes:
        """Unwrap a data key; a master retired since `conn` read the row is retried once.

        A rotation may rewrap the row and retire its old master between this reader's
        snapshot and its unwrap. The keyring reloads itself on an unknown id; the row is
        then read again on a fresh connection, which sees the rewrapped key.
        """
        ctx = data_key_context(borrower_id)
        try:
            return self.keys.unwrap(master_id, wrapped, context=ctx)
        except KeyUnavailable:
            with conn.engine.connect() as plain:
                fresh = plain.execution_options(faircollect_readonly=True)
                row = fresh.execute(
                    select(data_keys.c.master_key_id, data_keys.c.wrapped_key).where(
                        data_keys.c.borrower_id == borrower_id
                    )
                ).first()
            if row is None or row.wrapped_key is None or row.master_key_id == master_id:
                raise
            return self.keys.unwrap(row.master_key_id, row.wrapped_key, context=ctx)

    def ciphers(self, conn: Connection, borrower_ids: Iterable[str]) -> dict[str, AESGCM]:
        """Data-key ciphers of many borrowers, loaded in one query per 900 ids.

        Borrowers without a live data key (never had one, or crypto-shredded) are left out.
        Bulk readers (the access guard) use this instead of one `cipher` query per borrower.
        """
        out: dict[str, AESGCM] = {}
        missing: list[str] = []
        for bid in dict.fromkeys(borrower_ids):
            cached = self._ciphers.get(bid)
            if cached is None:
                missing.append(bid)
            else:
                out[bid] = cached
        for i in range(0, len(missing), 900):  # under SQLite's bound-parameter limit
            rows = conn.execute(
                select(
                    data_keys.c.borrower_id, data_keys.c.master_key_id, data_keys.c.wrapped_key
                ).where(
                    data_keys.c.borrower_id.in_(missing[i : i + 900]),
                    data_keys.c.wrapped_key.is_not(None),
                )
            ).all()
            for bid, master_id, wrapped in rows:
                key = self._unwrap(conn, bid, master_id, wrapped)
                out[bid] = self._ciphers[bid] = AESGCM(key)
        return out

    @staticmethod
    def seal(cipher: AESGCM, value: str, table: str, column: str, record_id: str) -> bytes:
        return seal(cipher, value, field_context(table, column, record_id))

    @staticmethod
    def open(cipher: AESGCM, blob: bytes, table: str, column: str, record_id: str) -> str:
        return open_sealed(cipher, blob, field_context(table, column, record_id))

    def shred(self, conn: Connection, borrower_id: str, now: datetime) -> bool:
        """Destroy a borrower's data key; returns whether there was one to destroy."""
        self._ciphers.pop(borrower_id, None)
        result = conn.execute(
            update(data_keys)
            .where(data_keys.c.borrower_id == borrower_id, data_keys.c.wrapped_key.is_not(None))
            .values(wrapped_key=None, master_key_id=None, destroyed_at=now)
        )
        return bool(result.rowcount)

    def rewrap(self, conn: Connection, borrower_ids: Iterable[str] | None = None) -> int:
        """Rewrap data keys not under the current master key; returns how many were rewrapped."""
        current = self.keys.current_master_id()
        query = select(
            data_keys.c.borrower_id, data_keys.c.master_key_id, data_keys.c.wrapped_key
        ).where(data_keys.c.wrapped_key.is_not(None), data_keys.c.master_key_id != current)
        if borrower_ids is not None:
            query = query.where(data_keys.c.borrower_id.in_(list(borrower_ids)))
        count = 0
        for row in conn.execute(query).all():
            ctx = data_key_context(row.borrower_id)
            key = self.keys.unwrap(row.master_key_id, row.wrapped_key, context=ctx)
            master_id, wrapped = self.keys.wrap(key, context=ctx)
            conn.execute(
                update(data_keys)
                .where(data_keys.c.borrower_id == row.borrower_id)
                .values(master_key_id=master_id, wrapped_key=wrapped)
            )
            count += 1
        return count

    def forget_cache(self) -> None:
        self._ciphers.clear()
