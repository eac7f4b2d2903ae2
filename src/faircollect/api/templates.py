"""Message templates: lint (spec/template-lint.md), author drafts, submit for review, and
the maker-checker approval, through the registry `faircollect templates ...` uses.

Authors are supervisors, compliance officers and admins; reviewing (approve, send back,
retire) needs the compliance role, and the author may never approve their own version.
Approving needs `If-Match` with the version's ETag: the reviewer approves what they read.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from faircollect.api.auth import Principal
from faircollect.api.conventions import ConventionRoute
from faircollect.api.deps import principal, services
from faircollect.api.etags import check_if_match, etag_of
from faircollect.api.pages import PageRequest, page_request, paginate
from faircollect.api.problems import RESPONSES, RESPONSES_404, RESPONSES_404_409, RESPONSES_EDIT
from faircollect.api.reach import STAFF, require_role
from faircollect.bootstrap import App
from faircollect.content.batch import LintRequest, results
from faircollect.content.finding import AUDIENCES, LOCALES
from faircollect.content.registry import TemplateRegistry
from faircollect.content.template import CHANNELS, PURPOSES, Actor, State, Template, TemplateDraft

router = APIRouter(prefix="/v1/templates", tags=["templates"], route_class=ConventionRoute)

AUTHORS = ("supervisor", "compliance", "admin")
REVIEWERS = ("compliance",)
MAX_LINT = 1000
TemplateId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


def _one_of(values: tuple[str, ...]) -> str:
    return "^(" + "|".join(re.escape(v) for v in values) + ")$"


class LintItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | int
    locale: str = Field(pattern=_one_of(LOCALES))
    audience: str = Field(pattern=_one_of(AUDIENCES))
    channel: str | None = Field(default=None, max_length=16)
    body: str = Field(max_length=20_000)
    require_opt_out: bool | None = None


class LintBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    templates: list[LintItem] = Field(min_length=1, max_length=MAX_LINT)


class DraftBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    locale: str = Field(pattern=_one_of(LOCALES))
    audience: str = Field(pattern=_one_of(AUDIENCES))
    purpose: str = Field(pattern=_one_of(PURPOSES))
    body: str = Field(min_length=1, max_length=20_000)
    channel: str | None = Field(default=None, pattern=_one_of(CHANNELS))
    jurisdiction: str | None = Field(default=None, pattern=r"^(CN|US|UK)$")


class VersionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(default=None, ge=1, le=1_000_000,
                                description="Default: the newest version.")


def _actor(who: Principal) -> Actor:
    return Actor(who.actor_id, frozenset({who.role}))


def _view(t: Template, response: Response) -> dict[str, Any]:
    body = t.to_dict()
    response.headers["ETag"] = etag_of(body)
    return body


@router.post("/lint", responses=RESPONSES)
def lint(body: LintBody, who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Lint templates: one result per template, in order (id, compliant, findings)."""
    require_role(who, STAFF)
    requests = [LintRequest(i.id, i.locale, i.audience, i.channel, i.body, i.require_opt_out)
                for i in body.templates]
    return {"results": list(results(requests))}


@router.get("", responses=RESPONSES)
def list_templates(
    app: Annotated[App, Depends(services)],
    who: Annotated[Principal, Depends(principal)],
    page: Annotated[PageRequest, Depends(page_request)],
    state: Annotated[str | None, Query(pattern=_one_of(tuple(s.value for s in State)))]
    = None,
    locale: Annotated[str | None, Query(pattern=_one_of(LOCALES))] = None,
) -> dict[str, Any]:
    """Template versions by id and version; `?state=in_review` is the reviewer's queue."""
    require_role(who, STAFF)
    found = [t for t in TemplateRegistry(app.store).list(State(state) if state else None)
             if locale is None or t.locale == locale]
    chunk, cursor = paginate(found, page, lambda t: (t.template_id, f"{t.version:09d}"))
    return {"templates": [t.to_dict() for t in chunk], "next_cursor": cursor}


@router.get("/{template_id}", responses=RESPONSES_404)
def show(template_id: TemplateId, response: Response,
         app: Annotated[App, Depends(services)],
         who: Annotated[Principal, Depends(principal)],
         version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None) -> dict[str, Any]:
    """One version (default the newest), with its ETag."""
    require_role(who, STAFF)
    return _view(TemplateRegistry(app.store).get(template_id, version), response)


@router.post("", status_code=201, responses=RESPONSES_404_409)
def author(body: DraftBody, response: Response, app: Annotated[App, Depends(services)],
           who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Add a draft, or the next version of a template (an open draft is revised in place
    by its author)."""
    require_role(who, AUTHORS)
    draft = TemplateDraft(template_id=body.template_id, locale=body.locale,
                          audience=body.audience, purpose=body.purpose, body=body.body,
                          channel=body.channel, jurisdiction=body.jurisdiction)
    return _view(TemplateRegistry(app.store).add(_actor(who), draft), response)


def _step(request: Request, response: Response, app: App, who: Principal, template_id: str,
          body: VersionBody | None, command: str, *, required: bool) -> dict[str, Any]:
    registry = TemplateRegistry(app.store)
    version = body.version if body else None
    if required or request.headers.get("if-match") is not None:
        check_if_match(request, etag_of(registry.get(template_id, version).to_dict()),
                       required=required)
    t = getattr(registry, command)(_actor(who), template_id, version)
    return _view(t, response)


@router.post("/{template_id}/submit", responses=RESPONSES_EDIT)
def submit(template_id: TemplateId, request: Request, response: Response,
           app: Annotated[App, Depends(services)],
           who: Annotated[Principal, Depends(principal)],
           body: VersionBody | None = None) -> dict[str, Any]:
    """Send a draft for review; 409 while the lint finds anything."""
    require_role(who, AUTHORS)
    return _step(request, response, app, who, template_id, body, "submit", required=False)


@router.post("/{template_id}/approve", responses=RESPONSES_EDIT)
def approve(template_id: TemplateId, request: Request, response: Response,
            app: Annotated[App, Depends(services)],
            who: Annotated[Principal, Depends(principal)],
            body: VersionBody | None = None) -> dict[str, Any]:
    """Approve a version in review (compliance, not its author). Needs If-Match."""
    require_role(who, REVIEWERS)
    return _step(request, response, app, who, template_id, body, "approve", required=True)


@router.post("/{template_id}/send-back", responses=RESPONSES_EDIT)
def send_back(template_id: TemplateId, request: Request, response: Response,
              app: Annotated[App, Depends(services)],
              who: Annotated[Principal, Depends(principal)],
              body: VersionBody | None = None) -> dict[str, Any]:
    """Return a version in review to its author as a draft (compliance)."""
    require_role(who, REVIEWERS)
    return _step(request, response, app, who, template_id, body, "send_back", required=False)


@router.post("/{template_id}/retire", responses=RESPONSES_EDIT)
def retire(template_id: TemplateId, request: Request, response: Response,
           app: Annotated[App, Depends(services)],
           who: Annotated[Principal, Depends(principal)],
           body: VersionBody | None = None) -> dict[str, Any]:
    """Withdraw an approved version from use (compliance)."""
    require_role(who, REVIEWERS)
    return _step(request, response, app, who, template_id, body, "retire", required=False)
