"""The local keyring shared by several processes: no write clobbers another, and readers
pick up a rotation (or an unknown master id) without a restart."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from faircollect.errors import IntegrityError, KeyUnavailable
from faircollect.vault.keys import KEYRING_FILE, LocalKeyring

CTX = b"data-key:b-1"


def _add_signing_keys(home: str, prefix: str, count: int) -> None:
    ring = LocalKeyring.open(Path(home))
    for i in range(count):
        ring.signing_key(f"{prefix}-{i}")


def test_a_stale_process_creating_a_key_keeps_another_s_rotation(tmp_path: Path) -> None:
    server = LocalKeyring.open(tmp_path)  # the API server, opened before the rotation
    rotator = LocalKeyring.open(tmp_path)
    first = server.current_master_id()
    new = rotator.rotate()
    rotator.retire(first)
    server.signing_key("consent")  # the probe's request: the server used to write back its copy
    on_disk = json.loads((tmp_path / KEYRING_FILE).read_text())
    assert on_disk["current"] == new
    assert list(on_disk["masters"]) == [new]
    assert "consent" in on_disk["signing"]
    assert server.current_master_id() == new  # it adopted what it re-read under the lock


def test_readers_pick_up_a_rotation_and_an_unknown_master_id(tmp_path: Path) -> None:
    worker = LocalKeyring.open(tmp_path)
    rotator = LocalKeyring.open(tmp_path)
    new = rotator.rotate()
    master_id, blob = rotator.wrap(b"k" * 32, context=CTX)
    assert master_id == new
    # No refresh call: the unknown id reloads the keyring once before failing.
    assert worker.unwrap(master_id, blob, context=CTX) == b"k" * 32
    assert worker.current_master_id() == new
    with pytest.raises(KeyUnavailable, match="mk-00000000"):
        worker.unwrap("mk-00000000", blob, context=CTX)


def test_refresh_reports_change_only_when_the_file_changed(tmp_path: Path) -> None:
    a = LocalKeyring.open(tmp_path)
    b = LocalKeyring.open(tmp_path)
    assert a.refresh() is False
    b.rotate()
    assert a.refresh() is True
    assert a.refresh() is False
    assert a.generation == b.generation == 2


def test_every_change_bumps_the_generation_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    ring = LocalKeyring.open(tmp_path)
    assert ring.generation == 1
    old = ring.current_master_id()
    ring.rotate()
    ring.signing_key("audit")
    ring.retire(old)
    assert ring.generation == 4
    assert json.loads((tmp_path / KEYRING_FILE).read_text())["generation"] == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keyring.json", "keyring.lock"]
    assert stat.S_IMODE((tmp_path / KEYRING_FILE).stat().st_mode) == 0o600


def test_a_keyring_put_back_from_an_older_backup_is_refused(tmp_path: Path) -> None:
    ring = LocalKeyring.open(tmp_path)
    backup = (tmp_path / KEYRING_FILE).read_bytes()
    ring.rotate()
    path = tmp_path / KEYRING_FILE
    path.write_bytes(backup)  # generation 1 over generation 2
    os.chmod(path, 0o600)
    with pytest.raises(IntegrityError, match="went back from generation 2 to 1"):
        ring.refresh()
    with pytest.raises(IntegrityError, match="older than 2"):
        ring.rotate()


def test_concurrent_writers_in_separate_processes_lose_nothing(tmp_path: Path) -> None:
    LocalKeyring.open(tmp_path)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_add_signing_keys, args=(str(tmp_path), f"p{n}", 15))
             for n in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    signing = json.loads((tmp_path / KEYRING_FILE).read_text())["signing"]
    assert len(signing) == 60
    assert json.loads((tmp_path / KEYRING_FILE).read_text())["generation"] == 61


@pytest.mark.parametrize("damage, message", [
    (lambda d: "{not json", "not a readable FairCollect keyring"),
    (lambda d: json.dumps({**d, "current": "mk-missing"}), "not a readable FairCollect keyring"),
    (lambda d: json.dumps({k: v for k, v in d.items() if k != "blind_index"}),
     "not a readable FairCollect keyring"),
])
def test_a_damaged_keyring_is_a_clear_error(tmp_path: Path, damage, message) -> None:  # type: ignore[no-untyped-def]
    LocalKeyring.open(tmp_path)
    path = tmp_path / KEYRING_FILE
    path.write_text(damage(json.loads(path.read_text())))
    with pytest.raises(IntegrityError, match=message) as err:
        LocalKeyring.open(tmp_path)
    assert "restore it from its backup" in str(err.value)


@pytest.mark.parametrize("seed, message", [
    ("!!!not-base64", "'audit' signing key is not valid base64"),
    ("AAAA", "'audit' signing key has 3 bytes, not 32"),
])
def test_a_damaged_signing_seed_is_a_clear_error(tmp_path: Path, seed: str, message: str) -> None:
    LocalKeyring.open(tmp_path).signing_key("audit")
    path = tmp_path / KEYRING_FILE
    data = json.loads(path.read_text())
    data["signing"]["audit"] = seed
    path.write_text(json.dumps(data))
    with pytest.raises(IntegrityError, match=message):
        LocalKeyring.open(tmp_path).signing_key("audit")


def test_the_guard_stops_a_new_keyring_or_signing_key_beside_existing_data(tmp_path: Path) -> None:
    def guard(what: str) -> str | None:
        return {"keyring": "the database already holds 5 data keys",
                "signing:audit": "the audit log already has 2 signed checkpoint(s)"}.get(what)

    with pytest.raises(KeyUnavailable, match="no keyring at .* already holds 5 data keys"):
        LocalKeyring.open(tmp_path, guard=guard)
    assert not (tmp_path / KEYRING_FILE).exists()
    ring = LocalKeyring.open(tmp_path)  # created where nothing depends on one
    guarded = LocalKeyring.open(tmp_path, guard=guard)
    with pytest.raises(KeyUnavailable, match="no 'audit' signing key, but the audit log"):
        guarded.signing_key("audit")
    guarded.signing_key("consent")  # nothing depends on this one yet
    assert "audit" not in json.loads((tmp_path / KEYRING_FILE).read_text())["signing"]
    ring.signing_key("audit")  # an unguarded opener may (the first import does)
    assert guarded.signing_key("audit")  # and the guarded one now finds it


def test_a_reader_drops_a_destroyed_master_from_memory_within_the_recheck(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import faircollect.vault.keys as keys

    server = LocalKeyring.open(tmp_path)
    old = server.current_master_id()
    _, blob = server.wrap(b"k" * 32, context=CTX)
    rotator = LocalKeyring.open(tmp_path)
    rotator.rotate()
    rotator.retire(old)
    assert server.unwrap(old, blob, context=CTX) == b"k" * 32  # still in memory, for now
    monkeypatch.setattr(keys, "RECHECK_SECONDS", 0.0)
    with pytest.raises(KeyUnavailable, match=old):
        server.unwrap(old, blob, context=CTX)
