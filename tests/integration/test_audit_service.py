"""The audit service and CLI on a migrated store: unit of work, checkpoints, proofs, export."""

from __future__ import annotations

import json
import multiprocessing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from _audit_tamper import edit_record
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from faircollect.audit import merkle, verify
from faircollect.audit.entry import AuditEntry
from faircollect.audit.log import append_entries, read_entries
from faircollect.audit.service import AuditService
from faircollect.bootstrap import open_store
from faircollect.config import Secret, Settings
from faircollect.errors import NotFound
from faircollect.store.tables.audit import audit_entries
from faircollect.store.unit_of_work import Store

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def service(store: Store) -> AuditService:
    return AuditService(store, Ed25519PrivateKey.generate())


def _record(store: Store, n: int, actor: str = "agent:7") -> None:
    for i in range(n):
        with store.transaction(actor=actor) as uow:
            uow.audit("promise.record", f"loan:{i}", {"amount": "12.50", "i": i})


def test_the_unit_of_work_appends_its_entries_at_commit(store: Store) -> None:
    _record(store, 3)
    with pytest.raises(RuntimeError), store.transaction(actor="agent:7") as uow:
        uow.audit("promise.record", "loan:x", {})
        raise RuntimeError("the change failed, so must its entry")
    with store.read() as conn:
        entries = read_entries(conn, 0, 10)
    assert [e.seq for e in entries] == [0, 1, 2]
    assert entries[1].to_dict()["payload"] == {"amount": "12.50", "i": 1}


def test_checkpoint_prove_consistency_and_verify(service: AuditService, store: Store) -> None:
    _record(store, 20)
    first = service.checkpoint()
    assert service.checkpoint() == first  # same size: the stored note, not a new one
    _record(store, 13)
    proof = service.prove(25)
    assert merkle.verify_inclusion(bytes.fromhex(proof["leaf_hash"]), 25, 33,
                                   [bytes.fromhex(h) for h in proof["proof"]],
                                   bytes.fromhex(proof["root"]))
    cons = service.consistency(20, 33)
    assert merkle.verify_consistency(20, 33, bytes.fromhex(cons["old_root"]),
                                     bytes.fromhex(cons["new_root"]),
                                     [bytes.fromhex(h) for h in cons["proof"]])
    assert service.verify(kept=first).ok
    with pytest.raises(NotFound):
        service.prove(33)


def test_an_export_verifies_offline_and_catches_later_edits(
    service: AuditService, store: Store, tmp_path: Path
) -> None:
    _record(store, 30)
    service.checkpoint()
    _record(store, 10)
    bundle = service.export(4, 35)
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    assert verify.main([str(path)]) == 0
    assert [h["checkpoint"].split("\n")[1] for h in bundle["history"]] == ["30"]
    bundle["entries"][10]["actor"] = "agent:8"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    assert verify.main([str(path)]) == 1


def test_the_cli_reports_a_tampered_log_with_exit_1(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from faircollect.bootstrap import build_app
    from faircollect.cli import main

    monkeypatch.setenv("FAIRCOLLECT_HOME", str(settings.home))
    monkeypatch.setenv("FAIRCOLLECT_DATABASE_URL", settings.database_url.value)
    app = build_app(settings)
    _record(app.store, 25)
    note = tmp_path / "cp.note"
    assert main(["audit", "checkpoint", "--out", str(note)]) == 0
    assert note.read_text(encoding="utf-8").split("\n")[1] == "25"
    assert main(["audit", "verify", "--checkpoint", str(note)]) == 0
    capsys.readouterr()
    assert main(["audit", "prove", "3"]) == 0
    assert json.loads(capsys.readouterr().out)["entry"]["seq"] == 3
    assert main(["audit", "consistency", "5", "25"]) == 0
    bundle = tmp_path / "b.json"
    assert main(["audit", "export", "--from", "0", "--to", "24", str(bundle)]) == 0
    assert verify.main([str(bundle)]) == 0
    # The key the lender publishes is the one the offline verifier shows and accepts.
    capsys.readouterr()
    key_file = tmp_path / "audit.key"
    assert main(["audit", "key", "--out", str(key_file)]) == 0
    shown = capsys.readouterr().out
    fingerprint = shown.split("fingerprint:", 1)[1].split()[0]
    verifier_key = key_file.read_text(encoding="utf-8").strip()
    assert f"verifier key: {verifier_key}" in shown and fingerprint.startswith("SHA256:")
    assert verify.main([str(bundle)]) == 0
    assert f"Compare this fingerprint with the one the lender publishes: {fingerprint}" in (
        capsys.readouterr().out)
    for pinned in (fingerprint, str(key_file), verifier_key):
        assert verify.main(["--require-key", "--key", pinned, str(bundle)]) == 0
        assert "OK: verified against a trusted key" in capsys.readouterr().out
    assert main(["audit", "checkpoint", "--out", str(tmp_path / "again.note")]) == 0
    assert f"fingerprint {fingerprint}" in capsys.readouterr().out
    with app.store.engine.begin() as conn:
        conn.execute(edit_record(17, '"action":"', '"action":"promise.cancel-'))
    capsys.readouterr()
    assert main(["audit", "verify", "--checkpoint", str(note)]) == 1
    assert "first bad sequence number 17" in capsys.readouterr().err
    assert main(["audit", "prove", "99"]) == 2
    app.store.dispose()


# --- Two processes appending at once on PostgreSQL get gap-free sequence numbers. ---


def _writer(url: str, tag: str, batches: int) -> None:
    settings = Settings(home=Path("."), database_url=Secret(url))
    store = open_store(settings, migrate=False)
    for b in range(batches):
        with store.engine.begin() as conn:
            append_entries(conn, [AuditEntry("proc", "test.append", f"{tag}:{b}:{i}", {"i": i})
                                  for i in range(1 + b % 7)], now=NOW)
    store.dispose()


@pytest.mark.postgres
def test_two_processes_append_gap_free_on_postgres(pg_url: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, database_url=Secret(pg_url))
    store = open_store(settings)  # migrates
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(pg_url, tag, 40)) for tag in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    per_proc = sum(1 + b % 7 for b in range(40))
    with store.engine.connect() as conn:
        c = audit_entries.c
        seqs = [r[0] for r in conn.execute(select(c.seq).order_by(c.seq))]
        subjects = {r[0].split(":")[0] for r in conn.execute(select(audit_entries.c.subject))}
    assert seqs == list(range(2 * per_proc)) and subjects == {"a", "b"}
    service = AuditService(store, Ed25519PrivateKey.generate())
    service.checkpoint()
    assert service.verify().ok
    store.dispose()
