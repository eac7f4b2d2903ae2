"""Send-time enforcement on the ordinary path: plan with the cycle, send later with a worker.

The worker runs on a clock that moves in quarter hours; every message that goes out is
checked here independently (re-decided at its actual send instant from its planning
request, and its local time checked against the validity of its planned day).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from faircollect.cases.disputes import open_dispute
from faircollect.cases.promises import promise_to_pay
from faircollect.cases.restrictions import request_cease
from faircollect.cycle import run_cycle
from faircollect.demo import approve_starter_library
from faircollect.dispatch.channels.file import FileChannel
from faircollect.dispatch.planned_request import planning_requests
from faircollect.dispatch.send_verdict import local_day_end
from faircollect.dispatch.worker import Worker, WorkerOptions
from faircollect.policy.decide import decide
from faircollect.policy.pack import resolve_pack
from faircollect.policy.params import ContactHours
from faircollect.policy.request import DecisionRequest, zone
from faircollect.portfolio.generator import generate_portfolio
from faircollect.portfolio.importer import import_portfolio
from faircollect.store.tables.audit import audit_entries
from faircollect.store.tables.dispatch import outbox
from faircollect.store.tables.foundation import borrowers, loans

AS_OF = date(2026, 10, 31)
DAY = date(2026, 11, 1)


class MovingClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def planned(app, tmp_path: Path):  # type: ignore[no-untyped-def]
    generate_portfolio(tmp_path / "pf", borrowers=300, seed=5, as_of=AS_OF)
    import_portfolio(app, tmp_path / "pf", actor="test")
    approve_starter_library(app)
    result = run_cycle(app, DAY, now=datetime(2026, 10, 31, 12, tzinfo=UTC))
    assert result.enqueued > 20
    clock = MovingClock(datetime(2026, 10, 31, 12, tzinfo=UTC))
    app.store.clock = clock
    return app, clock


def _worker(app: Any, tmp_path: Path, clock: MovingClock) -> Worker:
    channel = FileChannel(tmp_path / "sent", clock=clock)
    return Worker(app.store, app.vault, channel, WorkerOptions(batch=200, poll_interval=0))


def _states(app: Any) -> dict[str, int]:
    with app.store.read() as conn:
        rows = conn.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state))
        return {s: int(n) for s, n in rows}


def _inside_hours(request: Any, at: datetime) -> bool:
    """Independent check: no contact-hours rule of the pack fails at `at`."""
    pack = resolve_pack(request.jurisdiction)
    hours = {r.id for r in pack.rules if isinstance(r.params, ContactHours)}
    decision = decide(request.at_time(at), pack)
    return not hours & {v.rule for v in decision.violations}


def test_a_worker_every_quarter_hour_sends_only_inside_local_hours(planned, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app, clock = planned
    worker = _worker(app, tmp_path, clock)
    # The worker starts late, as one started by hand after the cycle would: China's day is
    # over (04:00 in Shanghai), London's evening and New York's afternoon are still open.
    clock.now = datetime(2026, 11, 1, 20, tzinfo=UTC)
    end = clock.now + timedelta(hours=24)
    while clock.now <= end:
        worker.drain(clock.now)
        clock.now += timedelta(minutes=15)
    with app.store.read() as conn:
        rows = conn.execute(select(outbox)).all()
        requests = planning_requests(conn, [r.message_id for r in rows])
    sent = [r for r in rows if r.state == "sent"]
    assert sent, "the worker sent nothing"
    assert {r.state for r in rows} <= {"sent", "expired", "denied", "cancelled"}
    for r in sent:
        req = requests[r.message_id]
        at = r.sent_at.replace(tzinfo=UTC) if r.sent_at.tzinfo is None else r.sent_at
        assert _inside_hours(req, at), (r.message_id, at.astimezone(UTC).isoformat())
        assert at < local_day_end(req.at, req.borrower.timezone)
    assert any(r.state == "expired" for r in rows)  # China's messages: their day had ended
    # The compliance report plots the local hour of the actual sends and counts each outcome.
    from faircollect.reports.compliance import build_report
    with app.store.read() as conn:
        report = build_report(conn, DAY, DAY)
    hours = [0] * 24
    for r in sent:
        req = requests[r.message_id]
        at = r.sent_at.replace(tzinfo=UTC) if r.sent_at.tzinfo is None else r.sent_at
        hours[at.astimezone(zone(req.borrower.timezone)).hour] += 1
    assert report.by_hour == hours
    assert report.at_send["sent"] == len(sent) == report.sent
    assert report.at_send["expired"] == sum(r.state == "expired" for r in rows)


def test_a_past_day_dispatched_now_sends_nothing(planned, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app, clock = planned
    clock.now = datetime(2026, 11, 20, 12, tzinfo=UTC)  # weeks after the planned day
    stats = _worker(app, tmp_path, clock).drain(clock.now)
    assert stats.sent == 0 and stats.expired == stats.claimed > 0
    assert set(_states(app)) == {"expired"}
    with app.store.read() as conn:
        reasons = conn.execute(select(outbox.c.last_error)).scalars().all()
        audited = conn.execute(select(func.count()).select_from(audit_entries).where(
            audit_entries.c.action == "dispatch.expired")).scalar_one()
    assert all("validity ended" in (x or "") for x in reasons)
    assert audited == stats.expired


def _queued_borrowers(app: Any, n: int) -> list[str]:
    with app.store.read() as conn:
        ids = conn.execute(select(outbox.c.borrower_id).distinct().where(
            outbox.c.audience == "borrower").order_by(outbox.c.borrower_id)).scalars().all()
    assert len(ids) >= n
    return list(ids[:n])


def test_changes_between_planning_and_sending_stop_the_messages(planned, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app, clock = planned
    disputed, ceased, promised = _queued_borrowers(app, 3)
    now = clock.now
    with app.store.transaction("test") as uow:
        open_dispute(uow, app.vault, borrower_id=disputed, reason="wrong_amount", now=now)
        request_cease(uow, borrower_id=ceased, now=now)
        loan = uow.conn.execute(select(loans.c.loan_id).where(
            loans.c.borrower_id == promised)).scalars().first()
        promise_to_pay(uow, borrower_id=promised, loan_id=loan, amount="10.00",
                       due_on=DAY + timedelta(days=5), today=AS_OF, now=now)
    worker = _worker(app, tmp_path, clock)
    end = datetime(2026, 11, 2, 12, tzinfo=UTC)
    while clock.now <= end:
        worker.drain(clock.now)
        clock.now += timedelta(minutes=30)
    with app.store.read() as conn:
        rows = conn.execute(select(outbox).where(outbox.c.borrower_id.in_(
            [disputed, ceased, promised]))).all()
    # The dispute's own acknowledgement (not a planned message) is the only thing sent.
    planned_rows = [r for r in rows if r.template_id != "dispute_ack" and
                    "ack" not in r.template_id]
    assert planned_rows
    assert all(r.state != "sent" for r in planned_rows), [(r.borrower_id, r.state)
                                                           for r in planned_rows]
    by = {r.borrower_id: r for r in planned_rows}
    assert by[disputed].state == "cancelled" and "dispute" in by[disputed].last_error
    assert by[promised].state == "cancelled" and "promise" in by[promised].last_error
    assert by[ceased].state in {"denied", "expired"}


def test_a_consent_withdrawn_after_planning_stops_the_contact_message(app) -> None:  # type: ignore[no-untyped-def]
    """A locate message to a designated contact, planned while consent was valid."""
    from tests.integration.dispatch_seed import T0, seed_borrower

    from faircollect.consent.ledger import ConsentLedger
    from faircollect.dispatch.message import OutboundMessage
    from faircollect.dispatch.outbox import enqueue
    from faircollect.dispatch.send_check import check_rows
    from faircollect.policy.records import record_decisions
    from faircollect.policy.request import DecisionRequest
    from faircollect.store.tables.cycle import planned_attempts

    clock = MovingClock(T0 - timedelta(days=1))
    app.store.clock = clock
    seed_borrower(app, "b-1", contact_id="c-1")
    ledger = ConsentLedger(app.store, app.keys)
    consent = ledger.grant(actor="borrower:b-1", borrower_id="b-1",
                           purpose="contact_designated_contact", notice_text="notice v1",
                           policy_version="2026.1", channel="app", contact_id="c-1")
    clock.now = T0
    entries = ledger.decision_consents("b-1")
    request = DecisionRequest.model_validate({
        "jurisdiction": "UK", "at": T0,
        "attempt": {"channel": "sms", "audience": "designated_contact", "purpose": "locate",
                    "contact_id": "c-1",
                    "template": {"id": "t-locate", "approved": True, "locale": "en",
                                 "body": "Please ask {name} to call us."}},
        "borrower": {"timezone": "Europe/London", "days_past_due": 40,
                     "unreachable_since": T0 - timedelta(days=30)},
        "contacts": [{"id": "c-1", "relation": "sibling", "source": "borrower_designated"}],
        "consents": entries,
        "notices": [{"at": T0 - timedelta(days=5), "kind": "escalation_notice"}]})
    pack = resolve_pack("UK")
    decision = decide(request, pack)
    assert decision.allowed, decision.violations
    with app.store.transaction("test") as uow:
        notice = enqueue(uow, app.vault, OutboundMessage(
            idempotency_key="notice:b-1", borrower_id="b-1", channel="letter",
            template_id="t-notice", purpose="collection", notice_kind="escalation_notice",
            body="We may contact the person you named.", planned_at=T0 - timedelta(days=5)),
            now=T0).message_id
        uow.conn.execute(outbox.update().where(outbox.c.message_id == notice).values(
            state="sent", sent_at=T0 - timedelta(days=5)))
        mid = enqueue(uow, app.vault, OutboundMessage(
            idempotency_key="locate:b-1:c-1", borrower_id="b-1", audience="designated_contact",
            contact_id="c-1", channel="sms", template_id="t-locate", purpose="locate",
            body="Please ask your contact to call us.", planned_at=T0), now=T0).message_id
        (decision_id,) = record_decisions(uow, [(request, decision, "b-1", mid)], source="cycle",
                                          now=T0)
        uow.conn.execute(planned_attempts.insert().values(
            attempt_id="a-1", idempotency_key="locate:b-1:c-1", business_date=T0.date(),
            borrower_id="b-1", playbook_id="p", stage="s", step_id="x", kind="message",
            channel="sms", audience="designated_contact", contact_id="c-1", purpose="locate",
            template_id="t-locate", planned_at=T0, dpd=40, allowed=True, rules="",
            categories="", pack_id=pack.id, message_id=mid, created_at=T0,
            decision_id=decision_id))
    with app.store.read() as conn:
        row = conn.execute(select(outbox).where(outbox.c.message_id == mid)).one()
        assert check_rows(conn, [row], {mid: T0 + timedelta(minutes=5)})[mid][0].action == "send"
    clock.now = T0 + timedelta(minutes=1)
    ledger.withdraw(actor="borrower:b-1", consent_id=consent.consent_id, channel="app")
    clock.now = T0 + timedelta(minutes=5)
    stats = _worker(app, Path(app.settings.home), clock).drain(clock.now)
    assert stats.sent == 0 and stats.denied == 1
    with app.store.read() as conn:
        state, error = conn.execute(select(outbox.c.state, outbox.c.last_error).where(
            outbox.c.message_id == mid)).one()
    assert state == "denied" and "CONSENT" in error.upper()


def test_payments_since_planning_cancel_what_they_make_pointless(planned, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Payments arrive by re-importing the lender's files, as on the ordinary path."""
    from faircollect.portfolio.snapshot import borrower_balances

    app, clock = planned
    with app.store.read() as conn:
        queued = conn.execute(select(outbox.c.message_id, outbox.c.borrower_id).where(
            outbox.c.audience == "borrower")).all()
        requests = planning_requests(conn, [m for m, _ in queued])
        overdue_ids = sorted({b for m, b in queued if requests[m].borrower.days_past_due > 0})
        full, partly = overdue_ids[:2]
        owned = {b: conn.execute(select(loans.c.loan_id, loans.c.principal_minor).where(
            loans.c.borrower_id == b)).all() for b in (full, partly)}
        before = borrower_balances(conn, [full, partly], DAY)
    assert before[full][0] > 0 and before[partly][0] > 0
    lines = [f"p-full-{i},{loan},{DAY},{principal * 2 / 100:.2f}"
             for i, (loan, principal) in enumerate(owned[full])]
    # The other pays exactly what is overdue (its only loan's arrears), not the future dues.
    (loan, _), = owned[partly]
    lines.append(f"p-arrears,{loan},{DAY},{before[partly][0] / 100:.2f}")
    with (tmp_path / "pf" / "payments.csv").open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    import_portfolio(app, tmp_path / "pf", actor="test")
    with app.store.read() as conn:
        after = borrower_balances(conn, [full, partly], DAY)
    assert after[full] == (0, False) and after[partly][0] == 0 and after[partly][1]
    clock.now = datetime(2026, 11, 1, 14, tzinfo=UTC)
    worker = _worker(app, tmp_path, clock)
    while clock.now <= datetime(2026, 11, 2, 12, tzinfo=UTC):
        worker.drain(clock.now)
        clock.now += timedelta(minutes=30)
    with app.store.read() as conn:
        rows = conn.execute(select(outbox).where(
            outbox.c.borrower_id.in_([full, partly]))).all()
        others = conn.execute(select(func.count()).select_from(outbox).where(
            outbox.c.state == "sent")).scalar_one()
    assert rows and others > 0
    why = {r.borrower_id: (r.state, r.last_error) for r in rows}
    assert why[full] == ("cancelled", "since planning: paid in full"), why
    assert why[partly] == ("cancelled", "since planning: paid: nothing is overdue now"), why


