"""`faircollect case ...`: promises, plans, hardship, disputes, complaints, cease, opt-outs.

Each command runs one transaction (change + audit entry + any notice to the borrower) and
prints what it created as one JSON object.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

import typer

from faircollect.cli._context import settings
from faircollect.cli._output import JsonOption, emit, emit_lines
from faircollect.cli._values import parse_day
from faircollect.errors import InputError

Actor = Annotated[str, typer.Option("--actor", help="Who records this (an operator id).")]
Borrower = Annotated[str, typer.Argument(help="The borrower's id.")]


@contextmanager
def _app(ctx: typer.Context) -> Iterator[Any]:
    from faircollect.bootstrap import build_app

    app = build_app(settings(ctx))
    try:
        yield app
    finally:
        app.store.dispose()


def _run(ctx: typer.Context, actor: str, command: Callable[[Any, Any, datetime], Any],
         as_json: bool = False) -> None:
    """Run `command(uow, vault, now)` in one transaction and print its result as JSON."""
    with _app(ctx) as app:
        now = app.store.clock()
        with app.store.transaction(f"operator:{actor}") as uow:
            result = command(uow, app.vault, now)
    if as_json:
        emit(result)
        return
    typer.echo(json.dumps(result, default=str, sort_keys=True))


def _instant(value: str, field: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"{field}: {value!r} is not an ISO time", field=field) from exc
    if at.tzinfo is None:
        raise InputError(f"{field}: needs a time zone offset", field=field)
    return at


def promise(
    ctx: typer.Context,
    borrower_id: Borrower,
    loan: Annotated[str, typer.Option("--loan", help="The loan the promise is for.")],
    amount: Annotated[str, typer.Option("--amount", help="Decimal amount, e.g. 120.00.")],
    due: Annotated[str, typer.Option("--due", help="Date promised, YYYY-MM-DD.")],
    actor: Actor = "cli",
    as_json: JsonOption = False,
) -> None:
    """Record a promise to pay."""
    from faircollect.cases.promises import promise_to_pay

    due_on = parse_day(due, "--due")
    _run(
        ctx,
        actor,
        lambda uow, _v, now: {
            "promise_id": promise_to_pay(
                uow,
                borrower_id=borrower_id,
                loan_id=loan,
                amount=amount,
                due_on=due_on,
                today=now.date(),
                now=now,
            )
        },
           as_json=as_json,
    )


def plan(
    ctx: typer.Context,
    borrower_id: Borrower,
    loan: Annotated[str, typer.Option("--loan")],
    installments: Annotated[int, typer.Option("--installments", help="Monthly installments.")],
    first_due: Annotated[str, typer.Option("--first-due", help="First due date, YYYY-MM-DD.")],
    keep_fees: Annotated[
        bool, typer.Option("--keep-fees", help="Do not waive overdue fees.")
    ] = False,
    re_age: Annotated[
        bool, typer.Option("--re-age", help="Reset DPD once the plan is honoured.")
    ] = False,
    actor: Actor = "cli",
    as_json: JsonOption = False,
) -> None:
    """Re-schedule a loan's arrears into a payment plan."""
    from faircollect.cases.plans import create_plan

    first = parse_day(first_due, "--first-due")
    _run(
        ctx,
        actor,
        lambda uow, _v, now: {
            "plan_id": create_plan(
                uow,
                borrower_id=borrower_id,
                loan_id=loan,
                count=installments,
                first_due_on=first,
                today=now.date(),
                now=now,
                waive_fees=not keep_fees,
                re_age=re_age,
            )
        },
           as_json=as_json,
    )


def hardship(
    ctx: typer.Context,
    borrower_id: Borrower,
    until: Annotated[str, typer.Option("--until", help="Last day of the pause, YYYY-MM-DD.")],
    reason: Annotated[str, typer.Option("--reason")] = "other",
    actor: Actor = "cli",
    as_json: JsonOption = False,
) -> None:
    """Pause collection for a borrower in hardship."""
    from faircollect.cases.hardship import pause_for_hardship

    end = parse_day(until, "--until")
    _run(
        ctx,
        actor,
        lambda uow, _v, now: {
            "pause_id": pause_for_hardship(
                uow, borrower_id=borrower_id, until=end, reason=reason, today=now.date(), now=now
            )
        },
           as_json=as_json,
    )


def dispute_open(
    ctx: typer.Context,
    borrower_id: Borrower,
    reason: Annotated[str, typer.Option("--reason")],
    loan: Annotated[str | None, typer.Option("--loan")] = None,
    channel: Annotated[str, typer.Option("--channel", help="Channel of the notice.")] = "letter",
    actor: Actor = "cli",
    as_json: JsonOption = False,
) -> None:
    """Open a dispute: the account goes on hold and the borrower is told."""
    from faircollect.cases.disputes import open_dispute

    _run(
        ctx,
        actor,
        lambda uow, vault, now: {
            "dispute_id": open_dispute(
                uow,
                vault,
                borrower_id=borrower_id,
                reason=reason,
                now=now,
                loan_id=loan,
                channel=channel,
            )
        },
           as_json=as_json,
    )


