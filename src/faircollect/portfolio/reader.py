"""Reading portfolio files (CSV or Parquet) row by row, with the file's own line numbers.

Line numbers are physical lines as an editor counts them (CRLF, LF and a lone CR each end a
line; the header is line 1), in every error: a cell inside a quoted multi-line record is
reported on the line it starts on, and a byte that does not decode is reported on the line
that holds it however the file is buffered. The file is decoded in blocks cut at line
ends, so a block always starts on a known line; UTF-16, whose line ends are not single
bytes, is decoded whole.

No error names a cell's value: the header of a file without one is a row of personal data.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from faircollect.errors import InputError, RowError


@dataclass(frozen=True, slots=True)
class FileSpec:
    """The columns a portfolio file must and may have."""

    stem: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def columns(self) -> frozenset[str]:
        return frozenset(self.required + self.optional)

    @property
    def ordered(self) -> tuple[str, ...]:
        return self.required + self.optional


SPECS: dict[str, FileSpec] = {
    spec.stem: spec
    for spec in (
        FileSpec(
            "borrowers",
            ("borrower_id", "full_name", "national_id", "phone", "timezone", "jurisdiction"),
            ("email", "locale", "flags", "opted_out_channels"),
        ),
        FileSpec("contacts", ("contact_id", "borrower_id", "name", "phone", "relation", "source")),
        FileSpec(
            "consents",
            ("consent_id", "borrower_id", "purpose", "granted_at"),
            ("contact_id", "expires_at", "withdrawn_at", "channel", "policy_version"),
        ),
        FileSpec(
            "loans",
            (
                "loan_id",
                "borrower_id",
                "principal",
                "currency",
                "annual_rate",
                "term_months",
                "disbursed_on",
                "first_due_on",
            ),
            ("schedule",),
        ),
        FileSpec("payments", ("payment_id", "loan_id", "paid_on", "amount")),
    )
}

# A portfolio is its borrowers and their loans; a lender may have no contacts, consents or
# payments to send (the summary says so).
REQUIRED_FILES: tuple[str, ...] = ("borrowers", "loans")
SUFFIXES: tuple[str, ...] = (".csv", ".parquet")
KNOWN_NAMES: tuple[str, ...] = tuple(f"{stem}{sfx}" for stem in SPECS for sfx in SUFFIXES)
SPREADSHEETS = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".numbers"})

# `--encoding` values: the canonical codec name each accepted spelling resolves to.
ENCODINGS: dict[str, str] = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "gb18030": "gb18030",
    "gbk": "gbk",
    "gb2312": "gbk",  # GBK extends GB2312: a GB2312 file reads the same as GBK
    "utf-16": "utf-16",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
}
DEFAULT_ENCODING = "utf-8"

# (line, cells, the line each cell starts on when the record spans several lines)
Row = tuple[int, dict[str, str], dict[str, int] | None]

_BLOCK = 1 << 20
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def resolve_encoding(name: str) -> str:
    """The codec for an `--encoding` value; InputError for anything but the accepted ones."""
    try:
        canonical = codecs.lookup(name.strip()).name
    except LookupError:
        canonical = ""
    if canonical not in ENCODINGS:
        raise InputError(
            f"--encoding {name!r} is not accepted (use utf-8, gb18030, gbk or utf-16)",
            field="encoding",
        )
    return ENCODINGS[canonical]


def scan_folder(directory: Path) -> dict[str, Path]:
    """The portfolio files of `directory` by stem; InputError naming any unknown file or a
    missing required one. Hidden entries (a leading dot, e.g. .DS_Store) are ignored."""
    if not directory.is_dir():
        raise InputError(f"{directory} is not a folder", file=str(directory))
    found: dict[str, Path] = {}
    unknown: list[Path] = []
    for entry in sorted(directory.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        if entry.name in KNOWN_NAMES and entry.is_file():
            stem = entry.stem
            if stem in found:
                raise InputError(
                    f"{directory}: both {stem}.csv and {stem}.parquet exist; keep one",
                    file=stem,
                )
            found[stem] = entry
        else:
            unknown.append(entry)
    if unknown:
        raise InputError(_unknown_entry(directory, unknown), file=unknown[0].name)
    for stem in REQUIRED_FILES:
        if stem not in found:
            raise InputError(
                f"{stem}.csv: required file is missing from {directory} (a portfolio needs "
                f"{' and '.join(f'{s}.csv' for s in REQUIRED_FILES)}; .parquet is accepted too)",
                file=f"{stem}.csv",
            )
    return found


def _unknown_entry(directory: Path, unknown: list[Path]) -> str:
    entry = unknown[0]
    more = f" (and {len(unknown) - 1} more unknown)" if len(unknown) > 1 else ""
    expected = f"expected only {', '.join(f'{s}.csv' for s in SPECS)} (or .parquet)"
    if entry.is_dir():
        return (
            f"{entry.name}: unexpected folder in the portfolio folder {directory}{more}; {expected}"
        )
    suffix = entry.suffix.lower()
    if suffix in SPREADSHEETS:
        stem = entry.stem.lower()
        target = f"{stem}.csv" if stem in SPECS else "one CSV file per sheet, named as in the spec"
        return (
            f"{entry.name}: a spreadsheet cannot be imported{more}; export it as CSV (UTF-8) "
            f"to {target}; {expected}"
        )
    guess = difflib.get_close_matches(entry.name.lower(), KNOWN_NAMES, n=1, cutoff=0.6)
    hint = f"; did you mean {guess[0]}?" if guess else ""
    return f"{entry.name}: unknown file in the portfolio folder {directory}{hint}{more}; {expected}"


def read_rows(path: Path, spec: FileSpec, encoding: str = DEFAULT_ENCODING) -> Iterator[Row]:
    """Yield (line, cells, cell lines) with blank cells dropped; line counts the header as 1."""
    if path.suffix == ".parquet":
        yield from _read_parquet(path, spec)
    else:
        yield from _read_csv(path, spec, encoding)


def _check_header(name: str, header: list[str], spec: FileSpec) -> None:
    """Columns named by position, never by text: a file without a header starts with data."""
    expected = f"expected {', '.join(spec.ordered)}"
    if header and not any(col in spec.columns for col in header):
        raise RowError(
            f"is not a header row: none of its cells names a column of {name} ({expected})",
            file=name,
            line=1,
        )
    seen: set[str] = set()
    for position, col in enumerate(header, start=1):
        if col not in spec.columns:
            guess = difflib.get_close_matches(col.lower(), spec.ordered, n=1, cutoff=0.75)
            hint = f"; did you mean {guess[0]!r}?" if guess else ""
            raise RowError(
                f"header cell {position} is not a column of {name}{hint} ({expected})",
                file=name,
                line=1,
            )
        if col in seen:  # a known column: naming it shows nothing personal
            raise RowError(f"column {col!r} appears twice", file=name, line=1, column=col)
        seen.add(col)
    for col in spec.required:
        if col not in seen:
            raise RowError(f"required column {col!r} is missing", file=name, line=1, column=col)


def _breaks(text: str) -> int:
    """Line ends in `text`: CRLF counts once, a lone CR or LF once each."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _physical_lines(fh: BinaryIO, encoding: str, name: str) -> Iterator[str]:
    """The file's lines, decoded, each with its line end (what csv.reader reads)."""
    if encoding.startswith("utf-16"):
        yield from _LINE.findall(_decode_whole(fh.read(), encoding, name))
        return
    line = 1  # the line the next block starts on
    pending = b""
    first = True
    while True:
        block = fh.read(_BLOCK)
        data = pending + block
        if block:
            cut = data.rfind(b"\n") + 1
            if cut == 0:  # no LF at all: cut after a CR that cannot be the first half of CRLF
                cut = data.rfind(b"\r", 0, len(data) - 1) + 1
            if cut == 0:
                pending = data
                continue
            head, pending = data[:cut], data[cut:]
        else:
            head, pending = data, b""
            if not head:
                return
        text = _decode_block(head, encoding, name, line)
        if first:
            text = text.removeprefix("\ufeff")
            first = False
        line += _breaks(text)
        yield from _LINE.findall(text)
        if not block:
            return


