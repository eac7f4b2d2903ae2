"""A person's contact attempt decided with their training status in the request.

The decision request's optional `actor` carries `training_valid`; this service fills it from
the training register for the request's jurisdiction at the attempt's instant, then asks the
pack (whose house rule HOUSE-TRAINING denies an untrained collector or agency). Like
`faircollect policy check`, it is a query: nothing is recorded.
"""

from __future__ import annotations

from faircollect.governance.training_service import status
from faircollect.policy.decide import decide
from faircollect.policy.decision import Decision
from faircollect.policy.pack import resolve_pack
from faircollect.policy.request import Actor, DecisionRequest
from faircollect.store.unit_of_work import Store


def with_training(store: Store, request: DecisionRequest, person_id: str,
                  kind: str = "collector") -> DecisionRequest:
    """`request` with `actor` set to the person and their training status at request.at."""
    with store.read() as conn:
        s = status(conn, person_id, request.jurisdiction, request.at)
    actor = Actor(id=person_id, kind=kind, training_valid=s.allowed)  # type: ignore[arg-type]
    return request.model_copy(update={"actor": actor})


def decide_attempt(store: Store, request: DecisionRequest, person_id: str,
                   kind: str = "collector") -> Decision:
    """Decide a collector's (or agency's) attempt under the request's pack."""
    req = with_training(store, request, person_id, kind)
    return decide(req, resolve_pack(req.jurisdiction))
