"""Reports as JSON: the compliance report (what was attempted, denied and why, by local
hour, complaints, holds, roll rates) and the portfolio summary (buckets, balances, rolls)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from faircollect.api.auth import Principal
from faircollect.api.conventions import ConventionRoute
from faircollect.api.deps import principal, services
from faircollect.api.problems import RESPONSES
from faircollect.api.reach import require_role
from faircollect.bootstrap import App
from faircollect.errors import InputError
from faircollect.reports.compliance import build_report, cycle_range, report_dict
from faircollect.reports.portfolio import portfolio_summary, summary_dict

router = APIRouter(prefix="/v1/reports", tags=["reports"], route_class=ConventionRoute)
ROLES = ("supervisor", "compliance", "auditor", "admin")
COMPLIANCE_ROLES = (*ROLES, "legal")  # legal reads the compliance report, not the portfolio
Day = Annotated[date | None, Query()]


@router.get("/compliance", responses=RESPONSES)
def compliance(app: Annotated[App, Depends(services)],
               who: Annotated[Principal, Depends(principal)],
               start: Annotated[date | None, Query(alias="from")] = None,
               end: Annotated[date | None, Query(alias="to")] = None) -> dict[str, Any]:
    """The compliance report over business dates from..to (default: every cycle run)."""
    require_role(who, COMPLIANCE_ROLES)
    with app.store.read() as conn:
        low, high = cycle_range(conn)
        first, last = start or low, end or high
        if first is None or last is None:
            raise InputError("no cycle has run yet: start one first", field="query.from")
        if last < first:
            raise InputError("to is before from", field="query.to")
        return report_dict(build_report(conn, first, last))


@router.get("/portfolio", responses=RESPONSES)
def portfolio(app: Annotated[App, Depends(services)],
              who: Annotated[Principal, Depends(principal)],
              as_of: Day = None, previous: Day = None) -> dict[str, Any]:
    """Buckets, balances per currency and roll rates from `previous` (default a month
    earlier) to `as_of` (default today)."""
    require_role(who, ROLES)
    day = as_of or app.store.clock().date()
    if previous is not None and previous > day:
        raise InputError("previous is after as_of", field="query.previous")
    with app.store.read() as conn:
        return summary_dict(portfolio_summary(conn, day, previous))
