"""`faircollect import DIR` and `faircollect generate DIR`: portfolios in and out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from faircollect.cli._context import app_for
from faircollect.cli._values import parse_day
from faircollect.errors import InputError

console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.command("generate")(generate_command)


def import_command(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Folder of portfolio CSV or Parquet files.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    encoding: Annotated[
        str,
        typer.Option(
            "--encoding",
            help="Encoding of the CSV files: utf-8 (default; a BOM is allowed), gb18030, gbk "
            "or utf-16.",
        ),
    ] = "utf-8",
) -> None:
    """Import a portfolio folder: all or nothing, encrypted, idempotent, audited."""
    from faircollect.portfolio.importer import import_portfolio
    from faircollect.portfolio.reader import resolve_encoding, scan_folder

    # A bad value or folder fails before the store (and a first run's keyring) is made.
    codec = resolve_encoding(encoding)
    scan_folder(directory)
    fc = app_for(ctx)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task("reading", total=None)

        def tick(stage: str, rows: int) -> None:
            bar.update(task, description=stage, advance=rows)

        report = import_portfolio(fc.app, directory, actor=fc.actor, progress=tick, encoding=codec)
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
) -> None:
    """Write a synthetic portfolio in the import format (made-up people only)."""
    from faircollect.portfolio.generator import generate_portfolio

    if borrowers < 1:
        raise InputError("--borrowers must be at least 1", field="borrowers")
    day = parse_day(as_of, "--as-of") if as_of else None
    counts = generate_portfolio(directory, borrowers=borrowers, seed=seed, as_of=day)
    Console().print(f"wrote {counts} to {directory}")
