"""`faircollect api-key create`: issue a key for the HTTP API."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from faircollect.cli._context import settings


def register(app: typer.Typer) -> None:
    keys = typer.Typer(help="API keys for `faircollect serve`.", no_args_is_help=True)
    keys.command("create")(create_command)
    app.add_typer(keys, name="api-key")


def create_command(
    ctx: typer.Context,
    actor: Annotated[str, typer.Option(help="Who the key acts as (staff id or portal user).")],
    role: Annotated[
        str, typer.Option(help="collector, supervisor, compliance, auditor, admin or borrower.")
    ],
    borrower: Annotated[
        str | None, typer.Option(help="For a borrower key: the borrower id.")
    ] = None,
) -> None:
    """Create an API key; it is printed once and only its hash is kept."""
    from faircollect.api.auth import issue_key

    key = issue_key(settings(ctx).home, actor_id=actor, role=role, borrower_id=borrower)
    Console().print(key, highlight=False)
