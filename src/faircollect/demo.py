"""The demo: a short script over the public services, run by `faircollect demo`.

Generate a synthetic portfolio dated a month before the business date, import it
(encrypted, audited), approve the starter templates (maker-checker), run the daily cycle
over the month with simulated borrower responses, compute delinquency and roll rates across
the month, write the portfolio and compliance reports into FAIRCOLLECT_HOME, and end with a
signed checkpoint and a full verification of the audit log. Each step goes through the same
services a lender would call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from faircollect.audit.integrity import Report as AuditReport
from faircollect.audit.service import AuditService
from faircollect.bootstrap import App
from faircollect.content.registry import TemplateRegistry
from faircollect.content.starter import starter_templates
from faircollect.content.template import COMPLIANCE_ROLE, Actor, State
from faircollect.ledger.schedule import add_months
from faircollect.portfolio.generator import GeneratedCounts, generate_portfolio
from faircollect.portfolio.importer import ImportReport, import_portfolio
from faircollect.portfolio.snapshot import portfolio_snapshot
from faircollect.reports.portfolio import PortfolioSummary, summarise, write_html

SIMULATED_DAYS = 30
AUTHOR = Actor("demo:content-author")
REVIEWER = Actor("demo:compliance-officer", frozenset({COMPLIANCE_ROLE}))

Say = Callable[[str], None]


@dataclass(frozen=True)
class DemoResult:
    generated: GeneratedCounts
    imported: ImportReport
    summary: PortfolioSummary
    report_path: Path
    compliance_path: Path | None = None
    audit: AuditReport | None = None
    checkpoint_path: Path | None = None


def approve_starter_library(app: App, *, author: Actor = AUTHOR, reviewer: Actor = REVIEWER) -> int:
    """Add the starter templates as `author`, submit them, approve them as `reviewer`.

    Maker-checker through the registry service (every step audited). Templates already
    approved with the same body are left alone; returns how many were approved now.
    """
    registry = TemplateRegistry(app.store)
    live = {t.template_id: t.body for t in registry.list(State.APPROVED)}
    approved = 0
    for draft in starter_templates():
        if live.get(draft.template_id) == draft.body:
            continue
        version = registry.add(author, draft).version
        registry.submit(author, draft.template_id, version)
        registry.approve(reviewer, draft.template_id, version)
        approved += 1
    return approved


def run_demo(
    app: App,
    *,
    borrowers: int,
    seed: int,
    as_of: date,
    actor: str = "demo",
    say: Say = print,
    simulate_days: int = SIMULATED_DAYS,
    on_progress: Callable[[int, int], None] | None = None,
) -> DemoResult:
    """Run the demo end to end on `app`'s store; returns what each step produced.

    `as_of` is the business date the demo ends on; the portfolio is dated `simulate_days`
    earlier, so every simulated day lies in the past. `on_progress(done, total)` is told of
    each step finished, each simulated day counting as one.
    """
    folder = app.settings.home / "demo-portfolio"
    start = as_of - timedelta(days=simulate_days)
    # generate, import, snapshot, verify; and approve, each day, the compliance report.
    steps = 4 + (simulate_days + 2 if simulate_days > 0 else 0)
    done = 0

    def step(n: int = 1) -> None:
        nonlocal done
        done += n
        if on_progress is not None:
            on_progress(done, steps)

    step(0)
    say(f"generating {borrowers:,} synthetic borrowers as of {start} …")
    generated = generate_portfolio(folder, borrowers=borrowers, seed=seed, as_of=start)
    step()
    say("importing the portfolio (field-level encryption, one transaction, audited) …")
    imported = import_portfolio(app, folder, actor=actor)
    step()
    compliance = None
    if simulate_days > 0:
        from faircollect.cycle import run_range
        from faircollect.reports.compliance import build_report, write_report

        first = start + timedelta(days=1)
        say(
            "loading the starter templates into the registry (author) and approving them "
            "(compliance officer) …"
        )
        approve_starter_library(app)
        step()
        say(f"simulating {simulate_days} days of the daily cycle ({first} to {as_of}) …")
        run_range(app, first, as_of, simulate=True, seed=seed, actor=actor,
                  on_progress=lambda day, _days: step() if day else None)
        with app.store.read() as conn:
            report = build_report(conn, first, as_of)
        compliance = write_report(report, app.settings.home / "compliance.html")
        step()
        say(f"compliance report: {compliance}")
    previous = (
        start
        if simulate_days > 0
        else (add_months(as_of, -1) if as_of.day <= 28 else as_of - timedelta(days=30))
    )
    say("computing the delinquency snapshot and roll rates …")
    with app.store.read() as conn:
        now = portfolio_snapshot(conn, as_of)
        before = portfolio_snapshot(conn, previous)
    summary = summarise(now, before, as_of, previous)
    path = write_html(summary, app.settings.home / "report.html")
    step()
    say("signing a checkpoint and verifying the whole audit log …")
    audit = AuditService(app.store, app.keys.signing_key("audit"))
    checkpoint = app.settings.home / "audit.checkpoint"
    checkpoint.write_text(audit.checkpoint(), encoding="utf-8")
    verified = audit.verify(kept=checkpoint.read_text(encoding="utf-8"))
    step()
    return DemoResult(generated, imported, summary, path, compliance, verified, checkpoint)
