"""Reading portfolio CSV files: the file's own physical line numbers in every error, whatever
the buffering, the line ends, a BOM, multi-line quoted cells or the encoding."""

from __future__ import annotations

from pathlib import Path

import pytest

from faircollect.errors import InputError, RowError
from faircollect.portfolio import reader
from faircollect.portfolio.reader import SPECS, read_rows, resolve_encoding, scan_folder

PAYMENTS = SPECS["payments"]
BORROWERS = SPECS["borrowers"]
HEADER = "payment_id,loan_id,paid_on,amount"


def _rows(path: Path, spec: reader.FileSpec = PAYMENTS, encoding: str = "utf-8") -> list[
    reader.Row
]:
    return list(read_rows(path, spec, resolve_encoding(encoding)))


def _error(path: Path, spec: reader.FileSpec = PAYMENTS, encoding: str = "utf-8") -> RowError:
    with pytest.raises(RowError) as err:
        _rows(path, spec, encoding)
    return err.value


def _payments(n: int, *, eol: str = "\n") -> list[bytes]:
    """Header plus n one-line payment rows, as physical lines with their ends."""
    lines = [HEADER + eol] + [f"P-{i},L-1,2026-02-01,1.00{eol}" for i in range(n)]
    return [line.encode() for line in lines]


@pytest.mark.parametrize("block", [7, 64, 4096, 1 << 20])
def test_bad_byte_line_after_multiline_quoted_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    # Lines 2..250 hold records whose quoted cells span three physical lines each; the bad
    # byte is on line 251, whatever the size of the blocks the file is decoded in.
    monkeypatch.setattr(reader, "_BLOCK", block)
    multi = [f'P-{i},"L-\n1\n",2026-02-01,1.00\n' for i in range(83)]  # 3 lines each
    single = [f"P-x{i},L-1,2026-02-01,1.00\n" for i in range(250 - 1 - 3 * 83)]
    data = (HEADER + "\n" + "".join(multi) + "".join(single)).encode()
    assert data.count(b"\n") == 250
    data += b"P-bad,L-\xff1,2026-02-01,1.00\nP-after,L-1,2026-02-01,1.00\n"
    path = tmp_path / "payments.csv"
    path.write_bytes(data)
    err = _error(path)
    assert err.fields["file"] == "payments.csv"
    assert err.fields["line"] == 251
    assert err.message.startswith("payments.csv:251: ")
    assert "\\xff" not in err.message and "P-bad" not in err.message


@pytest.mark.slow
def test_bad_byte_on_line_500000_is_reported_on_line_500000(tmp_path: Path) -> None:
    lines = _payments(499_998)
    lines.append(b"P-bad,L-1,2026-02-01,1.0\xe9\n")  # line 500,000 (header is line 1)
    lines.extend(_payments(20)[1:])
    path = tmp_path / "payments.csv"
    path.write_bytes(b"".join(lines))
    assert b"".join(lines[:499_999]).count(b"\n") == 499_999
    err = _error(path)
    assert err.fields["line"] == 500_000


@pytest.mark.parametrize("block", [5, 64, 1 << 20])
@pytest.mark.parametrize("eol", ["\r\n", "\n", "\r"])
def test_bom_and_line_ends_keep_editor_line_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, eol: str, block: int
) -> None:
    monkeypatch.setattr(reader, "_BLOCK", block)
    text = eol.join(
        [
            HEADER,
            "P-1,L-1,2026-02-01,1.00",
            f'P-2,"L-{eol}1",2026-02-01,1.00',  # a quoted cell across lines 3-4
            "",  # a blank line 5
            "P-3,L-1,2026-02-01,1.00",  # line 6
        ]
    ) + eol
    path = tmp_path / "payments.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    rows = _rows(path)
    assert [(line, cells["payment_id"]) for line, cells, _ in rows] == [
        (2, "P-1"),
        (3, "P-2"),
        (6, "P-3"),
    ]
    assert rows[1][2] == {"payment_id": 3, "loan_id": 3, "paid_on": 4, "amount": 4}
    # The BOM is not part of the first column's name.
    assert "payment_id" in rows[0][1]
    path.write_bytes(b"\xef\xbb\xbf" + text.encode() + b"P-4,L-1,2026-02-01,\xc3(1.00" + eol.encode())
    assert _error(path).fields["line"] == 7


def test_unclosed_quote_names_the_line_the_record_starts_on(tmp_path: Path) -> None:
    path = tmp_path / "payments.csv"
    path.write_text(f'{HEADER}\nP-1,L-1,2026-02-01,1.00\nP-2,"L-1,2026-02-01,1.00\nP-3,L-1\n')
    err = _error(path)
    assert err.fields["line"] == 3 and "never closed" in err.message


