"""The policy decision point over HTTP: decisions, packs, rules (explain) and replays.

POST /v1/policy/decisions takes one request, or {"requests": [...]} for a batch.

A pure query: nothing is contacted because of its answer, so it records no decision and writes
no audit entry (decisions the system acts on are recorded by `policy.records`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from faircollect.api.auth import Principal
from faircollect.api.conventions import ConventionRoute
from faircollect.api.deps import principal, services
from faircollect.api.operations import metrics_of
from faircollect.api.problems import RESPONSES, RESPONSES_404
from faircollect.api.reach import require_role
from faircollect.bootstrap import App
from faircollect.errors import InputError, NotFound
from faircollect.policy import builtin_packs, resolve_pack
from faircollect.policy.intake import decide_many
from faircollect.policy.replay import replay as run_replay
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


# -- packs, rules and replays -------------------------------------------------------------

READ_ROLES = ("collector", "supervisor", "compliance", "auditor", "admin", "legal")
REPLAY_ROLES = ("compliance", "legal", "auditor", "admin")
MAX_REPLAY_DAYS = 366


def _rule(rule: Any, pack_id: str) -> dict[str, Any]:
    return {"id": rule.id, "pack": pack_id, "category": rule.category, "kind": rule.kind,
            "summary": rule.summary, "citation": rule.citation,
            "applies_to": rule.applies_to.model_dump(exclude_none=True, mode="json"),
            "params": rule.params.model_dump(mode="json")}


@router.get("/packs", responses=RESPONSES)
def packs(who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """The rule packs shipped, with their rule ids."""
    require_role(who, READ_ROLES)
    return {"packs": [{"id": p.id, "jurisdiction": p.jurisdiction, "title": p.title,
                       "locales": list(p.locales), "rules": [r.id for r in p.rules]}
                      for p in builtin_packs()]}


@router.get("/rules/{rule_id}", responses=RESPONSES_404)
def explain(
    rule_id: Annotated[str, Path(max_length=64)],
    who: Annotated[Principal, Depends(principal)],
    pack: Annotated[str | None, Query(max_length=64, description="Pack id or jurisdiction "
                                                                 "to look in.")] = None,
) -> dict[str, Any]:
    """A rule with its kind, parameters and the clause it cites."""
    require_role(who, READ_ROLES)
    candidates = [resolve_pack(pack)] if pack else list(builtin_packs())
    for p in candidates:
        if any(r.id == rule_id for r in p.rules):
            return _rule(p.rule(rule_id), p.id)
    raise NotFound(f"no rule {rule_id!r} in {pack or 'any pack'}", rule=rule_id)


class ReplayBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pack: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$",
                      description="A shipped pack id or a jurisdiction (its newest pack).")
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    all_packs: bool = False
    examples: int = Field(default=5, ge=0, le=100)


@router.post("/replays", responses=RESPONSES_404)
def replay(body: ReplayBody, app: Annotated[App, Depends(services)],
           who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Re-decide recorded decisions under another pack; what would change (writes nothing)."""
    require_role(who, REPLAY_ROLES)
    if (body.end - body.start).days >= MAX_REPLAY_DAYS:
        raise InputError(f"a replay covers at most {MAX_REPLAY_DAYS} days", field="body.to")
    report = run_replay(app.store, resolve_pack(body.pack), start=body.start, end=body.end,
                        all_packs=body.all_packs, examples=body.examples)
    return report.to_json()
