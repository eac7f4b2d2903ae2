"""`faircollect report`: write the compliance report (HTML) into FAIRCOLLECT_HOME."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import func, select

from faircollect.cli._context import app_for
from faircollect.cli._output import JsonOption, QuietOption, emit, progress
from faircollect.cli._values import parse_day
from faircollect.errors import InputError


def register(app: typer.Typer) -> None:
    """Add the `report` command."""
    app.command("report")(report_command)


def report_command(
    ctx: typer.Context,
    start: Annotated[str | None, typer.Option("--from", help="First business date.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last business date.")] = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Write compliance.html: attempts by local hour, denials, contact persons, roll rates.

    --json prints where it wrote and the report's headline counts (aggregates only).
    """
    from faircollect.reports.compliance import build_report, write_report
    from faircollect.store.tables.cycle import planned_attempts

    fc = app_for(ctx)
    with fc.app.store.read() as conn:
        d = planned_attempts.c.business_date
        low, high = conn.execute(select(func.min(d), func.max(d))).one()
        first = parse_day(start, "--from") if start else low
        last = parse_day(end, "--to") if end else high
        if first is None or last is None:
            raise InputError("no cycle has run yet: run `faircollect cycle` first", field="from")
        if last < first:
            raise InputError(f"--to {last} is before --from {first}", field="to")
        with progress("building the compliance report", quiet=quiet, unit="steps") as bar:
            report = build_report(conn, first, last, on_progress=bar)
    path = write_report(report, fc.app.settings.home / "compliance.html")
    from faircollect.private import wrote

    if as_json:
        Console(stderr=True).print(wrote(path), highlight=False, soft_wrap=True)
        emit({"path": str(path), "from": report.start.isoformat(), "to": report.end.isoformat(),
              "attempts": report.attempts, "allowed": report.allowed, "sent": report.sent,
              "at_send": report.at_send,
              "denials_by_category": dict(report.denials_by_category),
              "denials_by_rule": dict(report.denials_by_rule),
              "holds": dict(report.holds),
              "address_book_awaiting_deletion": report.address_book_awaiting_deletion,
              "phones_unverified": report.phones_unverified})
        return
    Console().print(f"report: {path}", highlight=False)
    Console(stderr=True).print(wrote(path), highlight=False, soft_wrap=True)
