"""The staff console: sign-in (password + TOTP), dashboard, work queue, case view, template
review, pack replay, audit verification. Every page acts as the signed-in staff member's
Principal through the same services and access checks as the REST API."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from faircollect.access.guard import BORROWER_FIELDS, Guard
from faircollect.api.auth import Principal
from faircollect.api.reach import (
    DEFAULT_PURPOSE,
    STAFF,
    assigned_to,
    guard_actor,
    require_reach,
    require_role,
)
from faircollect.errors import AccessDenied, ConfigError, FairCollectError, InputError
from faircollect.web.charts import Bar, bar_chart
from faircollect.web.common import (
    SESSION_COOKIE,
    app_of,
    check_csrf,
    clear_session,
    redirect,
    render,
    set_session,
)
from faircollect.web.i18n import Translator
from faircollect.web.services import case_view, plan_requests, sessions, staff

router = APIRouter(prefix="/console", include_in_schema=False)
BorrowerId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
TemplateId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
REVIEWERS = ("compliance",)
REPLAYERS = ("compliance", "auditor", "admin")
DASHBOARD = ("supervisor", "compliance", "auditor", "admin")
PROMISERS = ("collector", "supervisor", "admin")
PLANNERS = ("supervisor", "admin")  # as the API's PLAN_ROLES


class SignInNeeded(AccessDenied):
    http_status = 401
    code = "sign_in_needed"


def signed_in(request: Request) -> Principal:
    found = sessions.current(app_of(request), request.cookies.get(SESSION_COOKIE["staff"]),
                             "staff")
    if found is None:
        raise SignInNeeded("please sign in")
    return found.principal


Staff = Annotated[Principal, Depends(signed_in)]


def _page(request: Request, who: Principal, template: str, **ctx: Any) -> Response:
    return render(request, template, {"who": who, **ctx})


@router.get("/sign-in")
def sign_in_page(request: Request) -> Response:
    return render(request, "console/sign_in.html", {"error": None})


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form)
    app = app_of(request)
    account = staff.sign_in(app, str(form.get("username") or "")[:64],
                            str(form.get("password") or "")[:256],
                            str(form.get("code") or "")[:12])
    if account is None:
        return render(request, "console/sign_in.html",
                      {"error": "The username, password or code is not right."}, status=401)
    value = sessions.start(app, "staff",
                           Principal(f"staff:{account.username}", account.role))
    response = redirect(request, "/console/queue" if account.role == "collector"
                        else "/console")
    set_session(request, response, "staff", value)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    check_csrf(request, await request.form())
    sessions.end(app_of(request), request.cookies.get(SESSION_COOKIE["staff"]))
    response = redirect(request, "/console/sign-in")
    clear_session(response, "staff")
    return response


@router.get("")
def dashboard(request: Request, who: Staff) -> Response:
    if who.role not in DASHBOARD:
        return redirect(request, "/console/queue")
    data = case_view.dashboard(app_of(request))
    t = Translator(_lang(request))
    charts: dict[str, str] = {}
    if data is not None:
        r, s = data["report"], data["summary"]
        charts["buckets"] = bar_chart(t("Accounts by bucket"), [
            Bar(b.bucket, b.accounts, t.number(b.accounts)) for b in s.buckets])
        charts["hours"] = bar_chart(t("Messages sent by the borrower's local hour"), [
            Bar(str(h), n, t.number(n)) for h, n in enumerate(r.by_hour)])
        charts["rules"] = bar_chart(t("Denials by rule"), [
            Bar(rule, n, t.number(n)) for rule, n in r.denials_by_rule[:8]])
        complaints: dict[str, int] = {}
        for _who, category, n in r.complaints:
            complaints[category] = complaints.get(category, 0) + n
        charts["complaints"] = bar_chart(t("Complaints by category"), [
            Bar(c, n, t.number(n)) for c, n in sorted(complaints.items())])
    return _page(request, who, "console/dashboard.html", data=data, charts=charts)


def _lang(request: Request) -> str:
    from faircollect.web.common import language

    return language(request)


def _masked(app: Any, who: Principal, ids: list[str]) -> dict[str, dict[str, str | None]]:
    guard = Guard(app.store, app.vault)
    rp = guard.policy.roles.get(who.role)
    fields = tuple(f for f in BORROWER_FIELDS if rp and f"borrower.{f}" in rp.masked
                   and f in ("full_name", "phone"))
    out: dict[str, dict[str, str | None]] = {}
    for bid in ids:
        view = guard.borrower(guard_actor(who), bid, purpose=DEFAULT_PURPOSE[who.role],
                              fields=fields)
        out[bid] = dict(view.values)
    return out


@router.get("/queue")
def queue(request: Request, who: Staff) -> Response:
    from faircollect.portfolio import accounts

    require_role(who, STAFF)
    app = app_of(request)
    found = accounts.list_borrowers(app.store, limit=25, after=None, jurisdiction=None,
                                    flag=None, among=assigned_to(app, who))
    ids = [r.borrower_id for r in found]
    day = app.store.clock().date()
    loans = {bid: accounts.borrower_loans(app.store, bid, day) for bid in ids}
    return _page(request, who, "console/queue.html", rows=found, loans=loans,
                 personal=_masked(app, who, ids))


@router.get("/cases/{borrower_id}")
def case(borrower_id: BorrowerId, request: Request, who: Staff) -> Response:
    return _case(request, who, borrower_id)


def _case(request: Request, who: Principal, borrower_id: str, *, revealed: str | None = None,
          message: str | None = None, error: str | None = None, status: int = 200,
          block: str | None = None) -> Response:
    from faircollect.cases.state import case_state
    from faircollect.consent.ledger import ConsentLedger
    from faircollect.portfolio import accounts

    require_role(who, STAFF)
    app = app_of(request)
    require_reach(app, who, borrower_id)
    rec = accounts.borrower_record(app.store, borrower_id)
    day = app.store.clock().date()
    with app.store.read() as conn:
        state = case_state(conn, [borrower_id], as_of=app.store.clock()).get(borrower_id, {})
    consents = ([] if who.role == "collector"
                else ConsentLedger(app.store, app.keys).listed_consents(borrower_id))
    guard = Guard(app.store, app.vault)
    may_reveal = [p for p in (guard.policy.roles[who.role].full.purposes
                              if "borrower.phone" in guard.policy.roles[who.role].full.fields
                              else ())]
    return render(request, "console/case.html", {
        "who": who, "rec": rec, "personal": _masked(app, who, [borrower_id])[borrower_id],
        "loans": accounts.borrower_loans(app.store, borrower_id, day), "state": state,
        "attempts": case_view.attempts(app, borrower_id), "consents": consents,
        "revealed": revealed, "may_reveal": may_reveal, "message": message, "error": error,
        "tomorrow": day + timedelta(days=7),
        "plan_requests": plan_requests.plan_requests(app, borrower_id),
        "may_plan": who.role in PLANNERS}, status=status, block=block)


@router.post("/cases/{borrower_id}/reveal")
async def reveal(borrower_id: BorrowerId, request: Request, who: Staff) -> Response:
    """Show the full phone number once, when role and the stated purpose allow it; the read
    (or its refusal) is audited by the access guard."""
    form = await request.form()
    check_csrf(request, form)
    app = app_of(request)
    require_reach(app, who, borrower_id)
    purpose = str(form.get("purpose") or "")
    try:
        view = Guard(app.store, app.vault).borrower(guard_actor(who), borrower_id,
                                                    purpose=purpose, full=True,
                                                    fields=("phone",))
    except AccessDenied as exc:
        return _case(request, who, borrower_id, error=str(exc), status=403, block=_hx(request))
    return _case(request, who, borrower_id, revealed=view.values.get("phone") or "—",
                 block=_hx(request))


def _hx(request: Request, block: str = "phone") -> str | None:
    """htmx asks for the part it swaps (jinja2-fragments renders just that block)."""
    return block if request.headers.get("hx-request") == "true" else None


@router.post("/cases/{borrower_id}/promise")
async def promise(borrower_id: BorrowerId, request: Request, who: Staff) -> Response:
    from faircollect.cases import promises

    form = await request.form()
    check_csrf(request, form)
    require_role(who, PROMISERS)
    app = app_of(request)
    require_reach(app, who, borrower_id)
    amount = str(form.get("amount") or "").strip()
    try:
        due = date.fromisoformat(str(form.get("due_on") or ""))
    except ValueError:
        return _case(request, who, borrower_id, error="Enter an amount and a date.",
                     status=422)
    try:
        with app.store.transaction(f"web:{who.actor_id}") as uow:
            now = app.store.clock()
            promises.promise_to_pay(uow, borrower_id=borrower_id,
                                    loan_id=str(form.get("loan_id") or ""), amount=amount,
                                    due_on=due, today=now.date(), now=now)
    except FairCollectError as exc:
        return _case(request, who, borrower_id, error=str(exc), status=422)
    return _case(request, who, borrower_id, message="The promise to pay is recorded.")


@router.get("/templates")
def templates(request: Request, who: Staff) -> Response:
    from faircollect.content.registry import TemplateRegistry
    from faircollect.content.template import State

    require_role(who, STAFF)
    registry = TemplateRegistry(app_of(request).store)
    return _page(request, who, "console/templates.html",
                 review=registry.list(State.IN_REVIEW), drafts=registry.list(State.DRAFT))


def _highlighted(body: str, findings: list[Any]) -> list[tuple[str, Any]]:
    """The body cut into plain pieces and marked pieces (each with its finding)."""
    pieces: list[tuple[str, Any]] = []
    at = 0
    for f in sorted(findings, key=lambda f: f.span):
        start, end = f.span
        if start < at:
            continue
        pieces.append((body[at:start], None))
        pieces.append((body[start:end], f))
        at = end
    pieces.append((body[at:], None))
    return pieces


@router.get("/templates/{template_id}")
def template(template_id: TemplateId, request: Request, who: Staff,
             message: str | None = None) -> Response:
    return _template(request, who, template_id)


def _template(request: Request, who: Principal, template_id: str,
              message: str | None = None) -> Response:
    from faircollect.content.linter import lint
    from faircollect.content.registry import TemplateRegistry

    require_role(who, STAFF)
    t = TemplateRegistry(app_of(request).store).get(template_id)
    findings = lint(t.body, locale=t.locale, audience=t.audience, channel=t.channel)
    return _page(request, who, "console/template.html", tpl=t, findings=findings,
                 pieces=_highlighted(t.body, list(findings)), message=message,
                 reviewer=who.role in REVIEWERS)


@router.post("/templates/{template_id}/{step}")
async def template_step(template_id: TemplateId, step: str, request: Request,
                        who: Staff) -> Response:
    from faircollect.content.registry import TemplateRegistry
    from faircollect.content.template import Actor

    form = await request.form()
    check_csrf(request, form)
    if step not in ("approve", "send-back"):
        raise InputError("unknown review step", field="step")
    require_role(who, REVIEWERS)
    registry = TemplateRegistry(app_of(request).store)
    version = int(str(form.get("version") or "0")) or None
    getattr(registry, step.replace("-", "_"))(Actor(who.actor_id, frozenset({who.role})),
                                               template_id, version)
    done = "Approved." if step == "approve" else "Sent back to its author."
    return _template(request, who, template_id, message=done)


@router.get("/replay")
def replay_page(request: Request, who: Staff) -> Response:
    from faircollect.policy import builtin_packs

    require_role(who, REPLAYERS)
    day = app_of(request).store.clock().date()
    return _page(request, who, "console/replay.html", packs=[p.id for p in builtin_packs()],
                 report=None, start=day - timedelta(days=30), end=day)


@router.post("/replay")
async def replay(request: Request, who: Staff) -> Response:
    from faircollect.policy import builtin_packs, resolve_pack
    from faircollect.policy.replay import replay as run_replay

    form = await request.form()
    check_csrf(request, form)
    require_role(who, REPLAYERS)
    try:
        start = date.fromisoformat(str(form.get("from") or ""))
        end = date.fromisoformat(str(form.get("to") or ""))
    except ValueError as exc:
        raise InputError("from and to must be dates", field="from") from exc
    if not 0 <= (end - start).days < 366:
        raise InputError("a replay covers 1 to 366 days", field="to")
    report = run_replay(app_of(request).store, resolve_pack(str(form.get("pack") or "")),
                        start=start, end=end, all_packs=False, examples=0)
    return _page(request, who, "console/replay.html", packs=[p.id for p in builtin_packs()],
                 report=report.to_json(), start=start, end=end)


@router.get("/audit")
def audit(request: Request, who: Staff) -> Response:
    require_role(who, ("compliance", "auditor", "admin"))
    return _page(request, who, "console/audit.html", report=None)


@router.post("/audit/verify")
async def audit_verify(request: Request, who: Staff) -> Response:
    from faircollect.audit.service import AuditService

    check_csrf(request, await request.form())
    require_role(who, ("compliance", "auditor", "admin"))
    app = app_of(request)
    report = AuditService(app.store, app.keys.signing_key("audit")).verify()
    return _page(request, who, "console/audit.html", report=report)


@router.post("/cases/{borrower_id}/plan-requests/{request_id}/{answer}")
async def answer_plan_request(borrower_id: BorrowerId, request_id: str, answer: str,
                              request: Request, who: Staff) -> Response:
    """A supervisor turns a borrower's plan request into a plan, or declines it."""
    check_csrf(request, await request.form())
    require_role(who, PLANNERS)
    if answer not in ("accept", "decline"):
        raise InputError("answer: accept or decline", field="answer")
    app = app_of(request)
    require_reach(app, who, borrower_id)
    try:
        plan_requests.answer(app, actor=who.actor_id, borrower_id=borrower_id,
                             request_id=request_id, accept=answer == "accept")
    except FairCollectError as exc:
        return _case(request, who, borrower_id, error=str(exc), status=exc.http_status)
    done = "The payment plan is set up." if answer == "accept" else "The request is declined."
    return _case(request, who, borrower_id, message=done)


