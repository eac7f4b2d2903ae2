"""The `faircollect` command line: a thin face over the services.

Each command group lives in its own module under `faircollect.cli` and exposes
`register(app)`. Errors are mapped to exit codes here and nowhere else:
0 ok, 1 failure, 2 bad input or bad usage.

Usage errors (an unknown command or option, a missing argument, a bad option value) print
the usage line, a hint and one `error:` line on standard error, and exit 2. `-h`/`--help`
print help and exit 0, `--version` prints the version and exits 0. A bare `faircollect` (or
a bare command group such as `faircollect templates`) prints its help and exits 2: it names
no command, so a script that ran it by mistake fails. No traceback is
shown unless `--debug` is given (or FAIRCOLLECT_DEBUG=1); then it precedes the error line.
Messages are printed as text, never read as Rich markup.

Typer (0.29 and later) carries its own copy of Click, so the Click exceptions it raises are
not `click`'s: they are caught here through Typer's public names (`typer.TyperException`,
`typer.Exit`, `typer.Abort`).
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from faircollect import __version__
from faircollect.errors import FairCollectError

# Command modules, in the order their commands appear in --help.
COMMAND_MODULES = (
    "faircollect.cli.store",
    "faircollect.cli.portfolio",
    "faircollect.cli.payments",
    "faircollect.cli.demo",
    "faircollect.cli.apikeys",
    "faircollect.cli.dispatch",
    "faircollect.cli.cases",
    "faircollect.cli.templates",
    "faircollect.cli.audit",
    "faircollect.cli.cycle",
    "faircollect.cli.report",
    "faircollect.cli.consent",
    "faircollect.cli.governance",
    "faircollect.cli.keys",
    "faircollect.cli.subject",
    "faircollect.cli.retention",
    "faircollect.cli.policy",
    "faircollect.cli.share",
    "faircollect.cli.risk",
    "faircollect.cli.serve",
    "faircollect.cli.doctor",
    "faircollect.cli.web",
)

err_console = Console(stderr=True)

# Both spellings work at every level: `faircollect -h`, `faircollect templates lint -h`.
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"faircollect {__version__}\n")
        raise typer.Exit(0)


def _root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL; overrides FAIRCOLLECT_DATABASE_URL."),
    ] = None,
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Show the Python traceback with any error."),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", is_eager=True,
                     callback=_print_version),
    ] = False,
) -> None:
    """FairCollect: lawful, privacy-preserving debt collection."""
    ctx.obj = {"db": db, "debug": debug}


def build_app() -> typer.Typer:
    """The Typer application with every command group registered."""
    app = typer.Typer(
        name="faircollect",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings=CONTEXT_SETTINGS,
        callback=_root,
    )
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


def _wants_debug(args: list[str]) -> bool:
    """--debug anywhere before a `--` (usage errors can come before the option is parsed)."""
    if os.environ.get("FAIRCOLLECT_DEBUG", "").strip() not in ("", "0"):
        return True
    head = args[: args.index("--")] if "--" in args else args
    return "--debug" in head


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _context_for(app: typer.Typer, args: list[str]) -> Any:
    """A context for the command the arguments name, for errors the parser raised without one
    (an option missing its value): follow the command names from the root."""
    cmd: Any = typer.main.get_command(app)
    ctx: Any = cmd.context_class(cmd, info_name="faircollect", **CONTEXT_SETTINGS)
    for token in args:
        if token == "--":
            break
        sub = cmd.get_command(ctx, token) if hasattr(cmd, "get_command") else None
        if sub is not None:
            cmd = sub
            ctx = cmd.context_class(cmd, info_name=token, parent=ctx)
    return ctx


def _show_usage_error(exc: typer.TyperException, app: typer.Typer, args: list[str]) -> None:
    """Usage, a hint and one error line, as plain text (no markup, no colour codes)."""
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        try:
            ctx = _context_for(app, args)
        except Exception:  # the usage line is a courtesy; the error line must still be shown
            ctx = None
    lines: list[str] = []
    if ctx is not None:
        lines.append(ctx.get_usage())
        names = getattr(ctx, "help_option_names", None) or ["--help"]
        lines.append(f"Try '{ctx.command_path} {names[0]}' for help.")
    lines.append(f"error: {_one_line(exc.format_message())}")
    sys.stderr.write("\n".join(lines) + "\n")


PIPED_WIDTH = "10000"


@contextmanager
def _unbounded_width_when_piped(argv: list[str]) -> Iterator[None]:
    """Piped output is for programs: never wrap or truncate a table to 80 columns.

    Rich reads COLUMNS whenever it measures, so this covers every console of the CLI; a
    terminal keeps its own width, and a COLUMNS the user set is left alone. Help is for
    people (`--help | less`): its panels would be padded to the whole width, so it keeps
    the default.
    """
    if "COLUMNS" in os.environ or sys.stdout.isatty() or {"--help", "-h"} & set(argv):
        yield
        return
    os.environ["COLUMNS"] = PIPED_WIDTH
    try:
        yield
    finally:
        os.environ.pop("COLUMNS", None)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    with _unbounded_width_when_piped(list(sys.argv[1:] if argv is None else argv)):
        return _main(argv)


def _main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = _wants_debug(args)
    app = build_app()
    try:
        result = app(args=args, prog_name="faircollect", standalone_mode=False)
    except FairCollectError as exc:
        if debug:
            traceback.print_exc()
        # One line, whatever the terminal's width: scripts grep it, people read it whole.
        err_console.print(f"[bold red]error:[/] {escape(_one_line(exc.message))}",
                          highlight=False, soft_wrap=True)
        return exc.exit_code
    except typer.Abort:
        if debug:
            traceback.print_exc()
        sys.stderr.write("aborted\n")
        return 1
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:
        if debug:
            traceback.print_exc()
        if type(exc).__name__ == "NoArgsIsHelpError":
            # No command named. Typer's Rich help has already printed itself (standard
            # output) while the error was built; plain help comes back as the message.
            text = exc.format_message().strip("\n")
            if text.strip():
                sys.stdout.write(text + "\n")
            return 2
        if getattr(exc, "ctx", None) is not None or exc.exit_code == 2:
            _show_usage_error(exc, app, args)
            return 2
        sys.stderr.write(f"error: {_one_line(exc.format_message())}\n")
        return exc.exit_code
    return result if isinstance(result, int) else 0


def run() -> None:  # pragma: no cover - console script shim
    sys.exit(main())
