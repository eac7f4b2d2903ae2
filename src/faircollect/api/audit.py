"""The tamper-evident audit log: signed checkpoints, RFC 9162 inclusion and consistency
proofs, verification, the verifier key, and bundles a regulator checks offline with
`python -m faircollect.audit.verify` — the `faircollect audit ...` service over HTTP.

Entries hold tokens and actions, never personal data. Auditors, compliance and admins only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from faircollect.api.auth import Principal
from faircollect.api.conventions import ConventionRoute
from faircollect.api.deps import principal, services
from faircollect.api.problems import RESPONSES, RESPONSES_404
from faircollect.api.reach import require_role
from faircollect.audit.service import AuditService
from faircollect.bootstrap import App
from faircollect.errors import InputError

router = APIRouter(prefix="/v1/audit", tags=["audit"], route_class=ConventionRoute)
ROLES = ("auditor", "compliance", "admin")
MAX_BUNDLE = 100_000  # entries per bundle over HTTP; larger ones through the CLI
Seq = Annotated[int, Path(ge=0, le=2**62)]
Size = Annotated[int | None, Query(ge=0, le=2**62)]


def _service(app: App) -> AuditService:
    return AuditService(app.store, app.keys.signing_key("audit"))


@router.get("/key", responses=RESPONSES)
def key(app: Annotated[App, Depends(services)],
        who: Annotated[Principal, Depends(principal)]) -> dict[str, str]:
    """The verifier key (signed-note form) and its fingerprint, to publish for regulators."""
    require_role(who, ROLES)
    service = _service(app)
    return {"verifier_key": service.verifier_key, "fingerprint": service.fingerprint}


@router.post("/checkpoints", status_code=201, responses=RESPONSES)
def checkpoint(app: Annotated[App, Depends(services)],
               who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Sign (or fetch, when already signed) the checkpoint of the current tree."""
    require_role(who, ROLES)
    service = _service(app)
    note = service.checkpoint()
    return {"checkpoint": note, "tree_size": int(note.split("\n", 2)[1]),
            "fingerprint": service.fingerprint}


@router.get("/entries/{seq}/proof", responses=RESPONSES_404)
def inclusion(seq: Seq, app: Annotated[App, Depends(services)],
              who: Annotated[Principal, Depends(principal)],
              size: Size = None) -> dict[str, Any]:
    """An entry with its inclusion proof in the tree of `size` (default: the current one)."""
    require_role(who, ROLES)
    return _service(app).prove(seq, size)


@router.get("/consistency", responses=RESPONSES)
def consistency(app: Annotated[App, Depends(services)],
                who: Annotated[Principal, Depends(principal)],
                old: Annotated[int, Query(ge=0, le=2**62)],
                new: Size = None) -> dict[str, Any]:
    """The consistency proof between tree sizes `old` and `new` (default: current)."""
    require_role(who, ROLES)
    return _service(app).consistency(old, new)


@router.get("/verification", responses=RESPONSES)
def verification(app: Annotated[App, Depends(services)],
                 who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Recompute the whole log and check every checkpoint."""
    require_role(who, ROLES)
    report = _service(app).verify()
    return {"ok": report.ok, "size": report.size, "root": report.root.hex(),
            "checkpoints": report.checkpoints, "first_bad": report.first_bad,
            "problems": [p.message for p in report.problems]}


@router.get("/bundle", responses=RESPONSES)
def bundle(app: Annotated[App, Depends(services)],
           who: Annotated[Principal, Depends(principal)],
           first: Annotated[int, Query(alias="from", ge=0, le=2**62)] = 0,
           last: Annotated[int | None, Query(alias="to", ge=0, le=2**62)] = None
           ) -> dict[str, Any]:
    """A self-verifying bundle of entries from..to (inclusive; default the newest), at most
    100,000 entries."""
    require_role(who, ROLES)
    service = _service(app)
    if last is not None and last < first:
        raise InputError("to is before from", field="query.to")
    if last is None:
        size = service.consistency(0)["new_size"]
        last = size - 1
    if last - first + 1 > MAX_BUNDLE:
        raise InputError(f"a bundle over HTTP holds at most {MAX_BUNDLE:,} entries; "
                         "narrow from/to or use `faircollect audit export`", field="query.to")
    return service.export(first, last)
