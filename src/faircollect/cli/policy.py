"""`faircollect policy ...`: check requests, list packs, explain a rule."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from faircollect.errors import InputError
from faircollect.policy import builtin_packs, resolve_pack
from faircollect.policy.intake import decide_many, read_requests


def _read(file: str) -> tuple[str, str]:
    if file == "-":
        return sys.stdin.read(), "<stdin>"
    path = Path(file)
    try:
        return path.read_text("utf-8"), path.name
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path.name}: cannot read ({exc.__class__.__name__})") from None


def check(
    file: Annotated[
        str, typer.Argument(help="JSON request or JSON Lines of requests; - for stdin")
    ],
) -> None:
    """Decide each request; print one decision per line (JSON Lines), in input order."""
    text, source = _read(file)
    requests = read_requests(text, source)
    for d in decide_many(requests):
        sys.stdout.buffer.write(orjson.dumps(d) + b"\n")
    sys.stdout.flush()


def packs() -> None:
    """List the rule packs and their versions."""
    table = Table("pack", "jurisdiction", "rules", "title")
    for p in builtin_packs():
        table.add_row(p.id, p.jurisdiction, str(len(p.rules)), p.title)
    Console().print(table)


def explain(
    rule: Annotated[str, typer.Argument(help="A rule id, e.g. US-7IN7")],
    pack: Annotated[str | None, typer.Option(help="Pack id or jurisdiction to look in")] = None,
) -> None:
    """Print a rule with its kind, parameters and citation."""
    candidates = [resolve_pack(pack)] if pack else list(builtin_packs())
    for p in candidates:
        if any(r.id == rule for r in p.rules):
            r = p.rule(rule)
            console = Console()
            console.print(f"[bold]{r.id}[/]  ({r.category}, kind {r.kind}, pack {p.id})")
            if r.summary:
                console.print(r.summary)
            console.print(f"citation: {r.citation}", highlight=False)
            applies = r.applies_to.model_dump(exclude_none=True)
            if applies:
                console.print(f"applies to: {applies}", highlight=False)
            console.print(f"parameters: {r.params.model_dump()}", highlight=False)
            return
    raise InputError(f"no rule {rule!r} in {pack or 'any pack'}", field="rule")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The contact policy decision point.", no_args_is_help=True)
    group.command("check")(check)
    group.command("packs")(packs)
    group.command("explain")(explain)
    app.add_typer(group, name="policy")
