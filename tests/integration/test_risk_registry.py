"""The model registry on a real store (SQLite and PostgreSQL): maker-checker, audit, use."""

from __future__ import annotations

import json
from importlib import resources

import polars as pl
import pytest
from sqlalchemy import select

from faircollect.content.template import Actor
from faircollect.errors import AccessDenied, Conflict
from faircollect.risk import registry
from faircollect.risk.training import prepare, train
from faircollect.store.tables.audit import audit_entries

AUTHOR = Actor("analyst-1", frozenset())
OFFICER = Actor("officer-1", frozenset({"compliance"}))


@pytest.fixture(scope="module")
def trained():  # type: ignore[no-untyped-def]
    data = pl.read_csv(str(resources.files("faircollect.risk").joinpath("data/german_credit.csv")))
    return train(prepare(data, "creditability", "bad"), "application", folds=3, source="german")


def _actions(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with app.store.read() as conn:
        return [(r.action, r.subject) for r in conn.execute(
            select(audit_entries.c.action, audit_entries.c.subject).where(
                audit_entries.c.action.like("risk_model.%")).order_by(audit_entries.c.seq))]


def test_maker_checker_and_versions(app, trained) -> None:  # type: ignore[no-untyped-def]
    v1 = registry.register(app.store, AUTHOR, "app-card", trained)
    assert (v1.version, v1.state, v1.author) == (1, "pending", "analyst-1")
    assert v1.fingerprint == trained.fingerprint and len(v1.fingerprint) == 64
    assert v1.card["data"]["rows"] == 1000 and v1.card["data"]["bads"] == 300
    with pytest.raises(Conflict, match="only an approved model scores"):
        registry.usable(app.store, "app-card", 1)
    assert registry.usable(app.store, "app-card", 1, allow_pending=True).version == 1
    with pytest.raises(AccessDenied, match="compliance"):
        registry.approve(app.store, Actor("analyst-2", frozenset()), "app-card", 1)
    with pytest.raises(AccessDenied, match="maker-checker"):
        registry.approve(app.store, Actor("analyst-1", frozenset({"compliance"})), "app-card", 1)
    ok = registry.approve(app.store, OFFICER, "app-card", 1)
    assert (ok.state, ok.approved_by) == ("approved", "officer-1")
    with pytest.raises(Conflict, match="not pending"):
        registry.approve(app.store, OFFICER, "app-card", 1)
    # a second version, once approved, retires the first: one live model per kind
    v2 = registry.register(app.store, AUTHOR, "app-card", trained)
    assert v2.version == 2 and registry.live(app.store, "application").version == 1
    registry.approve(app.store, OFFICER, "app-card", 2)
    assert registry.live(app.store, "application").version == 2
    assert registry.get(app.store, "app-card", 1).state == "retired"
    # the stored model scores exactly as the one trained
    data = pl.read_csv(str(resources.files("faircollect.risk").joinpath("data/german_credit.csv")))
    stored = registry.get(app.store, "app-card", 2).scorecard
    assert stored.to_dict() == trained.card.to_dict()
    # (float sums may differ in the last bits between two evaluations; nothing more)
    diff = abs(stored.score(data) - trained.card.score(data)).max()
    assert diff < 1e-9, diff
    assert _actions(app) == [
        ("risk_model.registered", "risk_model:app-card:v1"),
        ("risk_model.approved", "risk_model:app-card:v1"),
        ("risk_model.registered", "risk_model:app-card:v2"),
        ("risk_model.retired", "risk_model:app-card:v1"),
        ("risk_model.approved", "risk_model:app-card:v2"),
    ]
    # a model id keeps its kind
    with pytest.raises(Conflict, match="application model"):
        registry.register(app.store, AUTHOR, "app-card",
                          type(trained)("collection", trained.card, trained.model_card,
                                        trained.fingerprint))


def test_reject_and_model_card(app, trained) -> None:  # type: ignore[no-untyped-def]
    v = registry.register(app.store, AUTHOR, "other", trained)
    out = registry.reject(app.store, OFFICER, "other", v.version)
    assert out.state == "rejected" and registry.live(app.store, "application") is None
    card = registry.get(app.store, "other").card
    assert set(card) >= {"data", "characteristics", "left_out", "consent", "metrics",
                         "baseline", "limits", "catalogue_version"}
    protected = {c["feature"] for c in card["characteristics"] if c["protected"]}
    assert protected == {"age_in_years"}  # measured for fairness, allowed as a characteristic
    for banned in ("personal_status_and_sex", "foreign_worker"):
        assert card["left_out"][banned].startswith("prohibited basis")
    json.dumps(card)  # JSON all the way down


def test_human_review_queue(app) -> None:  # type: ignore[no-untyped-def]
    from faircollect.errors import InputError
    from faircollect.risk import reviews

    borrower = Actor("portal:b-9", frozenset({"borrower"}))
    r = reviews.request_review(app.store, borrower, model_id="german", version=1,
                               subject="b-9", score=471.5,
                               reasons=[{"feature": "duration_in_month", "points_lost": 40.5}])
    assert r.state == "requested" and [q.review_id for q in reviews.queue(app.store)] == [r.review_id]
    with pytest.raises(AccessDenied):  # the system never decides a review
        reviews.decide(app.store, Actor("system:cycle", frozenset({"compliance"})), r.review_id,
                       "upheld", "auto")
    with pytest.raises(AccessDenied):  # nor a role that does not review
        reviews.decide(app.store, Actor("col-1", frozenset({"collector"})), r.review_id,
                       "upheld", "ok")
    with pytest.raises(InputError, match="note"):
        reviews.decide(app.store, OFFICER, r.review_id, "overturned", "  ")
    done = reviews.decide(app.store, OFFICER, r.review_id, "overturned",
                          "income documents show the loan is affordable")
    assert (done.state, done.decided_by) == ("overturned", "officer-1")
    assert reviews.queue(app.store) == [] and len(reviews.queue(app.store, None)) == 1
    with pytest.raises(Conflict, match="already overturned"):
        reviews.decide(app.store, OFFICER, r.review_id, "upheld", "again")
    with app.store.read() as conn:
        acts = [a for (a,) in conn.execute(select(audit_entries.c.action).where(
            audit_entries.c.action.like("risk_review.%")).order_by(audit_entries.c.seq))]
    assert acts == ["risk_review.requested", "risk_review.overturned"]
