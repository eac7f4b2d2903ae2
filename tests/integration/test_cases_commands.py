"""Every case command changes state and audits; bad input is refused and changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dispatch_seed import audit_actions, seed_borrower, seed_loan
from sqlalchemy import select

from faircollect.cases.state import case_state
from faircollect.cli import main
from faircollect.demo import approve_starter_library
from faircollect.dispatch.channels.file import FileChannel
from faircollect.dispatch.worker import Worker
from faircollect.store.tables.cases import disputes, plan_installments
from faircollect.store.tables.dispatch import outbox
from faircollect.store.tables.foundation import borrowers


@pytest.fixture
def cli(app: Any, settings: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Any:
    """Run `faircollect ...` against the test's store and keyring; returns (code, output)."""
    monkeypatch.setenv("FAIRCOLLECT_HOME", str(settings.home))
    monkeypatch.delenv("FAIRCOLLECT_CHANNEL", raising=False)
    seed_borrower(app, contact_id="c-1")
    seed_loan(app, fees_minor=500)
    approve_starter_library(app)  # notices are approved templates in the borrower's language

    def run(*args: str) -> tuple[int, Any]:
        code = main(["--db", settings.database_url.value, *args])
        captured = capsys.readouterr()
        text = captured.out.strip()
        return code, (json.loads(text) if code == 0 and text else captured.err)

    return run


def _state(app: Any) -> dict[str, Any]:
    with app.store.read() as conn:
        return case_state(conn, ["b-1"])["b-1"]


def _borrower_row(app: Any) -> tuple[str, str]:
    with app.store.read() as conn:
        row = conn.execute(select(borrowers.c.flags, borrowers.c.opted_out_channels)).one()
    return row.flags, row.opted_out_channels


def test_promise(cli: Any, app: Any) -> None:
    due = (date.today() + timedelta(days=7)).isoformat()
    code, out = cli("case", "promise", "b-1", "--loan", "l-1", "--amount", "50.00", "--due", due)
    assert code == 0 and out["promise_id"].startswith("ptp-")
    promise = _state(app)["promise"]
    assert promise["amount_minor"] == 5000 and promise["status"] == "pending"
    assert audit_actions(app, "borrower:b-1") == ["case.promise"]


@pytest.mark.parametrize(
    "args",
    [
        ("nobody", "--loan", "l-1", "--amount", "50.00"),  # unknown borrower
        ("b-1", "--loan", "l-1", "--amount", "-5.00"),  # negative amount
        ("b-1", "--loan", "l-1", "--amount", "0"),  # nothing promised
        ("b-1", "--loan", "l-9", "--amount", "5.00"),  # not the borrower's loan
        ("b-1", "--loan", "l-1", "--amount", "5.001"),  # more places than GBP has
    ],
)
def test_bad_promise_is_refused_and_changes_nothing(cli: Any, app: Any, args: Any) -> None:
    due = (date.today() + timedelta(days=7)).isoformat()
    code, err = cli("case", "promise", *args, "--due", due)
    assert code == 2 and "error" in err
    assert _state(app)["promises"] == [] and audit_actions(app, "borrower:") == []


def test_promise_in_the_past_is_refused(cli: Any) -> None:
    code, err = cli(
        "case", "promise", "b-1", "--loan", "l-1", "--amount", "1", "--due", "2020-01-01"
    )
    assert code == 2 and "due_on" in err


def test_plan_reschedules_arrears_and_waives_fees(cli: Any, app: Any) -> None:
    first = (date.today() + timedelta(days=10)).isoformat()
    code, out = cli(
        "case", "plan", "b-1", "--loan", "l-1", "--installments", "4", "--first-due", first
    )
    assert code == 0
    plan = _state(app)["plan"]
    # Six installments of 100.00 + 10.00 interest + 5.00 fees are all overdue today.
    assert plan["waived_fees_minor"] == 6 * 500 and plan["arrears_minor"] == 6 * 11_000
    assert [i["amount_minor"] for i in plan["installments"]] == [16_500] * 4
    with app.store.read() as conn:
        assert len(conn.execute(select(plan_installments)).all()) == 4
    assert audit_actions(app, "borrower:b-1") == ["case.plan"]
    code, err = cli(
        "case", "plan", "b-1", "--loan", "l-1", "--installments", "4", "--first-due", first
    )
    assert code == 2 and "already" in err  # one plan per loan


def test_hardship_pause_sets_the_hold(cli: Any, app: Any) -> None:
    until = (date.today() + timedelta(days=30)).isoformat()
    code, _ = cli("case", "hardship", "b-1", "--until", until, "--reason", "illness")
    assert code == 0
    state = _state(app)
    assert state["holds"] == ["hardship_pause"] and state["hardship_until"].isoformat() == until
    code, err = cli("case", "hardship", "b-1", "--until", "2020-01-01", "--reason", "illness")
    assert code == 2


