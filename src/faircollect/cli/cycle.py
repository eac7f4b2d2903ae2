"""`faircollect cycle`: run the daily cycle for a date or a range, optionally simulated."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from faircollect.cli._context import app_for
from faircollect.cli._output import JsonOption, QuietOption, emit_lines, progress
from faircollect.cli._values import parse_day
from faircollect.errors import InputError


def register(app: typer.Typer) -> None:
    """Add the `cycle` command."""
    app.command("cycle")(cycle_command)


def cycle_command(
    ctx: typer.Context,
    day: Annotated[str | None, typer.Option("--date", help="Business date (ISO).")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First date of a range.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last date of a range.")] = None,
    simulate: Annotated[bool, typer.Option(
        "--simulate", help="Dispatch at planned times and simulate borrower responses.")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the simulated responses.")] = 7,
    playbooks: Annotated[Path | None, typer.Option(
        help="A directory of playbooks to use instead of the shipped ones.")] = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Plan, decide and enqueue each date's contact attempts (resumable, audited).

    --json prints one object per date (JSON Lines); the per-date lines then go to standard
    error (none with --quiet).
    """
    from dataclasses import asdict

    from faircollect.cycle import cycle_playbooks, run_range

    if (day is None) == (start is None and end is None) or (start is None) != (end is None):
        raise InputError("give either --date D, or --from D --to D", field="date")
    first = parse_day(day or start or "", "--date" if day else "--from")
    last = parse_day(day or end or "", "--date" if day else "--to")
    fc = app_for(ctx)
    books = cycle_playbooks(fc.app, playbooks)  # templates: the registry's approved ones
    console = Console(stderr=as_json, quiet=as_json and quiet)
    with progress("cycle", quiet=quiet, unit="days") as bar:
        runs = run_range(fc.app, first, last, books=books, actor=fc.actor, simulate=simulate,
                         seed=seed, say=lambda text: bar.print(console, text),
                         on_progress=bar)
    if as_json:
        emit_lines({**asdict(r.cycle),
                    **({"sent": r.sent} if simulate else {}),
                    **({"outcome": {k: v for k, v in asdict(r.outcome).items() if k != "day"}}
                       if r.outcome is not None else {})}
                   for r in runs)
        return
    allowed = sum(r.cycle.allowed for r in runs)
    denied = sum(r.cycle.denied for r in runs)
    console.print(f"{len(runs)} day(s): {allowed} attempts allowed, {denied} denied"
                  + (f", {sum(r.sent for r in runs)} sent" if simulate else ""))
