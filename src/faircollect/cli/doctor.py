"""`faircollect doctor`: check the installation without changing anything."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from faircollect.cli._context import settings


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor_command)


def doctor_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per check.")] = False,
) -> None:
    """Check database, migrations, keyring, signing keys, native audit code and channel."""
    from faircollect.doctor import run_checks

    checks = run_checks(settings(ctx))
    for c in checks:
        line = json.dumps(c.to_dict()) if as_json else f"{c.status:<4} {c.check}: {c.detail}"
        sys.stdout.write(" ".join(line.split()) + "\n")
    if not all(c.ok for c in checks):
        raise typer.Exit(1)
