"""The daily cycle scores the portfolio with the approved collection model and its risk
segments pick the playbook, so a high-risk playbook's stages run (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sqlalchemy import select

from faircollect.content.template import Actor
from faircollect.cycle import cycle_playbooks, run_cycle
from faircollect.demo import approve_starter_library
from faircollect.errors import AccessDenied, InputError
from faircollect.portfolio.generator import generate_portfolio
from faircollect.portfolio.importer import import_portfolio
from faircollect.risk import registry
from faircollect.risk.behaviour import FEATURES
from faircollect.risk.portfolio import portfolio_features, with_risk_segments
from faircollect.risk.segments import assign_segments
from faircollect.risk.training import prepare, train
from faircollect.store.tables.audit import audit_entries
from faircollect.store.tables.cycle import planned_attempts

AS_OF = date(2026, 3, 1)
DAY = date(2026, 3, 2)
ANALYST = Actor("risk-analyst", frozenset())
OFFICER = Actor("compliance-officer", frozenset({"compliance"}))


def _collection_data(n: int = 3000, seed: int = 4) -> pl.DataFrame:
    """Accounts whose chance to roll rises with days past due and falls with payments."""
    rng = np.random.default_rng(seed)
    dpd = rng.integers(0, 120, n)
    pays = rng.poisson(1.5, n)
    logit = -2.5 + 0.07 * dpd - 0.6 * pays
    rolled = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = {f: rng.integers(0, 3, n) for f in FEATURES}
    frame.update(dpd=dpd, max_dpd_90d=dpd + rng.integers(0, 20, n), payments_90d=pays,
                 rolled=rolled)
    frame["paid_share_90d"] = rng.uniform(0, 1, n)
    return pl.DataFrame(frame)


def _high_playbook(folder: Path) -> None:
    shipped = resources.files("faircollect.strategy").joinpath("playbooks")
    for f in shipped.iterdir():
        if f.name.endswith(".yaml"):
            (folder / f.name).write_text(f.read_text("utf-8"), "utf-8")
    text = (folder / "cn-standard.yaml").read_text("utf-8")
    text = (text.replace("id: cn-", "id: cnh-").replace("id: cnh-standard-2026.1", "id: cn-high-2026.1")
            .replace("segment: standard", "segment: high")
            .replace("dpd: [1, 15]", "dpd: [1, 7]").replace("dpd: [16, 45]", "dpd: [8, 45]"))
    (folder / "cn-high.yaml").write_text(text, "utf-8")


@pytest.fixture
def seeded(app, tmp_path: Path):  # type: ignore[no-untyped-def]
    generate_portfolio(tmp_path / "pf", borrowers=160, seed=11, as_of=AS_OF)
    import_portfolio(app, tmp_path / "pf", actor="test")
    approve_starter_library(app)
    books = tmp_path / "books"
    books.mkdir()
    _high_playbook(books)
    return app, cycle_playbooks(app, books)


def _model(app):  # type: ignore[no-untyped-def]
    trained = train(prepare(_collection_data(), "rolled", "1"), "collection", folds=3)
    return registry.register(app.store, ANALYST, "collection-roll", trained)


def test_segments_choose_the_playbook_and_its_stages(seeded) -> None:  # type: ignore[no-untyped-def]
    app, books = seeded
    pending = _model(app)
    # a pending model sets nothing: every account stays standard
    from faircollect.strategy.loader import load_inputs

    with app.store.read() as conn:
        inputs, _ = load_inputs(conn, DAY, min_dpd=-3)
        same, summary = with_risk_segments(app, conn, DAY, inputs)
    assert summary == {} and set(same.accounts["segment"]) == {"standard"}
    with pytest.raises(AccessDenied, match="maker-checker"):
        registry.approve(app.store, Actor("risk-analyst", frozenset({"compliance"})),
                         pending.model_id, pending.version)
    registry.approve(app.store, OFFICER, pending.model_id, pending.version)

    result = run_cycle(app, DAY, books=books)
    assert result.attempts > 0
    with app.store.read() as conn:
        feats = portfolio_features(conn, DAY)
        rows = conn.execute(select(planned_attempts.c.borrower_id, planned_attempts.c.playbook_id,
                                   planned_attempts.c.stage, planned_attempts.c.dpd,
                                   planned_attempts.c.step_id, planned_attempts.c.kind)).all()
        audit = conn.execute(select(audit_entries.c.record).where(
            audit_entries.c.action == "risk.segments_set")).all()
    # the ledger characteristics hold together
    assert set(FEATURES) <= set(feats.columns)
    assert (feats["max_dpd_90d"] >= feats["dpd"]).all()
    assert (feats["dpd"] >= 0).all() and feats["dpd"].max() > 0
    share = feats["paid_share_90d"].drop_nulls()
    assert ((share >= 0) & (share <= 2)).all()
    segs = dict(assign_segments(registry.live(app.store, "collection").scorecard, feats)
                .select("borrower_id", "segment").iter_rows())
    cn = [r for r in rows if r.playbook_id.startswith("cn-")]
    assert {r.playbook_id for r in cn} == {"cn-standard-2026.1", "cn-high-2026.1"}
    for r in cn:
        expected = "cn-high-2026.1" if segs.get(r.borrower_id) == "high" else "cn-standard-2026.1"
        assert r.playbook_id == expected, (r, segs.get(r.borrower_id))
        if r.kind == "message":
            assert r.step_id.startswith("cnh-") == (r.playbook_id == "cn-high-2026.1")
    # no US playbook for the high segment: those accounts fall back to the US standard one
    # (and its calls-first challenger), never to no strategy
    us = {r.playbook_id for r in rows if r.playbook_id.startswith("us-")
          and segs.get(r.borrower_id) == "high"}
    assert us and us <= {"us-standard-2026.1", "us-calls-first-2026.1"}
    # the high playbook's mid stage starts at 8 days past due, the standard one's at 16
    for r in cn:
        if 8 <= r.dpd <= 15:
            assert r.stage == ("mid" if r.playbook_id == "cn-high-2026.1" else "early")
    assert len(audit) == 1
    payload = json.loads(audit[0].record)["payload"]
    assert payload["model_id"] == "collection-roll" and payload["segments"]["high"] > 0



def test_collection_dataset_is_labelled_by_the_ledger(seeded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app, _ = seeded
    from faircollect.risk.portfolio import collection_dataset
    from faircollect.strategy.cache import InputCache

    day = date(2026, 1, 15)
    with app.store.read() as conn:
        rows = collection_dataset(conn, day)
        inst, pays = InputCache().ledger(conn)
    from faircollect.ledger.snapshot import snapshot

    owners = inst.select("loan_id", "borrower_id").unique("loan_id")
    def dpd(at: date) -> dict[str, int]:
        snap = snapshot(inst.drop("borrower_id"), pays.filter(pl.col("paid_on") <= at), at)
        per = snap.join(owners, on="loan_id").group_by("borrower_id").agg(
            pl.col("days_past_due").max())
        return dict(per.iter_rows())
    before, after = dpd(day), dpd(date(2026, 2, 14))
    # exactly the borrowers past due on the day, labelled by whether they still are 30 days on
    assert set(rows["borrower_id"]) == {b for b, d in before.items() if d > 0}
    for b, rolled in rows.select("borrower_id", "rolled").iter_rows():
        assert rolled == int(after[b] > 0)
    assert 0 < rows["rolled"].sum() < rows.height
    with pytest.raises(InputError, match="outcome is not known yet"), app.store.read() as conn:
        collection_dataset(conn, date(2026, 2, 25))
