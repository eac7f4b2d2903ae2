"""Every message in the borrower's language, on the ordinary path: case commands and the cycle.

The measured bug: a dispute acknowledgement went out in English to zh-CN borrowers. Now the
`faircollect case dispute open` command queues the acknowledgement in the borrower's own
language, from the approved template registry; a borrower whose locale has no approved
template gets nothing, and the command's audit entry says why.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from dispatch_seed import seed_borrower, seed_loan
from sqlalchemy import select, update

from faircollect.cli import main
from faircollect.content.registry import TemplateRegistry
from faircollect.content.template import Actor
from faircollect.cycle import run_cycle
from faircollect.demo import approve_starter_library
from faircollect.store.tables.audit import audit_entries
from faircollect.store.tables.cycle import planned_attempts
from faircollect.store.tables.dispatch import outbox
from faircollect.store.tables.foundation import borrowers

HAN = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


@pytest.fixture
def cli(app: Any, settings: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Any:
    """`faircollect ...` on the test's store: (exit code, parsed JSON or stderr)."""
    monkeypatch.setenv("FAIRCOLLECT_HOME", str(settings.home))
    monkeypatch.delenv("FAIRCOLLECT_CHANNEL", raising=False)
    approve_starter_library(app)

    def run(*args: str) -> tuple[int, Any]:
        code = main(["--db", settings.database_url.value, *args])
        captured = capsys.readouterr()
        text = captured.out.strip()
        return code, (json.loads(text) if code == 0 and text else captured.err)

    return run


def _borrower(app: Any, borrower_id: str, *, jurisdiction: str, locale: str) -> None:
    seed_borrower(app, borrower_id, jurisdiction=jurisdiction)
    zone = {"CN": "Asia/Shanghai", "US": "America/New_York", "UK": "Europe/London"}
    with app.store.transaction("test") as uow:
        uow.conn.execute(update(borrowers).where(borrowers.c.borrower_id == borrower_id)
                         .values(locale=locale, timezone=zone[jurisdiction]))


def _payloads(app: Any, action: str) -> list[dict[str, Any]]:
    with app.store.read() as conn:
        rows = conn.execute(select(audit_entries.c.record).where(
            audit_entries.c.action == action).order_by(audit_entries.c.seq))
        return [json.loads(r.record)["payload"] for r in rows]


def _sent(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    monkeypatch.setenv("FAIRCOLLECT_CHANNEL", f"file:{tmp_path / 'out'}")
    code, _ = cli("dispatch", "--until-empty", "--batch", "10")
    assert code == 0
    path = tmp_path / "out" / "messages.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()] if path.exists() \
        else []


def test_a_zh_cn_borrower_is_acknowledged_in_chinese(
    cli: Any, app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _borrower(app, "b-zh", jurisdiction="CN", locale="zh-CN")
    code, out = cli("case", "dispute", "open", "b-zh", "--reason", "wrong_amount")
    assert code == 0
    with app.store.read() as conn:
        queued = conn.execute(select(outbox.c.template_id, outbox.c.notice_kind,
                                     outbox.c.channel)).all()
    assert queued == [("cn-dispute-ack-letter", "dispute_acknowledgement", "letter")]
    [sent] = _sent(cli, tmp_path, monkeypatch)
    assert sent["template_id"] == "cn-dispute-ack-letter"
    assert HAN.search(sent["body"]) and not LATIN_WORD.search(sent["body"])
    [opened] = _payloads(app, "case.dispute.open")
    assert opened["notice"] == sent["message_id"] and "notice_skipped" not in opened

    code, _ = cli("case", "dispute", "resolve", out["dispute_id"], "--resolution", "upheld",
                  "--channel", "sms")
    assert code == 0
    sent = _sent(cli, tmp_path, monkeypatch)
    outcome = next(m for m in sent if m["template_id"] == "cn-dispute-outcome-sms")
    assert "您的异议成立" in outcome["body"] and not LATIN_WORD.search(outcome["body"])


@pytest.mark.parametrize(("jurisdiction", "locale"), [("CN", "en"), ("US", "zh-CN"),
                                                      ("UK", "zh-CN")])
def test_a_locale_without_an_approved_template_gets_no_notice_and_the_reason_is_recorded(
    cli: Any, app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    jurisdiction: str, locale: str,
) -> None:
    _borrower(app, "b-x", jurisdiction=jurisdiction, locale=locale)
    code, out = cli("case", "dispute", "open", "b-x", "--reason", "other")
    assert code == 0  # the dispute is open and the account on hold all the same
    with app.store.read() as conn:
        assert conn.execute(select(outbox.c.message_id)).all() == []
        flags = conn.execute(select(borrowers.c.flags)).scalar_one()
    assert "dispute_open" in flags
    [opened] = _payloads(app, "case.dispute.open")
    assert opened["notice"] is None
    assert f"locale '{locale}' is not one that {jurisdiction} serves" in opened[
        "notice_skipped"]
    code, _ = cli("case", "dispute", "resolve", out["dispute_id"], "--resolution", "rejected")
    assert code == 0
    [resolved] = _payloads(app, "case.dispute.resolve")
    assert resolved["notice"] is None and "no notice in another language" in resolved[
        "notice_skipped"]
    assert _sent(cli, tmp_path, monkeypatch) == []


def test_an_unapproved_notice_template_means_no_notice_not_another_language(
    cli: Any, app: Any
) -> None:
    _borrower(app, "b-zh", jurisdiction="CN", locale="zh-CN")
    checker = Actor("u-checker", frozenset({"compliance"}))
    TemplateRegistry(app.store).retire(checker, "cn-dispute-ack-email")
    assert cli("case", "dispute", "open", "b-zh", "--reason", "other",
               "--channel", "email")[0] == 0
    with app.store.read() as conn:
        assert conn.execute(select(outbox.c.message_id)).all() == []
    [opened] = _payloads(app, "case.dispute.open")
    assert opened["notice_skipped"] == "template cn-dispute-ack-email has no approved version"


def test_the_cycle_sends_a_borrower_only_their_own_language(app: Any) -> None:
    """A CN borrower whose locale is en (CN serves zh-CN) gets no Chinese message in its
    place; each such attempt is recorded as denied with NO-TEMPLATE-IN-LOCALE."""
    approve_starter_library(app)
    for bid, locale in (("b-zh", "zh-CN"), ("b-en", "en")):
        _borrower(app, bid, jurisdiction="CN", locale=locale)
        seed_loan(app, bid, f"l-{bid}")
    day = date(2026, 3, 20)
    run_cycle(app, day)
    with app.store.read() as conn:
        rows = conn.execute(select(
            planned_attempts.c.borrower_id, planned_attempts.c.allowed,
            planned_attempts.c.rules, planned_attempts.c.categories,
            planned_attempts.c.template_id, planned_attempts.c.message_id,
            planned_attempts.c.decision_id)).all()
        queued = conn.execute(select(outbox.c.borrower_id, outbox.c.template_id)).all()
    zh = [r for r in rows if r.borrower_id == "b-zh"]
    en = [r for r in rows if r.borrower_id == "b-en"]
    assert zh and en
    assert all(r.template_id.startswith("cn-") for r in zh)
    assert all((r.allowed, r.rules, r.categories, r.template_id, r.message_id, r.decision_id)
               == (False, "NO-TEMPLATE-IN-LOCALE", "TEMPLATE", "", None, None) for r in en)
    assert {b for b, _ in queued} <= {"b-zh"}
