"""`faircollect dispatch`: drain the outbox through the channel FAIRCOLLECT_CHANNEL names."""

from __future__ import annotations

import json
import signal
from datetime import timedelta
from types import FrameType
from typing import Annotated

import typer

from faircollect.cli._context import settings
from faircollect.cli._output import JsonOption, QuietOption, emit, progress


def register(app: typer.Typer) -> None:
    app.command("dispatch")(dispatch)


def dispatch(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Work one batch, then stop.")] = False,
    until_empty: Annotated[
        bool, typer.Option("--until-empty", help="Stop when nothing is due.")
    ] = False,
    batch: Annotated[
        int, typer.Option("--batch", min=1, help="Messages claimed, sent and recorded at a time.")
    ] = 50,
    lease: Annotated[
        float,
        typer.Option("--lease", min=0.1, help="Seconds a claim lasts before others reconcile it."),
    ] = 120.0,
    poll: Annotated[float, typer.Option("--poll", min=0.01, help="Seconds between polls.")] = 1.0,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Send due messages from the outbox, each at most once; prints what was done as JSON.

    With --until-empty or --once, a progress bar counts the messages worked against those
    due (on a terminal, without --quiet); a worker left running shows none.
    """
    from faircollect.bootstrap import build_app
    from faircollect.dispatch.channels import open_channel
    from faircollect.dispatch.worker import Worker, WorkerOptions

    cfg = settings(ctx)
    options = WorkerOptions(batch=batch, lease=timedelta(seconds=lease), poll_interval=poll)
    app = build_app(cfg)
    channel = open_channel(cfg.channel, home=cfg.home, clock=app.store.clock)
    stopping: list[bool] = []

    def _stop(_sig: int, _frame: FrameType | None) -> None:
        stopping.append(True)  # finish the message in hand, then leave

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        with progress("dispatching", quiet=quiet or not (once or until_empty),
                      unit="messages") as bar:
            stats = Worker(app.store, app.vault, channel, options).run(
                once=once, until_empty=until_empty, stop=lambda: bool(stopping),
                on_progress=bar if bar.drawn else None,
            )
    finally:
        signal.signal(signal.SIGTERM, previous)
        channel.close()
        app.store.dispose()
    if as_json:  # the same object, always printed; --json is accepted like everywhere else
        emit(stats.as_dict())
        return
    typer.echo(json.dumps(stats.as_dict()))
