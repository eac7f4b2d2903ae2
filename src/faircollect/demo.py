"""The demo: a short script over the public services, run by `faircollect demo`.

Generate a synthetic portfolio, import it (encrypted, audited), compute the delinquency
snapshot and roll rates, and write an HTML report into FAIRCOLLECT_HOME. Later capabilities
add their step here, each through the same services a lender would call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

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


def approve_starter_library(app: App, *, author: Actor = AUTHOR,
                            reviewer: Actor = REVIEWER) -> int:
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
    app: App, *, borrowers: int, seed: int, as_of: date, actor: str = "demo", say: Say = print,
    simulate_days: int = SIMULATED_DAYS,
) -> DemoResult:
    """Run the demo end to end on `app`'s store; returns what each step produced."""
    folder = app.settings.home / "demo-portfolio"
    say(f"generating {borrowers:,} synthetic borrowers as of {as_of} …")
    generated = generate_portfolio(folder, borrowers=borrowers, seed=seed, as_of=as_of)
    say("importing the portfolio (field-level encryption, one transaction, audited) …")
    imported = import_portfolio(app, folder, actor=actor)
    previous = add_months(as_of, -1) if as_of.day <= 28 else as_of - timedelta(days=30)
    say("computing the delinquency snapshot and roll rates …")
    with app.store.read() as conn:
        now = portfolio_snapshot(conn, as_of)
        before = portfolio_snapshot(conn, previous)
    summary = summarise(now, before, as_of, previous)
    path = write_html(summary, app.settings.home / "report.html")
    compliance = None
    if simulate_days > 0:
        from faircollect.cycle import run_range
        from faircollect.reports.compliance import build_report, write_report

        first, last = as_of + timedelta(days=1), as_of + timedelta(days=simulate_days)
        say("loading the starter templates into the registry (author) and approving them "
            "(compliance officer) …")
        approve_starter_library(app)
        say(f"simulating {simulate_days} days of the daily cycle ({first} to {last}) …")
        run_range(app, first, last, simulate=True, seed=seed, actor=actor)
        with app.store.read() as conn:
            report = build_report(conn, first, last)
        compliance = write_report(report, app.settings.home / "compliance.html")
        say(f"compliance report: {compliance}")
    return DemoResult(generated, imported, summary, path, compliance)
