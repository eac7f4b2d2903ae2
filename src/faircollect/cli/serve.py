"""`faircollect serve`: run the HTTP API."""

from __future__ import annotations

from typing import Annotated

import typer


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Serve the HTTP API (POST /v1/policy/decisions, ...)."""
    import uvicorn

    uvicorn.run("faircollect.api.app:create_app", factory=True, host=host, port=port)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
