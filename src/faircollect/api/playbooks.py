"""Playbooks: the shipped ones (validated against the template registry's approved
templates, as the cycle will use them) and validation of a candidate playbook."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from faircollect.api.auth import Principal
from faircollect.api.conventions import ConventionRoute
from faircollect.api.deps import principal, services
from faircollect.api.problems import RESPONSES
from faircollect.api.reach import READERS, require_role
from faircollect.bootstrap import App
from faircollect.errors import ConfigError
from faircollect.strategy.library import check_playbook, describe, shipped_playbooks
from faircollect.strategy.registry_source import RegistrySource

router = APIRouter(prefix="/v1/playbooks", tags=["playbooks"], route_class=ConventionRoute)
AUTHORS = ("supervisor", "compliance", "admin")


class PlaybookText(BaseModel):
    model_config = ConfigDict(extra="forbid")

    yaml: str = Field(min_length=1, max_length=200_000, description="The playbook's YAML.")


def _usable(app: App) -> tuple[bool, str | None]:
    from faircollect.cycle import cycle_playbooks

    try:
        cycle_playbooks(app)
    except ConfigError as exc:
        return False, exc.message
    return True, None


@router.get("", responses=RESPONSES)
def list_playbooks(app: Annotated[App, Depends(services)],
                   who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """The shipped playbooks, and whether the cycle can use them now (every template they
    name approved in the registry); `problem` says what stops it."""
    require_role(who, READERS)
    usable, problem = _usable(app)
    return {"playbooks": [describe(b) for b in shipped_playbooks()], "usable": usable,
            "problem": problem}


@router.post("/validate", responses=RESPONSES)
def validate(body: PlaybookText, app: Annotated[App, Depends(services)],
             who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Check a playbook against its jurisdiction's pack and the registry's approved
    templates; answers `valid` and the first problem (writes nothing)."""
    require_role(who, AUTHORS)
    try:
        book = check_playbook(body.yaml, RegistrySource.load(app.store))
    except ConfigError as exc:
        return {"valid": False, "problem": exc.message}
    return {"valid": True, "problem": None, "playbook": describe(book)}
