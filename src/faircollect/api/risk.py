"""Risk models over HTTP: train, list, read the model card, approve or reject, score with
reasons, monitor. The same services as `faircollect risk`.

Staff only; borrowers never see other applicants' scores. Training and scoring take rows in
the body (at most 20,000 to train, 1,000 to score); a row's `purposes` lists the consent
purposes the borrower holds, and a characteristic needing another is scored neutral for that
row. Approving or rejecting needs the compliance role and is never done by the author.
"""

from __future__ import annotations

from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from faircollect.api.auth import Principal
from faircollect.api.conventions import ConventionRoute
from faircollect.api.deps import principal, services
from faircollect.api.problems import RESPONSES, RESPONSES_404, RESPONSES_404_409
from faircollect.api.reach import STAFF, require_role
from faircollect.bootstrap import App
from faircollect.content.template import Actor
from faircollect.errors import InputError

router = APIRouter(prefix="/v1/risk", tags=["risk"], route_class=ConventionRoute)
TRAINERS = ("supervisor", "compliance", "admin")
REVIEWERS = ("compliance",)
ModelId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Version = Annotated[int, Path(ge=1, le=1_000_000)]
Value = str | float | int | bool | None


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid")

    values: dict[Annotated[str, Field(min_length=1, max_length=80)], Value] = Field(
        max_length=100, description="Characteristic name to value.")
    borrower_id: str | None = Field(default=None, min_length=1, max_length=64)
    purposes: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=20,
        description="Consent purposes the borrower holds now.")


class TrainBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(pattern=r"^(application|behaviour|collection)$")
    target: str = Field(min_length=1, max_length=80)
    bad: str = Field(min_length=1, max_length=80)
    rows: list[Row] = Field(min_length=20, max_length=20_000)
    folds: int = Field(default=5, ge=2, le=10)
    seed: int = Field(default=0, ge=0, le=2**31)


class ScoreBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[Row] = Field(min_length=1, max_length=1_000)
    reasons: bool = Field(default=True, description="Add up to four reasons per row.")
    allow_pending: bool = Field(default=False, description="Score with a pending model "
                                "(validation only).")


class MonitorBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[Row] = Field(min_length=1, max_length=20_000)
    target: str | None = Field(default=None, min_length=1, max_length=80)
    bad: str | None = Field(default=None, min_length=1, max_length=80)
    cutoff: float | None = Field(default=None, ge=-1e6, le=1e6)


