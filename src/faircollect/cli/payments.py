"""`faircollect payments import FILE`: post a day's payments (payments.csv's columns)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from faircollect.cli._context import app_for
from faircollect.cli._output import JsonOption, emit


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Payments received.", no_args_is_help=True)
    group.command("import")(import_command)
    app.add_typer(group, name="payments")


def import_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV (or Parquet): payment_id, loan_id, paid_on, "
                                              "amount.")],
    as_json: JsonOption = False,
) -> None:
    """Post the file's payments in one transaction; ids already posted with the same content
    change nothing, with other content the whole file is refused."""
    from faircollect.portfolio.payments import post_payments, read_payments_file

    fc = app_for(ctx)
    posted = post_payments(fc.app, read_payments_file(file), actor=fc.actor)
    created = sum(1 for p in posted if p.created)
    if as_json:
        emit({"payments": len(posted), "created": created, "unchanged": len(posted) - created})
        return
    Console().print(f"payments: {created:,} created, {len(posted) - created:,} unchanged",
                    markup=False, highlight=False)
