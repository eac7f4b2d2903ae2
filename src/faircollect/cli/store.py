"""`faircollect db ...`: the store's own commands."""

from __future__ import annotations

import typer
from rich.console import Console

from faircollect.cli._context import settings
from faircollect.cli._output import JsonOption, emit
from faircollect.config import mask_url


def register(app: typer.Typer) -> None:
    db = typer.Typer(help="The database: migrations and status.", no_args_is_help=True)
    db.command("upgrade")(upgrade_command)
    db.command("status")(status_command)
    app.add_typer(db, name="db")


def upgrade_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Apply every pending migration (also done on first use of any command)."""
    from faircollect.store.engine import make_engine
    from faircollect.store.migrate import head_revision, upgrade

    s = settings(ctx)
    engine = make_engine(s)
    try:
        applied = upgrade(engine)
    finally:
        engine.dispose()
    if as_json:
        emit({"database": mask_url(s.database_url.value), "upgraded": bool(applied),
              "revision": head_revision()})
        return
    word = "upgraded to" if applied else "already at"
    Console().print(f"{mask_url(s.database_url.value)}: {word} revision {head_revision()}")


def status_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show the database, its revision and the newest revision this version knows."""
    from faircollect.store.engine import make_engine
    from faircollect.store.migrate import current_revision, head_revision

    s = settings(ctx)
    engine = make_engine(s)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    if as_json:
        emit({"database": mask_url(s.database_url.value), "revision": current,
              "newest": head_revision()})
        return
    Console().print(
        f"database: {mask_url(s.database_url.value)}\nrevision: {current or 'empty'}\n"
        f"newest:   {head_revision()}"
    )
