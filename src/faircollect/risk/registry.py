"""The model registry: versions, fingerprints, model cards, maker-checker approval, audited.

pending -> approved -> retired, or pending -> rejected. Approving needs the `compliance` role
and must not be done by the model's author; approving a version retires the approved one of
the same kind and id. Only an approved model scores in production (the cycle, `risk score`
without `--allow-pending`). Every step is one transaction with its audit entry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from faircollect.content.template import COMPLIANCE_ROLE, Actor
from faircollect.errors import AccessDenied, Conflict, InputError, NotFound
from faircollect.risk.scorecard import Scorecard
from faircollect.risk.training import Trained
from faircollect.store.tables.risk import risk_models
from faircollect.store.unit_of_work import Store


@dataclass(frozen=True)
class ModelVersion:
    model_id: str
    version: int
    kind: str
    state: str
    fingerprint: str
    author: str
    approved_by: str | None
    card: dict[str, Any]
    model: dict[str, Any]

    @property
    def scorecard(self) -> Scorecard:
        return Scorecard.from_dict(self.model)

    def view(self) -> dict[str, Any]:
        """What faces show: everything but the model body."""
        return {"model_id": self.model_id, "version": self.version, "kind": self.kind,
                "state": self.state, "fingerprint": self.fingerprint, "author": self.author,
                "approved_by": self.approved_by, "card": self.card}


def _row(r: Any) -> ModelVersion:
    return ModelVersion(r.model_id, r.version, r.kind, r.state, r.fingerprint, r.author,
                        r.approved_by, json.loads(r.card), json.loads(r.model))


def _subject(model_id: str, version: int) -> str:
    return f"risk_model:{model_id}:v{version}"


def register(store: Store, actor: Actor, model_id: str, trained: Trained) -> ModelVersion:
    """Store a trained model as the next pending version of `model_id`."""
    if not model_id or len(model_id) > 64 or not model_id.replace("-", "").replace(
            "_", "").isalnum():
        raise InputError("model id must be 1-64 letters, digits, - or _", field="model_id")
    now = store.clock()
    with store.transaction(actor.actor_id) as uow:
        last = uow.conn.execute(select(func.max(risk_models.c.version)).where(
            risk_models.c.model_id == model_id)).scalar()
        if last is not None:
            kind = uow.conn.execute(select(risk_models.c.kind).where(
                risk_models.c.model_id == model_id)).scalar()
            if kind != trained.kind:
                raise Conflict(f"model {model_id} is a {kind} model, not {trained.kind}",
                               model_id=model_id)
        version = (last or 0) + 1
        uow.conn.execute(insert(risk_models).values(
            model_id=model_id, version=version, kind=trained.kind, state="pending",
            fingerprint=trained.fingerprint, model=json.dumps(trained.card.to_dict()),
            card=json.dumps(trained.model_card), author=actor.actor_id, created_at=now))
        uow.audit("risk_model.registered", _subject(model_id, version),
                  {"kind": trained.kind, "fingerprint": trained.fingerprint,
                   "cv": {k: str(v) for k, v in trained.model_card["metrics"]["cv"].items()}})
        return _get(uow.conn, model_id, version)


def _get(conn: Connection, model_id: str, version: int | None = None) -> ModelVersion:
    q = select(risk_models).where(risk_models.c.model_id == model_id)
    q = (q.where(risk_models.c.version == version) if version is not None
         else q.order_by(risk_models.c.version.desc()).limit(1))
    r = conn.execute(q).first()
    if r is None:
        raise NotFound(f"no risk model {model_id}" + (f" v{version}" if version else ""),
                       model_id=model_id)
    return _row(r)


def get(store: Store, model_id: str, version: int | None = None) -> ModelVersion:
    """A version (the latest when `version` is None); NotFound when absent."""
    with store.read() as conn:
        return _get(conn, model_id, version)


def listing(store: Store) -> list[ModelVersion]:
    with store.read() as conn:
        rows = conn.execute(select(risk_models).order_by(risk_models.c.model_id,
                                                         risk_models.c.version)).all()
    return [_row(r) for r in rows]


def _decide(store: Store, actor: Actor, model_id: str, version: int, approve: bool
            ) -> ModelVersion:
    what = "approve" if approve else "reject"
    if not actor.has(COMPLIANCE_ROLE):
        raise AccessDenied(f"to {what} a risk model needs the '{COMPLIANCE_ROLE}' role",
                           role=COMPLIANCE_ROLE)
    now = store.clock()
    with store.transaction(actor.actor_id) as uow:
        m = _get(uow.conn, model_id, version)
        if m.state != "pending":
            raise Conflict(f"risk model {model_id} v{version} is {m.state}, not pending",
                           model_id=model_id, version=version)
        if m.author == actor.actor_id:
            raise AccessDenied("maker-checker: the author may not approve or reject their own "
                               "model", model_id=model_id, version=version)
        if approve:
            live = uow.conn.execute(select(risk_models.c.model_id, risk_models.c.version).where(
                risk_models.c.kind == m.kind, risk_models.c.state == "approved")).all()
            for old_id, old_v in live:
                uow.conn.execute(update(risk_models).where(
                    risk_models.c.model_id == old_id, risk_models.c.version == old_v).values(
                    state="retired", retired_by=actor.actor_id, retired_at=now))
                uow.audit("risk_model.retired", _subject(old_id, old_v),
                          {"superseded_by": f"{model_id}:v{version}"})
        uow.conn.execute(update(risk_models).where(
            risk_models.c.model_id == model_id, risk_models.c.version == version).values(
            state="approved" if approve else "rejected", approved_by=actor.actor_id,
            approved_at=now))
        uow.audit(f"risk_model.{'approved' if approve else 'rejected'}",
                  _subject(model_id, version), {"kind": m.kind, "fingerprint": m.fingerprint})
        return _get(uow.conn, model_id, version)


def approve(store: Store, actor: Actor, model_id: str, version: int) -> ModelVersion:
    """Approve a pending version: compliance role, not its author; one live model per kind."""
    return _decide(store, actor, model_id, version, True)


def reject(store: Store, actor: Actor, model_id: str, version: int) -> ModelVersion:
    return _decide(store, actor, model_id, version, False)


def live(store: Store, kind: str) -> ModelVersion | None:
    """The approved model of `kind`, or None."""
    with store.read() as conn:
        r = conn.execute(select(risk_models).where(risk_models.c.kind == kind,
                                                   risk_models.c.state == "approved")).first()
    return None if r is None else _row(r)


def usable(store: Store, model_id: str, version: int | None, *,
           allow_pending: bool = False) -> ModelVersion:
    """A model to score with: approved (or pending, for a validation run when allowed)."""
    m = get(store, model_id, version)
    if m.state == "approved" or (allow_pending and m.state == "pending"):
        return m
    raise Conflict(f"risk model {model_id} v{m.version} is {m.state}: only an approved model "
                   "scores (compliance approves it with `risk approve`)", model_id=model_id,
                   version=m.version)
