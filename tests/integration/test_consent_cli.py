"""The consent, keys, subject and retention commands end to end through `faircollect`."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from _privacy_seed import seed

import faircollect.cli._context as ctx_module
from faircollect.cli import main


@pytest.fixture
def cli(app, bare_cli):  # type: ignore[no-untyped-def]
    seed(app)
    return bare_cli


@pytest.fixture
def bare_cli(app, settings, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    """`faircollect` against the test database, which holds nothing yet."""
    monkeypatch.setenv("FAIRCOLLECT_HOME", str(settings.home))
    monkeypatch.setenv("FAIRCOLLECT_DATABASE_URL", settings.database_url.value)
    monkeypatch.setenv("FAIRCOLLECT_ACTOR", "cli-tester")
    built: list[object] = []
    real_build = ctx_module.build_app

    def build(*a: object, **kw: object):  # type: ignore[no-untyped-def]
        made = real_build(*a, **kw)  # type: ignore[arg-type]
        built.append(made)
        return made

    # Each command builds its own app; close its connection pool when the command ends.
    monkeypatch.setattr(ctx_module, "build_app", build)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = main(list(args))
        finally:
            while built:
                built.pop().store.dispose()  # type: ignore[attr-defined]
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_grant_receipt_verify_withdraw(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    notice = tmp_path / "notice.txt"
    notice.write_text("We may ask Li Si to pass on a message.", encoding="utf-8")
    code, out, _ = cli("consent", "grant", "b-1", "contact_designated_contact", "--contact",
                       "c-1", "--notice", str(notice), "--policy-version", "pp-1",
                       "--channel", "app", "--at", "2026-01-01T09:00:00+08:00")
    assert code == 0
    consent_id = re.search(r"consent (\S+)", out).group(1)  # type: ignore[union-attr]
    receipt = tmp_path / "receipt.json"
    assert cli("consent", "receipt", consent_id, "--out", str(receipt))[0] == 0
    code, out, _ = cli("consent", "verify-receipt", str(receipt))
    assert code == 0 and "verified" in out
    code, pem, _ = cli("consent", "public-key")
    key = tmp_path / "consent.pem"
    key.write_text(pem, encoding="ascii")
    assert cli("consent", "verify-receipt", str(receipt), "--public-key", str(key))[0] == 0
    doc = orjson.loads(receipt.read_bytes())
    doc["receipt"]["faircollect"]["contactId"] = "c-9"
    receipt.write_bytes(orjson.dumps(doc))
    code, _, err = cli("consent", "verify-receipt", str(receipt), "--public-key", str(key))
    assert code == 1 and "altered" in err
    code, out, _ = cli("consent", "show", "b-1", "--json")
    assert code == 0 and orjson.loads(out)[0]["contact_id"] == "c-1"
    assert orjson.loads(out)[0]["consent_id"] == consent_id
    code, out, _ = cli("consent", "show", "b-1")
    assert code == 0 and consent_id in out
    assert cli("consent", "withdraw", consent_id, "--channel", "portal")[0] == 0
    code, _, err = cli("consent", "withdraw", consent_id)
    assert code == 2 and "already withdrawn" in err
    code, _, err = cli("consent", "grant", "b-1", "spam", "--notice", str(notice),
                       "--policy-version", "pp-1")
    assert code == 2 and "unknown consent purpose" in err
    code, out, _ = cli("consent", "review", "--as-of", "2027-06-01")
    assert code == 0 and "0 expiring" in out


def test_keys_subject_and_retention_commands(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("keys", "rotate")
    assert code == 0 and "3 data keys rewrapped" in out
    code, out, _ = cli("keys", "status")
    assert code == 0 and "current" in out
    export = tmp_path / "b-2.json"
    assert cli("subject", "export", "b-2", "--out", str(export))[0] == 0
    assert orjson.loads(export.read_bytes())["borrower"]["full_name"] == "Jane Doe"
    code, _, err = cli("subject", "erase", "b-2")
    assert code == 2 and "--yes" in err
    assert cli("subject", "erase", "b-2", "--yes")[0] == 0
    code, out, _ = cli("retention", "run", "--as-of", "2028-02-01", "--dry-run")
    assert code == 0 and "b-1" in out and "b-2" not in out
    code, out, _ = cli("retention", "address-book")
    assert code == 0 and out.startswith("c-2\tb-1")


def _db_state(app) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    """Row counts of the consent tables and the audit log's head (size and root)."""
    from sqlalchemy import func, select

    from faircollect.audit.log import read_head
    from faircollect.store.tables.audit import audit_entries
    from faircollect.store.tables.consent import consent_receipts
    from faircollect.store.tables.foundation import consent_records

    with app.store.read() as conn:
        counts = tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                       for t in (consent_records, consent_receipts, audit_entries))
        head = read_head(conn)
    return (*counts, head.size, head.root)


