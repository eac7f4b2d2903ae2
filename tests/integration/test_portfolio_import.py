"""Portfolio import on SQLite and PostgreSQL: all or nothing, encrypted, idempotent, audited."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from faircollect.errors import RowError
from faircollect.portfolio.generator import generate_portfolio
from faircollect.portfolio.importer import import_portfolio
from faircollect.portfolio.snapshot import portfolio_snapshot
from faircollect.store.tables.foundation import (
    borrowers,
    consent_records,
    contacts,
    installments,
    loans,
    payments,
)

AS_OF = date(2026, 11, 28)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "portfolio"
    generate_portfolio(out, borrowers=60, seed=3, as_of=AS_OF)
    return out


def _count(app, table) -> int:  # type: ignore[no-untyped-def]
    with app.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _rewrite(path: Path, line: int, column: str, value: str) -> None:
    rows = path.read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    cells = rows[line - 1].split(",")
    cells[header.index(column)] = value
    rows[line - 1] = ",".join(cells)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_import_loads_everything_and_reimport_changes_nothing(app, folder: Path) -> None:  # type: ignore[no-untyped-def]
    first = import_portfolio(app, folder)
    assert first.counts["borrowers"]["created"] == 60
    n_inst = _count(app, installments)
    assert n_inst > 60
    with app.store.read() as conn:
        terms = conn.execute(select(func.sum(loans.c.term_months))).scalar_one()
    assert n_inst == terms
    second = import_portfolio(app, folder)
    assert second.changed == 0
    assert all(c["created"] == 0 and c["updated"] == 0 for c in second.counts.values())
    assert second.counts["borrowers"]["unchanged"] == 60
    assert _count(app, installments) == n_inst
    assert _count(app, consent_records) == first.counts["consents"]["created"] + sum(
        1 for line in (folder / "consents.csv").read_text().splitlines()[1:] if line.split(",")[6]
    )


def test_changed_row_is_an_audited_update(app, folder: Path) -> None:  # type: ignore[no-untyped-def]
    import_portfolio(app, folder)
    _rewrite(folder / "borrowers.csv", 2, "timezone", "Europe/London")
    report = import_portfolio(app, folder)
    assert report.counts["borrowers"] == {"created": 0, "updated": 1, "unchanged": 59}
    with app.store.read() as conn:
        tz = conn.execute(
            select(borrowers.c.timezone).where(borrowers.c.borrower_id == "b-0000001")
        ).scalar_one()
    assert tz == "Europe/London"


def test_bad_row_names_file_line_column_and_writes_nothing(app, folder: Path) -> None:  # type: ignore[no-untyped-def]
    _rewrite(folder / "payments.csv", 5, "paid_on", "2001-01-01")
    with pytest.raises(RowError) as err:
        import_portfolio(app, folder)
    assert err.value.fields == {"file": "payments.csv", "line": 5, "column": "paid_on"}
    assert "before disbursement" in err.value.message
    for table in (borrowers, contacts, consent_records, loans, installments, payments):
        assert _count(app, table) == 0


@pytest.mark.parametrize(
    ("file", "line", "column", "value", "reason"),
    [
        ("borrowers.csv", 3, "phone", "12345", "phone"),
        ("borrowers.csv", 4, "timezone", "Mars/Olympus", "time zone"),
        ("borrowers.csv", 2, "jurisdiction", "FR", "unknown value"),
        ("borrowers.csv", 2, "flags", "on_fire", "unknown value"),
        ("contacts.csv", 2, "borrower_id", "b-9999999", "unknown borrower"),
        ("loans.csv", 2, "principal", "12.345", "decimal places"),
        ("loans.csv", 2, "currency", "XYZ", "currency"),
        ("consents.csv", 2, "purpose", "selling_data", "unknown value"),
        ("consents.csv", 2, "granted_at", "2026-01-01T10:00:00", "offset"),
        ("payments.csv", 2, "loan_id", "L-nope", "unknown loan"),
    ],
)
def test_each_kind_of_bad_input_is_named(  # type: ignore[no-untyped-def]
    app, folder: Path, file: str, line: int, column: str, value: str, reason: str
) -> None:
    _rewrite(folder / file, line, column, value)
    with pytest.raises(RowError) as err:
        import_portfolio(app, folder)
    assert (err.value.fields["file"], err.value.fields["line"], err.value.fields["column"]) == (
        file,
        line,
        column,
    )
    assert reason in err.value.message
    assert value not in err.value.message or column not in ("phone",)
    assert _count(app, borrowers) == 0


def test_duplicate_id_and_multiline_quoted_cells_keep_editor_line_numbers(
    app, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "borrowers.csv").write_text(
        "borrower_id,full_name,national_id,phone,timezone,jurisdiction\n"
        'b-1,"Ann\nLee",QQ123456A,07911 123456,Europe/London,UK\n'
        "b-1,Bo Li,QQ123457A,07911 123457,Europe/London,UK\n",
        encoding="utf-8",
    )
    (folder / "loans.csv").write_text(
        "loan_id,borrower_id,principal,currency,annual_rate,term_months,disbursed_on,"
        "first_due_on\n",
        encoding="utf-8",
    )
    with pytest.raises(RowError) as err:
        import_portfolio(app, folder)
    assert err.value.fields["line"] == 4 and "first on line 2" in err.value.message


def test_consent_withdrawal_by_reimport_is_a_new_record(app, folder: Path) -> None:  # type: ignore[no-untyped-def]
    import_portfolio(app, folder)
    lines = (folder / "consents.csv").read_text().splitlines()
    target = next(i for i, row in enumerate(lines[1:], start=2) if not row.split(",")[6])
    before = _count(app, consent_records)
    _rewrite(folder / "consents.csv", target, "withdrawn_at", "2026-11-20T10:00:00+00:00")
    report = import_portfolio(app, folder)
    assert report.counts["consents"]["updated"] == 1
    assert _count(app, consent_records) == before + 1
    _rewrite(folder / "consents.csv", target, "withdrawn_at", "")
    with pytest.raises(RowError, match="withdrawal cannot be changed"):
        import_portfolio(app, folder)


def test_snapshot_from_the_store_has_one_row_per_loan(app, folder: Path) -> None:  # type: ignore[no-untyped-def]
    import_portfolio(app, folder)
    with app.store.read() as conn:
        snap = portfolio_snapshot(conn, AS_OF)
    assert snap.height == _count(app, loans)
    assert snap["borrower_id"].null_count() == 0
    assert (snap["days_past_due"] >= 0).all()


def test_parquet_files_are_accepted(app, folder: Path) -> None:  # type: ignore[no-untyped-def]
    import polars as pl

    pq = folder.parent / "pq"
    shutil.copytree(folder, pq)
    frame = pl.read_csv(pq / "loans.csv", infer_schema=False)
    frame.write_parquet(pq / "loans.parquet")
    (pq / "loans.csv").unlink()
    report = import_portfolio(app, pq)
    assert report.counts["loans"]["created"] == frame.height


def test_address_book_contact_in_india_is_refused_and_nothing_written(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    d = tmp_path / "in"
    d.mkdir()
    (d / "borrowers.csv").write_text(
        "borrower_id,full_name,national_id,phone,timezone,jurisdiction\n"
        "b-1,Asha Rao,ID-0001,+919876543210,Asia/Kolkata,IN\n", encoding="utf-8")
    (d / "loans.csv").write_text(
        "loan_id,borrower_id,principal,currency,annual_rate,term_months,disbursed_on,"
        "first_due_on\nl-1,b-1,1000,INR,0.18,6,2026-01-05,2026-02-05\n", encoding="utf-8")
    (d / "contacts.csv").write_text(
        "contact_id,borrower_id,name,phone,relation,source\n"
        "c-2,b-1,Meena Iyer,+919812345678,friend,address_book\n", encoding="utf-8")
    with pytest.raises(RowError) as err:
        import_portfolio(app, d)
    assert err.value.fields["rule"] == "IN-NO-CONTACT-LIST"
    assert "contacts.csv:2 column source" in err.value.message
    for table in (borrowers, contacts, loans):
        assert _count(app, table) == 0
    (d / "contacts.csv").write_text(
        "contact_id,borrower_id,name,phone,relation,source\n"
        "c-2,b-1,Meena Iyer,+919812345678,sibling,borrower_designated\n", encoding="utf-8")
    assert import_portfolio(app, d).counts["contacts"]["created"] == 1
