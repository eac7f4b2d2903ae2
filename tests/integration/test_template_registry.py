"""The template registry: workflow, maker-checker, immutability, audit, rendering and re-lint."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from faircollect.content.lexicon import load
from faircollect.content.registry import TemplateRegistry
from faircollect.content.starter import starter_templates
from faircollect.content.template import Actor, State, TemplateDraft
from faircollect.errors import AccessDenied, Conflict, InputError, NotFound
from faircollect.store.tables.audit import audit_entries

MAKER = Actor("u-maker", frozenset({"collector"}))
CHECKER = Actor("u-checker", frozenset({"compliance"}))
MAKER_WITH_COMPLIANCE = Actor("u-maker", frozenset({"compliance"}))
CLEAN = "Hi {name}, a reminder that {amount} is due on {due_date}. Reply STOP to opt out."


def _draft(body: str = CLEAN, **kw: str) -> TemplateDraft:
    args = {"template_id": "t-remind", "locale": "en", "audience": "borrower",
            "purpose": "reminder", "channel": "sms", "body": body, **kw}
    return TemplateDraft(**args)  # type: ignore[arg-type]


def _approved(reg: TemplateRegistry, body: str = CLEAN) -> None:
    reg.add(MAKER, _draft(body))
    reg.submit(MAKER, "t-remind")
    reg.approve(CHECKER, "t-remind")


def _audit(store) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    with store.read() as conn:
        rows = conn.execute(select(audit_entries.c.actor, audit_entries.c.action,
                                   audit_entries.c.subject).order_by(audit_entries.c.seq))
        return [(r.actor, r.action, r.subject) for r in rows]


def test_workflow_draft_review_approved_retired_is_audited(store) -> None:  # type: ignore[no-untyped-def]
    reg = TemplateRegistry(store)
    t = reg.add(MAKER, _draft())
    assert (t.version, t.state, t.author) == (1, State.DRAFT, "u-maker")
    assert reg.submit(MAKER, "t-remind").state == State.IN_REVIEW
    a = reg.approve(CHECKER, "t-remind")
    assert a.state == State.APPROVED and a.approved_by == "u-checker"
    assert a.lexicon_version == load("en").version
    assert reg.approved("t-remind").version == 1
    r = reg.retire(CHECKER, "t-remind")
    assert r.state == State.RETIRED and r.retired_by == "u-checker"
    with pytest.raises(NotFound):
        reg.approved("t-remind")
    trail = [(who, what) for who, what, subject in _audit(store) if subject == "template:t-remind@1"]
    assert trail == [("u-maker", "template.added"), ("u-maker", "template.submitted"),
                     ("u-checker", "template.approved"), ("u-checker", "template.retired")]


def test_the_author_can_never_approve_their_own_template(store) -> None:  # type: ignore[no-untyped-def]
    reg = TemplateRegistry(store)
    reg.add(MAKER_WITH_COMPLIANCE, _draft())
    reg.submit(MAKER_WITH_COMPLIANCE, "t-remind")
    with pytest.raises(AccessDenied, match="maker-checker"):
        reg.approve(MAKER_WITH_COMPLIANCE, "t-remind")
    assert reg.get("t-remind").state == State.IN_REVIEW


def test_approval_needs_the_compliance_role(store) -> None:  # type: ignore[no-untyped-def]
    reg = TemplateRegistry(store)
    reg.add(MAKER, _draft())
    reg.submit(MAKER, "t-remind")
    with pytest.raises(AccessDenied, match="compliance"):
        reg.approve(Actor("u-other", frozenset({"collector"})), "t-remind")
    with pytest.raises(AccessDenied):
        reg.retire(MAKER, "t-remind")


def test_lint_findings_block_submission(store) -> None:  # type: ignore[no-untyped-def]
    reg = TemplateRegistry(store)
    reg.add(MAKER, _draft("Pay {amount} now or we tell your employer. Reply STOP to opt out."))
    with pytest.raises(Conflict, match="EXPOSURE_THREAT"):
        reg.submit(MAKER, "t-remind")
    # the author fixes the draft in place, then it goes through
    fixed = reg.add(MAKER, _draft())
    assert (fixed.version, fixed.state) == (1, State.DRAFT)
    assert reg.submit(MAKER, "t-remind").state == State.IN_REVIEW


def test_missing_opt_out_blocks_an_sms_template(store) -> None:  # type: ignore[no-untyped-def]
    reg = TemplateRegistry(store)
    reg.add(MAKER, _draft("Hi {name}, {amount} is due on {due_date}."))
    with pytest.raises(Conflict, match="OPT_OUT_MISSING"):
        reg.submit(MAKER, "t-remind")


def test_approved_version_is_immutable_a_change_is_a_new_version(store) -> None:  # type: ignore[no-untyped-def]
    reg = TemplateRegistry(store)
    _approved(reg)
    before = reg.get("t-remind", 1)
    changed = CLEAN.replace("a reminder", "a friendly reminder")
    v2 = reg.add(MAKER, _draft(changed))
    assert (v2.version, v2.state) == (2, State.DRAFT)
    assert reg.get("t-remind", 1) == before  # v1 untouched
    assert reg.approved("t-remind").version == 1  # still the live one
    reg.submit(MAKER, "t-remind")
    reg.approve(CHECKER, "t-remind")
    assert reg.approved("t-remind").body == changed
    assert reg.get("t-remind", 1).state == State.RETIRED
    assert reg.get("t-remind", 1).body == CLEAN


def test_transitions_out_of_order_are_conflicts(store) -> None:  # type: ignore[no-untyped-def]
    reg = TemplateRegistry(store)
    reg.add(MAKER, _draft())
    with pytest.raises(Conflict):
        reg.approve(CHECKER, "t-remind")  # still a draft
    with pytest.raises(Conflict):
        reg.retire(CHECKER, "t-remind")
    reg.submit(MAKER, "t-remind")
    with pytest.raises(Conflict):
        reg.add(MAKER, _draft())  # cannot edit while in review
    assert reg.send_back(CHECKER, "t-remind").state == State.DRAFT
    with pytest.raises(AccessDenied):
        reg.add(Actor("u-someone-else"), _draft())  # only the author revises a draft
    with pytest.raises(NotFound):
        reg.get("nope")


def test_rendering_errors_and_relint(store) -> None:  # type: ignore[no-untyped-def]
    reg = TemplateRegistry(store)
    _approved(reg)
    values = {"name": "Ann", "amount": "$120.00", "due_date": "2026-03-01"}
    text = reg.render("t-remind", values)
    assert text.startswith("Hi Ann, a reminder that $120.00 is due on 2026-03-01.")
    with pytest.raises(InputError, match="due_date"):
        reg.render("t-remind", {"name": "Ann", "amount": "$1"})
    with pytest.raises(Conflict, match="INSULT"):  # a value smuggles words in
        reg.render("t-remind", {**values, "name": "you worthless deadbeat"})
    with pytest.raises(InputError):  # objects are refused, never str()-ed
        reg.render("t-remind", {**values, "name": object()})  # type: ignore[dict-item]


def test_starter_library_goes_through_review(store) -> None:  # type: ignore[no-untyped-def]
    reg = TemplateRegistry(store)
    drafts = starter_templates()
    for d in drafts:
        reg.add(MAKER, d)
        reg.submit(MAKER, d.template_id)
        reg.approve(CHECKER, d.template_id)
    assert len(reg.list(State.APPROVED)) == len(drafts)
