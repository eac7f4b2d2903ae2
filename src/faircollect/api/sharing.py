"""Industry sharing over HTTP: the differentially private report and its epsilon budget.

The same services as `faircollect share dp-budget` / `dp-report`: a release spends its
epsilon from a scope's budget in the transaction that computes it, and a release past the
budget is refused (409) before any data is read; every budget change and release is audited.
Setting budgets and releasing need `compliance` or `admin`; reading a budget also `auditor`.
The private set intersection runs between lenders through `faircollect share serve|query`
(its own signed protocol), not through this API.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from faircollect.api.auth import Principal
from faircollect.api.conventions import ConventionRoute
from faircollect.api.deps import principal, services
from faircollect.api.problems import RESPONSES_404, RESPONSES_404_409
from faircollect.api.reach import require_role
from faircollect.bootstrap import App
from faircollect.sharing.budget import Budget
from faircollect.sharing.dp import MIN_EPSILON

router = APIRouter(prefix="/v1/sharing", tags=["sharing"], route_class=ConventionRoute)
RELEASERS = ("compliance", "admin")
READERS = ("compliance", "admin", "auditor")
SCOPE_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
Scope = Annotated[str, Path(pattern=SCOPE_PATTERN, max_length=64)]


class BudgetBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: str = Field(default="industry", pattern=SCOPE_PATTERN, max_length=64,
                       description="The data set the budget covers.")
    total_epsilon: float = Field(gt=0, le=100, description="The scope's total privacy loss.")


class ReleaseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dimension: str = Field(default="region", pattern=r"^(region|product|bucket)$")
    epsilon: float = Field(ge=MIN_EPSILON, le=10,
                           description="Privacy loss this release spends.")
    scope: str = Field(default="industry", pattern=SCOPE_PATTERN, max_length=64)
    as_of: date | None = Field(default=None, ge=date(2000, 1, 1), le=date(2100, 12, 31),
                               description="Report date (default: today, UTC).")


def _budget(b: Budget) -> dict[str, Any]:
    return {"scope": b.scope, "total_epsilon": b.total, "spent": b.spent,
            "remaining": b.remaining, "releases": b.releases}


@router.post("/dp/budgets", responses=RESPONSES_404_409)
def set_budget(body: BudgetBody, app: Annotated[App, Depends(services)],
               who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Create a scope's epsilon budget or change its total (never below what was spent)."""
    from faircollect.sharing.budget import BudgetLedger

    require_role(who, RELEASERS)
    return _budget(BudgetLedger(app.store).set_total(actor=who.actor_id, scope=body.scope,
                                                     total=body.total_epsilon))


@router.get("/dp/budgets/{scope}", responses=RESPONSES_404)
def show_budget(scope: Scope, app: Annotated[App, Depends(services)],
                who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """A scope's budget: total, spent, remaining and the number of releases."""
    from faircollect.sharing.budget import BudgetLedger

    require_role(who, READERS)
    return _budget(BudgetLedger(app.store).get(scope))


@router.post("/dp/releases", responses=RESPONSES_404_409, status_code=201)
def release(body: ReleaseBody, app: Annotated[App, Depends(services)],
            who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Release delinquency and complaint rates by one dimension with discrete Laplace noise,
    spending `epsilon` from the scope's budget (409 when the budget cannot cover it)."""
    from faircollect.sharing.reports import release_report

    require_role(who, RELEASERS)
    day = body.as_of or datetime.now(UTC).date()
    report = release_report(app.store, actor=who.actor_id, scope=body.scope,
                            dimension=body.dimension, epsilon=body.epsilon, as_of=day)
    r = report.release
    return {"dimension": r.dimension, "epsilon": r.epsilon, "noise_scale": r.noise_scale,
            "sensitivity": r.sensitivity, "mechanism": r.mechanism, "as_of": day.isoformat(),
            "budget": _budget(report.budget),
            "rows": [{"key": x.key, "borrowers": x.borrowers, "delinquent": x.delinquent,
                      "complained": x.complained, "delinquency_rate": x.delinquency_rate,
                      "complaint_rate": x.complaint_rate} for x in r.rows]}
