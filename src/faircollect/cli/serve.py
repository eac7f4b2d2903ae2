"""`faircollect serve`: run the HTTP API."""

from __future__ import annotations

from typing import Annotated, Any

import typer

# uvicorn's own access log prints raw paths (which hold borrower ids), so it is off; the
# API's JSON access log (faircollect.api.access_log) goes to stderr instead, one object a line.
LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(message)s"},
                   "default": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "access": {"class": "logging.StreamHandler", "formatter": "plain",
                   "stream": "ext://sys.stderr"},
        "default": {"class": "logging.StreamHandler", "formatter": "default",
                    "stream": "ext://sys.stderr"},
    },
    "loggers": {
        "faircollect.api.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"handlers": ["default"], "level": "INFO", "propagate": False},
    },
}


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Serve the HTTP API (POST /v1/policy/decisions, ...), the staff console (/console), the
    borrower portal (/portal) and the contact-person page (/contact); JSON access logs on
    stderr."""
    import uvicorn

    uvicorn.run("faircollect.api.app:create_app", factory=True, host=host, port=port,
                access_log=False, log_config=LOG_CONFIG)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
