"""The web faces through HTTP (SQLite and PostgreSQL): headers and CSP, CSRF, staff sign-in
with TOTP and expiring sessions, the contact person's refusal and erasure taking effect in
the decision point at once, the borrower portal, no personal data on any page but behind a
logged reveal, zh-CN and English."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _privacy_seed import CONTACTS, PEOPLE, seed  # noqa: E402
from webclient import PASSWORD, audit_actions, client_for, csrf, staff_sign_in  # noqa: E402

from faircollect.access.assignment import assign  # noqa: E402
from faircollect.consent.ledger import ConsentLedger  # noqa: E402
from faircollect.store.tables.foundation import contacts  # noqa: E402
from faircollect.store.tables.web import web_plan_requests  # noqa: E402
from faircollect.web.services import contact_links, staff  # noqa: E402

NOW = datetime(2026, 2, 10, 9, tzinfo=UTC)
PAGES = ("/console", "/console/queue", "/console/cases/b-1", "/console/templates",
         "/console/replay", "/console/audit")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def web(app) -> Iterator[tuple[Any, TestClient, Clock]]:  # type: ignore[no-untyped-def]
    clock = Clock()
    app.store.clock = clock
    seed(app)
    with client_for(app) as c:
        yield app, c, clock


def _personal() -> list[str]:
    values = [v for p in PEOPLE.values() for k, v in p.items() if k != "jurisdiction" and v]
    values += [x for (_b, _r, _s, name, phone) in CONTACTS.values() for x in (name, phone)]
    return values + [v.lstrip("+") for v in values if v.startswith("+")]


def _no_personal_data(html: str, where: str) -> None:
    for value in _personal():
        assert value not in html, f"{where} shows personal data"


def test_every_web_page_has_the_security_headers_and_no_inline_script(web) -> None:  # type: ignore[no-untyped-def]
    app, c, _ = web
    staff_sign_in(c, app, "cara", "compliance")
    for page in (*PAGES, "/portal/sign-in", "/console/sign-in"):
        r = c.get(page)
        assert r.status_code == 200, page
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["cache-control"] == "no-store"
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", r.text), page
        assert not re.search(r"\sstyle=", r.text), page
        assert not re.search(r"\son[a-z]+=", r.text), page
    js = c.get("/web-static/htmx.min.js")
    assert js.status_code == 200 and "htmx" in js.text[:2000]
    assert c.get("/healthz").headers.get("content-security-policy") is None  # API untouched


def test_a_post_without_its_own_browser_s_token_is_refused(web) -> None:  # type: ignore[no-untyped-def]
    app, c, _ = web
    form = {"username": "x", "password": "y", "code": "123456"}
    assert c.post("/console/sign-in", data=form).status_code == 403
    token = csrf(c)
    other = client_for(app)
    other_token = csrf(other)
    assert c.post("/console/sign-in", data={**form, "csrf": other_token}).status_code == 403
    r = c.post("/console/sign-in", data={**form, "csrf": token},
               headers={"origin": "http://evil.example"})
    assert r.status_code == 403
    assert c.post("/console/sign-in", data={**form, "csrf": token}).status_code == 401


def test_staff_sign_in_needs_password_and_a_fresh_totp_code_and_sessions_expire(web) -> None:  # type: ignore[no-untyped-def]
    app, c, clock = web
    staff.add_staff(app, actor="t", username="col", role="collector", password=PASSWORD,
                    demo=True)
    code = staff.current_code(app, "col")
    token = csrf(c)
    bad = c.post("/console/sign-in", data={"csrf": token, "username": "col",
                                           "password": "wrong password!", "code": code})
    assert bad.status_code == 401
    wrong = "000000" if code != "000000" else "111111"
    assert c.post("/console/sign-in", data={"csrf": token, "username": "col",
                                            "password": PASSWORD, "code": wrong}
                  ).status_code == 401
    ok = c.post("/console/sign-in", data={"csrf": token, "username": "col",
                                          "password": PASSWORD, "code": code},
                follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/console/queue"
    assert "httponly" in ok.headers["set-cookie"].lower()
    assert "samesite=strict" in ok.headers["set-cookie"].lower()
    again = c.post("/console/sign-in", data={"csrf": token, "username": "col",
                                             "password": PASSWORD, "code": code})
    assert again.status_code == 401  # a code works once
    assert c.get("/console/queue").status_code == 200
    clock.now += timedelta(minutes=31)  # idle past the staff limit
    r = c.get("/console/queue", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/sign-in"
    actions = [e["action"] for e in audit_actions(app)]
    assert actions.count("web.staff_signin_failed") == 3 and "web.staff_signin" in actions
    assert "correct horse" not in str(audit_actions(app))


def test_contact_person_refuses_and_the_decision_point_knows_at_once(web) -> None:  # type: ignore[no-untyped-def]
    from faircollect.strategy.loader import load_inputs

    app, c, _ = web
    token = contact_links.issue_link(app, actor="test", contact_id="c-1", lender="Acme Loans")
    page = c.get(f"/contact/{token}")
    assert page.status_code == 200 and "Acme Loans" in page.text
    _no_personal_data(page.text, "the contact page")
    assert "CNY" not in page.text and "1,200" not in page.text  # nothing of the debt
    assert c.get("/contact/" + "x" * 32).status_code == 404
    assert c.post(f"/contact/{token}/refuse").status_code == 403  # no CSRF token
    r = c.post(f"/contact/{token}/refuse", data={"csrf": csrf(c, f"/contact/{token}")})
    assert r.status_code == 200 and "You have refused further contact" in r.text
    with app.store.read() as conn:
        inputs, _ = load_inputs(conn, NOW.date())
    row = inputs.contacts.filter(inputs.contacts["contact_id"] == "c-1").row(0, named=True)
    assert row["refused"] is True
    other = inputs.contacts.filter(inputs.contacts["contact_id"] == "c-2").row(0, named=True)
    assert other["refused"] is False
    audited = [e for e in audit_actions(app) if e["action"] == "contact.refused"]
    assert audited and audited[0]["subject"] == "contact:c-1"


def test_contact_person_erases_their_own_data(web) -> None:  # type: ignore[no-untyped-def]
    app, c, _ = web
    token = contact_links.issue_link(app, actor="test", contact_id="c-3", lender="Acme Loans")
    r = c.post(f"/contact/{token}/erase", data={"csrf": csrf(c, f"/contact/{token}")})
    assert r.status_code == 200 and "erased" in r.text
    with app.store.read() as conn:
        row = conn.execute(select(contacts).where(contacts.c.contact_id == "c-3")).one()
    assert row.name_ct is None and row.phone_ct is None and row.phone_bidx is None
    assert row.refused_contact
    assert any(e["action"] == "contact.erased" for e in audit_actions(app))


def _portal_sign_in(app: Any, c: TestClient, borrower_id: str) -> None:
    import json

    token = csrf(c, "/portal/sign-in")
    r = c.post("/portal/code", data={"csrf": token, "borrower_id": borrower_id,
                                     "channel": "sms"})
    assert r.status_code == 200
    sent = (app.settings.home / "sent" / "messages.jsonl").read_text().splitlines()
    code = re.search(r"\b(\d{6})\b", json.loads(sent[-1])["body"]).group(1)  # type: ignore[union-attr]
    r = c.post("/portal/sign-in", data={"csrf": token, "borrower_id": borrower_id,
                                        "code": code}, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]


def test_borrower_withdraws_a_consent_and_asks_for_a_plan(web) -> None:  # type: ignore[no-untyped-def]
    app, c, _ = web
    ledger = ConsentLedger(app.store, app.keys)
    issued = ledger.grant(actor="test", borrower_id="b-2", purpose="contact_designated_contact",
                          contact_id="c-3", notice_text="We may ask the person you name to "
                          "pass on a message.", policy_version="pp-3", channel="app",
                          granted_at=NOW - timedelta(days=3))
    _portal_sign_in(app, c, "b-2")
    home = c.get("/portal")
    assert home.status_code == 200 and "l-b-2" in home.text
    _no_personal_data(home.text, "the portal")
    consent_id = issued.record.consent_id if hasattr(issued, "record") else None
    consent_id = consent_id or re.search(r'/portal/consents/([^/]+)/withdraw', home.text).group(1)  # type: ignore[union-attr]
    r = c.post(f"/portal/consents/{consent_id}/withdraw", data={"csrf": csrf(c, "/portal")})
    assert r.status_code == 200 and "withdrawn" in r.text
    assert not ledger.valid("b-2", "contact_designated_contact", "c-3", NOW + timedelta(hours=1))
    receipt = c.get(f"/portal/consents/{consent_id}/receipt")
    assert receipt.status_code == 200 and "signature" in receipt.text
    r = c.post("/portal/plan", data={"csrf": csrf(c, "/portal"), "loan_id": "l-b-2",
                                     "installments": "6", "first_due_on": "2026-03-01"})
    assert r.status_code == 200 and "payment plan" in r.text
    with app.store.read() as conn:
        req = conn.execute(select(web_plan_requests)).one()
    assert (req.borrower_id, req.installments, req.state) == ("b-2", 6, "requested")
    # Another borrower's loan and consent are out of reach.
    r = c.post("/portal/plan", data={"csrf": csrf(c, "/portal"), "loan_id": "l-b-1",
                                     "installments": "6", "first_due_on": "2026-03-01"})
    assert r.status_code == 404
    assert c.get("/console/queue", follow_redirects=False).status_code == 303


def test_no_page_shows_personal_data_except_a_logged_reveal(web) -> None:  # type: ignore[no-untyped-def]
    app, c, _ = web
    assign(app.store, actor="test", borrower_id="b-1", collector_id="staff:col")
    staff_sign_in(c, app, "col", "collector")
    for page in ("/console/queue", "/console/cases/b-1"):
        r = c.get(page)
        assert r.status_code == 200, page
        _no_personal_data(r.text, page)
    assert "138****5699" in c.get("/console/cases/b-1").text  # masked, not hidden
    assert c.get("/console/cases/b-2").status_code == 403  # not assigned
    denied = c.post("/console/cases/b-1/reveal", data={"csrf": csrf(c, "/console/queue"),
                                                      "purpose": "collection"})
    assert denied.status_code == 403 and PEOPLE["b-1"]["phone"] not in denied.text
    boss = client_for(app)
    staff_sign_in(boss, app, "cara", "compliance")
    for page in PAGES:
        r = boss.get(page)
        assert r.status_code == 200, page
        _no_personal_data(r.text, page)
    r = boss.post("/console/cases/b-1/reveal", data={"csrf": csrf(boss, "/console"),
                                                    "purpose": "complaint_handling"})
    assert r.status_code == 200 and PEOPLE["b-1"]["phone"] in r.text
    reads = [e for e in audit_actions(app) if e["action"] == "access.read"
             and e["payload"].get("view") == "full"]
    assert reads and reads[-1]["actor"] == "staff:cara"
    assert reads[-1]["payload"]["purpose"] == "complaint_handling"


def test_pages_speak_zh_cn_or_english_with_local_formats(web) -> None:  # type: ignore[no-untyped-def]
    app, c, _ = web
    zh = c.get("/portal/sign-in", headers={"accept-language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh-CN">' in zh.text and "登录您的账户" in zh.text
    en = c.get("/portal/sign-in", headers={"accept-language": "fr-FR"})
    assert '<html lang="en">' in en.text and "Sign in to your account" in en.text
    chosen = c.get("/portal/sign-in?lang=zh-CN", headers={"accept-language": "en"})
    assert "登录您的账户" in chosen.text
    assert "登录您的账户" in c.get("/portal/sign-in", headers={"accept-language": "en"}).text
    _portal_sign_in(app, c, "b-1")
    home = c.get("/portal")
    assert "¥1,200.00" in home.text and "2026年1月1日" in home.text
    home_en = c.get("/portal?lang=en")
    assert "CN¥1,200.00" in home_en.text and "Jan 1, 2026" in home_en.text


def test_every_message_the_templates_use_has_a_zh_cn_translation() -> None:
    from importlib import resources

    from faircollect.web.i18n import _catalogue

    zh = _catalogue("zh-CN")
    root = resources.files("faircollect.web") / "templates"
    used: set[str] = set()
    for path in Path(str(root)).rglob("*.html"):
        used |= set(re.findall(r"(?<![\w.])t\(\"([^\"]+)\"", path.read_text()))
        used |= set(re.findall(r"(?<![\w.])t\('([^']+)'", path.read_text()))
    missing = sorted(m for m in used if m not in zh)
    assert len(used) > 100 and not missing, missing


def test_htmx_reveal_swaps_only_the_phone_block(web) -> None:  # type: ignore[no-untyped-def]
    app, c, _ = web
    staff_sign_in(c, app, "cara", "compliance")
    r = c.post("/console/cases/b-2/reveal", data={"csrf": csrf(c, "/console"),
                                                 "purpose": "complaint_handling"},
               headers={"hx-request": "true", "hx-target": "phone-block"})
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<div id="phone-block">') and "<html" not in r.text
    assert PEOPLE["b-2"]["phone"] in r.text


def test_a_supervisor_turns_a_plan_request_into_a_plan(web) -> None:  # type: ignore[no-untyped-def]
    from faircollect.cases.state import case_state
    from faircollect.web.services import plan_requests

    app, c, _ = web
    rid = plan_requests.request_plan(app, borrower_id="b-1", loan_id="l-b-1", installments=3,
                                     first_due_on=(NOW + timedelta(days=5)).date())
    staff_sign_in(c, app, "sup", "supervisor")
    page = c.get("/console/cases/b-1")
    assert f"/plan-requests/{rid}/accept" in page.text
    r = c.post(f"/console/cases/b-1/plan-requests/{rid}/accept",
               data={"csrf": csrf(c, "/console/queue")})
    assert r.status_code == 200 and "The payment plan is set up." in r.text
    with app.store.read() as conn:
        state = case_state(conn, ["b-1"], as_of=NOW)["b-1"]
    assert state["plan"] is not None and len(state["plan"]["installments"]) == 3
    again = c.post(f"/console/cases/b-1/plan-requests/{rid}/accept",
                   data={"csrf": csrf(c, "/console/queue")})
    assert again.status_code == 409


def test_complaints_queue_subject_requests_and_audit_proofs(web) -> None:  # type: ignore[no-untyped-def]
    from faircollect.cases import complaints
    from faircollect.subject.requests import request_erasure

    app, c, _ = web
    with app.store.transaction("test") as uow:
        cid = complaints.open_complaint(uow, borrower_id="b-2", complainant="borrower",
                                        category="tone", received_at=NOW - timedelta(days=60),
                                        now=NOW)
    req = request_erasure(app.store, actor="staff:someone-else", borrower_id="b-3")
    staff_sign_in(c, app, "cara", "compliance")
    page = c.get("/console/complaints")
    assert page.status_code == 200 and cid in page.text and "overdue" in page.text
    r = c.post(f"/console/complaints/{cid}/close", data={"csrf": csrf(c, "/console"),
                                                        "root_cause": "agent_conduct"})
    assert r.status_code == 200 and cid not in r.text
    page = c.get("/console/subject-requests")
    assert req.request_id in page.text
    _no_personal_data(page.text, "subject requests")
    r = c.post(f"/console/subject-requests/{req.request_id}/reject",
               data={"csrf": csrf(c, "/console")})
    assert r.status_code == 200 and req.request_id not in r.text
    signed = c.post("/console/audit/checkpoint", data={"csrf": csrf(c, "/console")})
    assert signed.status_code == 200 and "— " in signed.text  # a signed note's signature line
    proof = c.get("/console/audit/proof?seq=0")
    assert proof.status_code == 200 and "inclusion" in proof.text.lower()


def test_the_case_view_loads_what_the_planner_will_do_next(web) -> None:  # type: ignore[no-untyped-def]
    from faircollect.demo import approve_starter_library

    app, c, _ = web
    staff_sign_in(c, app, "cara", "compliance")
    assert "The planner cannot run" in c.get("/console/cases/b-1/next").text  # no templates
    approve_starter_library(app)
    case = c.get("/console/cases/b-1")
    assert 'hx-get="/console/cases/b-1/next"' in case.text
    part = c.get("/console/cases/b-1/next", headers={"hx-request": "true"})
    assert part.status_code == 200 and part.text.lstrip().startswith('<div id="next-steps">')
    assert "<html" not in part.text and "cannot run" not in part.text
    assert "cn-" in part.text or "Nothing is due" in part.text
    full = c.get("/console/cases/b-1/next")
    assert "<html" in full.text and 'id="next-steps"' in full.text



def test_five_wrong_tries_lock_the_account_for_a_while(web) -> None:  # type: ignore[no-untyped-def]
    app, c, clock = web
    staff.add_staff(app, actor="t", username="lock", role="auditor", password=PASSWORD,
                    demo=True)
    token = csrf(c)
    for _ in range(5):
        r = c.post("/console/sign-in", data={"csrf": token, "username": "lock",
                                             "password": "not the password", "code": "123456"})
        assert r.status_code == 401
    right = {"csrf": token, "username": "lock", "password": PASSWORD,
             "code": staff.current_code(app, "lock")}
    assert c.post("/console/sign-in", data=right).status_code == 401  # locked
    assert any(e["action"] == "web.staff_locked" for e in audit_actions(app))
    clock.now += timedelta(minutes=16)
    right["code"] = staff.current_code(app, "lock")
    assert c.post("/console/sign-in", data=right, follow_redirects=False).status_code == 303