def _imported(bare_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "portfolio"
    assert bare_cli("generate", str(folder), "--borrowers", "40", "--seed", "3",
                    "--as-of", "2026-03-01")[0] == 0
    code, _, err = bare_cli("import", str(folder), "--quiet")
    assert code == 0, err


def _withdrawable(bare_cli) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """An imported consent that is not withdrawn: (borrower, consent id as listed)."""
    for n in range(1, 41):
        borrower = f"b-{n:07d}"
        code, out, err = bare_cli("consent", "show", borrower, "--json")
        assert code == 0, err
        for entry in orjson.loads(out):
            assert entry["consent_id"]
            if entry["withdrawn_at"] is None:
                return borrower, entry["consent_id"]
    raise AssertionError("the generated portfolio holds no open consent")


def test_an_imported_consent_is_withdrawn_by_the_id_shown(bare_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _imported(bare_cli, tmp_path)
    borrower, consent_id = _withdrawable(bare_cli)
    code, table, _ = bare_cli("consent", "show", borrower)
    assert code == 0 and consent_id in table
    code, out, err = bare_cli("consent", "withdraw", consent_id, "--channel", "portal")
    assert code == 0, err
    assert f"consent {consent_id}" in out
    listed = orjson.loads(bare_cli("consent", "show", borrower, "--json")[1])
    assert all(e["withdrawn_at"] is not None for e in listed if e["consent_id"] == consent_id)
    code, _, err = bare_cli("consent", "withdraw", consent_id)
    assert code == 2 and "already withdrawn" in err


def test_review_reads_only_and_apply_stops_and_says_how_many(app, bare_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _imported(bare_cli, tmp_path)
    before = _db_state(app)
    code, out, err = bare_cli("consent", "review", "--as-of", "2028-01-01")
    assert code == 0, err
    would = int(re.search(r"(\d+) consent\(s\) would be stopped", out).group(1))  # type: ignore[union-attr]
    assert would > 0 and "nothing changed" in out
    assert _db_state(app) == before  # no record, no receipt, no audit entry
    code, out, err = bare_cli("consent", "review", "--as-of", "2028-01-01", "--apply")
    assert code == 0, err
    assert f"stopped {would} consent(s)" in out
    after = _db_state(app)
    assert after[0] == before[0] + would  # one expire record per stopped consent
    assert after[2] == before[2] + would + 1  # their audit entries and the review's own
    code, out, _ = bare_cli("consent", "review", "--as-of", "2028-01-01", "--apply")
    assert code == 0 and "stopped 0 consent(s)" in out


def test_address_book_delete_shreds_harvested_contacts_only(app, cli) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from faircollect.store.tables.audit import audit_entries
    from faircollect.store.tables.foundation import contacts

    def held() -> dict[str, tuple[object, ...]]:
        with app.store.read() as conn:
            return {r.contact_id: (r.source, r.name_ct, r.phone_ct, r.phone_bidx)
                    for r in conn.execute(select(contacts))}

    harvested = {c for c, row in held().items() if row[0] == "address_book"}
    assert harvested == {"c-2"}
    designated = {c: row for c, row in held().items() if c not in harvested}
    code, out, _ = cli("retention", "address-book")
    assert code == 0 and out.startswith("c-2\tb-1")  # listing alone changes nothing
    assert set(held()) >= harvested
    code, out, _ = cli("retention", "address-book", "--delete")
    assert code == 0 and "deleted 1 address-book contact(s)" in out
    assert held() == designated  # designated contacts stay exactly as they were
    with app.store.read() as conn:
        last = conn.execute(select(audit_entries.c.action, audit_entries.c.record)
                            .order_by(audit_entries.c.seq.desc()).limit(1)).one()
    assert last.action == "retention.address_book_delete" and '"deleted":1' in last.record
    assert "王五" not in last.record and "13900002222" not in last.record
    code, out, _ = cli("retention", "address-book")
    assert code == 0 and "c-2" not in out and "0 address-book contact(s)" in out
    code, out, _ = cli("retention", "address-book", "--delete")
    assert code == 0 and "deleted 0" in out
