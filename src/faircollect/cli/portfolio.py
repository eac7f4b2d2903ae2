"""`faircollect import DIR` and `faircollect generate DIR`: portfolios in and out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from faircollect.cli._context import app_for
from faircollect.cli._output import JsonOption, QuietOption, emit, progress
from faircollect.cli._values import parse_day
from faircollect.errors import InputError


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.command("generate")(generate_command)


def import_command(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Folder of portfolio CSV or Parquet files.")],
    quiet: QuietOption = False,
    encoding: Annotated[
        str,
        typer.Option(
            "--encoding",
            help="Encoding of the CSV files: utf-8 (default; a BOM is allowed), gb18030, gbk "
            "or utf-16.",
        ),
    ] = "utf-8",
    as_json: JsonOption = False,
) -> None:
    """Import a portfolio folder: all or nothing, encrypted, idempotent, audited."""
    from faircollect.portfolio.importer import import_portfolio
    from faircollect.portfolio.reader import count_rows, resolve_encoding, scan_folder

    # A bad value or folder fails before the store (and a first run's keyring) is made.
    codec = resolve_encoding(encoding)
    files = scan_folder(directory)
    fc = app_for(ctx)
    with progress("reading", quiet=quiet, unit="rows") as bar:
        # Every row is read once and written once: the bar counts half a row for each pass.
        rows = sum(count_rows(path) for path in files.values()) if bar.drawn else 0
        passes = 0
        bar(0, rows)

        def tick(stage: str, n: int) -> None:
            nonlocal passes
            passes += n
            bar.stage(stage if stage.startswith("write") else f"read {stage}")
            bar(passes // 2, rows)

        report = import_portfolio(fc.app, directory, actor=fc.actor, progress=tick, encoding=codec)
    if as_json:
        emit({"run_id": report.run_id, "counts": report.counts, "absent": report.absent,
              "phone_unverified": report.phone_unverified})
        return
    table = Table(title=f"import {report.run_id}")
    for col in ("records", "created", "updated", "unchanged"):
        table.add_column(col, justify="right" if col != "records" else "left")
    for kind, c in report.counts.items():
        table.add_row(kind, f"{c['created']:,}", f"{c['updated']:,}", f"{c['unchanged']:,}")
    out = Console()
    out.print(table)
    for name in report.absent:
        what = name.removesuffix(".csv")
        out.print(f"{name}: not present, 0 {what} imported", markup=False, highlight=False)
    for kind, n in report.phone_unverified.items():
        if n:
            out.print(
                f"{kind}: {n:,} phone number{'s' if n != 1 else ''} not in the numbering plan, "
                "imported and flagged phone_unverified",
                markup=False,
                highlight=False,
            )


def generate_command(
    directory: Annotated[Path, typer.Argument(help="Folder to write the portfolio into.")],
    borrowers: Annotated[int, typer.Option(help="How many borrowers.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same files.")] = 7,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Portfolio date (ISO).")] = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Write a synthetic portfolio in the import format (made-up people only)."""
    from dataclasses import asdict

    from faircollect.portfolio.generator import generate_portfolio

    if borrowers < 1:
        raise InputError("--borrowers must be at least 1", field="borrowers")
    day = parse_day(as_of, "--as-of") if as_of else None
    with progress("generating", quiet=quiet, unit="borrowers") as bar:
        counts = generate_portfolio(directory, borrowers=borrowers, seed=seed, as_of=day,
                                    on_progress=bar)
    if as_json:
        emit({"directory": str(directory), **asdict(counts)})
        return
    Console().print(f"wrote {counts} to {directory}")