def test_the_worker_keeps_to_each_message_s_stored_validity(planned, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app, clock = planned
    with app.store.read() as conn:
        rows = conn.execute(select(outbox).where(outbox.c.audience == "borrower")
                            .order_by(outbox.c.planned_at)).all()
        requests = planning_requests(conn, [r.message_id for r in rows])
    # The cycle stored each message's validity: the end of its borrower-local planned day.
    assert all(r.expires_at == local_day_end(r.planned_at, requests[r.message_id]
                                             .borrower.timezone) for r in rows)
    # A message whose validity is shorter (as a playbook horizon could make it) is not sent
    # after it, even inside its contact hours; the others are.
    short = rows[-1]
    ends = short.planned_at + timedelta(minutes=1)
    with app.store.transaction("test") as uow:
        uow.conn.execute(outbox.update().where(outbox.c.message_id == short.message_id)
                         .values(expires_at=ends))
    clock.now = short.planned_at + timedelta(minutes=2)
    _worker(app, tmp_path, clock).drain(clock.now)
    with app.store.read() as conn:
        state, why = conn.execute(select(outbox.c.state, outbox.c.last_error).where(
            outbox.c.message_id == short.message_id)).one()
    assert (state, why) == ("expired", f"validity ended at {ends.isoformat()}")
    assert _states(app).get("sent", 0) > 0


def test_the_check_reads_each_planning_request_as_stored_and_refreshes_it(planned) -> None:  # type: ignore[no-untyped-def]
    """The check's reader shares parsed parts between requests; the request it decides must
    equal the stored one, fully validated, with the state at the moment of sending."""
    from faircollect.dispatch import send_check as sc
    from faircollect.dispatch.planned_request import PlannedReader

    app, _ = planned
    with app.store.read() as conn:
        rows = conn.execute(select(outbox.c.message_id, outbox.c.borrower_id)).all()
        ids = [r.message_id for r in rows]
        borrower_of = {r.message_id: r.borrower_id for r in rows}
        full = planning_requests(conn, ids)
        reader = PlannedReader()
        fast = reader.read(conn, ids)
    assert len(full) > 20 and full.keys() == fast.keys()
    at = datetime(2026, 11, 1, 15, 7, tzinfo=UTC)
    for number, (mid, req) in enumerate(full.items()):
        flags = ["cease_requested"] if number % 3 == 0 else []
        opted = ["sms"] if number % 4 == 0 else []
        history = [{"at": at - timedelta(hours=2), "channel": "call", "audience": "borrower",
                    "contact_id": None, "outcome": "no_answer"}] if number % 2 else []
        notices = [{"at": at - timedelta(days=1), "kind": "validation"}] if number % 5 else []
        state = {"flags": flags, "opted_out_channels": opted, "history": history,
                 "notices": notices}
        got = sc._refreshed(fast[mid], state, [], at, reader)
        expected = DecisionRequest.model_validate({
            **req.model_dump(mode="json"), "at": at.isoformat(),
            "borrower": {**req.borrower.model_dump(mode="json"), "flags": flags,
                         "opted_out_channels": opted},
            "history": [{**h, "at": h["at"].isoformat()} for h in history],
            "notices": [{**n, "at": n["at"].isoformat()} for n in notices],
            "consents": ([c.model_dump(mode="json") for c in req.consents]
                         if req.attempt.contact_id is None else []),
        })
        assert got == expected, (mid, borrower_of[mid])
        assert decide(got, resolve_pack(req.jurisdiction)) == decide(
            expected, resolve_pack(req.jurisdiction))


def test_warm_up_loads_the_packs_in_force_and_lints_the_approved_templates(planned) -> None:  # type: ignore[no-untyped-def]
    from faircollect.dispatch.send_check import packs_in_force, warm_up
    from faircollect.policy.content_check import content_lint

    app, _ = planned
    content_lint.cache_clear()
    with app.store.read() as conn:
        packs = warm_up(conn)
    assert packs == packs_in_force()
    assert {p.id for p in packs.values()} >= {"us-2026.2", "uk-2026.2"}
    assert all(p.id == resolve_pack(j).id for j, p in packs.items())
    assert content_lint.cache_info().currsize >= 20  # every approved template, per channel


ACME_OVERRIDE = """id: acme-cn
pack: CN
title: Acme contacts only before noon
rules:
  - id: ACME-HOURS
    kind: contact_hours
    category: HOURS
    citation: "Acme Lending collection policy 2026 s.4 (09:00-12:00 only)"
    summary: Calls and messages only between 09:00 and 12:00 local time.
    params: {start: "09:00", end: "12:00", honour_agreed_windows: false}
"""


def test_the_worker_re_decides_under_the_approved_override(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A lender's approved override is in force at send time as it was at planning: a CN
    message planned inside the override's morning and dispatched after it is not sent, and
    the override's rule is what stops it."""
    from faircollect.content.template import Actor
    from faircollect.governance.strategy_service import StrategyReview
    from faircollect.strategy.registry_source import RegistrySource

    generate_portfolio(tmp_path / "pf", borrowers=120, seed=5, as_of=AS_OF)
    import_portfolio(app, tmp_path / "pf", actor="test")
    approve_starter_library(app)
    review = StrategyReview(app.store, RegistrySource.load(app.store))
    review.add(Actor("u-author", frozenset({"supervisor"})), "override", ACME_OVERRIDE)
    review.submit(Actor("u-author", frozenset({"supervisor"})), "override", "acme-cn")
    review.approve(Actor("u-legal", frozenset({"legal"})), "override", "acme-cn")
    run_cycle(app, DAY, now=datetime(2026, 10, 31, 12, tzinfo=UTC))
    with app.store.read() as conn:
        cn = {r.message_id for r in conn.execute(
            select(outbox.c.message_id)
            .join(borrowers, borrowers.c.borrower_id == outbox.c.borrower_id)
            .where(borrowers.c.jurisdiction == "CN", outbox.c.state == "pending"))}
    assert cn, "the cycle planned CN messages under the override"
    # 14:30 in Shanghai, 12:30 in Urumqi: inside the CN pack's hours, after the override's
    # morning in both of China's zones.
    clock = MovingClock(datetime(2026, 11, 1, 6, 30, tzinfo=UTC))
    app.store.clock = clock
    _worker(app, tmp_path, clock).run_batch(due_by=clock.now)
    with app.store.read() as conn:
        sent = set(conn.execute(select(outbox.c.message_id).where(
            outbox.c.state == "sent", outbox.c.message_id.in_(cn))).scalars())
        stopped = [json.loads(e.record)["payload"] for e in conn.execute(
            select(audit_entries.c.record).where(
            audit_entries.c.action.in_(["dispatch.deferred", "dispatch.expired",
                                        "dispatch.denied"]),
            audit_entries.c.subject.in_([f"message:{m}" for m in cn])))]
    assert not sent
    assert stopped and all("ACME-HOURS" in p["rules"] for p in stopped)