def test_dispute_open_hold_resolve_and_the_borrower_is_told(
    cli: Any, app: Any, tmp_path: Path
) -> None:
    code, out = cli("case", "dispute", "open", "b-1", "--reason", "wrong_amount")
    assert code == 0
    dispute_id = out["dispute_id"]
    assert "dispute_open" in _state(app)["holds"]
    code, out = cli("case", "dispute", "resolve", dispute_id, "--resolution", "upheld")
    assert code == 0
    assert _state(app)["holds"] == []
    with app.store.read() as conn:
        notices = conn.execute(select(outbox.c.notice_kind, outbox.c.channel)).all()
    assert sorted(notices) == [
        ("dispute_acknowledgement", "letter"),
        ("dispute_resolution", "letter"),
    ]
    # Once dispatched, the notices show in the case state the planner reads.
    channel = FileChannel(tmp_path / "out")
    try:
        Worker(app.store, app.vault, channel).run(until_empty=True)
    finally:
        channel.close()
    kinds = [n["kind"] for n in _state(app)["notices"]]
    assert kinds == ["dispute_acknowledgement", "dispute_resolution"]
    assert audit_actions(app, "borrower:b-1") == ["case.dispute.open", "case.dispute.resolve"]
    code, err = cli("case", "dispute", "resolve", dispute_id, "--resolution", "upheld")
    assert code == 2 and "not open" in err


def test_resolving_unknown_dispute_changes_nothing(cli: Any, app: Any) -> None:
    code, err = cli("case", "dispute", "resolve", "dsp-nope", "--resolution", "upheld")
    assert code == 2 and "unknown dispute" in err
    with app.store.read() as conn:
        assert conn.execute(select(disputes)).all() == []


def test_complaint_links_earlier_attempts_and_closes_with_root_cause(cli: Any, app: Any) -> None:
    from faircollect.dispatch.history import add_attempt

    now = datetime.now(UTC)
    with app.store.transaction("test") as uow:
        for days, contact in ((40, None), (5, None), (2, "c-1")):
            add_attempt(
                uow.conn,
                borrower_id="b-1",
                contact_id=contact,
                channel="call",
                audience="designated_contact" if contact else "borrower",
                at=now - timedelta(days=days),
                outcome="connected",
            )
    code, out = cli("case", "complaint", "open", "b-1", "--category", "contact_frequency")
    assert code == 0
    borrower_complaint = out["complaint_id"]
    code, out = cli(
        "case",
        "complaint",
        "open",
        "b-1",
        "--from",
        "third_party",
        "--contact",
        "c-1",
        "--category",
        "third_party_contact",
    )
    assert code == 0
    with app.store.transaction("test") as uow:
        from faircollect.cases.complaints import linked_attempts

        assert len(linked_attempts(uow, borrower_complaint)) == 2  # the 40-day-old one is out
        assert len(linked_attempts(uow, out["complaint_id"])) == 1  # only the contact's
    open_ = _state(app)["complaints_open"]
    assert len(open_) == 2 and open_[0]["sla_due_at"] > now + timedelta(days=55)  # UK: 8 weeks
    code, _ = cli(
        "case", "complaint", "close", borrower_complaint, "--root-cause", "playbook_design"
    )
    assert code == 0 and len(_state(app)["complaints_open"]) == 1
    code, err = cli(
        "case", "complaint", "close", borrower_complaint, "--root-cause", "playbook_design"
    )
    assert code == 2
    code, err = cli(
        "case", "complaint", "open", "b-1", "--from", "third_party", "--category", "tone"
    )
    assert code == 2 and "contact_id" in err


def test_cease_and_opt_out_update_the_borrower(cli: Any, app: Any) -> None:
    assert cli("case", "cease", "b-1")[0] == 0
    assert cli("case", "opt-out", "b-1", "--channel", "sms")[0] == 0
    assert _borrower_row(app) == ("cease_requested", "sms")
    state = _state(app)
    assert state["flags"] == ["cease_requested"] and state["opted_out_channels"] == ["sms"]
    assert cli("case", "opt-out", "b-1", "--channel", "pigeon")[0] == 2
    assert cli("case", "cease", "b-1")[0] == 2  # already asked
    assert cli("case", "cease", "nobody")[0] == 2
    assert _borrower_row(app) == ("cease_requested", "sms")
    assert audit_actions(app, "borrower:b-1") == ["case.cease", "case.opt_out"]


def test_show_prints_case_state(cli: Any) -> None:
    code, out = cli("case", "show", "b-1", "nobody")
    assert code == 0 and list(out) == ["b-1"] and out["b-1"]["flags"] == []


def test_dispatch_command_drains_the_outbox(
    cli: Any, app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("case", "dispute", "open", "b-1", "--reason", "other")[0] == 0
    monkeypatch.setenv("FAIRCOLLECT_CHANNEL", f"file:{tmp_path / 'out'}")
    code, out = cli("dispatch", "--until-empty", "--batch", "10")
    assert code == 0 and out["sent"] == 1
    lines = (tmp_path / "out" / "messages.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["template_id"] == "uk-dispute-ack-letter"
