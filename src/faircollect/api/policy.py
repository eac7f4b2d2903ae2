"""POST /v1/policy/decisions: one request, or {"requests": [...]} for a batch.

A pure query: nothing is contacted because of its answer, so it records no decision and writes
no audit entry (decisions the system acts on are recorded by `policy.records`).
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from faircollect.api.auth import Principal
from faircollect.api.conventions import ConventionRoute
from faircollect.api.deps import principal
from faircollect.api.operations import metrics_of
from faircollect.api.problems import RESPONSES
from faircollect.errors import InputError
from faircollect.policy.intake import decide_many
from faircollect.policy.request import parse_request

router = APIRouter(prefix="/v1/policy", tags=["policy"], route_class=ConventionRoute)


# Staff and machine clients with the `decide` scope; a borrower key never decides.
DECIDE_ROLES = ("collector", "supervisor", "compliance", "auditor", "admin")


@router.post("/decisions", responses=RESPONSES)
async def decisions(
    request: Request, who: Annotated[Principal, Depends(principal)]
) -> Response:
    """Decide one request (answers a decision) or a batch (answers {"decisions": [...]}).

    Needs an API key with the `decide` scope.
    """
    who.require("decide", DECIDE_ROLES)
    try:
        body: Any = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise InputError("the request body is not valid JSON") from None
    if isinstance(body, dict) and set(body) == {"requests"}:
        items = body["requests"]
        if not isinstance(items, list) or not items:
            raise InputError("field requests: a non-empty list is required", field="requests")
        parsed = [parse_request(x, where=f"requests[{i}]") for i, x in enumerate(items)]
        decided = decide_many(parsed)
        payload: Any = {"decisions": decided}
    else:
        decided = decide_many([parse_request(body)])
        payload = decided[0]
    found = metrics_of(request)
    if found is not None:
        found.decided(decided)
    return Response(orjson.dumps(payload), media_type="application/json")