COMPLAINT_ROLES = ("supervisor", "compliance")  # as the API's RESOLVE_ROLES
SUBJECT_ROLES = ("compliance", "admin")  # as the API's DECIDE_ROLES


@router.get("/complaints")
def complaints_queue(request: Request, who: Staff) -> Response:
    from faircollect.cases.complaints import ROOT_CAUSES

    require_role(who, (*COMPLAINT_ROLES, "auditor", "admin"))
    app = app_of(request)
    return _page(request, who, "console/complaints.html",
                 rows=case_view.open_complaints(app), now=app.store.clock(),
                 causes=ROOT_CAUSES, may_close=who.role in COMPLAINT_ROLES)


@router.post("/complaints/{complaint_id}/close")
async def close_complaint(complaint_id: TemplateId, request: Request, who: Staff) -> Response:
    from faircollect.cases import complaints

    form = await request.form()
    check_csrf(request, form)
    require_role(who, COMPLAINT_ROLES)
    app = app_of(request)
    with app.store.transaction(f"web:{who.actor_id}") as uow:
        complaints.close_complaint(uow, complaint_id=complaint_id,
                                   root_cause=str(form.get("root_cause") or ""),
                                   now=app.store.clock())
    return redirect(request, "/console/complaints")


@router.get("/subject-requests")
def subject_requests(request: Request, who: Staff) -> Response:
    from faircollect.subject.requests import list_requests

    require_role(who, SUBJECT_ROLES)
    rows = list_requests(app_of(request).store, limit=100, state="pending")
    return _page(request, who, "console/subject_requests.html", rows=rows)