def _frame(rows: list[Row]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows as a frame (with borrower_id) and their consents as (borrower_id, purpose)."""
    ids = [r.borrower_id or f"row-{i + 1}" for i, r in enumerate(rows)]
    names = sorted({k for r in rows for k in r.values})
    cols: dict[str, list[Any]] = {"borrower_id": ids}
    for n in names:
        vals = [r.values.get(n) for r in rows]
        kinds = {type(v) for v in vals if v is not None}
        if kinds and kinds <= {int, float}:
            cols[n] = [None if v is None else float(v) for v in vals]
        else:
            cols[n] = [None if v is None else str(v) for v in vals]
    grants = [(i, p) for i, r in zip(ids, rows, strict=True) for p in r.purposes]
    consents = pl.DataFrame(grants, schema={"borrower_id": pl.String, "purpose": pl.String},
                            orient="row")
    try:
        return pl.DataFrame(cols, strict=False), consents
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"rows cannot form a table ({type(exc).__name__})",
                         field="rows") from None


def _view(m: Any) -> dict[str, Any]:
    return {k: v for k, v in m.view().items() if k != "card"}


@router.get("/models", responses=RESPONSES)
def list_models(app: Annotated[App, Depends(services)],
                who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Every model version (without its card)."""
    from faircollect.risk import registry

    require_role(who, STAFF)
    return {"items": [_view(m) for m in registry.listing(app.store)]}


@router.get("/models/{model_id}", responses=RESPONSES_404)
def get_model(model_id: ModelId, app: Annotated[App, Depends(services)],
              who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """The newest version of a model with its model card and scorecard table."""
    from faircollect.risk import registry

    require_role(who, STAFF)
    m = registry.get(app.store, model_id)
    return {**m.view(), "table": m.scorecard.table()}


@router.post("/models/{model_id}/train", status_code=201, responses=RESPONSES_404_409)
def train_model(model_id: ModelId, body: TrainBody, app: Annotated[App, Depends(services)],
                who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Train a scorecard on the rows and register it as the next pending version."""
    from faircollect.risk import registry
    from faircollect.risk.training import prepare, train

    require_role(who, TRAINERS)
    data, consents = _frame(body.rows)
    if body.target not in data.columns:
        raise InputError(f"target column {body.target!r} is not in the rows", field="target")
    prep = prepare(data, body.target, body.bad, consents=consents)
    trained = train(prep, body.kind, folds=body.folds, seed=body.seed, source="api")
    m = registry.register(app.store, Actor(who.actor_id, frozenset({who.role})), model_id,
                          trained)
    return {**_view(m), "cv": trained.model_card["metrics"]["cv"]}


def _decide(model_id: str, version: int, app: App, who: Principal, approve: bool
            ) -> dict[str, Any]:
    from faircollect.risk import registry

    require_role(who, REVIEWERS)
    actor = Actor(who.actor_id, frozenset({who.role}))
    fn = registry.approve if approve else registry.reject
    return _view(fn(app.store, actor, model_id, version))


@router.post("/models/{model_id}/versions/{version}/approve", responses=RESPONSES_404_409)
def approve_model(model_id: ModelId, version: Version, app: Annotated[App, Depends(services)],
                  who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Approve a pending version (compliance, not its author)."""
    return _decide(model_id, version, app, who, True)


@router.post("/models/{model_id}/versions/{version}/reject", responses=RESPONSES_404_409)
def reject_model(model_id: ModelId, version: Version, app: Annotated[App, Depends(services)],
                 who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Reject a pending version (compliance, not its author)."""
    return _decide(model_id, version, app, who, False)


@router.post("/models/{model_id}/score", responses=RESPONSES_404_409)
def score_rows(model_id: ModelId, body: ScoreBody, app: Annotated[App, Depends(services)],
               who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Score each row with the approved model; with reasons, the principal reasons."""
    require_role(who, STAFF)
    return _score(app, model_id, body.rows, allow_pending=body.allow_pending,
                  with_reasons=body.reasons)


def _score(app: App, model_id: str, rows: list[Row], *, allow_pending: bool,
           with_reasons: bool) -> dict[str, Any]:
    from faircollect.risk import registry
    from faircollect.risk.catalogue import gate, load_features
    from faircollect.risk.reasons import reasons

    m = registry.usable(app.store, model_id, None, allow_pending=allow_pending)
    card = m.scorecard
    data, consents = _frame(rows)
    for f in card.features:
        if f not in data.columns:
            data = data.with_columns(pl.lit(None).alias(f))
    cat = load_features()
    gated = gate(data, cat, card.features, consents).data
    scores = card.score(gated)
    pds = card.probability_bad(gated)
    found = reasons(card, gated, cat.labels()) if with_reasons else [[] for _ in scores]
    return {"model_id": m.model_id, "version": m.version, "items": [
        {"borrower_id": b, "score": round(float(s), 1), "pd": round(float(p), 4),
         "reasons": [r.to_dict() for r in rs]}
        for b, s, p, rs in zip(gated["borrower_id"].to_list(), scores, pds, found,
                               strict=True)]}


@router.post("/models/{model_id}/monitor", responses=RESPONSES_404_409)
def monitor_rows(model_id: ModelId, body: MonitorBody, app: Annotated[App, Depends(services)],
                 who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Drift, discrimination, calibration and fairness of the newest version on the rows;
    a run of an approved version is kept for the compliance report (`recorded`)."""
    from faircollect.risk import registry
    from faircollect.risk.monitoring import monitor
    from faircollect.risk.monitoring_service import record
    from faircollect.risk.scorecard import target_vector

    require_role(who, STAFF)
    m = registry.get(app.store, model_id)
    card = m.scorecard
    data, _ = _frame(body.rows)
    for f in card.features:
        if f not in data.columns:
            data = data.with_columns(pl.lit(None).alias(f))
    y = (target_vector(data, body.target, body.bad)
         if body.target is not None and body.bad is not None else None)
    report = monitor(card, m.card, data, y, cutoff=body.cutoff)
    # Kept for the compliance report when run by a role that trains models (not a collector).
    kept = who.role in TRAINERS and record(app.store, who.actor_id, m, report)
    return {"model_id": m.model_id, "version": m.version, **report, "recorded": kept}


class ReviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    borrower_id: str = Field(min_length=1, max_length=64)
    row: Row = Field(description="The values the decision was made on.")


class DecideBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: str = Field(pattern=r"^(upheld|overturned)$")
    note: str = Field(min_length=1, max_length=500)


ReviewId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z0-9-]+$")]


@router.post("/reviews", status_code=201, responses=RESPONSES_404_409)
def request_review(body: ReviewBody, app: Annotated[App, Depends(services)],
                   who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Ask that a person review an automated decision: the borrower for themselves, or staff
    on their behalf. The decision is recorded as the approved model makes it."""
    from faircollect.errors import AccessDenied
    from faircollect.risk import reviews

    if not who.may_act_for(body.borrower_id):
        raise AccessDenied("a borrower may ask for a review of their own decisions only")
    row = body.row.model_copy(update={"borrower_id": body.borrower_id})
    scored = _score(app, body.model_id, [row], allow_pending=False, with_reasons=True)
    item = scored["items"][0]
    r = reviews.request_review(app.store, Actor(who.actor_id, frozenset({who.role})),
                               model_id=scored["model_id"], version=scored["version"],
                               subject=body.borrower_id, score=item["score"],
                               reasons=item["reasons"])
    return r.view()


@router.get("/reviews", responses=RESPONSES)
def list_reviews(app: Annotated[App, Depends(services)],
                 who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Open reviews, oldest first."""
    from faircollect.risk import reviews

    require_role(who, STAFF)
    return {"items": [r.view() for r in reviews.queue(app.store)]}


@router.post("/reviews/{review_id}/decide", responses=RESPONSES_404_409)
def decide_review(review_id: ReviewId, body: DecideBody, app: Annotated[App, Depends(services)],
                  who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Uphold or overturn (supervisor or compliance; never the requester)."""
    from faircollect.risk import reviews

    require_role(who, ("supervisor", "compliance"))
    return reviews.decide(app.store, Actor(who.actor_id, frozenset({who.role})), review_id,
                          body.outcome, body.note).view()
