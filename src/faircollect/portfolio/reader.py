"""Reading portfolio files (CSV or Parquet) row by row, with the file's own line numbers."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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

Row = tuple[int, dict[str, str]]


def locate(directory: Path, stem: str) -> Path | None:
    """The file for `stem` in the folder: `stem.csv` or `stem.parquet`, or None."""
    found = [p for p in (directory / f"{stem}.csv", directory / f"{stem}.parquet") if p.exists()]
    if len(found) > 1:
        raise InputError(
            f"{directory}: both {stem}.csv and {stem}.parquet exist; keep one", file=stem
        )
    return found[0] if found else None


def read_rows(path: Path, spec: FileSpec) -> Iterator[Row]:
    """Yield (line, row) with blank cells dropped; line counts the header as 1."""
    if path.suffix == ".parquet":
        yield from _read_parquet(path, spec)
    else:
        yield from _read_csv(path, spec)


def _check_header(name: str, header: list[str], spec: FileSpec) -> None:
    seen: set[str] = set()
    for col in header:
        if col in seen:
            raise RowError(f"column {col!r} appears twice", file=name, line=1, column=col)
        seen.add(col)
        if col not in spec.columns:
            raise RowError(
                f"unknown column {col!r} (expected {', '.join(sorted(spec.columns))})",
                file=name,
                line=1,
                column=col,
            )
    for col in spec.required:
        if col not in seen:
            raise RowError(f"required column {col!r} is missing", file=name, line=1, column=col)


def _read_csv(path: Path, spec: FileSpec) -> Iterator[Row]:
    try:
        fh = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read {path.name}: {exc.strerror}", file=path.name) from exc
    with fh:
        reader = csv.reader(fh, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                raise RowError(
                    "the file is empty (a header row is required)", file=path.name, line=1
                )
            header = [h.strip() for h in header]
            _check_header(path.name, header, spec)
            width = len(header)
            start = reader.line_num + 1
            for cells in reader:
                line = start
                start = reader.line_num + 1
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                if len(cells) != width:
                    raise RowError(
                        f"has {len(cells)} cells but the header has {width}",
                        file=path.name,
                        line=line,
                    )
                yield line, {k: v.strip() for k, v in zip(header, cells, strict=True) if v.strip()}
        except UnicodeDecodeError as exc:
            raise RowError("is not valid UTF-8", file=path.name, line=reader.line_num + 1) from exc
        except csv.Error as exc:
            raise RowError(
                f"is not valid CSV ({exc})", file=path.name, line=reader.line_num
            ) from exc


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
        yield index + 2, {k: v.strip() for k, v in row.items() if v is not None and v.strip()}
