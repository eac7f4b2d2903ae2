"""Compliance governance over HTTP: training records and status, a collector's attempt
decided with their training, strategy review, and the regulator report.

Recording training and reading reports needs `compliance` (or `admin` for training);
strategy authors are supervisors, compliance officers and admins; approving needs
`compliance` or `legal` and never the author. `legal` reads strategies, their replays and
the reports, and does nothing else here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from faircollect.api.auth import Principal
from faircollect.api.conventions import ConventionRoute, one_of
from faircollect.api.deps import principal, services
from faircollect.api.problems import RESPONSES, RESPONSES_404, RESPONSES_404_409
from faircollect.api.reach import READERS, REVIEWERS, STAFF, require_role
from faircollect.bootstrap import App
from faircollect.content.template import Actor
from faircollect.governance.review import KINDS
from faircollect.governance.strategy_service import StrategyReview
from faircollect.vocabulary import JURISDICTIONS

router = APIRouter(prefix="/v1/governance", tags=["governance"], route_class=ConventionRoute)
TRAINERS = ("compliance", "admin")
AUTHORS = ("supervisor", "compliance", "admin")
# The schema names the vocabularies the services check, so clients see them.
Kind = Annotated[str, Path(json_schema_extra=one_of(KINDS))]
Jurisdiction = Annotated[str, Query(max_length=8, json_schema_extra=one_of(JURISDICTIONS))]


class CompletionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    course_id: str = Field(min_length=1, max_length=64)
    person_id: str = Field(min_length=1, max_length=64)
    person_kind: str = Field(default="collector", pattern=r"^(collector|agency)$")
    score: int = Field(ge=0, le=100)
    completed_at: datetime


class StrategyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(pattern=r"^(playbook|override)$")
    yaml: str = Field(min_length=1, max_length=200_000)


class AttemptBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: str = Field(min_length=1, max_length=64)
    kind: str = Field(default="collector", pattern=r"^(collector|agency)$")
    request: dict[str, Any]


@router.post("/training/completions", responses=RESPONSES_404_409, status_code=201)
def record_completion(body: CompletionBody, app: Annotated[App, Depends(services)],
                      who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Record one training completion (audited)."""
    from faircollect.governance.training_service import TrainingService

    require_role(who, TRAINERS)
    c = TrainingService(app.store).record(
        who.actor_id, course_id=body.course_id, person_id=body.person_id,
        person_kind=body.person_kind, score=body.score, completed_at=body.completed_at)
    return {"person_id": c.person_id, "course_id": c.course_id, "passed": c.passed,
            "expires_at": c.expires_at.isoformat()}


@router.get("/training/status/{person_id}", responses=RESPONSES)
def training_status(person_id: str, jurisdiction: Jurisdiction,
                    app: Annotated[App, Depends(services)],
                    who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Whether a person may work cases of a jurisdiction now."""
    from faircollect.governance.training_service import TrainingService

    require_role(who, STAFF)
    return TrainingService(app.store).status(person_id, jurisdiction).to_json()


@router.post("/attempts/decide", responses=RESPONSES)
def decide_attempt(body: AttemptBody, app: Annotated[App, Depends(services)],
                   who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Decide a person's attempt with their training status in the request (a query)."""
    from faircollect.governance.attempts import decide_attempt as decide
    from faircollect.policy.request import parse_request

    require_role(who, STAFF)
    return decide(app.store, parse_request(body.request), body.person_id, body.kind).to_json()


@router.post("/strategies", responses=RESPONSES, status_code=201)
def add_strategy(body: StrategyBody, app: Annotated[App, Depends(services)],
                 who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Add a playbook or override draft (or revise your open draft)."""
    require_role(who, AUTHORS)
    return _review(app).add(_actor(who), body.kind, body.yaml).to_json()


@router.post("/strategies/{kind}/{subject_id}/submit", responses=RESPONSES_404_409)
def submit_strategy(kind: Kind, subject_id: str, app: Annotated[App, Depends(services)],
                    who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Submit a draft; its 30-day replay is stored for the approver."""
    require_role(who, AUTHORS)
    v = _review(app).submit(_actor(who), kind, subject_id)
    return {**v.to_json(), "replay": v.replay}


@router.get("/strategies/{kind}/{subject_id}", responses=RESPONSES_404)
def show_strategy(kind: Kind, subject_id: str, app: Annotated[App, Depends(services)],
                  who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """The newest version with its diff against what runs now and its replay."""
    require_role(who, READERS)
    return _review(app).review(kind, subject_id)


@router.post("/strategies/{kind}/{subject_id}/approve", responses=RESPONSES_404_409)
def approve_strategy(kind: Kind, subject_id: str, app: Annotated[App, Depends(services)],
                     who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Approve a version in review (compliance or legal; never its author)."""
    require_role(who, REVIEWERS)
    return _review(app).approve(_actor(who), kind, subject_id).to_json()


@router.get("/regulator-report", responses=RESPONSES)
def regulator(jurisdiction: Jurisdiction,
              start: Annotated[date, Query(alias="from")],
              end: Annotated[date, Query(alias="to")],
              app: Annotated[App, Depends(services)],
              who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """The regulator report's figures, its CSV text and the audit checkpoint that stamps it
    (the PDF is written by `faircollect regulator report`)."""
    from faircollect.governance.regulator import as_json, to_csv
    from faircollect.governance.regulator_service import regulator_report

    require_role(who, ("compliance", "legal", "auditor", "admin"))
    report = regulator_report(app, jurisdiction, start, end)
    return {**as_json(report), "csv": to_csv(report)}


@router.post("/pia", responses=RESPONSES)
def generate_pia(app: Annotated[App, Depends(services)],
                 who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Assess the data map now (PIPL Art. 55-56); a new version when the result changed."""
    from faircollect.governance.pia_service import PiaService

    require_role(who, ("compliance", "admin"))
    return PiaService(app.store).generate(who.actor_id).to_json()


@router.get("/pia", responses=RESPONSES_404)
def show_pia(app: Annotated[App, Depends(services)],
             who: Annotated[Principal, Depends(principal)],
             version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None) -> dict[str, Any]:
    """A kept PIA version (default: the newest) with its full content."""
    from faircollect.governance.pia_service import PiaService

    require_role(who, ("compliance", "legal", "auditor", "admin"))
    v = PiaService(app.store).get(version)
    return {**v.to_json(), "content": v.content}


def _actor(who: Principal) -> Actor:
    return Actor(who.actor_id, frozenset({who.role}))


def _review(app: App) -> StrategyReview:
    from faircollect.strategy.registry_source import RegistrySource

    return StrategyReview(app.store, RegistrySource.load(app.store))
