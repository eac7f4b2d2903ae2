"""`faircollect keys ...`: master key rotation and the state of key custody."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from faircollect.cli._context import app_for
from faircollect.cli._output import JsonOption, QuietOption, emit, progress

console = Console(soft_wrap=True)  # sentences stay one line whatever the width


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Key custody: rotate the master key, show status.",
                        no_args_is_help=True)
    group.command("rotate")(rotate)
    group.command("status")(status)
    group.command("shred")(shred)
    app.add_typer(group, name="keys")


def rotate(
    ctx: typer.Context,
    keep_old: Annotated[bool, typer.Option("--keep-old", help="Keep old master keys after rewrapping.")] = False,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Make a new master key current, rewrap every data key, retire the old master keys."""
    from faircollect.access.rotation import rotate_master_key

    fc = app_for(ctx)
    with progress("rewrapping", quiet=quiet, unit="data keys") as bar:
        r = rotate_master_key(fc.app.store, fc.app.keys, fc.app.vault, actor=fc.actor,
                              retire_old=not keep_old, on_progress=bar if bar.drawn else None)
    if as_json:
        emit({"new_master": r.new_master, "rewrapped": r.rewrapped, "retired": list(r.retired),
              "kept": list(r.kept)})
        return
    console.print(f"new master key {r.new_master}; {r.rewrapped:,} data keys rewrapped; "
                  f"retired: {', '.join(r.retired) or 'none'}", highlight=False)
    if r.kept:
        console.print(f"still in use, kept until the next rotation: {', '.join(r.kept)}")


def shred(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option(
        "--force", help="Start a new key epoch even when no erasure awaits one.")] = False,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Make erased data unreadable in every older copy: new master, rewrap, destroy old ones."""
    from faircollect.access.shredding import shred_erased

    fc = app_for(ctx)
    with progress("rewrapping", quiet=quiet, unit="data keys") as bar:
        done = shred_erased(fc.app.store, fc.app.keys, fc.app.vault, actor=fc.actor,
                            force=force, on_progress=bar if bar.drawn else None)
    if as_json:
        emit({"shredded": done.shredded, "new_master": done.new_master,
              "rewrapped": done.rewrapped, "destroyed": list(done.retired)})
        return
    if done.new_master is None:
        console.print("no erasure awaits the shred step; nothing to do", highlight=False,
                      soft_wrap=True)
        return
    console.print(f"{done.shredded:,} erased data key(s) no longer open from any older copy; "
                  f"new master key {done.new_master}; {done.rewrapped:,} data keys rewrapped; "
                  f"destroyed: {', '.join(done.retired) or 'none'}", highlight=False,
                  soft_wrap=True)


def status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Current master key, data keys per master, shredded keys, signing key fingerprints."""
    from faircollect.access.rotation import key_status
    from faircollect.access.shredding import pending_shred
    from faircollect.consent.receipt import SIGNING_KEY_NAME, key_id

    fc = app_for(ctx)
    st = key_status(fc.app.store, fc.app.keys)
    if as_json:
        consent_key = fc.app.keys.signing_key(SIGNING_KEY_NAME).public_key()
        emit({"current": st.current, "masters": dict(sorted(st.masters.items())),
              "destroyed": st.destroyed, "awaiting_shred": pending_shred(fc.app.store),
              "consent_receipt_key": key_id(consent_key)})
        return
    table = Table(title="master keys")
    table.add_column("master")
    table.add_column("data keys", justify="right")
    table.add_column("")
    for m, n in sorted(st.masters.items()):
        table.add_row(m, f"{n:,}", "current" if m == st.current else "")
    console.print(table)
    console.print(f"crypto-shredded data keys: {st.destroyed:,}")
    waiting = pending_shred(fc.app.store)
    console.print(f"erased, awaiting the shred step (older copies still open): {waiting:,}",
                  highlight=False, soft_wrap=True)
    consent_key = fc.app.keys.signing_key(SIGNING_KEY_NAME).public_key()
    console.print(f"consent receipt signing key: {key_id(consent_key)}", highlight=False)
