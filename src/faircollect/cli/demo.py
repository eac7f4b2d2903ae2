"""`faircollect demo`: the whole job on the embedded default, in well under a minute."""

from __future__ import annotations

import shutil
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import func, select

from faircollect.bootstrap import App
from faircollect.cli._context import app_for, settings
from faircollect.cli._output import JsonOption, QuietOption, emit, iso, progress
from faircollect.cli._values import parse_day
from faircollect.config import Settings
from faircollect.errors import Conflict, InputError
from faircollect.store.tables.foundation import borrowers
from faircollect.vault.keys import KEYRING_FILE

if TYPE_CHECKING:
    from faircollect.demo import DemoResult


def _embedded_db(cfg: Settings) -> Path | None:
    url = cfg.database_url.value
    default = (cfg.home / "faircollect.db").resolve()
    return default if url == f"sqlite:///{default}" else None


def _start_afresh(cfg: Settings) -> None:
    """Remove the demo's own files from the home: the embedded database and its keyring."""
    db = _embedded_db(cfg)
    if db is None:
        raise InputError("--fresh only resets the embedded SQLite database in FAIRCOLLECT_HOME; "
                         "for another database, point --db at an empty one", field="fresh")
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"),
                 cfg.home / KEYRING_FILE, cfg.home / "audit.checkpoint"):
        path.unlink(missing_ok=True)
    shutil.rmtree(cfg.home / "sent", ignore_errors=True)
    shutil.rmtree(cfg.home / "demo-portfolio", ignore_errors=True)


def _refuse_existing_data(app: App) -> None:
    """The demo writes a synthetic portfolio: never beside a lender's (or an earlier) one."""
    with app.store.read() as conn:
        held = conn.execute(select(func.count()).select_from(borrowers)).scalar_one()
    if held:
        raise Conflict(f"this home's database already holds {held:,} borrowers; the demo "
                       "only runs on an empty one: use --fresh to start anew, or set "
                       "FAIRCOLLECT_HOME to a new folder")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)


def demo_command(
    ctx: typer.Context,
    borrowers: Annotated[int, typer.Option(help="How many synthetic borrowers.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic portfolio.")] = 7,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Business date (ISO); default today.")
    ] = None,
    days: Annotated[
        int, typer.Option(help="Days of the daily cycle to simulate before --as-of (0: none).")
    ] = 30,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Delete the embedded demo database and keyring in "
                           "FAIRCOLLECT_HOME first, and start anew.")
    ] = False,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Import a synthetic portfolio, run a simulated month, report, verify the audit log."""
    from faircollect.demo import run_demo

    if borrowers < 1:
        raise InputError("--borrowers must be at least 1", field="borrowers")
    if not 0 <= days <= 366:
        raise InputError("--days must be between 0 and 366", field="days")
    day = parse_day(as_of, "--as-of") if as_of else datetime.now(UTC).date()
    # With --json the narration goes to standard error (not with --quiet), the summary is
    # the only thing on standard output.
    console = Console(stderr=as_json, quiet=as_json and quiet)
    if fresh:
        _start_afresh(settings(ctx))
    fc = app_for(ctx)
    _refuse_existing_data(fc.app)
    started = datetime.now(UTC)
    with progress("demo", quiet=quiet, unit="steps") as bar:
        result = run_demo(
            fc.app,
            borrowers=borrowers,
            seed=seed,
            as_of=day,
            actor=fc.actor,
            say=lambda text: bar.print(console, f"[dim]{escape(text)}[/]"),
            simulate_days=days,
            on_progress=bar,
        )
    s = result.summary
    if as_json:
        _emit_demo(result, (datetime.now(UTC) - started).total_seconds())
        if result.audit is not None and not result.audit.ok:
            raise typer.Exit(1)
        return
    table = Table(title=f"Delinquency as of {s.as_of} ({s.loans:,} open loans)")
    table.add_column("bucket")
    table.add_column("accounts", justify="right")
    table.add_column("share", justify="right")
    for c in s.currencies:
        table.add_column(f"balance {c}", justify="right")
    for b in s.buckets:
        table.add_row(
            b.bucket,
            f"{b.accounts:,}",
            f"{100 * b.share:.1f} %",
            *[f"{b.balances.get(c, 0):,.2f}" for c in s.currencies],
        )
    console.print(table)
    roll = Table(title=f"Roll rates by accounts, {s.previous} → {s.as_of}")
    roll.add_column("from \\ to")
    for n in s.bucket_names:
        roll.add_column(n, justify="right")
    for name, row in zip(s.bucket_names, s.roll_accounts, strict=True):
        roll.add_row(name, *["—" if v is None else f"{100 * v:.1f} %" for v in row])
    console.print(roll)
    seconds = (datetime.now(UTC) - started).total_seconds()
    console.print(f"portfolio report: {result.report_path}")
    if result.compliance_path is not None:
        console.print(f"compliance report: {result.compliance_path}")
    audit = result.audit
    if audit is not None:
        state = "verified" if audit.ok else f"FAILED at entry {audit.first_bad}"
        console.print(
            f"audit log: {audit.size:,} entries, root {audit.root.hex()[:16]}…, {state}; "
            f"checkpoint: {result.checkpoint_path}"
        )
    console.print(f"finished in {seconds:.1f} s")
    _print_console_signin(console, fc.app)
    if audit is not None and not audit.ok:
        raise typer.Exit(1)


def _emit_demo(result: DemoResult, seconds: float) -> None:
    """The demo's summary as one JSON object: what the tables and lines show."""
    s = result.summary
    audit = result.audit
    emit({
        "as_of": iso(s.as_of),
        "previous": iso(s.previous),
        "loans": s.loans,
        "generated": asdict(result.generated),
        "imported": result.imported.counts,
        "buckets": [{"bucket": b.bucket, "accounts": b.accounts, "share": b.share,
                     "balances": {c: b.balances.get(c, 0) for c in s.currencies}}
                    for b in s.buckets],
        "roll_rates": {"buckets": list(s.bucket_names),
                       "accounts": [list(row) for row in s.roll_accounts]},
        "portfolio_report": str(result.report_path),
        "compliance_report": None if result.compliance_path is None
        else str(result.compliance_path),
        "audit": None if audit is None else {
            "entries": audit.size, "root": audit.root.hex(), "ok": audit.ok,
            "first_bad": audit.first_bad,
            "checkpoint": None if result.checkpoint_path is None
            else str(result.checkpoint_path)},
        "seconds": round(seconds, 1),
    })


def _print_console_signin(console: Console, app: App) -> None:
    """How to open the web console on the demo data, with demo sign-ins."""
    from faircollect.web.services.demo_signin import create_demo_signins

    access = create_demo_signins(app)
    console.print("web console: run `faircollect serve`, then open "
                  "http://127.0.0.1:8000/console and sign in as:")
    for a in access.accounts:
        console.print(f"  {a.username} ({a.role}), password {a.password}")
    console.print("  code: `faircollect web demo-code demo-compliance` prints the current "
                  "six-digit code of a demo account")
    if access.contact_path:
        console.print(f"contact-person page: http://127.0.0.1:8000{access.contact_path}")
