"""`faircollect keys ...`: master key rotation and the state of key custody."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from faircollect.cli._context import app_for

console = Console()


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Key custody: rotate the master key, show status.",
                        no_args_is_help=True)
    group.command("rotate")(rotate)
    group.command("status")(status)
    app.add_typer(group, name="keys")


def rotate(
    ctx: typer.Context,
    keep_old: Annotated[bool, typer.Option("--keep-old", help="Keep old master keys after rewrapping.")] = False,
) -> None:
    """Make a new master key current, rewrap every data key, retire the old master keys."""
    from faircollect.access.rotation import rotate_master_key

    fc = app_for(ctx)
    r = rotate_master_key(fc.app.store, fc.app.keys, fc.app.vault, actor=fc.actor,
                          retire_old=not keep_old)
    console.print(f"new master key {r.new_master}; {r.rewrapped:,} data keys rewrapped; "
                  f"retired: {', '.join(r.retired) or 'none'}", highlight=False)
    if r.kept:
        console.print(f"still in use, kept until the next rotation: {', '.join(r.kept)}")


def status(ctx: typer.Context) -> None:
    """Current master key, data keys per master, shredded keys, signing key fingerprints."""
    from faircollect.access.rotation import key_status
    from faircollect.consent.receipt import SIGNING_KEY_NAME, key_id

    fc = app_for(ctx)
    st = key_status(fc.app.store, fc.app.keys)
    table = Table(title="master keys")
    table.add_column("master")
    table.add_column("data keys", justify="right")
    table.add_column("")
    for m, n in sorted(st.masters.items()):
        table.add_row(m, f"{n:,}", "current" if m == st.current else "")
    console.print(table)
    console.print(f"crypto-shredded data keys: {st.destroyed:,}")
    consent_key = fc.app.keys.signing_key(SIGNING_KEY_NAME).public_key()
    console.print(f"consent receipt signing key: {key_id(consent_key)}", highlight=False)
