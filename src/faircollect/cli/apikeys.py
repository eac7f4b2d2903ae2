"""`faircollect api-key create | list | revoke`: keys for the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from faircollect.cli._context import settings
from faircollect.cli._output import JsonOption, emit, emit_lines
from faircollect.errors import InputError


def register(app: typer.Typer) -> None:
    keys = typer.Typer(help="API keys for `faircollect serve`.", no_args_is_help=True)
    keys.command("create")(create_command)
    keys.command("list")(list_command)
    keys.command("revoke")(revoke_command)
    app.add_typer(keys, name="api-key")


def _expiry(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"--expires {text!r} is not an ISO 8601 time with an offset",
                         field="expires") from None


def create_command(
    ctx: typer.Context,
    actor: Annotated[str, typer.Option(help="Who the key acts as (staff id or portal user).")],
    role: Annotated[
        str, typer.Option(help="collector, supervisor, compliance, auditor, admin, legal or borrower.")
    ],
    borrower: Annotated[
        str | None, typer.Option(help="For a borrower key: the borrower id.")
    ] = None,
    scope: Annotated[
        list[str] | None,
        typer.Option(help="A scope (repeatable): decide (policy decisions), payments (post "
                          "payments)."),
    ] = None,
    expires: Annotated[
        str | None, typer.Option(help="Expiry, ISO 8601 with offset (2027-01-01T00:00:00Z).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Create an API key; it is printed once and only its hash is kept."""
    from faircollect.api.auth import issue_key, key_id_of

    when = _expiry(expires)
    key = issue_key(settings(ctx).home, actor_id=actor, role=role, borrower_id=borrower,
                    scopes=tuple(scope or ()), expires_at=when)
    if as_json:
        # The key itself, as the text view prints it (shown once), and what it may do.
        emit({"key": key, "id": key_id_of(settings(ctx).home, key), "actor": actor,
              "role": role, "borrower": borrower,
              "scopes": list(scope or ()), "expires": when.isoformat() if when else None})
        return
    Console().print(key, highlight=False)


def list_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List keys: id, actor, role, scopes, created, expiry (never a secret or hash)."""
    from faircollect.api.auth import list_keys

    if as_json:
        emit_lines({"id": k.key_id, "actor": k.actor_id, "role": k.role,
                    "borrower": k.borrower_id, "scopes": list(k.scopes),
                    "created": k.created_at, "expires": k.expires_at}
                   for k in list_keys(settings(ctx).home))
        return
    table = Table("id", "actor", "role", "borrower", "scopes", "created", "expires")
    for k in list_keys(settings(ctx).home):
        table.add_row(k.key_id, k.actor_id, k.role, k.borrower_id or "", ",".join(k.scopes),
                      k.created_at or "", k.expires_at or "")
    Console(width=200).print(table, markup=False, highlight=False)


def revoke_command(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="The key's id, as `api-key list` shows it.")],
    as_json: JsonOption = False,
) -> None:
    """Revoke a key: requests with it are refused from now on."""
    from faircollect.api.auth import revoke_key

    revoke_key(settings(ctx).home, key_id)
    if as_json:
        emit({"id": key_id, "revoked": True})
        return
    Console().print(f"revoked {key_id}", markup=False, highlight=False)
