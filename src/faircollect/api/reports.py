"""Reports as JSON, and as the same self-contained HTML pages the CLI writes: the
compliance report (what was attempted, denied and why, by local hour, complaints, holds,
roll rates) and the portfolio summary (buckets, balances, rolls)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from faircollect.api.auth import Principal
from faircollect.api.conventions import ConventionRoute
from faircollect.api.deps import principal, services
from faircollect.api.problems import RESPONSES
from faircollect.api.reach import require_role
from faircollect.bootstrap import App
from faircollect.errors import InputError
from faircollect.reports.compliance import (
    ComplianceReport,
    build_report,
    cycle_range,
    render_report,
    report_dict,
)
from faircollect.reports.portfolio import (
    PortfolioSummary,
    portfolio_summary,
    render_html,
    summary_dict,
)

router = APIRouter(prefix="/v1/reports", tags=["reports"], route_class=ConventionRoute)
ROLES = ("supervisor", "compliance", "auditor", "admin")
COMPLIANCE_ROLES = (*ROLES, "legal")  # legal reads the compliance report, not the portfolio
Day = Annotated[date | None, Query()]


def _compliance(app: App, who: Principal, start: date | None,
                end: date | None) -> ComplianceReport:
    require_role(who, COMPLIANCE_ROLES)
    with app.store.read() as conn:
        low, high = cycle_range(conn)
        first, last = start or low, end or high
        if first is None or last is None:
            raise InputError("no cycle has run yet: start one first", field="query.from")
        if last < first:
            raise InputError("to is before from", field="query.to")
        return build_report(conn, first, last)


From = Annotated[date | None, Query(alias="from")]
To = Annotated[date | None, Query(alias="to")]
HTML: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "A self-contained HTML page"}}


@router.get("/compliance", responses=RESPONSES)
def compliance(app: Annotated[App, Depends(services)],
               who: Annotated[Principal, Depends(principal)],
               start: From = None, end: To = None) -> dict[str, Any]:
    """The compliance report over business dates from..to (default: every cycle run)."""
    return report_dict(_compliance(app, who, start, end))


@router.get("/compliance.html", responses={**RESPONSES, **HTML}, response_class=HTMLResponse)
def compliance_html(app: Annotated[App, Depends(services)],
                    who: Annotated[Principal, Depends(principal)],
                    start: From = None, end: To = None) -> HTMLResponse:
    """The compliance report as the HTML page `faircollect report` writes."""
    return HTMLResponse(render_report(_compliance(app, who, start, end)))


def _portfolio(app: App, who: Principal, as_of: date | None,
               previous: date | None) -> PortfolioSummary:
    require_role(who, ROLES)
    day = as_of or app.store.clock().date()
    if previous is not None and previous > day:
        raise InputError("previous is after as_of", field="query.previous")
    with app.store.read() as conn:
        return portfolio_summary(conn, day, previous)


@router.get("/portfolio", responses=RESPONSES)
def portfolio(app: Annotated[App, Depends(services)],
              who: Annotated[Principal, Depends(principal)],
              as_of: Day = None, previous: Day = None) -> dict[str, Any]:
    """Buckets, balances per currency and roll rates from `previous` (default a month
    earlier) to `as_of` (default today)."""
    return summary_dict(_portfolio(app, who, as_of, previous))


@router.get("/portfolio.html", responses={**RESPONSES, **HTML}, response_class=HTMLResponse)
def portfolio_html(app: Annotated[App, Depends(services)],
                   who: Annotated[Principal, Depends(principal)],
                   as_of: Day = None, previous: Day = None) -> HTMLResponse:
    """The portfolio summary as the HTML page `faircollect report` writes."""
    return HTMLResponse(render_html(_portfolio(app, who, as_of, previous)))
