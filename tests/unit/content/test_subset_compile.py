"""A rule's branch subset is compiled only once its mask comes back; until then the full
pattern runs, and both find the same matches (the prefilter's promise)."""

from __future__ import annotations

from faircollect.content import lexicon as lx
from faircollect.content.linter import lint_uncached


def _rule_with_branches() -> lx.Rule:
    rule = next(r for r in lx.load("en").rules if len(r.branches) >= 3)
    return lx.Rule(id=rule.id, category=rule.category, citation=rule.citation,
                   message=rule.message, audiences=rule.audiences, source=rule.source,
                   unless_before=rule.unless_before, branches=rule.branches,
                   requires=rule.requires)


def test_a_mask_seen_for_the_first_times_runs_the_full_pattern() -> None:
    rule = _rule_with_branches()
    mask = 0b101
    first = [rule.restricted(mask) for _ in range(lx._COMPILE_AFTER - 1)]
    assert all(p is rule.pattern for p in first)
    compiled = rule.restricted(mask)
    assert compiled is not rule.pattern
    assert compiled.pattern == "|".join(f"(?:{b})" for i, b in enumerate(rule.branches)
                                        if mask >> i & 1)
    assert rule.restricted(mask) is compiled  # kept once compiled


def test_all_branches_enabled_is_the_full_pattern_from_the_first_sight() -> None:
    rule = _rule_with_branches()
    full = (1 << len(rule.branches)) - 1
    assert all(rule.restricted(full) is rule.pattern for _ in range(lx._COMPILE_AFTER + 1))


def test_findings_are_the_same_cold_and_warm() -> None:
    bodies = [
        "Pay now or we will tell your employer and your family about your debt.",
        "You will be arrested tomorrow if you do not pay.",
        "Hello {name}, your payment of {amount} is due on {due_date}. Reply STOP to opt out.",
    ]
    reference = [lint_uncached(b, locale="en", audience="borrower", channel="sms",
                               prefilter=False) for b in bodies]
    for _ in range(lx._COMPILE_AFTER + 1):  # cold (full patterns), then compiled subsets
        assert [lint_uncached(b, locale="en", audience="borrower", channel="sms")
                for b in bodies] == reference
    assert any(reference)
