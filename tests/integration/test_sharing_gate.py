"""The consent gate on SQLite and PostgreSQL: only consented borrowers enter a shared set."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from _privacy_seed import T0, seed
from sqlalchemy import select, update

from faircollect.consent.ledger import ConsentLedger
from faircollect.sharing.gate import PURPOSE, consented_set
from faircollect.store.tables.audit import audit_entries
from faircollect.store.tables.foundation import borrowers

DAY = timedelta(days=1)
NOTICE = "We will share your repayment record with industry data services."


@pytest.fixture
def ledger(app):  # type: ignore[no-untyped-def]
    seed(app)
    return ConsentLedger(app.store, app.keys)


def _grant(ledger: ConsentLedger, bid: str, purpose: str = PURPOSE, days: int = 30) -> str:
    return ledger.grant(actor="test", borrower_id=bid, purpose=purpose, notice_text=NOTICE,
                        policy_version="pp-3", channel="app", granted_at=T0,
                        expires_at=T0 + days * DAY).consent_id


def test_only_borrowers_with_a_valid_consent_enter(app, ledger) -> None:  # type: ignore[no-untyped-def]
    # b-1: consented; b-2: consented then withdrew; b-3: consented to something else only.
    _grant(ledger, "b-1")
    withdrawn = _grant(ledger, "b-2")
    ledger.withdraw(actor="test", consent_id=withdrawn, channel="portal", at=T0 + 2 * DAY)
    _grant(ledger, "b-3", purpose="electronic_communications")
    at = T0 + 5 * DAY
    phones = consented_set(app, kind="phone", at=at, actor="test")
    assert phones.items == ["phone:+8613812345699"]
    assert (phones.borrowers, phones.without_consent, phones.without_value) == (3, 2, 0)
    ids = consented_set(app, kind="nid", at=at, actor="test")
    # The seeded CN id's check digit is wrong (…1234, not …1233): left out and counted.
    assert (ids.items, ids.without_value) == ([], 1)
    # Before the withdrawal b-2 was in; after b-1's expiry nobody is.
    early = consented_set(app, kind="phone", at=T0 + DAY, actor="test")
    assert sorted(early.items) == ["phone:+12025550143", "phone:+8613812345699"]
    assert consented_set(app, kind="phone", at=T0 + 31 * DAY, actor="test").items == []
    assert consented_set(app, kind="phone", at=T0 - DAY, actor="test").items == []


def test_erased_borrower_never_enters_and_build_is_audited(app, ledger) -> None:  # type: ignore[no-untyped-def]
    _grant(ledger, "b-1")
    _grant(ledger, "b-3")
    with app.store.transaction("test") as uow:
        uow.conn.execute(update(borrowers).where(borrowers.c.borrower_id == "b-3")
                         .values(erased_at=T0))
    built = consented_set(app, kind="phone", at=T0 + DAY, actor="test")
    assert built.items == ["phone:+8613812345699"]
    assert "+86" not in repr(built)
    with app.store.read() as conn:
        records = [orjson.loads(r) for (r,) in conn.execute(
            select(audit_entries.c.record).where(audit_entries.c.action == "sharing.set_built"))]
    assert records[-1]["payload"]["size"] == 1
    assert records[-1]["payload"]["purpose"] == PURPOSE
    assert not any("+86" in orjson.dumps(r).decode() for r in records)


def test_export_set_command_writes_only_consented_borrowers(app, ledger, settings, tmp_path,
                                                           monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import faircollect.cli._context as ctx_module
    from faircollect.cli import main
    from faircollect.sharing.identifiers import parse_set_lines

    built: list[object] = []
    real_build = ctx_module.build_app

    def build(*a: object, **kw: object):  # type: ignore[no-untyped-def]
        built.append(real_build(*a, **kw))  # type: ignore[arg-type]
        return built[-1]

    monkeypatch.setattr(ctx_module, "build_app", build)
    _grant(ledger, "b-2")
    monkeypatch.setenv("FAIRCOLLECT_HOME", str(settings.home))
    monkeypatch.setenv("FAIRCOLLECT_DATABASE_URL", settings.database_url.value)
    out = tmp_path / "set.txt"
    code = main(["share", "export-set", "--kind", "phone", "--out", str(out),
                 "--at", (T0 + DAY).isoformat(), "--json"])
    for made in built:
        made.store.dispose()  # type: ignore[attr-defined]
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert orjson.loads(printed.out)["without_consent"] == 2
    assert [i.canonical for i in parse_set_lines(out.read_text().splitlines())] == [
        "phone:+12025550143"]
    assert oct(out.stat().st_mode & 0o777) == "0o600"
