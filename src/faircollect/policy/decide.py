"""decide(request, pack) -> Decision: pure, deterministic, every failing rule listed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from faircollect.policy.content_check import Linter, content_lint
from faircollect.policy.context import Context
from faircollect.policy.decision import Category, Decision, Violation
from faircollect.policy.kinds import CHECKS, Check, Failure
from faircollect.policy.pack import Pack, Rule
from faircollect.policy.params import THIRD_PARTY_KINDS
from faircollect.policy.request import DecisionRequest, zone

# How many times the search for the next allowed instant may step forward. Each step jumps to
# the latest instant any failing rule names, so real packs settle in two or three steps.
_MAX_STEPS = 32

Applies = Callable[[DecisionRequest], bool]
_Set = frozenset[str] | None
# rule, check, channels, audiences, purposes, relations, except_relations
_Plan = tuple[tuple[Rule, Check, _Set, _Set, _Set, _Set, _Set], ...]
_PLANS: dict[int, tuple[Pack, _Plan]] = {}


def _plan(pack: Pack) -> _Plan:
    cached = _PLANS.get(id(pack))
    if cached is not None and cached[0] is pack:
        return cached[1]
    steps = []
    for r in pack.rules:
        audiences = r.applies_to.audiences
        if r.kind in THIRD_PARTY_KINDS:
            # Rules about contact persons never apply to the borrower, whatever the pack says.
            audiences = tuple(a for a in (audiences or ("designated_contact", "third_party"))
                              if a != "borrower")
        steps.append((
            r,
            CHECKS[r.kind],
            frozenset(r.applies_to.channels) if r.applies_to.channels is not None else None,
            frozenset(audiences) if audiences is not None else None,
            frozenset(r.applies_to.purposes) if r.applies_to.purposes is not None else None,
            _frozen(r.applies_to.relations),
            _frozen(r.applies_to.except_relations),
        ))
    plan = tuple(steps)
    _PLANS[id(pack)] = (pack, plan)
    return plan


def _frozen(values: tuple[str, ...] | None) -> _Set:
    return frozenset(values) if values is not None else None


def _failures(req: DecisionRequest, at: datetime, plan: _Plan,
              linter: Linter) -> list[tuple[Rule, Failure]]:
    ctx = Context(req, at, linter)
    a = req.attempt
    out = []
    for rule, check, channels, audiences, purposes, only, skip in plan:
        if channels is not None and a.channel not in channels:
            continue
        if audiences is not None and a.audience not in audiences:
            continue
        if purposes is not None and a.purpose not in purposes:
            continue
        if only is not None or skip is not None:
            relation = ctx.contact.relation if ctx.contact is not None else None
            if only is not None and relation not in only:
                continue
            if skip is not None and relation in skip:
                continue
        failure = check(rule.params, ctx)
        if failure is not None:
            out.append((rule, failure))
    return out


def _next_allowed(req: DecisionRequest, plan: _Plan, linter: Linter,
                  failures: list[tuple[Rule, Failure]]) -> datetime | None:
    at = req.at
    for _ in range(_MAX_STEPS):
        candidates = [f.next_at for _, f in failures]
        if any(c is None for c in candidates):
            return None
        step = max(c for c in candidates if c is not None)
        if step <= at:
            return None  # no progress: treat as never rather than loop
        at = step
        failures = _failures(req, at, plan, linter)
        if not failures:
            return at
    return None


def decide(request: DecisionRequest, pack: Pack, *, linter: Linter = content_lint) -> Decision:
    """Decide one contact attempt under `pack`.

    Pure: the answer depends only on the request, the pack and the linter. Every failing rule
    is listed; `next_allowed_at` is the earliest instant the same attempt would pass (in the
    borrower's local offset), or None when no time would.
    """
    plan = _plan(pack)
    if not plan:
        raise ValueError("an empty rule set never allows")  # packs refuse this on load
    failures = _failures(request, request.at, plan, linter)
    if not failures:
        return Decision(allowed=True, violations=(), next_allowed_at=None, pack=pack.id)
    nxt = _next_allowed(request, plan, linter, failures)
    return Decision(
        allowed=False,
        violations=tuple(
            Violation(rule=r.id, category=Category(r.category), citation=r.citation,
                      message=f.message)
            for r, f in failures
        ),
        next_allowed_at=(
            nxt.astimezone(zone(request.borrower.timezone)).isoformat() if nxt else None
        ),
        pack=pack.id,
    )
