"""`faircollect retention ...`: erase what the retention policy says is due; list address books."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from faircollect.cli._context import app_for
from faircollect.cli._output import JsonOption, QuietOption, emit, emit_lines, progress
from faircollect.cli._values import parse_day

console = Console()


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Retention: periods per record kind, shredding what is due.",
                        no_args_is_help=True)
    group.command("run")(run)
    group.command("address-book")(address_book)
    app.add_typer(group, name="retention")


def run(
    ctx: typer.Context,
    as_of: Annotated[str, typer.Option("--as-of", help="The day to apply the policy on (ISO).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what is due; erase nothing.")] = False,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Erase (crypto-shred) every borrower whose retention period has ended by --as-of.

    --json: one borrower a line, `erased` saying whether this run erased them."""
    from faircollect.retention.run import run_retention

    fc = app_for(ctx)
    day = parse_day(as_of, "--as-of")
    with progress("erasing", quiet=quiet, unit="borrowers") as bar:
        done = run_retention(fc.app.store, fc.app.vault, actor=fc.actor, as_of=day,
                             dry_run=dry_run, on_progress=bar)
    # With --json the shred step's line goes to standard error, not among the JSON lines.
    say = Console(stderr=True) if as_json else console
    if as_json:
        emit_lines({"borrower_id": d.borrower_id, "jurisdiction": d.jurisdiction,
                    "last_activity": d.last_activity.isoformat(), "due_on": d.due_on.isoformat(),
                    "erased": not dry_run} for d in done)
    else:
        table = Table(title=("due" if dry_run else "erased") + f" as of {as_of}")
        for col in ("borrower", "jurisdiction", "last activity", "due on"):
            table.add_column(col)
        for d in done:
            table.add_row(d.borrower_id, d.jurisdiction, d.last_activity.isoformat(),
                          d.due_on.isoformat())
        console.print(table)
        console.print(f"{len(done)} borrower(s) {'due' if dry_run else 'erased'}")
    if done and not dry_run:
        from faircollect.cycle import shred_after_erasures

        # Erasures in bulk: shred now rather than wait for the next daily cycle.
        shred_after_erasures(fc.app, fc.actor,
                             lambda line: say.print(line, highlight=False, soft_wrap=True))


def address_book(
    ctx: typer.Context,
    delete: Annotated[bool, typer.Option("--delete", help="Delete them (crypto-shred and remove the rows; audited).")] = False,
    as_json: JsonOption = False,
) -> None:
    """Address-book contacts to delete (ids only: they are never decrypted); --delete deletes them."""
    from faircollect.retention.run import address_book_contacts, delete_address_book

    fc = app_for(ctx)
    if delete:
        n = delete_address_book(fc.app.store, actor=fc.actor)
        if as_json:
            emit({"deleted": n})
            return
        console.print(f"deleted {n} address-book contact(s)", highlight=False)
        return
    with fc.app.store.read() as conn:
        rows = address_book_contacts(conn)
    if as_json:
        emit_lines({"contact_id": r.contact_id, "borrower_id": r.borrower_id,
                    "created_at": r.created_at.isoformat()} for r in rows)
        return
    for r in rows:
        typer.echo(f"{r.contact_id}\t{r.borrower_id}\t{r.created_at.isoformat()}")
    console.print(f"{len(rows)} address-book contact(s) to delete", style="dim")
