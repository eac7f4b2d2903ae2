"""The custody lock and the reader's retry: a rotation never destroys a master key that an
open transaction wrapped under, and a reader whose snapshot predates a rotation still opens
the data key (issue: key custody under concurrency)."""

from __future__ import annotations

import threading
from typing import Any

from dispatch_seed import T0, seed_borrower
from sqlalchemy import insert, select

from faircollect.access.rotation import Rotation, rotate_master_key
from faircollect.bootstrap import build_app
from faircollect.store.tables.foundation import data_keys
from faircollect.vault.envelope import data_key_context
from faircollect.vault.keys import LocalKeyring


def test_a_rotation_waits_for_a_transaction_wrapping_under_the_old_master(app: Any) -> None:
    seed_borrower(app)
    old = app.keys.current_master_id()
    other = build_app(app.settings)  # another process: its own keyring and vault
    wrapped, go = threading.Event(), threading.Event()
    late_key: list[bytes] = []

    def late_writer() -> None:
        with app.store.transaction("import") as uow:
            row, _ = app.vault.new_key_row(uow.conn, "b-late", T0)
            assert row["master_key_id"] == old
            late_key.append(app.keys.unwrap(old, row["wrapped_key"],  # type: ignore[arg-type]
                                            context=data_key_context("b-late")))
            uow.conn.execute(insert(data_keys).values(**row))
            wrapped.set()
            assert go.wait(30)

    done: list[Rotation] = []
    writer = threading.Thread(target=late_writer)
    writer.start()
    assert wrapped.wait(30)
    rotator = threading.Thread(target=lambda: done.append(rotate_master_key(
        other.store, other.keys, other.vault, actor="ops")))
    rotator.start()
    rotator.join(1.5)
    assert rotator.is_alive()  # held back by the open transaction
    assert old in LocalKeyring.open(app.settings.home).master_ids()
    go.set()
    writer.join(30)
    rotator.join(60)
    assert done and done[0].retired == (old,) and done[0].kept == ()
    ring = LocalKeyring.open(app.settings.home)
    assert ring.master_ids() == [done[0].new_master]
    with app.store.read() as conn:
        row = conn.execute(select(data_keys).where(data_keys.c.borrower_id == "b-late")).one()
    assert row.master_key_id == done[0].new_master  # the last rewrap caught it
    assert ring.unwrap(row.master_key_id, row.wrapped_key,
                       context=data_key_context("b-late")) == late_key[0]
    other.store.dispose()


def test_a_reader_whose_snapshot_predates_a_rotation_still_opens_the_key(app: Any) -> None:
    seed_borrower(app)
    with app.store.read() as conn:
        before = conn.execute(select(data_keys.c.master_key_id)).scalar_one()
        other = build_app(app.settings)
        rotation = rotate_master_key(other.store, other.keys, other.vault, actor="ops")
        assert rotation.retired == (before,)
        app.vault.forget_cache()
        assert app.keys.refresh()  # this process has seen the rotation: old master gone
        # The snapshot (SQLite) still names the retired master; the vault reloads the
        # keyring, re-reads the row on a fresh connection and opens the rewrapped key.
        ciphers = app.vault.ciphers(conn, ["b-1"])
        assert set(ciphers) == {"b-1"}
    other.store.dispose()
