"""The planner and its decisions, on hand-built frames (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from faircollect.strategy.decisions import decide_plan
from faircollect.strategy.experiments import arm_of, compare_arms
from faircollect.strategy.inputs import SCHEMAS, PlanInputs, empty
from faircollect.strategy.library import load_playbooks
from faircollect.strategy.messages import library_templates
from faircollect.strategy.planner import plan_day
from faircollect.strategy.reachability import unreachable_since

DAY = date(2026, 3, 10)
BOOKS = load_playbooks(library_templates())


def _account(bid: str, dpd: int, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "borrower_id": bid, "jurisdiction": "CN", "segment": "standard",
        "timezone": "Asia/Shanghai", "locale": "zh-CN", "flags": [], "opted_out": [],
        "dpd": dpd, "overdue_minor": 10_000 if dpd > 0 else 0, "currency": "CNY",
        "due_date": DAY + timedelta(days=-dpd) if dpd <= 0 else None,
        "promise_pending": False, "plan_active": False, "unreachable_since": None,
    }
    row.update(kw)
    return row


def _inputs(accounts: list[dict[str, Any]], **frames: list[dict[str, Any]]) -> PlanInputs:
    def frame(name: str) -> pl.DataFrame:
        rows = frames.get(name)
        return pl.DataFrame(rows, schema=SCHEMAS[name]) if rows else empty(name)

    return PlanInputs(pl.DataFrame(accounts, schema=SCHEMAS["accounts"]), frame("contacts"),
                      frame("consents"), frame("history"), frame("notices"), frame("done"))


def _announced(bid: str, round_: str, days_ago: int) -> dict[str, Any]:
    return {"borrower_id": bid, "step_id": f"notice-{round_}", "contact_id": None,
            "business_date": DAY - timedelta(days=days_ago), "allowed": True}


def _steps(inputs: PlanInputs) -> dict[str, list[str]]:
    plan = plan_day(inputs, BOOKS, DAY)
    out: dict[str, list[str]] = {}
    for bid, step in plan.attempts.select("borrower_id", "step_id").iter_rows():
        out.setdefault(bid, []).append(step)
    return out


def test_pre_due_reminder_and_the_early_round_notice() -> None:
    steps = _steps(_inputs([_account("b1", -2), _account("b2", -5)]))
    assert sorted(steps["b1"]) == ["cn-pre-sms", "notice-early"]
    assert "b2" not in steps  # five days before the due date: outside every stage


def test_a_stage_waits_for_its_notice_to_be_old_enough() -> None:
    fresh = _steps(_inputs([_account("b1", 2)], done=[_announced("b1", "early", 1)]))
    assert fresh.get("b1", []) == []
    ready = _steps(_inputs([_account("b1", 2)], done=[_announced("b1", "early", 3)]))
    assert ready["b1"] == ["cn-early-sms"]
    unannounced = _steps(_inputs([_account("b1", 2)]))
    assert unannounced["b1"] == ["notice-early"]


def test_stop_conditions_end_contact() -> None:
    done = [_announced(b, "early", 5) for b in ("p", "h", "plan")]
    steps = _steps(_inputs([
        _account("p", 3, promise_pending=True), _account("h", 3, flags=["dispute_open"]),
        _account("plan", 3, plan_active=True), _account("ok", 3)], done=done + [
        _announced("ok", "early", 5)]))
    assert set(steps) == {"ok"}


def test_spacing_and_max_attempts_are_counted_over_the_episode() -> None:
    earlier = [{"borrower_id": "b1", "step_id": "cn-early-sms", "contact_id": None,
                "business_date": DAY - timedelta(days=1), "allowed": True}]
    steps = _steps(_inputs([_account("b1", 4)], done=[_announced("b1", "early", 6), *earlier]))
    assert steps["b1"] == ["cn-early-call"]  # the text was sent yesterday: spacing 3 days


def _contact_case(consent: bool, unreachable_days: int, refused: bool = False) -> PlanInputs:
    since = datetime.combine(DAY, datetime.min.time(), tzinfo=UTC) - timedelta(
        days=unreachable_days)
    contacts = [
        {"borrower_id": "b1", "contact_id": "c-des", "relation": "sibling",
         "source": "borrower_designated", "refused": refused},
        {"borrower_id": "b1", "contact_id": "c-book", "relation": "friend",
         "source": "address_book", "refused": False},
    ]
    consents = [{"borrower_id": "b1", "contact_id": "c-des",
                 "granted_at": datetime(2025, 1, 1, tzinfo=UTC), "expires_at": None,
                 "withdrawn_at": None}] if consent else []
    notices = [{"borrower_id": "b1", "at": since, "kind": "escalation_notice"}]
    return _inputs([_account("b1", 20, unreachable_since=since)], contacts=contacts,
                   consents=consents, notices=notices,
                   done=[_announced("b1", "mid", 8), _announced("b1", "cn-mid-locate", 4)])


def test_contact_persons_only_designated_consented_and_after_unreachable() -> None:
    plan = plan_day(_contact_case(True, 6), BOOKS, DAY).attempts
    person = plan.filter(pl.col("audience") == "designated_contact")
    assert person["contact_id"].to_list() == ["c-des"]
    assert person["purpose"].to_list() == ["locate"]
    assert plan_day(_contact_case(False, 6), BOOKS, DAY).attempts.filter(
        pl.col("audience") == "designated_contact").height == 0
    assert plan_day(_contact_case(True, 1), BOOKS, DAY).attempts.filter(
        pl.col("audience") == "designated_contact").height == 0
    assert plan_day(_contact_case(True, 6, refused=True), BOOKS, DAY).attempts.filter(
        pl.col("audience") == "designated_contact").height == 0


def test_vectorised_decisions_allow_the_plan_and_deny_a_cease() -> None:
    inputs = _inputs([_account("b1", -2), _account("b2", -2, flags=["cease_requested"]),
                      _account("b3", -2, opted_out=["sms"])])
    plan = plan_day(inputs, BOOKS, DAY)
    decided = decide_plan(plan.attempts, inputs, BOOKS, DAY).attempts
    by = {b: (a, r) for b, a, r in decided.select("borrower_id", "allowed", "rules").iter_rows()}
    assert by["b1"][0] is True
    assert by["b2"] == (False, ["HOUSE-CEASE"])
    assert by["b3"] == (False, ["HOUSE-CEASE"])
    assert set(decided["pack_id"]) == {"cn-2026.1"}


def test_times_fall_inside_the_preferred_local_hours() -> None:
    plan = plan_day(_inputs([_account(f"b{i}", -2) for i in range(200)]), BOOKS, DAY)
    local = plan.attempts.with_columns(
        pl.col("planned_at").dt.convert_time_zone("Asia/Shanghai").dt.hour().alias("h"))
    assert local["h"].min() >= 10 and local["h"].max() < 12
    assert local["planned_at"].n_unique() > 20  # spread, not one minute for everyone


def test_unreachable_since_needs_three_missed_calls_after_the_last_contact() -> None:
    t = datetime(2026, 3, 1, tzinfo=UTC)
    rows = [("b1", t, "call", "borrower", None, "connected")] + [
        ("b1", t + timedelta(days=i), "call", "borrower", None, "no_answer") for i in (1, 2, 3)
    ] + [("b2", t + timedelta(days=i), "call", "borrower", None, "no_answer") for i in (1, 2)]
    got = unreachable_since(pl.DataFrame(rows, schema=SCHEMAS["history"], orient="row"))
    assert got.rows() == [("b1", t + timedelta(days=1))]


def test_experiment_split_is_stable_and_near_its_share() -> None:
    ids = [f"b-{i:07d}" for i in range(4000)]
    first = [arm_of("exp", b, 0.5) for b in ids]
    assert first == [arm_of("exp", b, 0.5) for b in ids]
    assert 0.45 < first.count("challenger") / len(ids) < 0.55
    us = _inputs([_account(b, -2, jurisdiction="US", timezone="America/New_York",
                           locale="en", currency="USD") for b in ids[:400]])
    arms = plan_day(us, BOOKS, DAY).attempts.unique("borrower_id").select("borrower_id", "arm")
    assert all(a == arm_of("us-calls-first", b, 0.5) for b, a in arms.iter_rows())


def test_compare_arms() -> None:
    frame = pl.DataFrame({
        "experiment": ["e"] * 4, "arm": ["champion", "champion", "challenger", "challenger"],
        "overdue_start": [100, 100, 100, 100], "recovered": [100, 0, 50, 50],
        "delinquent_start": [True] * 4, "rolled_forward": [False, True, False, False],
        "cured": [True, False, False, False], "complaints": [0, 1, 0, 0],
        "contacts": [3, 5, 2, 2]})
    rows = {r["arm"]: r for r in compare_arms(frame).to_dicts()}
    assert rows["champion"]["recovery_rate"] == 0.5
    assert rows["champion"]["roll_forward_rate"] == 0.5
    assert rows["challenger"]["contacts_per_account"] == 2
    assert rows["champion"]["complaints_per_1000"] == 500


def _with_validity(days: int) -> Any:
    """The shipped set with every step of every playbook valid for `days` local days."""
    from dataclasses import replace
    books = {pid: replace(b, stages=tuple(
        replace(s, steps=tuple(replace(st, valid_days=days) for st in s.steps))
        for s in b.stages)) for pid, b in BOOKS.playbooks.items()}
    return replace(BOOKS, playbooks=books)


def test_each_message_is_valid_until_the_end_of_its_local_day() -> None:
    plan = plan_day(_inputs([_account(f"b{i}", -2) for i in range(20)]), BOOKS, DAY)
    # Shanghai keeps UTC+8 all year: 2026-03-11 00:00 local is 2026-03-10 16:00 UTC.
    assert set(plan.attempts["expires_at"]) == {datetime(2026, 3, 10, 16, tzinfo=UTC)}


def test_validity_follows_the_local_calendar_across_clock_changes() -> None:
    ny = {"jurisdiction": "US", "timezone": "America/New_York", "locale": "en-US",
          "currency": "USD"}
    day = date(2026, 11, 1)  # New York's 25-hour day: clocks go back at 02:00
    accounts = [_account(f"b{i}", -2, due_date=day + timedelta(days=2), **ny) for i in range(5)]
    one = plan_day(_inputs(accounts), BOOKS, day).attempts
    assert len(one) > 0
    # 2026-11-02 00:00 EST (UTC-5) is 05:00 UTC, 29 hours after the day began at 04:00 UTC.
    assert set(one["expires_at"]) == {datetime(2026, 11, 2, 5, tzinfo=UTC)}
    spring = date(2026, 3, 7)  # a three-day horizon across the spring-forward night
    accounts = [_account(f"b{i}", -2, due_date=spring + timedelta(days=2), **ny)
                for i in range(5)]
    three = plan_day(_inputs(accounts), _with_validity(3), spring).attempts
    notices = three.filter(pl.col("step_id").str.starts_with("notice-"))
    steps = three.filter(~pl.col("step_id").str.starts_with("notice-"))
    assert len(steps) > 0 and len(notices) > 0
    # 2026-03-10 00:00 EDT (UTC-4) is 04:00 UTC; a round's notice keeps its one day.
    assert set(steps["expires_at"]) == {datetime(2026, 3, 10, 4, tzinfo=UTC)}
    assert set(notices["expires_at"]) == {datetime(2026, 3, 8, 5, tzinfo=UTC)}


def test_a_borrower_whose_locale_has_no_template_gets_nothing_in_another_language() -> None:
    # CN serves zh-CN only: an English-speaking CN borrower gets neither the Chinese
    # reminder nor the Chinese round notice; both are recorded as denied, with the reason.
    inputs = _inputs([_account("zh", -2), _account("en", -2, locale="en")])
    plan = plan_day(inputs, BOOKS, DAY)
    tpl = {(b, s): t for b, s, t in plan.attempts.select(
        "borrower_id", "step_id", "template_id").iter_rows()}
    assert tpl[("zh", "cn-pre-sms")] == "cn-pre-due-sms"
    assert tpl[("zh", "notice-early")] == "cn-round-notice-sms"
    assert tpl[("en", "cn-pre-sms")] is None and tpl[("en", "notice-early")] is None
    decided = decide_plan(plan.attempts, inputs, BOOKS, DAY, with_requests=True).attempts
    en = decided.filter(pl.col("borrower_id") == "en")
    assert en.height == 2 and not en["allowed"].any()
    assert en["rules"].to_list() == [["NO-TEMPLATE-IN-LOCALE"]] * 2
    assert en["categories"].to_list() == [["TEMPLATE"]] * 2
    assert set(en["pack_id"]) == {"cn-2026.1"} and en["request"].is_null().all()
    assert decided.filter(pl.col("borrower_id") == "zh")["allowed"].all()
