"""`faircollect import`: the folder's files, encodings, physical line numbers, phones, and
errors that never show personal data — through the CLI (exit code, stdout, stderr) and the
store (nothing half-written, the phone_unverified flag)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from faircollect.cli import main
from faircollect.errors import InputError, RowError
from faircollect.portfolio.importer import _Writer, import_portfolio
from faircollect.store.tables.audit import audit_entries
from faircollect.store.tables.foundation import (
    borrowers,
    consent_records,
    contacts,
    data_keys,
    import_runs,
    installments,
    loans,
    payments,
)

B_HEADER = ["borrower_id", "full_name", "national_id", "phone", "email", "timezone", "jurisdiction"]
BORROWERS = [
    ["b-1", "王小明", "110101199003071234", "138 1234 5699", "wang@example.com", "Asia/Shanghai", "CN"],
    ["b-2", "Ann Lee", "QQ123456A", "07911 123456", "ann.lee@example.co.uk", "Europe/London", "UK"],
]
C_HEADER = ["contact_id", "borrower_id", "name", "phone", "relation", "source"]
CONTACTS = [["c-1", "b-1", "李四", "139 8765 4321", "sibling", "borrower_designated"]]
FILES = {
    "consents.csv": "consent_id,borrower_id,purpose,contact_id,granted_at\n"
    "k-1,b-1,contact_designated_contact,c-1,2026-01-01T10:00:00+08:00\n",
    "loans.csv": "loan_id,borrower_id,principal,currency,annual_rate,term_months,disbursed_on,"
    "first_due_on\n"
    "L-1,b-1,10000.00,CNY,0.18,12,2026-01-01,2026-02-01\n"
    "L-2,b-2,2000.00,GBP,0.2,6,2026-01-10,2026-02-10\n",
    "payments.csv": "payment_id,loan_id,paid_on,amount\nP-1,L-1,2026-02-01,500.00\n",
}
# Every personal value above, as written and as normalised: none may ever be printed.
PII = [
    "王小明", "110101199003071234", "138 1234 5699", "13812345699", "wang@example.com",
    "Ann Lee", "QQ123456A", "07911 123456", "7911123456", "ann.lee@example.co.uk",
    "李四", "139 8765 4321", "13987654321",
]  # fmt: skip


def _csv(header: list[str], rows: list[list[str]]) -> str:
    return "".join(",".join(r) + "\n" for r in [header, *rows])


def _folder(path: Path, **override: str | bytes | None) -> Path:
    """A small portfolio: borrowers, contacts, consents, loans, payments (each overridable;
    None leaves the file out)."""
    path.mkdir(parents=True, exist_ok=True)
    files: dict[str, str | bytes | None] = {
        "borrowers.csv": _csv(B_HEADER, BORROWERS),
        "contacts.csv": _csv(C_HEADER, CONTACTS),
        **FILES,
    }
    files.update({k.replace("_", ".", 1) if "_" in k else k: v for k, v in override.items()})
    for name, content in files.items():
        if content is None:
            continue
        target = path / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return path


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    @property
    def errors(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("error:")]


@pytest.fixture
def fc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run `faircollect` in this process on a SQLite home; returns exit code and output."""
    monkeypatch.setenv("FAIRCOLLECT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "80")  # errors must stay one line on a narrow terminal
    for name in ("FAIRCOLLECT_DATABASE_URL", "FAIRCOLLECT_DEBUG"):
        monkeypatch.delenv(name, raising=False)

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main(list(args))
        got = capsys.readouterr()
        return Run(code, got.out, got.err)

    return run


def _no_pii(r: Run) -> None:
    text = r.out + r.err
    for value in PII:
        assert value not in text, (value, text)
    assert "Traceback" not in text


def _bad(r: Run, file: str, line: int | None, *, column: str | None = None) -> str:
    """Exit 2, one error line naming file (and line, column), no traceback, no PII."""
    assert r.code == 2, (r.out, r.err)
    _no_pii(r)
    assert len(r.errors) == 1 and len(r.err.strip().splitlines()) == 1, r.err
    error = r.errors[0]
    if line is None:
        assert error.startswith(f"error: {file}: "), error
    else:
        assert error.startswith(f"error: {file}:{line}:") or error.startswith(
            f"error: {file}:{line} column "
        ), error
    if column is not None:
        assert f"column {column}:" in error, error
    return error


def _one_located_error(r: Run) -> None:
    assert len(r.errors) == 1 and len(r.err.strip().splitlines()) == 1, r.err
    assert re.match(r"error: [a-z]+\.csv:\d+(:| column [a-z_]+:) ", r.errors[0]), r.errors[0]


def _imported(fc, folder: Path, *extra: str) -> Run:  # type: ignore[no-untyped-def]
    r = fc("import", str(folder), "--quiet", *extra)
    assert r.code == 0, (r.out, r.err)
    _no_pii(r)
    return r


# -- the folder's files ------------------------------------------------------------------


def test_a_full_folder_imports(fc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = _imported(fc, _folder(tmp_path / "p"))
    assert "not present" not in r.out


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("payment.csv", "did you mean payments.csv?"),
        ("borrowers.xlsx", "export it as CSV (UTF-8) to borrowers.csv"),
        ("Sheet1.xlsx", "export it as CSV (UTF-8) to one CSV file per sheet"),
        ("loans.csv.bak", "unknown file"),
    ],
)
def test_an_unknown_file_is_an_error_naming_it(fc, tmp_path: Path, name: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    folder = _folder(tmp_path / "p")
    (folder / name).write_bytes(b"PK\x03\x04" if name.endswith(".xlsx") else b"x,y\n")
    error = _bad(fc("import", str(folder), "--quiet"), name, None)
    assert expected in error


def test_a_misnamed_optional_file_is_not_silently_skipped(fc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _folder(tmp_path / "p", payments_csv=None)
    (folder / "payment.csv").write_text(FILES["payments.csv"])
    _bad(fc("import", str(folder), "--quiet"), "payment.csv", None)
    assert _count_in_home(tmp_path, borrowers) == 0


@pytest.mark.parametrize("missing", ["borrowers.csv", "loans.csv"])
def test_a_missing_required_file_is_an_error_naming_it(fc, tmp_path: Path, missing: str) -> None:  # type: ignore[no-untyped-def]
    folder = _folder(tmp_path / "p", **{missing.replace(".", "_"): None})
    error = _bad(fc("import", str(folder), "--quiet"), missing, None)
    assert "required file is missing" in error


def test_missing_optional_files_are_stated_in_the_summary(fc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _folder(tmp_path / "p", payments_csv=None, contacts_csv=None, consents_csv=None)
    r = _imported(fc, folder)
    for line in (
        "payments.csv: not present, 0 payments imported",
        "contacts.csv: not present, 0 contacts imported",
        "consents.csv: not present, 0 consents imported",
    ):
        assert line in r.out.splitlines(), r.out


# -- encodings ---------------------------------------------------------------------------


def _gbk_folder(path: Path) -> Path:
    folder = _folder(path)
    for name in ("borrowers.csv", "contacts.csv"):
        text = (folder / name).read_text(encoding="utf-8")
        (folder / name).write_bytes(text.replace("\n", "\r\n").encode("gbk"))
    return folder


def test_gbk_file_imports_with_encoding_and_is_hinted_without(fc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _gbk_folder(tmp_path / "p")
    # borrowers.csv line 2 holds 王小明 in GBK: not UTF-8.
    error = _bad(fc("import", str(folder), "--quiet"), "borrowers.csv", 2)
    assert "not valid UTF-8" in error and "try --encoding gb18030" in error
    for encoding in ("gb18030", "gbk"):
        home_run = fc("import", str(folder), "--quiet", "--encoding", encoding)
        assert home_run.code == 0, home_run.err
        _no_pii(home_run)


def test_bad_encoding_value_is_a_usage_error(fc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = fc("import", str(_folder(tmp_path / "p")), "--encoding", "latin-1")
    assert r.code == 2 and len(r.errors) == 1 and "--encoding 'latin-1'" in r.errors[0]


def test_utf16_file_imports(fc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _folder(tmp_path / "p")
    for path in folder.iterdir():
        path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    _imported(fc, folder, "--encoding", "utf-16")


# -- line numbers ------------------------------------------------------------------------


def test_bad_byte_after_multiline_quoted_cells_names_its_line(fc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [f'c-{i},b-1,"Li\nSi",139 8765 4321,"sib\nling",borrower_designated' for i in range(120)]
    data = (_csv(C_HEADER, []) + "\n".join(rows) + "\n").encode()  # lines 2..361
    data += b"c-bad,b-1,\xff\xfe,139 8765 4321,sibling,borrower_designated\n"  # line 362
    folder = _folder(tmp_path / "p", contacts_csv=data)
    error = _bad(fc("import", str(folder), "--quiet"), "contacts.csv", 362)
    assert "not valid UTF-8" in error and "--encoding" not in error


def test_bom_and_crlf_keep_line_numbers(fc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [*BORROWERS, ["b-3", "Bo Li", "QQ123457A", "12345", "", "Europe/London", "UK"]]
    text = _csv(B_HEADER, rows).replace("\n", "\r\n")
    folder = _folder(tmp_path / "p", borrowers_csv=b"\xef\xbb\xbf" + text.encode())
    error = _bad(fc("import", str(folder), "--quiet"), "borrowers.csv", 4, column="phone")
    assert "too few digits" in error
    assert "12345" not in error


def test_a_cell_inside_a_multiline_record_is_named_on_its_own_line(fc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = _csv(B_HEADER, BORROWERS) + 'b-3,"Bo\r\nLi",QQ123457A,07911 123457,,Mars/Base,UK\r\n'
    folder = _folder(tmp_path / "p", borrowers_csv=text.encode())
    # The record starts on line 4; its timezone cell is on line 5.
    _bad(fc("import", str(folder), "--quiet"), "borrowers.csv", 5, column="timezone")


# -- phones ------------------------------------------------------------------------------


def test_an_unlisted_174_number_is_imported_and_flagged(fc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [*BORROWERS, ["b-3", "张伟", "110101199001011234", "174 9123 4567", "", "Asia/Shanghai", "CN"]]
    folder = _folder(tmp_path / "p", borrowers_csv=_csv(B_HEADER, rows))
    r = _imported(fc, folder)
    assert "borrowers: 1 phone number not in the numbering plan" in r.out
    assert "17491234567" not in r.out + r.err
    with _home_conn(tmp_path) as conn:
        flags = {r[0]: r[1] for r in conn.execute(select(borrowers.c.borrower_id, borrowers.c.phone_unverified))}
    assert flags == {"b-1": False, "b-2": False, "b-3": True}
    with _home_conn(tmp_path) as conn:
        before = conn.execute(select(func.count()).select_from(audit_entries)).scalar_one()
    again = _imported(fc, folder)  # idempotent: same rows, same flag, nothing changes
    assert "borrowers: 1 phone number not in the numbering plan" in again.out
    with _home_conn(tmp_path) as conn:
        after = conn.execute(select(func.count()).select_from(audit_entries)).scalar_one()
    assert after == before + 1  # only the run's own portfolio.imported entry


@pytest.mark.parametrize(
    ("phone", "reason"),
    [
        ("12345", "too few digits"),
        ("1381234569912", "too many digits"),
        ("138-1234-ABCD", "is not a phone number"),
        ("+999 1234567", "unknown country calling code"),
    ],
)
def test_an_impossible_phone_names_file_line_and_column_never_the_value(  # type: ignore[no-untyped-def]
    fc, tmp_path: Path, phone: str, reason: str
) -> None:
    contacts_rows = [*CONTACTS, ["c-2", "b-1", "王五", phone, "friend", "borrower_designated"]]
    folder = _folder(tmp_path / "p", contacts_csv=_csv(C_HEADER, contacts_rows))
    error = _bad(fc("import", str(folder), "--quiet"), "contacts.csv", 3, column="phone")
    assert reason in error and phone not in error


# -- no personal data in any error, with columns swapped ---------------------------------


def _swapped(header: list[str], rows: list[list[str]], a: int, b: int) -> str:
    out = [list(r) for r in rows]
    out[-1][a], out[-1][b] = out[-1][b], out[-1][a]
    return _csv(header, out)


@pytest.mark.parametrize("pair", list(itertools.combinations(range(len(B_HEADER)), 2)))
def test_swapped_borrower_columns_never_print_personal_data(fc, tmp_path: Path, pair) -> None:  # type: ignore[no-untyped-def]
    for index in range(len(BORROWERS)):
        rows = [list(r) for r in BORROWERS]
        rows[index][pair[0]], rows[index][pair[1]] = rows[index][pair[1]], rows[index][pair[0]]
        folder = _folder(tmp_path / f"p{index}", borrowers_csv=_csv(B_HEADER, rows))
        r = fc("import", str(folder), "--quiet")
        assert r.code in (0, 2), r.err
        _no_pii(r)
        if r.code == 2:
            _one_located_error(r)


@pytest.mark.parametrize("pair", list(itertools.combinations(range(len(C_HEADER)), 2)))
def test_swapped_contact_columns_never_print_personal_data(fc, tmp_path: Path, pair) -> None:  # type: ignore[no-untyped-def]
    folder = _folder(tmp_path / "p", contacts_csv=_swapped(C_HEADER, CONTACTS, *pair))
    r = fc("import", str(folder), "--quiet")
    assert r.code in (0, 2), r.err
    _no_pii(r)
    if r.code == 2:
        _one_located_error(r)


def _cells_of(text: str) -> tuple[list[str], list[list[str]]]:
    lines = text.strip("\n").split("\n")
    return lines[0].split(","), [line.split(",") for line in lines[1:]]


@pytest.mark.parametrize("value", ["110101199003071234", "138 1234 5699", "王小明", "wang@example.com"])
@pytest.mark.parametrize("file", ["borrowers.csv", "contacts.csv", "consents.csv", "loans.csv", "payments.csv"])
def test_personal_data_in_any_column_is_never_printed(fc, tmp_path: Path, file: str, value: str) -> None:  # type: ignore[no-untyped-def]
    """A mis-mapped export: a personal value lands in each column of each file in turn."""
    base = {"borrowers.csv": _csv(B_HEADER, BORROWERS), "contacts.csv": _csv(C_HEADER, CONTACTS), **FILES}
    header, rows = _cells_of(base[file])
    for column in range(len(header)):
        changed = [list(r) for r in rows]
        changed[-1][column] = value
        folder = tmp_path / f"p{column}"
        _folder(folder, **{file.replace(".", "_"): _csv(header, changed)})
        r = fc("import", str(folder), "--quiet")
        assert r.code in (0, 2), r.err
        _no_pii(r)
        assert value not in r.out + r.err
        if r.code == 2:
            _one_located_error(r)


def test_a_file_without_its_header_row_prints_no_personal_data(fc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _folder(tmp_path / "p", borrowers_csv="".join(",".join(r) + "\n" for r in BORROWERS))
    error = _bad(fc("import", str(folder), "--quiet"), "borrowers.csv", 1)
    assert "not a header row" in error


def test_duplicate_ids_are_not_echoed(fc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [BORROWERS[0], ["110101199003071234", *BORROWERS[1][1:]], ["110101199003071234", *BORROWERS[1][1:]]]
    folder = _folder(tmp_path / "p", borrowers_csv=_csv(B_HEADER, rows))
    error = _bad(fc("import", str(folder), "--quiet"), "borrowers.csv", 4, column="borrower_id")
    assert "first on line 3" in error


# -- all or nothing ----------------------------------------------------------------------

TABLES = (borrowers, contacts, consent_records, loans, installments, payments, data_keys,
          import_runs, audit_entries)  # fmt: skip


def _home_conn(tmp_path: Path):  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine

    db = tmp_path / "home" / "faircollect.db"
    assert db.exists(), list((tmp_path / "home").iterdir())
    return create_engine(f"sqlite:///{db}").connect()


def _count_in_home(tmp_path: Path, table) -> int:  # type: ignore[no-untyped-def]
    if not (tmp_path / "home" / "faircollect.db").exists():
        return 0
    with _home_conn(tmp_path) as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _count(app, table) -> int:  # type: ignore[no-untyped-def]
    with app.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_failure_while_writing_leaves_nothing(app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    folder = _folder(tmp_path / "p")

    def boom(self, parsed) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(_Writer, "payments", boom)  # after borrowers..loans were written
    with pytest.raises(RuntimeError):
        import_portfolio(app, folder)
    for table in TABLES:
        assert _count(app, table) == 0, table.name


def test_a_bad_row_in_the_last_file_leaves_nothing(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = FILES["payments.csv"] + "P-2,L-1,2025-01-01,1.00\n"
    folder = _folder(tmp_path / "p", payments_csv=bad)
    with pytest.raises(RowError) as err:
        import_portfolio(app, folder)
    assert (err.value.fields["file"], err.value.fields["line"]) == ("payments.csv", 3)
    for table in TABLES:
        assert _count(app, table) == 0, table.name


def test_the_flag_and_the_summary_are_stored(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    contacts_rows = [*CONTACTS, ["c-2", "b-1", "王五", "+86 174 9123 4567", "friend", "borrower_designated"]]
    folder = _folder(tmp_path / "p", contacts_csv=_csv(C_HEADER, contacts_rows), payments_csv=None)
    report = import_portfolio(app, folder)
    assert report.phone_unverified == {"borrowers": 0, "contacts": 1}
    assert report.absent == ["payments.csv"]
    with app.store.read() as conn:
        flags = {r[0]: r[1] for r in conn.execute(select(contacts.c.contact_id, contacts.c.phone_unverified))}
    assert flags == {"c-1": False, "c-2": True}
    with pytest.raises(InputError):
        import_portfolio(app, tmp_path / "nowhere")


def test_the_compliance_report_counts_unverified_phones(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from faircollect.reports.compliance import build_report, write_report

    rows = [*BORROWERS, ["b-3", "张伟", "110101199001011234", "17491234567", "", "Asia/Shanghai", "CN"]]
    import_portfolio(app, _folder(tmp_path / "p", borrowers_csv=_csv(B_HEADER, rows)))
    with app.store.read() as conn:
        report = build_report(conn, date(2026, 3, 1), date(2026, 3, 2))
    assert report.phones_unverified == {"borrowers": 1, "contacts": 0}
    page = write_report(report, tmp_path / "compliance.html").read_text(encoding="utf-8")
    assert "1 borrower and 0 contact-person numbers" in page
    assert "17491234567" not in page
