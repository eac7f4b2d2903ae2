"""HOUSE-TRAINING: the decision request's actor, decided by the scalar and vectorised engines."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "policy"))
from policy_requests import build, contact_request  # noqa: E402

from faircollect.errors import RowError  # noqa: E402
from faircollect.governance.training import (  # noqa: E402
    Course,
    complete,
    expiring,
    parse_completions_csv,
    trained,
)
from faircollect.policy import decide, parse_request, resolve_pack  # noqa: E402
from faircollect.policy.batch import batch_from_requests  # noqa: E402
from faircollect.policy.records import canonical_request  # noqa: E402
from faircollect.policy.vector import decide_frame  # noqa: E402

ACTORS: list[dict[str, Any] | None] = [
    None,
    {"id": "u-1", "kind": "collector", "training_valid": False},
    {"id": "u-1", "kind": "collector", "training_valid": True},
    {"id": "u-1", "kind": "collector"},  # status unknown: fail closed
    {"id": "a-1", "kind": "agency", "training_valid": False},
    {"id": "a-1", "kind": "agency", "training_valid": True},
    {"kind": "system", "training_valid": False},  # the system is never gated
]


def _requests() -> list[Any]:
    out = []
    for jur, tz in (("CN", "Asia/Shanghai"), ("US", "America/New_York"), ("UK", "Europe/London")):
        for base in (build(jurisdiction=jur, borrower__timezone=tz,
                           at="2026-05-11T15:00:00+00:00" if jur != "CN" else
                           "2026-05-11T06:00:00+00:00"),
                     contact_request(jurisdiction=jur, borrower__timezone=tz)):
            for actor in ACTORS:
                req = dict(base)
                if actor is not None:
                    req["actor"] = actor
                out.append(parse_request(req))
    return out


def _training_denied(r: Any) -> bool:
    a = r.actor
    return a is not None and a.kind in ("collector", "agency") and a.training_valid is not True


def test_untrained_collector_is_denied_with_the_training_rule_cited_and_trained_one_is_not() -> None:
    allowed_trained = 0
    for r in _requests():
        d = decide(r, resolve_pack(r.jurisdiction))
        cited = [v for v in d.violations if v.rule == "HOUSE-TRAINING"]
        assert bool(cited) == _training_denied(r), (r.jurisdiction, r.actor)
        if cited:
            assert "PIPL Art. 51" in cited[0].citation and cited[0].category.value == "HOLD"
            assert not d.allowed and d.next_allowed_at is None
        elif r.actor is not None and r.actor.training_valid:
            allowed_trained += d.allowed
    assert allowed_trained >= 6  # the lawful calls go ahead once the collector is trained


def test_the_actor_changes_nothing_else_in_the_decision() -> None:
    for r in _requests():
        pack = resolve_pack(r.jurisdiction)
        without = decide(r.model_copy(update={"actor": None}), pack)
        got = decide(r, pack)
        assert [v.rule for v in got.violations if v.rule != "HOUSE-TRAINING"] == [
            v.rule for v in without.violations]


def test_scalar_and_vectorised_decide_agree_on_the_same_requests() -> None:
    requests = _requests()
    by_jur: dict[str, list[int]] = {}
    for i, r in enumerate(requests):
        by_jur.setdefault(r.jurisdiction, []).append(i)
    for jur, rows in by_jur.items():
        pack = resolve_pack(jur)
        frame = decide_frame(batch_from_requests([requests[i] for i in rows]), pack)
        for pos, i in enumerate(rows):
            scalar = decide(requests[i], pack)
            assert frame["allowed"][pos] == scalar.allowed, (jur, requests[i].actor)
            assert list(frame["rules"][pos]) == [v.rule for v in scalar.violations]


def test_a_request_without_actor_keeps_its_canonical_text() -> None:
    r = parse_request(build())
    assert '"actor"' not in canonical_request(r)


T = datetime(2026, 3, 1, tzinfo=UTC)
CN = Course("cn-law", "PRC collection rules", "CN", ("PIPL", "quiet hours"), 365, 80)


def test_completion_passes_on_the_pass_mark_and_expires_after_the_validity() -> None:
    passed = complete(CN, "u-1", "collector", 80, T)
    failed = complete(CN, "u-2", "collector", 79, T)
    assert passed.passed and not failed.passed
    assert passed.expires_at == T + timedelta(days=365)
    courses = {CN.course_id: CN}
    assert trained(courses, [passed], "CN", T + timedelta(days=364))
    assert not trained(courses, [passed], "CN", T + timedelta(days=365))
    assert not trained(courses, [passed], "US", T)
    assert not trained(courses, [failed], "CN", T)
    assert not trained(courses, [passed], "CN", T - timedelta(seconds=1))


def test_expiring_lists_certificates_30_days_ahead_unless_renewed() -> None:
    courses = {CN.course_id: CN}
    old = complete(CN, "u-1", "collector", 90, T)
    other = complete(CN, "u-2", "collector", 90, T + timedelta(days=100))
    at = T + timedelta(days=340)  # u-1 expires in 25 days, u-2 in 125
    assert [c.person_id for c in expiring(courses, [old, other], at)] == ["u-1"]
    renewed = complete(CN, "u-1", "collector", 85, at)
    assert expiring(courses, [old, other, renewed], at) == []
    assert expiring(courses, [old], T + timedelta(days=300)) == []  # 65 days ahead


def test_csv_rows_parse_and_a_bad_row_is_named() -> None:
    text = ("course_id,person_id,person_kind,score,completed_on\n"
            "cn-law,u-1,collector,88,2026-03-01\n"
            "cn-law,ag-2,agency,91,2026-03-02T10:00:00+08:00\n")
    rows = parse_completions_csv(text, "done.csv")
    assert [(r.person_id, r.score, r.completed_at.isoformat()) for r in rows] == [
        ("u-1", 88, "2026-03-01T00:00:00+00:00"), ("ag-2", 91, "2026-03-02T02:00:00+00:00")]
    with pytest.raises(RowError, match=r"done.csv:3 column score"):
        parse_completions_csv(text.replace("91", "ninety"), "done.csv")
    with pytest.raises(RowError, match=r"done.csv:2 column person_kind"):
        parse_completions_csv(text.replace("collector", "boss"), "done.csv")
    with pytest.raises(RowError, match="missing columns"):
        parse_completions_csv("course_id,score\n", "done.csv")


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_vector_differential import requests as random_requests  # noqa: E402

from faircollect.policy import builtin_packs  # noqa: E402

actors = st.one_of(st.none(), st.builds(
    lambda kind, valid: {"id": "p-1", "kind": kind, "training_valid": valid},
    st.sampled_from(["collector", "agency", "system"]), st.sampled_from([True, False, None])))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(random_requests(), actors), min_size=1, max_size=6))
def test_random_requests_with_actors_scalar_equals_vectorised(pairs: list[Any]) -> None:
    reqs = [r.model_copy(update={"actor": None if a is None else
                                 type(r).model_validate({**r.model_dump(), "actor": a}).actor})
            for r, a in pairs]
    batch = batch_from_requests(reqs)
    for pack in builtin_packs():
        frame = decide_frame(batch, pack)
        for r, row in zip(reqs, frame.iter_rows(named=True), strict=True):
            d = decide(r, pack)
            assert row["allowed"] is d.allowed
            assert row["rules"] == [v.rule for v in d.violations]
            assert ("HOUSE-TRAINING" in row["rules"]) == _training_denied(r)
