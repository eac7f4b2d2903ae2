"""`faircollect subject ...`: data-subject rights, export and erasure."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from faircollect.cli._context import app_for
from faircollect.cli._output import JsonOption, emit
from faircollect.cli._privacy import write_json
from faircollect.errors import InputError

console = Console(stderr=True)

Role = Annotated[str, typer.Option("--role", help="Your role: compliance, or borrower for self-service.")]


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Data-subject rights: export and erase.", no_args_is_help=True)
    group.command("export")(export)
    group.command("erase")(erase)
    app.add_typer(group, name="subject")


def export(
    ctx: typer.Context,
    borrower_id: Annotated[str, typer.Argument(help="Borrower id.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file.")] = None,
    role: Role = "compliance",
    as_json: JsonOption = False,
) -> None:
    """Everything held on a borrower as JSON, decrypted through the access guard (audited).

    --json: the document on one line (with --out, `{"path": ...}`)."""
    from faircollect.access.guard import Actor, Guard
    from faircollect.subject.export import export_subject

    fc = app_for(ctx)
    actor = Actor(fc.actor, role, borrower_id if role == "borrower" else None)
    doc = export_subject(Guard(fc.app.store, fc.app.vault), actor, borrower_id)
    write_json(doc, out, as_json=as_json)


def erase(
    ctx: typer.Context,
    borrower_id: Annotated[str, typer.Argument(help="Borrower id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Erase a borrower by crypto-shredding; tokens and amounts the law requires stay."""
    from faircollect.access.shredding import SHRED_WINDOW
    from faircollect.subject.erase import erase_subject

    if not yes:
        raise InputError("erasure cannot be undone; add --yes to confirm", field="yes")
    fc = app_for(ctx)
    e = erase_subject(fc.app.store, fc.app.vault, actor=fc.actor, borrower_id=borrower_id)
    if as_json:
        emit({"borrower_id": e.borrower_id, "key_destroyed": e.key_destroyed,
              "contacts_cleared": e.contacts_cleared})
    console.print(f"erased {e.borrower_id}: data key destroyed={e.key_destroyed}, "
                  f"{e.contacts_cleared} contact(s) cleared", highlight=False)
    console.print(f"copies of the database made before now (backups, dumps, WAL) can still be "
                  f"opened with the current master key {SHRED_WINDOW}", highlight=False,
                  soft_wrap=True)
