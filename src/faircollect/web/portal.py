"""The borrower portal (mobile first): sign in with a one-time code (api/otp), see what is
owed, the schedule and payments, every notice, consents (one-click withdrawal, signed
receipts), ask for a payment plan, promise a payment, set contact preferences, add or remove the
contact persons we may ask to pass on a message (`consent.designated`), open disputes
and complaints and follow them. Acts as the borrower's own Principal: only their data."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from faircollect.api import otp
from faircollect.api.auth import Principal
from faircollect.consent import designated
from faircollect.errors import AccessDenied, FairCollectError, InputError
from faircollect.web.common import (
    SESSION_COOKIE,
    app_of,
    check_csrf,
    clear_session,
    language,
    redirect,
    render,
    set_session,
)
from faircollect.web.i18n import Translator
from faircollect.web.services import case_view, plan_requests, sessions

router = APIRouter(prefix="/portal", include_in_schema=False)
ConsentId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
ContactId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
# What the borrower agrees to when they add a contact person (the consent's notice).
DESIGNATED_NOTICE = ("I agree that, when you cannot reach me, you may ask this person to pass "
                     "on a request to call you. You will never tell them about my debt, and "
                     "I can remove them here at any time.")
NOTICE_VERSION = "portal-designated-2026.1"


class SignInNeeded(AccessDenied):
    http_status = 401
    code = "sign_in_needed"


def signed_in(request: Request) -> Principal:
    found = sessions.current(app_of(request), request.cookies.get(SESSION_COOKIE["borrower"]),
                             "borrower")
    if found is None or not found.principal.borrower_id:
        raise SignInNeeded("please sign in")
    return found.principal


Borrower = Annotated[Principal, Depends(signed_in)]


@router.get("/sign-in")
def sign_in_page(request: Request) -> Response:
    return render(request, "portal/sign_in.html", {"step": "ask", "error": None})


@router.post("/code")
async def send_code(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form)
    borrower_id = str(form.get("borrower_id") or "").strip()[:64]
    channel = str(form.get("channel") or "sms")
    if channel not in otp.CHANNELS or not borrower_id:
        return render(request, "portal/sign_in.html",
                      {"step": "ask", "error": "Enter your customer number."}, status=422)
    # Says the same whether or not the customer exists (api/otp).
    await run_in_threadpool(otp.request_code, app_of(request), borrower_id, channel)
    return render(request, "portal/sign_in.html",
                  {"step": "code", "borrower_id": borrower_id, "error": None})


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form)
    app = app_of(request)
    borrower_id = str(form.get("borrower_id") or "").strip()[:64]
    who = await run_in_threadpool(otp.verify_code, app, borrower_id,
                                  str(form.get("code") or "").strip()[:12])
    if who is None:
        return render(request, "portal/sign_in.html",
                      {"step": "code", "borrower_id": borrower_id,
                       "error": "That code is not right or has expired."}, status=401)
    value = sessions.start(app, "borrower", who)
    response = redirect(request, "/portal")
    set_session(request, response, "borrower", value)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    check_csrf(request, await request.form())
    sessions.end(app_of(request), request.cookies.get(SESSION_COOKIE["borrower"]))
    response = redirect(request, "/portal/sign-in")
    clear_session(response, "borrower")
    return response


def _home(request: Request, who: Principal, *, message: str | None = None,
          error: str | None = None, status: int = 200) -> Response:
    from faircollect.cases.state import case_state
    from faircollect.consent.ledger import ConsentLedger
    from faircollect.portfolio import accounts

    app = app_of(request)
    bid = str(who.borrower_id)
    day = app.store.clock().date()
    rec = accounts.borrower_record(app.store, bid)
    loans = [accounts.loan_detail(app.store, loan["loan_id"], day)
             for loan in accounts.borrower_loans(app.store, bid, day)]
    with app.store.read() as conn:
        state = case_state(conn, [bid], as_of=app.store.clock()).get(bid, {})
    consents = ConsentLedger(app.store, app.keys).listed_consents(bid)
    return render(request, "portal/home.html", {
        "designated": designated.designated_contacts(app, bid),
        "relations": designated.RELATIONS, "designated_notice": DESIGNATED_NOTICE,
        "who": who, "rec": rec, "loans": loans, "state": state, "consents": consents,
        "plan_requests": plan_requests.plan_requests(app, bid), "message": message,
        "error": error, "soon": day + timedelta(days=7),
        "channels": ("sms", "email", "call", "letter"),
        "tz": case_view.borrower_timezone(app, bid)}, status=status)


@router.get("")
def home(request: Request, who: Borrower) -> Response:
    return _home(request, who)


async def _act(request: Request, who: Principal, done: str, command: Any) -> Response:
    form = await request.form()
    check_csrf(request, form)
    try:
        await run_in_threadpool(command, app_of(request), form)
    except FairCollectError as exc:
        return _home(request, who, error=str(exc), status=getattr(exc, "http_status", 422))
    return _home(request, who, message=done)


def _day(form: Any, name: str) -> date:
    try:
        return date.fromisoformat(str(form.get(name) or ""))
    except ValueError as exc:
        raise InputError(f"{name}: enter a date", field=name) from exc


@router.post("/consents/{consent_id}/withdraw")
async def withdraw(consent_id: ConsentId, request: Request, who: Borrower) -> Response:
    from faircollect.consent.ledger import ConsentLedger

    def command(app: Any, _form: Any) -> None:
        ledger = ConsentLedger(app.store, app.keys)
        if ledger.owner(consent_id) != who.borrower_id:
            raise AccessDenied("this is not your consent")
        ledger.withdraw(actor=who.actor_id, consent_id=consent_id, channel="portal")

    return await _act(request, who, "Your consent is withdrawn. A signed receipt is below.",
                      command)


@router.get("/consents/{consent_id}/receipt")
def receipt(consent_id: ConsentId, request: Request, who: Borrower) -> Response:
    import orjson

    from faircollect.consent.ledger import ConsentLedger

    ledger = ConsentLedger(app_of(request).store, app_of(request).keys)
    if ledger.owner(consent_id) != who.borrower_id:
        raise AccessDenied("this is not your consent")
    docs = ledger.receipts(consent_id)
    text = orjson.dumps(docs, option=orjson.OPT_INDENT_2).decode()
    return render(request, "portal/receipt.html", {"who": who, "consent_id": consent_id,
                                                   "text": text})


@router.post("/plan")
async def plan(request: Request, who: Borrower) -> Response:
    def command(app: Any, form: Any) -> None:
        try:
            count = int(str(form.get("installments") or ""))
        except ValueError as exc:
            raise InputError("installments: enter a number", field="installments") from exc
        plan_requests.request_plan(app, borrower_id=str(who.borrower_id),
                                   loan_id=str(form.get("loan_id") or ""),
                                   installments=count, first_due_on=_day(form, "first_due_on"))

    return await _act(request, who, "Your request for a payment plan is sent. We will reply "
                      "within 5 working days.", command)


@router.post("/promise")
async def promise(request: Request, who: Borrower) -> Response:
    from faircollect.cases import promises

    def command(app: Any, form: Any) -> None:
        now = app.store.clock()
        with app.store.transaction(who.actor_id) as uow:
            promises.promise_to_pay(uow, borrower_id=str(who.borrower_id),
                                    loan_id=str(form.get("loan_id") or ""),
                                    amount=str(form.get("amount") or "").strip(),
                                    due_on=_day(form, "due_on"), today=now.date(), now=now)

    return await _act(request, who, "Thank you: your promise to pay is recorded.", command)


@router.post("/opt-out")
async def opt_out(request: Request, who: Borrower) -> Response:
    from faircollect.cases import restrictions

    def command(app: Any, form: Any) -> None:
        with app.store.transaction(who.actor_id) as uow:
            restrictions.opt_out(uow, borrower_id=str(who.borrower_id),
                                 channel=str(form.get("channel") or ""),
                                 now=app.store.clock())

    return await _act(request, who, "We will no longer use that channel.", command)


@router.post("/contacts")
async def add_contact(request: Request, who: Borrower) -> Response:
    lang = language(request)

    def command(app: Any, form: Any) -> None:
        if form.get("agree") != "yes":
            raise InputError("agree: tick the box to give your consent", field="agree")
        designated.add_designated_contact(
            app, actor=who.actor_id, borrower_id=str(who.borrower_id),
            name=str(form.get("name") or ""), phone=str(form.get("phone") or ""),
            relation=str(form.get("relation") or ""),
            # The notice as the borrower read it, in their language, with its version.
            notice_text=Translator(lang)(DESIGNATED_NOTICE), policy_version=NOTICE_VERSION)

    return await _act(request, who, "Your contact person is added.", command)


@router.post("/contacts/{contact_id}/remove")
async def remove_contact(contact_id: ContactId, request: Request, who: Borrower) -> Response:
    def command(app: Any, _form: Any) -> None:
        designated.remove_designated_contact(app, actor=who.actor_id,
                                             borrower_id=str(who.borrower_id),
                                             contact_id=contact_id)

    return await _act(request, who, "Your contact person is removed: we will not contact "
                      "them, and their details are deleted.", command)


@router.post("/cease")
async def cease(request: Request, who: Borrower) -> Response:
    from faircollect.cases import restrictions

    def command(app: Any, _form: Any) -> None:
        with app.store.transaction(who.actor_id) as uow:
            restrictions.request_cease(uow, borrower_id=str(who.borrower_id),
                                       now=app.store.clock(), written=True)

    return await _act(request, who, "We will stop contacting you about collection.", command)


@router.post("/dispute")
async def dispute(request: Request, who: Borrower) -> Response:
    from faircollect.cases import disputes

    def command(app: Any, form: Any) -> None:
        with app.store.transaction(who.actor_id) as uow:
            disputes.open_dispute(uow, app.vault, borrower_id=str(who.borrower_id),
                                  reason=str(form.get("reason") or ""),
                                  now=app.store.clock(), channel="letter")

    return await _act(request, who, "Your dispute is recorded. Collection is paused while we "
                      "look into it.", command)


@router.post("/complaint")
async def complaint(request: Request, who: Borrower) -> Response:
    from faircollect.cases import complaints

    def command(app: Any, form: Any) -> None:
        now = app.store.clock()
        with app.store.transaction(who.actor_id) as uow:
            complaints.open_complaint(uow, borrower_id=str(who.borrower_id),
                                      complainant="borrower",
                                      category=str(form.get("category") or ""),
                                      received_at=now, now=now)

    return await _act(request, who, "Your complaint is recorded.", command)
