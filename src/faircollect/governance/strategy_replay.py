"""What a draft playbook or override would have changed over the last 30 days of cycles.

Each business date the cycle ran (the 30 days ending at the latest run) is planned and
decided twice from the store: under the strategy in force (approved versions only) and
under the same with the draft in place. Both runs see the same inputs (the store's view of
each date as it stands now), so the difference is the draft's alone: attempts, denials by
rule, and the contact persons that would be reached. Nothing is written.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import select

from faircollect.governance.override import override_id
from faircollect.governance.review import REPLAY_DAYS
from faircollect.governance.strategy_service import (
    approved_versions,
    reviewed_set,
    with_overrides,
)
from faircollect.store.tables.cycle import cycle_runs
from faircollect.store.unit_of_work import Store
from faircollect.strategy.cache import InputCache
from faircollect.strategy.decisions import decide_plan
from faircollect.strategy.library import PlaybookSet, build_set
from faircollect.strategy.loader import load_inputs
from faircollect.strategy.messages import TemplateSource
from faircollect.strategy.planner import plan_day
from faircollect.strategy.playbook import Playbook


def replay_days(store: Store, days: int = REPLAY_DAYS) -> list[date]:
    """The business dates with a finished cycle in the `days` ending at the latest one."""
    with store.read() as conn:
        done = sorted(r[0] for r in conn.execute(
            select(cycle_runs.c.business_date).where(cycle_runs.c.status == "done")))
    if not done:
        return []
    first = done[-1] - timedelta(days=days - 1)
    return [d for d in done if d >= first]


def draft_set(store: Store, templates: TemplateSource, kind: str, body: str,
              draft: Playbook | str) -> tuple[PlaybookSet, PlaybookSet]:
    """The set in force and the same set with the draft in place."""
    current = reviewed_set(store, templates)
    if kind == "playbook":
        assert isinstance(draft, Playbook)
        books = [b for b in current.playbooks.values() if b.id != draft.id] + [draft]
        built = build_set(books, templates)
        return current, replace(built, packs={**built.packs, **current.packs})
    with store.read() as conn:
        others = [v.body for v in approved_versions(conn, "override").values()
                  if v.subject_id != override_id(body)]
    plain = build_set(list(current.playbooks.values()), templates)
    return current, with_overrides(plain, [*others, body])


def _metrics(frames: list[pl.DataFrame]) -> dict[str, Any]:
    if not frames:
        return {"attempts": 0, "allowed": 0, "denied": 0, "denials_by_rule": {},
                "contact_persons_reached": 0}
    d = pl.concat(frames, how="vertical_relaxed")
    denied = d.filter(~pl.col("allowed"))
    rules = denied.select(pl.col("rules").explode()).to_series().drop_nulls()
    reached = d.filter(pl.col("allowed") & (pl.col("audience") != "borrower")
                       & pl.col("contact_id").is_not_null())["contact_id"].n_unique()
    return {"attempts": d.height, "allowed": d.height - denied.height, "denied": denied.height,
            "denials_by_rule": dict(sorted((str(k), int(v))
                                           for k, v in rules.value_counts().iter_rows())),
            "contact_persons_reached": int(reached)}


def replay_sets(store: Store, current: PlaybookSet, draft: PlaybookSet,
                days: list[date]) -> dict[str, Any]:
    """Plan and decide `days` under both sets; the two tallies and their difference."""
    min_dpd = min(s.dpd_from for b in (current, draft) for p in b.playbooks.values()
                  for s in p.stages)
    cache = InputCache()
    got: dict[str, list[pl.DataFrame]] = {"current": [], "draft": []}
    with store.read() as conn:
        for day in days:
            inputs, _ = load_inputs(conn, day, min_dpd=min_dpd, cache=cache)
            for name, books in (("current", current), ("draft", draft)):
                plan = plan_day(inputs, books, day)
                got[name].append(decide_plan(plan.attempts, inputs, books, day).attempts.select(
                    "allowed", "rules", "audience", "contact_id"))
    now, new = _metrics(got["current"]), _metrics(got["draft"])
    rules = sorted(set(now["denials_by_rule"]) | set(new["denials_by_rule"]))
    by_rule = {r: {"current": now["denials_by_rule"].get(r, 0),
                   "draft": new["denials_by_rule"].get(r, 0)} for r in rules}
    return {
        "days": [d.isoformat() for d in days],
        "current": now, "draft": new,
        "changes": {k: new[k] - now[k] for k in ("attempts", "allowed", "denied",
                                                 "contact_persons_reached")},
        "denials_by_rule": {r: v for r, v in by_rule.items() if v["current"] != v["draft"]},
    }


def replay_draft(store: Store, templates: TemplateSource, kind: str, body: str,
                 draft: Playbook | str) -> dict[str, Any]:
    """The replay report stored with a submitted draft (see the module docstring)."""
    current, proposed = draft_set(store, templates, kind, body, draft)
    return replay_sets(store, current, proposed, replay_days(store))
