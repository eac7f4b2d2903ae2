"""`faircollect policy ...`: check requests, list packs, explain a rule, replay under a new pack.

`check` is a pure query: it decides and prints, records nothing and writes no audit entry
(nothing is contacted because of its answer). Only decisions the system acts on are recorded,
by the daily cycle through `faircollect.policy.records.record_decisions`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from faircollect.cli._output import JsonOption, QuietOption, emit, emit_lines, progress
from faircollect.cli._values import parse_day
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
    as_json: JsonOption = False,
) -> None:
    """Decide each request; print one decision per line (JSON Lines), in input order (so
    --json changes nothing)."""
    text, source = _read(file)
    requests = read_requests(text, source)
    for d in decide_many(requests):
        sys.stdout.buffer.write(orjson.dumps(d) + b"\n")
    sys.stdout.flush()


def packs(as_json: JsonOption = False) -> None:
    """List the rule packs and their versions."""
    if as_json:
        emit_lines({"pack": p.id, "jurisdiction": p.jurisdiction, "rules": len(p.rules),
                    "title": p.title} for p in builtin_packs())
        return
    table = Table("pack", "jurisdiction", "rules", "title")
    for p in builtin_packs():
        table.add_row(p.id, p.jurisdiction, str(len(p.rules)), p.title)
    Console().print(table)


def explain(
    rule: Annotated[str, typer.Argument(help="A rule id, e.g. US-7IN7")],
    pack: Annotated[str | None, typer.Option(help="Pack id or jurisdiction to look in")] = None,
    as_json: JsonOption = False,
) -> None:
    """Print a rule with its kind, parameters and citation."""
    candidates = [resolve_pack(pack)] if pack else list(builtin_packs())
    for p in candidates:
        if any(r.id == rule for r in p.rules):
            r = p.rule(rule)
            if as_json:
                emit({"rule": r.id, "pack": p.id, "category": r.category, "kind": r.kind,
                      "summary": r.summary or None, "citation": r.citation,
                      "applies_to": r.applies_to.model_dump(mode="json", exclude_none=True),
                      "parameters": r.params.model_dump(mode="json")})
                return
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


def replay(
    ctx: typer.Context,
    pack: Annotated[str, typer.Option(help="The new pack: a .yaml file, a pack id or a "
                                           "jurisdiction")],
    from_: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD, UTC)")],
    to: Annotated[str, typer.Option(help="Last day, inclusive (YYYY-MM-DD, UTC)")],
    all_packs: Annotated[bool, typer.Option(
        "--all-packs", help="Replay every recorded decision, not only the pack's family")] = False,
    examples: Annotated[int, typer.Option(min=0, max=100,
                                          help="Example decision ids per change")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    quiet: QuietOption = False,
) -> None:
    """Re-decide recorded decisions under another pack version; report what would change."""
    from faircollect.cli._context import app_for
    from faircollect.policy.replay import pack_for
    from faircollect.policy.replay import replay as run_replay

    start, end = parse_day(from_, "--from"), parse_day(to, "--to")
    new = pack_for(pack)
    with progress("replaying", quiet=quiet, unit="decisions") as bar:
        report = run_replay(app_for(ctx).app.store, new, start=start, end=end,
                            all_packs=all_packs, examples=examples,
                            on_progress=bar if bar.drawn else None)
    data = report.to_json()
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
        sys.stdout.flush()
        return
    console = Console()
    console.print(f"replay under [bold]{new.id}[/] of decisions from {start} to {end}"
                  f" ({report.family + '-*' if report.family else 'all packs'}): "
                  f"{report.considered} considered, {report.unchanged} unchanged",
                  highlight=False)
    for key, title in (("allowed_to_denied", "allowed -> denied"),
                       ("denied_to_allowed", "denied -> allowed"),
                       ("rules_changed", "still denied, other rules")):
        t = data[key]
        console.print(f"[bold]{title}[/]: {t['count']}", highlight=False)
        if not t["count"]:
            continue
        table = Table("rule / category", "decisions")
        for rule, n in t["by_rule"].items():
            table.add_row(rule, str(n))
        for cat, n in t["by_category"].items():
            table.add_row(f"[dim]{cat}[/]", str(n))
        console.print(table)
        console.print(f"examples: {', '.join(t['examples'])}", highlight=False)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The contact policy decision point.", no_args_is_help=True)
    group.command("check")(check)
    group.command("packs")(packs)
    group.command("explain")(explain)
    group.command("replay")(replay)
    app.add_typer(group, name="policy")