@router.post("/subject-requests/{request_id}/{answer}")
async def answer_subject_request(request_id: TemplateId, answer: str, request: Request,
                                 who: Staff) -> Response:
    """Approve (erase the borrower, maker-checker: not the requester) or reject."""
    from faircollect.subject.requests import approve_erasure, reject_erasure

    check_csrf(request, await request.form())
    require_role(who, SUBJECT_ROLES)
    app = app_of(request)
    if answer == "approve":
        approve_erasure(app.store, app.vault, actor=who.actor_id, request_id=request_id)
    elif answer == "reject":
        reject_erasure(app.store, actor=who.actor_id, request_id=request_id)
    else:
        raise InputError("answer: approve or reject", field="answer")
    return redirect(request, "/console/subject-requests")


@router.post("/audit/checkpoint")
async def audit_checkpoint(request: Request, who: Staff) -> Response:
    """Sign (or fetch) the checkpoint of the current tree and show it."""
    from faircollect.audit.service import AuditService

    check_csrf(request, await request.form())
    require_role(who, ("compliance", "auditor", "admin"))
    app = app_of(request)
    note = AuditService(app.store, app.keys.signing_key("audit")).checkpoint()
    return _page(request, who, "console/audit.html", report=None, checkpoint=note)


@router.get("/audit/proof")
def audit_proof(request: Request, who: Staff) -> Response:
    """An entry's inclusion proof in the current tree (?seq=N), as the API gives it."""
    import orjson

    from faircollect.audit.service import AuditService

    require_role(who, ("compliance", "auditor", "admin"))
    try:
        seq = int(request.query_params.get("seq", ""))
    except ValueError as exc:
        raise InputError("seq: enter an entry number", field="seq") from exc
    app = app_of(request)
    proof = AuditService(app.store, app.keys.signing_key("audit")).prove(seq, None)
    text = orjson.dumps(proof, option=orjson.OPT_INDENT_2, default=str).decode()
    return _page(request, who, "console/audit.html", report=None, proof=text, seq=seq)


@router.get("/cases/{borrower_id}/next")
def case_next(borrower_id: BorrowerId, request: Request, who: Staff) -> Response:
    """What the planner and the decision point would do for this case on the next day (the
    cycle's own functions, nothing written); htmx loads it into the case view."""
    require_role(who, STAFF)
    app = app_of(request)
    require_reach(app, who, borrower_id)
    day = app.store.clock().date() + timedelta(days=1)
    problem = None
    try:
        steps = case_view.next_steps(app, borrower_id, day)
    except ConfigError as exc:  # e.g. a playbook's template not approved yet
        steps, problem = [], str(exc)
    return render(request, "console/next.html", {"who": who, "steps": steps, "day": day,
                                                 "borrower_id": borrower_id,
                                                 "problem": problem},
                  block=_hx(request, "next"))