def _decode_block(head: bytes, encoding: str, name: str, line: int) -> str:
    # Line ends are single bytes that never occur inside a UTF-8, GBK or GB18030 character,
    # so a block cut after one decodes on its own and its first byte is on `line`.
    try:
        return head.decode(encoding)
    except UnicodeDecodeError as exc:
        bad = line + _breaks(head[: exc.start].decode(encoding))
        start = max(head.rfind(b"\n", 0, exc.start), head.rfind(b"\r", 0, exc.start)) + 1
        ends = [i for i in (head.find(b"\n", exc.start), head.find(b"\r", exc.start)) if i >= 0]
        raw = head[start : min(ends) if ends else len(head)]
        raise RowError(_undecodable(encoding, raw), file=name, line=bad) from None


def _decode_whole(data: bytes, encoding: str, name: str) -> str:
    if encoding == "utf-16" and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(
            f"{name}: a UTF-16 file must start with a byte-order mark; give --encoding "
            "utf-16-le or utf-16-be",
            file=name,
        )
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        bad = 1 + _breaks(data[: exc.start].decode(encoding, errors="replace"))
        raise RowError(_undecodable(encoding, b""), file=name, line=bad) from None
    return text.removeprefix("\ufeff")


def _undecodable(encoding: str, raw: bytes) -> str:
    """Why a line does not decode, and the encoding it looks like (never its bytes)."""
    label = {"utf-8": "UTF-8", "gbk": "GBK", "gb18030": "GB18030"}.get(encoding, encoding)
    reason = f"holds bytes that are not valid {label} (the file is read as {encoding})"
    if encoding != "gb18030" and _looks_like_gb(raw):
        return f"{reason}; it looks like GBK/GB18030 (Chinese Windows): try --encoding gb18030"
    if encoding != "utf-8" and _decodes(raw, "utf-8"):
        return f"{reason}; it looks like UTF-8: try --encoding utf-8"
    return reason


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _looks_like_gb(raw: bytes) -> bool:
    """Decodes as GB18030 and its non-ASCII text is mostly common Chinese (GB2312)."""
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        return False
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if not wide:
        return False
    common = sum(1 for ch in wide if _decodes_back(ch))
    return common >= 0.8 * len(wide)