def dispute_resolve(
    ctx: typer.Context,
    dispute_id: Annotated[str, typer.Argument()],
    resolution: Annotated[str, typer.Option("--resolution")],
    channel: Annotated[str, typer.Option("--channel")] = "letter",
    actor: Actor = "cli",
    as_json: JsonOption = False,
) -> None:
    """Resolve an open dispute and tell the borrower."""
    from faircollect.cases.disputes import resolve_dispute

    _run(
        ctx,
        actor,
        lambda uow, vault, now: {
            "notice_message_id": resolve_dispute(
                uow, vault, dispute_id=dispute_id, resolution=resolution, now=now, channel=channel
            )
        },
           as_json=as_json,
    )


def complaint_open(
    ctx: typer.Context,
    borrower_id: Borrower,
    category: Annotated[str, typer.Option("--category")],
    complainant: Annotated[
        str, typer.Option("--from", help="borrower or third_party.")
    ] = "borrower",
    contact: Annotated[str | None, typer.Option("--contact")] = None,
    received_at: Annotated[str | None, typer.Option("--received-at")] = None,
    sla_days: Annotated[int | None, typer.Option("--sla-days")] = None,
    actor: Actor = "cli",
    as_json: JsonOption = False,
) -> None:
    """Record a complaint, linked to the attempts before it."""
    from faircollect.cases.complaints import open_complaint

    received = _instant(received_at, "received-at") if received_at else None
    _run(
        ctx,
        actor,
        lambda uow, _v, now: {
            "complaint_id": open_complaint(
                uow,
                borrower_id=borrower_id,
                complainant=complainant,
                category=category,
                received_at=received or now,
                now=now,
                contact_id=contact,
                sla_days=sla_days,
            )
        },
           as_json=as_json,
    )


def complaint_close(
    ctx: typer.Context,
    complaint_id: Annotated[str, typer.Argument()],
    root_cause: Annotated[str, typer.Option("--root-cause")],
    actor: Actor = "cli",
    as_json: JsonOption = False,
) -> None:
    """Close a complaint with its root cause."""
    from faircollect.cases.complaints import close_complaint

    def command(uow: Any, _v: Any, now: datetime) -> dict[str, str]:
        close_complaint(uow, complaint_id=complaint_id, root_cause=root_cause, now=now)
        return {"complaint_id": complaint_id, "state": "closed"}

    _run(ctx, actor, command, as_json)


def cease(ctx: typer.Context, borrower_id: Borrower, actor: Actor = "cli",
          as_json: JsonOption = False) -> None:
    """Record a borrower's request to stop collection contact."""
    from faircollect.cases.restrictions import request_cease

    def command(uow: Any, _v: Any, now: datetime) -> dict[str, str]:
        request_cease(uow, borrower_id=borrower_id, now=now)
        return {"borrower_id": borrower_id, "flag": "cease_requested"}

    _run(ctx, actor, command, as_json)


def opt_out(
    ctx: typer.Context,
    borrower_id: Borrower,
    channel: Annotated[str, typer.Option("--channel")],
    actor: Actor = "cli",
    as_json: JsonOption = False,
) -> None:
    """Stop using one channel for a borrower."""
    from faircollect.cases.restrictions import opt_out as record_opt_out

    def command(uow: Any, _v: Any, now: datetime) -> dict[str, str]:
        record_opt_out(uow, borrower_id=borrower_id, channel=channel, now=now)
        return {"borrower_id": borrower_id, "opted_out": channel}

    _run(ctx, actor, command, as_json)


def show(ctx: typer.Context, borrower_ids: Annotated[list[str], typer.Argument()],
         as_json: JsonOption = False) -> None:
    """Print the case state of borrowers as JSON (what the planner sees); with --json, one
    line per borrower, with its borrower_id."""
    from faircollect.cases.state import case_state

    with _app(ctx) as app, app.store.read() as conn:
        state = case_state(conn, borrower_ids, as_of=app.store.clock())
    if as_json:
        emit_lines({"borrower_id": bid, **case} for bid, case in state.items())
        return
    typer.echo(json.dumps(state, default=str, sort_keys=True))


def register(app: typer.Typer) -> None:
    case = typer.Typer(
        help="Case management: promises, plans, holds, complaints.", no_args_is_help=True
    )
    dispute = typer.Typer(help="Disputes: open (hold) and resolve.", no_args_is_help=True)
    complaint = typer.Typer(help="Complaints: open and close.", no_args_is_help=True)
    case.command("promise")(promise)
    case.command("plan")(plan)
    case.command("hardship")(hardship)
    dispute.command("open")(dispute_open)
    dispute.command("resolve")(dispute_resolve)
    complaint.command("open")(complaint_open)
    complaint.command("close")(complaint_close)
    case.add_typer(dispute, name="dispute")
    case.add_typer(complaint, name="complaint")
    case.command("cease")(cease)
    case.command("opt-out")(opt_out)
    case.command("show")(show)
    app.add_typer(case, name="case")
