"""Cycle runs: start a business date's run (plan, decide, enqueue; resumable and audited,
as `faircollect cycle --date D`) and read its status."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from faircollect.api.auth import Principal
from faircollect.api.conventions import ConventionRoute
from faircollect.api.deps import principal, services
from faircollect.api.pages import PageRequest, encode_cursor, page_request
from faircollect.api.problems import RESPONSES, RESPONSES_404, RESPONSES_404_409
from faircollect.api.reach import require_role
from faircollect.bootstrap import App
from faircollect.cycle import cycle_run, cycle_run_list, run_cycle
from faircollect.errors import InputError, NotFound

router = APIRouter(prefix="/v1/cycle-runs", tags=["cycle runs"], route_class=ConventionRoute)
START_ROLES = ("supervisor", "admin")
READ_ROLES = ("supervisor", "compliance", "auditor", "admin")


class StartBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    business_date: date


@router.post("", status_code=201, responses={
    **RESPONSES_404_409, 200: {"description": "The date was done already: its run"}})
def start(body: StartBody, app: Annotated[App, Depends(services)],
          who: Annotated[Principal, Depends(principal)]) -> JSONResponse:
    """Run the cycle for one business date and answer its run (201). A date already done is
    never planned again: that answers its run with 200."""
    require_role(who, START_ROLES)
    try:
        before = cycle_run(app, body.business_date)["status"]
    except NotFound:
        before = None
    result = run_cycle(app, body.business_date, actor=f"api:{who.actor_id}")
    run = cycle_run(app, body.business_date)
    return JSONResponse({**run, "result": {
        "accounts": result.accounts, "attempts": result.attempts, "allowed": result.allowed,
        "denied": result.denied, "enqueued": result.enqueued}},
        status_code=200 if before == "done" else 201)


@router.get("", responses=RESPONSES)
def list_runs(app: Annotated[App, Depends(services)],
              who: Annotated[Principal, Depends(principal)],
              page: Annotated[PageRequest, Depends(page_request)],
              status: Annotated[str | None, Query(pattern=r"^(running|done)$")] = None
              ) -> dict[str, Any]:
    """Runs by business date; `?status=running` shows runs that have not finished."""
    require_role(who, READ_ROLES)
    after = None
    if page.after:
        try:
            after = date.fromisoformat(str(page.after[0]))
        except ValueError:
            raise InputError("the cursor is not one this API issued",
                             field="query.cursor") from None
    found = cycle_run_list(app, limit=page.limit + 1, after=after, status=status)
    chunk = found[: page.limit]
    return {"runs": chunk, "next_cursor": encode_cursor([chunk[-1]["business_date"]])
            if len(found) > page.limit else None}


@router.get("/{business_date}", responses=RESPONSES_404)
def status(business_date: Annotated[date, Path()], app: Annotated[App, Depends(services)],
           who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """A date's run: `running` (started, not finished: start it again to resume) or `done`."""
    require_role(who, READ_ROLES)
    return cycle_run(app, business_date)
