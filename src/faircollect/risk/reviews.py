"""Human review of automated decisions, on request: a queue worked by people.

A borrower (or staff on their behalf) asks that a person look again at a decision a model
made; the request keeps the decision exactly as made (model, version, score, reasons). A
staff member with a reviewing role then upholds or overturns it, with a short note; the
system itself can never decide a review. PIPL Art. 24 gives the individual the right to an
explanation and to refuse a decision made solely by automated means; GDPR Art. 22(3) the
right to human intervention. Every step is audited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from faircollect.cases.borrower import new_id
from faircollect.content.template import Actor
from faircollect.errors import AccessDenied, Conflict, InputError, NotFound
from faircollect.store.tables.risk import risk_reviews
from faircollect.store.unit_of_work import Store

REVIEWERS = frozenset({"supervisor", "compliance"})
OUTCOMES = ("upheld", "overturned")


@dataclass(frozen=True)
class Review:
    review_id: str
    model_id: str
    version: int
    subject: str
    score: float
    reasons: list[dict[str, Any]]
    state: str
    requested_by: str
    decided_by: str | None
    note: str | None

    def view(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _row(r: Any) -> Review:
    return Review(r.review_id, r.model_id, r.version, r.subject, float(r.score),
                  json.loads(r.reasons), r.state, r.requested_by, r.decided_by, r.note)


def request_review(store: Store, actor: Actor, *, model_id: str, version: int, subject: str,
                   score: float, reasons: list[dict[str, Any]]) -> Review:
    """Queue a decision for a person to review."""
    if not subject or len(subject) > 64:
        raise InputError("the subject must be 1-64 characters (a borrower id or reference)",
                         field="subject")
    review_id = new_id("rrv")
    with store.transaction(actor.actor_id) as uow:
        uow.conn.execute(insert(risk_reviews).values(
            review_id=review_id, model_id=model_id, version=version, subject=subject,
            score=float(score), reasons=json.dumps(reasons, ensure_ascii=False),
            state="requested", requested_by=actor.actor_id, requested_at=store.clock()))
        uow.audit("risk_review.requested", f"risk_review:{review_id}",
                  {"model": f"{model_id}:v{version}", "subject": subject})
    return get(store, review_id)


def get(store: Store, review_id: str) -> Review:
    with store.read() as conn:
        r = conn.execute(select(risk_reviews).where(risk_reviews.c.review_id == review_id)).first()
    if r is None:
        raise NotFound(f"no risk review {review_id}", review_id=review_id)
    return _row(r)


def queue(store: Store, state: str | None = "requested") -> list[Review]:
    """Reviews oldest first (only open ones by default)."""
    q = select(risk_reviews).order_by(risk_reviews.c.requested_at, risk_reviews.c.review_id)
    if state is not None:
        q = q.where(risk_reviews.c.state == state)
    with store.read() as conn:
        return [_row(r) for r in conn.execute(q)]


def decide(store: Store, actor: Actor, review_id: str, outcome: str, note: str) -> Review:
    """A person upholds or overturns the decision; never the system, never the requester."""
    if outcome not in OUTCOMES:
        raise InputError(f"outcome must be one of {list(OUTCOMES)}", field="outcome")
    if not note.strip() or len(note) > 500:
        raise InputError("a review needs a note of 1-500 characters saying why", field="note")
    if actor.actor_id.startswith("system:") or not (actor.roles & REVIEWERS):
        raise AccessDenied("a review is decided by a person with the supervisor or compliance "
                           "role", role="compliance")
    with store.transaction(actor.actor_id) as uow:
        r = uow.conn.execute(select(risk_reviews).where(
            risk_reviews.c.review_id == review_id)).first()
        if r is None:
            raise NotFound(f"no risk review {review_id}", review_id=review_id)
        if r.state != "requested":
            raise Conflict(f"risk review {review_id} is already {r.state}", review_id=review_id)
        if r.requested_by == actor.actor_id:
            raise AccessDenied("the person who asked for a review may not decide it",
                               review_id=review_id)
        uow.conn.execute(update(risk_reviews).where(risk_reviews.c.review_id == review_id)
                         .values(state=outcome, decided_by=actor.actor_id,
                                 decided_at=store.clock(), note=note.strip()))
        uow.audit(f"risk_review.{outcome}", f"risk_review:{review_id}",
                  {"model": f"{r.model_id}:v{r.version}"})
    return get(store, review_id)