def _decodes_back(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _read_csv(path: Path, spec: FileSpec, encoding: str) -> Iterator[Row]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {path.name}: {exc.strerror}", file=path.name) from exc
    name = path.name
    with fh:
        reader = csv.reader(_physical_lines(fh, encoding, name), strict=True)
        start = 1
        try:
            header = next(reader, None)
            if header is None:
                raise RowError("the file is empty (a header row is required)", file=name, line=1)
            header = [h.strip() for h in header]
            _check_header(name, header, spec)
            width = len(header)
            start = reader.line_num + 1
            for cells in reader:
                line = start
                start = reader.line_num + 1
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                if len(cells) != width:
                    raise RowError(
                        f"has {len(cells)} cells but the header has {width}", file=name, line=line
                    )
                lines = _cell_lines(header, cells, line) if start - line > 1 else None
                yield (
                    line,
                    {k: v.strip() for k, v in zip(header, cells, strict=True) if v.strip()},
                    lines,
                )
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise RowError(
                    "a quoted cell that starts in this record is never closed (a missing '\"')",
                    file=name,
                    line=start,
                ) from None
            raise RowError(
                f"is not valid CSV ({' '.join(str(exc).split())})", file=name, line=reader.line_num
            ) from None


def _cell_lines(header: list[str], cells: list[str], line: int) -> dict[str, int]:
    """The line each cell of a multi-line record starts on (quoted cells keep their breaks)."""
    out: dict[str, int] = {}
    for col, raw in zip(header, cells, strict=True):
        out[col] = line
        line += _breaks(raw)
    return out


def count_rows(path: Path) -> int:
    """About how many data rows a portfolio file holds, cheaply (a progress bar's total):
    a CSV's line breaks less its header, a Parquet file's row count from its metadata."""
    if path.suffix == ".parquet":
        import polars as pl

        try:
            return int(pl.scan_parquet(path).select(pl.len()).collect().item())
        except Exception:  # a broken file fails properly when it is read
            return 0
    breaks, last = 0, b"\n"
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            breaks += block.count(b"\n")
            last = block[-1:]
    return max(0, breaks + (last != b"\n") - 1)


def _read_parquet(path: Path, spec: FileSpec) -> Iterator[Row]:
    import polars as pl

    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several kinds for a broken file
        raise InputError(f"cannot read {path.name} as Parquet", file=path.name) from exc
    _check_header(path.name, list(frame.columns), spec)
    frame = frame.select(pl.all().cast(pl.Utf8))
    for index, row in enumerate(frame.iter_rows(named=True)):
        # A Parquet file has no lines; row N is reported as line N + 1 (the header is line 1).
        yield (
            index + 2,
            {k: v.strip() for k, v in row.items() if v is not None and v.strip()},
            None,
        )
