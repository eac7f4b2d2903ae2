"""The access policy decides by role, scope, purpose and field, failing closed."""

from __future__ import annotations

import itertools

import pytest

from faircollect.access.policy import ROLES, decide, load_policy, parse_policy
from faircollect.errors import ConfigError

POLICY = load_policy()


def test_collectors_get_masked_only_on_assigned_cases() -> None:
    for f in ("contact.phone", "contact.name", "borrower.phone"):
        assert decide(POLICY, "collector", f, "collection", "assigned", want_full=False).view \
            == "masked"
        assert not decide(POLICY, "collector", f, "collection", "other", want_full=False).allowed
        assert not decide(POLICY, "collector", f, "collection", "assigned", want_full=True).allowed
    assert not decide(POLICY, "collector", "borrower.national_id", "collection", "assigned",
                      want_full=False).allowed


def test_no_role_sees_full_values_without_a_full_purpose() -> None:
    fields, purposes = POLICY.fields, tuple(POLICY.purposes)
    for role, f, p, rel in itertools.product(ROLES, fields, purposes,
                                             ("assigned", "self", "other")):
        v = decide(POLICY, role, f, p, rel, want_full=True)  # type: ignore[arg-type]
        rp = POLICY.roles[role]
        if v.allowed:
            assert p in rp.full.purposes and f in rp.full.fields and p in rp.purposes


def test_unknowns_fail_closed() -> None:
    assert not decide(POLICY, "janitor", "contact.phone", "collection", "assigned",
                      want_full=False).allowed
    assert not decide(POLICY, "compliance", "contact.phone", "curiosity", "other",
                      want_full=False).allowed
    assert not decide(POLICY, "compliance", "contact.dna", "regulatory_inquiry", "other",
                      want_full=False).allowed
    assert not decide(POLICY, "borrower", "borrower.phone", "self_service", "other",
                      want_full=False).allowed


def test_policy_naming_an_unknown_purpose_is_refused() -> None:
    text = POLICY.model_dump_json().replace('"purposes":["collection"]',
                                            '"purposes":["gossip"]', 1)
    with pytest.raises(ConfigError, match="unknown purpose gossip"):
        parse_policy(text)