def test_gbk_file_reads_with_its_encoding_and_hints_it_otherwise(tmp_path: Path) -> None:
    text = (
        "borrower_id,full_name,national_id,phone,timezone,jurisdiction\r\n"
        "b-1,Ann Lee,QQ123456A,07911 123456,Europe/London,UK\r\n"
        "b-2,王小明,110101199003071234,138 1234 5699,Asia/Shanghai,CN\r\n"
    )
    path = tmp_path / "borrowers.csv"
    path.write_bytes(text.encode("gbk"))
    for encoding in ("gbk", "gb18030", "GB18030", "cp936"):
        rows = _rows(path, BORROWERS, encoding)
        assert rows[1][0] == 3 and rows[1][1]["full_name"] == "王小明"
    err = _error(path, BORROWERS, "utf-8")
    assert err.fields == {"file": "borrowers.csv", "line": 3}
    assert "--encoding gb18030" in err.message
    assert "王" not in err.message and "110101" not in err.message


def test_latin1_bytes_get_no_gbk_hint(tmp_path: Path) -> None:
    path = tmp_path / "payments.csv"
    path.write_bytes(f"{HEADER}\nP-1,Lé-1,2026-02-01,1.00\n".encode("latin-1"))
    err = _error(path)
    assert err.fields["line"] == 2 and "--encoding" not in err.message


def test_utf16_needs_a_byte_order_mark(tmp_path: Path) -> None:
    text = f"{HEADER}\r\nP-1,L-1,2026-02-01,1.00\r\nP-2,L-1,2026-02-01,2.00\r\n"
    path = tmp_path / "payments.csv"
    path.write_bytes(text.encode("utf-16"))  # with a BOM
    assert [line for line, _, _ in _rows(path, encoding="utf-16")] == [2, 3]
    path.write_bytes(text.encode("utf-16-le"))
    assert [line for line, _, _ in _rows(path, encoding="utf-16-le")] == [2, 3]
    with pytest.raises(InputError, match="byte-order mark"):
        _rows(path, encoding="utf-16")
    # A lone surrogate on line 3.
    path.write_bytes(codecs_bom() + text.encode("utf-16-le") + b"P\x00\x00\xd8")
    assert _error(path, encoding="utf-16").fields["line"] == 4


def codecs_bom() -> bytes:
    import codecs

    return codecs.BOM_UTF16_LE


@pytest.mark.parametrize("name", ["latin-1", "ascii", "shift_jis", "nope"])
def test_other_encodings_are_refused(name: str) -> None:
    with pytest.raises(InputError, match="--encoding") as err:
        resolve_encoding(name)
    assert err.value.exit_code == 2


def test_header_errors_never_show_a_cell(tmp_path: Path) -> None:
    path = tmp_path / "borrowers.csv"
    # No header row: the first line is a borrower.
    path.write_text("b-1,Ann Lee,QQ123456A,07911 123456,Europe/London,UK\n")
    err = _error(path, BORROWERS)
    assert err.fields["line"] == 1 and "not a header row" in err.message
    for value in ("Ann Lee", "QQ123456A", "07911"):
        assert value not in err.message
    path.write_text("borower_id,full_name,national_id,phone,timezone,jurisdiction\n")
    err = _error(path, BORROWERS)
    assert "header cell 1" in err.message and "did you mean 'borrower_id'" in err.message


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("payment.csv", "payment.csv: unknown file in the portfolio folder"),
        ("Borrowers.CSV", "did you mean borrowers.csv?"),
        ("loans.xlsx", "loans.xlsx: a spreadsheet cannot be imported"),
        ("notes.txt", "notes.txt: unknown file"),
    ],
)
def test_unknown_files_are_named(tmp_path: Path, name: str, expected: str) -> None:
    for stem in ("borrowers", "loans"):
        (tmp_path / f"{stem}.csv").write_text(",".join(SPECS[stem].required) + "\n")
    (tmp_path / name).write_bytes(b"x")
    with pytest.raises(InputError) as err:
        scan_folder(tmp_path)
    assert expected in err.value.message and err.value.fields["file"] == name
    if name.endswith(".xlsx"):
        assert "export it as CSV (UTF-8) to loans.csv" in err.value.message


def test_hidden_files_are_ignored_and_required_files_named(tmp_path: Path) -> None:
    (tmp_path / ".DS_Store").write_bytes(b"\x00")
    (tmp_path / "borrowers.csv").write_text(",".join(BORROWERS.required) + "\n")
    with pytest.raises(InputError) as err:
        scan_folder(tmp_path)
    assert err.value.message.startswith("loans.csv: required file is missing")
    (tmp_path / "loans.parquet").write_bytes(b"")
    assert set(scan_folder(tmp_path)) == {"borrowers", "loans"}
