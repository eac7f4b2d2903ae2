"""`faircollect templates ...`: lint message templates and run the maker-checker registry."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer

from faircollect.errors import InputError


def register(app: typer.Typer) -> None:
    """Add the `templates` command group."""
    templates = typer.Typer(help="Message templates: lint, author, review, approve.",
                            no_args_is_help=True)
    templates.command("lint")(lint_command)
    app.add_typer(templates, name="templates")


def lint_command(
    file: Annotated[str, typer.Argument(help="JSON Lines of templates; '-' reads standard input.")],
) -> None:
    """Lint each template line; print one JSON result per line, in order (spec/template-lint.md)."""
    from faircollect.content.batch import parse_lines, results

    source = "<stdin>" if file == "-" else file
    if file == "-":
        lines = sys.stdin.read().splitlines()
    else:
        try:
            lines = Path(file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {file}: {type(exc).__name__}", file=file) from None
    requests = parse_lines(lines, source=source)
    out = sys.stdout
    for result in results(requests):
        out.write(orjson.dumps(result).decode("utf-8"))
        out.write("\n")
    out.flush()
