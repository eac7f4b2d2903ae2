"""Crypto-shredding that survives copies: after `subject erase` and the shred step, no copy
of the database taken before the erasure (the SQLite file, a pg_dump), together with every
key that still exists, opens the erased borrower's data; every other borrower still opens."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text

from faircollect.errors import IntegrityError, KeyUnavailable
from faircollect.store.tables.foundation import borrowers, data_keys
from faircollect.vault.envelope import data_key_context
from faircollect.vault.keys import LocalKeyring

BORROWERS = 30


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "faircollect", *args], env=env,
                          capture_output=True, text=True, timeout=300)


@contextmanager
def _copy_of(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    """A copy of the database as it is now: the SQLite files, or pg_dump restored elsewhere."""
    if db_url.startswith("sqlite"):
        src = Path(db_url.removeprefix("sqlite:///"))
        dest = tmp_path / "backup"
        dest.mkdir()
        for suffix in ("", "-wal", "-shm"):  # the WAL holds pages not yet checkpointed
            if Path(f"{src}{suffix}").exists():
                shutil.copy(f"{src}{suffix}", dest / f"copy.db{suffix}")
        engine = create_engine(f"sqlite:///{dest / 'copy.db'}")
        yield engine
        engine.dispose()
        return
    schema = db_url.split("search_path%3D")[1]
    base = db_url.split("?")[0].replace("+psycopg", "")
    dump = tmp_path / "dump.sql"
    subprocess.run(["pg_dump", "--no-owner", "-n", schema, "-f", str(dump), base], check=True)
    copy_db = "fc_copy_" + uuid.uuid4().hex[:10]
    admin = create_engine(db_url.split("?")[0], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{copy_db}"'))
    copy_url = base.rsplit("/", 1)[0] + "/" + copy_db
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(dump), copy_url],
                   check=True, capture_output=True)
    engine = create_engine(copy_url.replace("postgresql://", "postgresql+psycopg://")
                           + f"?options=-csearch_path%3D{schema}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{copy_db}"'))
        admin.dispose()


def _wrapped(engine: Engine) -> dict[str, tuple[str, bytes]]:
    with engine.connect() as conn:
        return {r.borrower_id: (r.master_key_id, r.wrapped_key) for r in conn.execute(
            select(data_keys.c.borrower_id, data_keys.c.master_key_id, data_keys.c.wrapped_key)
            .where(data_keys.c.wrapped_key.is_not(None)))}


def _opens(ring: LocalKeyring, borrower_id: str, wrapped: bytes) -> bool:
    """Whether any master key that still exists unwraps this data key."""
    for master in ring.master_ids():
        try:
            ring.unwrap(master, wrapped, context=data_key_context(borrower_id))
            return True
        except (IntegrityError, KeyUnavailable):
            continue
    return False


def test_old_copies_no_longer_open_an_erased_borrower_after_the_shred_step(
        db_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = dict(os.environ, FAIRCOLLECT_HOME=str(home), FAIRCOLLECT_DATABASE_URL=db_url)
    assert _cli(env, "generate", str(tmp_path / "book"), "--borrowers", str(BORROWERS)
                ).returncode == 0
    assert _cli(env, "import", str(tmp_path / "book")).returncode == 0
    live = create_engine(db_url.replace("sqlite:///", "sqlite:///")
                         if db_url.startswith("sqlite") else db_url)
    with live.connect() as conn:
        ids = sorted(conn.execute(select(borrowers.c.borrower_id)).scalars())
    erased, kept = ids[3], ids[4:]
    with _copy_of(db_url, tmp_path) as backup:
        old = _wrapped(backup)
        assert _opens(LocalKeyring.open(home), erased, old[erased][1])  # the exposure

        done = _cli(env, "subject", "erase", erased, "--yes")
        assert done.returncode == 0, done.stderr
        assert "can still be opened" in done.stderr and "keys shred" in done.stderr
        # Erased in the live database, but not yet in the copy: the window the output names.
        assert _opens(LocalKeyring.open(home), erased, old[erased][1])
        status = _cli(env, "keys", "status")
        assert "awaiting the shred step (older copies still open): 1" in status.stdout

        shred = _cli(env, "keys", "shred")
        assert shred.returncode == 0, shred.stderr
        assert "1 erased data key(s) no longer open from any older copy" in shred.stdout

        ring = LocalKeyring.open(home)  # every key that still exists
        assert len(ring.master_ids()) == 1
        assert not _opens(ring, erased, old[erased][1])
        assert not any(_opens(ring, bid, blob) for bid, (_, blob) in old.items())
    now = _wrapped(live)
    assert erased not in now
    assert all(_opens(ring, bid, now[bid][1]) for bid in kept)
    again = _cli(env, "keys", "shred")
    assert "no erasure awaits the shred step" in again.stdout
    assert "awaiting the shred step (older copies still open): 0" in _cli(
        env, "keys", "status").stdout
    live.dispose()


def test_the_daily_cycle_runs_the_shred_step_after_erasures(tmp_path: Path) -> None:
    home = tmp_path / "home"
    db = tmp_path / "fc.db"
    env = dict(os.environ, FAIRCOLLECT_HOME=str(home), FAIRCOLLECT_DATABASE_URL=f"sqlite:///{db}")
    assert _cli(env, "generate", str(tmp_path / "book"), "--borrowers", "20",
                "--as-of", "2026-11-02").returncode == 0
    assert _cli(env, "import", str(tmp_path / "book")).returncode == 0
    for actor, roles, args in (("writer", "", ("add", "--from-library")),
                               ("writer", "", ("submit", "--all")),
                               ("officer", "compliance", ("approve", "--all"))):
        step = _cli(dict(env, FAIRCOLLECT_ACTOR=actor, FAIRCOLLECT_ROLES=roles),
                    "templates", *args)
        assert step.returncode == 0, step.stderr
    first_master = LocalKeyring.open(home).current_master_id()
    quiet = _cli(env, "cycle", "--date", "2026-11-02")
    assert quiet.returncode == 0, quiet.stderr
    assert "shred step" not in quiet.stdout  # nothing erased: no new epoch
    assert LocalKeyring.open(home).current_master_id() == first_master
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        victim = sorted(conn.execute(select(borrowers.c.borrower_id)).scalars())[0]
    engine.dispose()
    assert _cli(env, "subject", "erase", victim, "--yes").returncode == 0
    ran = _cli(env, "cycle", "--date", "2026-11-03")
    assert ran.returncode == 0, ran.stderr
    assert "shred step: 1 erased data key(s)" in ran.stdout
    assert LocalKeyring.open(home).master_ids() != [first_master]
    assert first_master not in LocalKeyring.open(home).master_ids()


@pytest.mark.parametrize("missing", ["keyring"])
def test_a_lost_keyring_is_not_replaced_beside_the_data(tmp_path: Path, missing: str) -> None:
    home = tmp_path / "home"
    env = dict(os.environ, FAIRCOLLECT_HOME=str(home),
               FAIRCOLLECT_DATABASE_URL=f"sqlite:///{tmp_path / 'fc.db'}")
    assert _cli(env, "generate", str(tmp_path / "book"), "--borrowers", "5").returncode == 0
    assert _cli(env, "import", str(tmp_path / "book")).returncode == 0
    (home / "keyring.json").unlink()
    for args in (("keys", "status"), ("cycle", "--date", "2026-11-02"), ("dispatch", "--once")):
        run = _cli(env, *args)
        assert run.returncode == 1, (args, run.stdout, run.stderr)
        lines = [x for x in run.stderr.splitlines() if x.strip()]
        assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
        assert "no keyring at" in lines[0] and "restore keyring.json" in lines[0]
        assert not (home / "keyring.json").exists()
