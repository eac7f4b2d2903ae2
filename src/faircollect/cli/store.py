"""`faircollect db ...`: the store's own commands."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    db = typer.Typer(help="The database: migrations and status.", no_args_is_help=True)
    app.add_typer(db, name="db")
