"""What-if replay: re-decide recorded decisions under another pack version, report the change.

A compliance officer's question before adopting a new pack: had `us-2026.2` been in force last
month, which attempts that went ahead would have been denied, which denials would have been
allowed, and under which rules? Every decision recorded by `record_decisions` in the date
range is re-decided from its stored request (with the vectorised decide, chunk by chunk) and
compared with what was recorded. Nothing is written.

By default only decisions recorded under the same pack family as the new pack are replayed
(`us-2026.2` replays `us-*`); `all_packs=True` replays every recorded decision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import func, select

from faircollect.errors import InputError
from faircollect.policy.batch import batch_from_requests
from faircollect.policy.content_check import Linter, content_lint
from faircollect.policy.decide import decide
from faircollect.policy.pack import Pack, load_pack_file, resolve_pack
from faircollect.policy.request import DecisionRequest, parse_request
from faircollect.policy.vector import _MAX_RULES, decide_frame
from faircollect.store.tables.policy import policy_decisions
from faircollect.store.unit_of_work import Store

# (decision_id, recorded decision JSON text, request JSON text), as stored.
Recorded = tuple[str, str, str]
_Violations = dict[str, str]  # rule id -> category, in pack order


@dataclass
class Transition:
    """One kind of change: how many, by rule and category, and some decision ids."""

    count: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    def add(self, decision_id: str, rules: _Violations, limit: int) -> None:
        self.count += 1
        for rule in rules:
            self.by_rule[rule] = self.by_rule.get(rule, 0) + 1
        for category in set(rules.values()):
            self.by_category[category] = self.by_category.get(category, 0) + 1
        if len(self.examples) < limit:
            self.examples.append(decision_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "by_rule": dict(sorted(self.by_rule.items(), key=lambda kv: (-kv[1], kv[0]))),
            "by_category": dict(sorted(self.by_category.items(),
                                       key=lambda kv: (-kv[1], kv[0]))),
            "examples": list(self.examples),
        }


@dataclass
class ReplayReport:
    """What would change under `pack`.

    `allowed_to_denied.by_rule` counts the new pack's failing rules; `denied_to_allowed.by_rule`
    the recorded rules that no longer fail; `rules_changed` covers denials that stay denied
    with a different set of rules, counting the rules that newly fail.
    """

    pack: str
    start: date
    end: date
    family: str | None
    considered: int = 0
    unchanged: int = 0
    allowed_to_denied: Transition = field(default_factory=Transition)
    denied_to_allowed: Transition = field(default_factory=Transition)
    rules_changed: Transition = field(default_factory=Transition)
    recorded_packs: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "pack": self.pack,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "family": self.family,
            "considered": self.considered,
            "unchanged": self.unchanged,
            "recorded_packs": dict(sorted(self.recorded_packs.items())),
            "allowed_to_denied": self.allowed_to_denied.to_json(),
            "denied_to_allowed": self.denied_to_allowed.to_json(),
            "rules_changed": self.rules_changed.to_json(),
        }


def pack_for(name: str) -> Pack:
    """A pack file (a path ending in .yaml/.yml) or a shipped pack id or jurisdiction."""
    if name.endswith((".yaml", ".yml")) or "/" in name:
        return load_pack_file(Path(name))
    return resolve_pack(name)


def family(pack_id: str) -> str:
    """The pack family of an id: `us` for `us-2026.2`."""
    return pack_id.rsplit("-", 1)[0]


def redecide(requests: list[DecisionRequest], pack: Pack,
             linter: Linter = content_lint) -> list[_Violations]:
    """The failing rules (id -> category) of each request under `pack`; empty when allowed."""
    if not requests:
        return []
    if len(pack.rules) > _MAX_RULES:
        return [{v.rule: v.category.value for v in decide(r, pack, linter=linter).violations}
                for r in requests]
    masks = decide_frame(batch_from_requests(requests), pack, linter=linter,
                         lists=False)["rule_mask"].to_list()
    cache: dict[int, _Violations] = {}
    out = []
    for m in masks:
        v = cache.get(m)
        if v is None:
            v = cache[m] = {r.id: r.category for i, r in enumerate(pack.rules) if m >> i & 1}
        out.append(v)
    return out


def _recorded_violations(decision_json: str) -> tuple[str, _Violations]:
    d = orjson.loads(decision_json)
    return d["pack"], {v["rule"]: v["category"] for v in d["violations"]}


def _stored_request(decision_id: str, text: str) -> DecisionRequest:
    try:
        return DecisionRequest.model_validate_json(text)  # the fast path: JSON straight in
    except ValidationError:
        # A request that no longer validates: the error names the decision and the field.
        return parse_request(orjson.loads(text), where=f"decision {decision_id}")


def compare(report: ReplayReport, chunk: list[Recorded], pack: Pack, *,
            examples: int = 5, linter: Linter = content_lint) -> None:
    """Re-decide one chunk of recorded decisions and add the differences to `report`."""
    requests = [_stored_request(did, req) for did, _, req in chunk]
    new = redecide(requests, pack, linter)
    for (did, decision_json, _), now in zip(chunk, new, strict=True):
        old_pack, old = _recorded_violations(decision_json)
        report.considered += 1
        report.recorded_packs[old_pack] = report.recorded_packs.get(old_pack, 0) + 1
        if not old and now:
            report.allowed_to_denied.add(did, now, examples)
        elif old and not now:
            report.denied_to_allowed.add(did, old, examples)
        elif set(old) != set(now):
            report.rules_changed.add(
                did, {r: c for r, c in now.items() if r not in old}, examples)
        else:
            report.unchanged += 1


def _chunks(rows: Iterable[Any], size: int) -> Iterator[list[Recorded]]:
    chunk: list[Recorded] = []
    for r in rows:
        chunk.append((r[0], r[1], r[2]))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def replay(store: Store, pack: Pack, *, start: date, end: date, all_packs: bool = False,
           examples: int = 5, chunk_size: int = 10_000,
           linter: Linter = content_lint,
           on_progress: Callable[[int, int], None] | None = None) -> ReplayReport:
    """Re-decide every decision recorded from `start` to `end` (UTC days, inclusive).

    Reads in chunks, so memory stays bounded whatever the range; writes nothing.
    `on_progress(done, total)` is told of decisions re-decided, chunk by chunk (the total is
    counted first, only when it is asked for).
    """
    if end < start:
        raise InputError("field to: the end date is before the start date", field="to")
    lo = datetime.combine(start, time(0), tzinfo=UTC)
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC)
    fam = None if all_packs else family(pack.id)
    t = policy_decisions.c
    query = (select(t.decision_id, t.decision, t.request)
             .where(t.decided_at >= lo, t.decided_at < hi)
             .order_by(t.decided_at, t.decision_id))
    if fam is not None:
        query = query.where(t.pack_id.like(f"{fam}-%"))
    report = ReplayReport(pack=pack.id, start=start, end=end, family=fam)
    with store.read() as conn:
        total = 0
        if on_progress is not None:
            total = int(conn.execute(
                select(func.count()).select_from(query.order_by(None).subquery())).scalar_one())
            on_progress(0, total)
        done = 0
        result = conn.execution_options(yield_per=chunk_size).execute(query)
        for chunk in _chunks(result, chunk_size):
            compare(report, chunk, pack, examples=examples, linter=linter)
            done += len(chunk)
            if on_progress is not None:
                on_progress(done, max(total, done))
    return report
