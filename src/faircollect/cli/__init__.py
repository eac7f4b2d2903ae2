"""The `faircollect` command line: a thin face over the services.

Each command group lives in its own module under `faircollect.cli` and exposes
`register(app)`. Errors are mapped to exit codes here and nowhere else:
0 ok, 1 failure, 2 bad input.
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated

import click
import typer
from rich.console import Console

from faircollect.errors import FairCollectError

# Command modules, in the order their commands appear in --help.
COMMAND_MODULES = (
    "faircollect.cli.store",
    "faircollect.cli.portfolio",
    "faircollect.cli.demo",
    "faircollect.cli.apikeys",
    "faircollect.cli.dispatch",
    "faircollect.cli.cases",
    "faircollect.cli.templates",
    "faircollect.cli.audit",
    "faircollect.cli.cycle",
    "faircollect.cli.report",
    "faircollect.cli.consent",
    "faircollect.cli.keys",
    "faircollect.cli.subject",
    "faircollect.cli.retention",
    "faircollect.cli.policy",
    "faircollect.cli.serve",
)

err_console = Console(stderr=True)


def _root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL; overrides FAIRCOLLECT_DATABASE_URL."),
    ] = None,
) -> None:
    """FairCollect: lawful, privacy-preserving debt collection."""
    ctx.obj = {"db": db}


def build_app() -> typer.Typer:
    """The Typer application with every command group registered."""
    app = typer.Typer(
        name="faircollect",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        callback=_root,
    )
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    app = build_app()
    try:
        result = app(args=argv, standalone_mode=False)
    except FairCollectError as exc:
        err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False, markup=True)
        return exc.exit_code
    except click.exceptions.Abort:
        err_console.print("aborted")
        return 1
    except click.exceptions.ClickException as exc:
        exc.show()
        return 2 if isinstance(exc, click.UsageError) else exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    return result if isinstance(result, int) else 0


def run() -> None:  # pragma: no cover - console script shim
    sys.exit(main())
