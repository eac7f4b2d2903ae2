"""`faircollect consent ...`: grant, withdraw, renew, show, review, receipts and their checks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from faircollect.cli._context import app_for, settings
from faircollect.cli._output import JsonOption, QuietOption, emit, emit_lines, iso, progress
from faircollect.cli._privacy import read_text, write_json
from faircollect.cli._values import parse_instant
from faircollect.errors import InputError

console = Console()

Notice = Annotated[Path, typer.Option("--notice", help="File with the exact notice text shown (- for stdin).")]
Policy = Annotated[str, typer.Option("--policy-version", help="Privacy policy version shown.")]
Channel = Annotated[str, typer.Option("--channel", help="app, web, paper, call, portal or api.")]
At = Annotated[str | None, typer.Option("--at", help="When (ISO time with offset); default now.")]


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Consent ledger: grant, withdraw, renew, review, receipts.",
                        no_args_is_help=True)
    group.command("grant")(grant)
    group.command("withdraw")(withdraw)
    group.command("renew")(renew)
    group.command("show")(show)
    group.command("review")(review)
    group.command("receipt")(receipt)
    group.command("verify-receipt")(verify_receipt_command)
    group.command("public-key")(public_key)
    app.add_typer(group, name="consent")


def _ledger(ctx: typer.Context):  # type: ignore[no-untyped-def]
    from faircollect.consent.ledger import ConsentLedger

    fc = app_for(ctx)
    return ConsentLedger(fc.app.store, fc.app.keys), fc.actor


def _issued(issued, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    if as_json:
        emit({"consent_id": issued.consent_id, "record_id": issued.record_id,
              "receipt_id": issued.receipt_id})
        return
    console.print(f"consent {issued.consent_id} record {issued.record_id} "
                  f"receipt {issued.receipt_id}", highlight=False)


def grant(
    ctx: typer.Context,
    borrower_id: Annotated[str, typer.Argument(help="Borrower id.")],
    purpose: Annotated[str, typer.Argument(help="Purpose id from the catalogue.")],
    notice: Notice,
    policy_version: Policy,
    channel: Channel = "paper",
    contact: Annotated[str | None, typer.Option("--contact", help="Contact id, for purposes about a contact person.")] = None,
    at: At = None,
    expires: Annotated[str | None, typer.Option("--expires", help="Expiry (ISO); default: the purpose's duration.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Record a borrower's consent and issue a signed receipt."""
    ledger, actor = _ledger(ctx)
    _issued(ledger.grant(
        actor=actor, borrower_id=borrower_id, purpose=purpose, contact_id=contact,
        notice_text=read_text(notice, "notice"), policy_version=policy_version, channel=channel,
        granted_at=parse_instant(at, "--at") if at else None,
        expires_at=parse_instant(expires, "--expires") if expires else None,
    ), as_json)


def withdraw(
    ctx: typer.Context,
    consent_id: Annotated[str, typer.Argument(help="Consent id.")],
    channel: Channel = "paper",
    at: At = None,
    as_json: JsonOption = False,
) -> None:
    """Withdraw a consent: its use stops from that instant; a signed receipt is issued."""
    ledger, actor = _ledger(ctx)
    _issued(ledger.withdraw(actor=actor, consent_id=consent_id, channel=channel,
                            at=parse_instant(at, "--at") if at else None), as_json)


def renew(
    ctx: typer.Context,
    consent_id: Annotated[str, typer.Argument(help="Consent id.")],
    notice: Notice,
    policy_version: Policy,
    channel: Channel = "paper",
    at: At = None,
    expires: Annotated[str | None, typer.Option("--expires", help="New expiry (ISO).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Renew a consent (never a withdrawn one) with the notice shown again."""
    ledger, actor = _ledger(ctx)
    _issued(ledger.renew(
        actor=actor, consent_id=consent_id, notice_text=read_text(notice, "notice"),
        policy_version=policy_version, channel=channel,
        at=parse_instant(at, "--at") if at else None,
        expires_at=parse_instant(expires, "--expires") if expires else None,
    ), as_json)


def show(
    ctx: typer.Context,
    borrower_id: Annotated[str, typer.Argument(help="Borrower id.")],
    at: At = None,
    as_json: Annotated[bool, typer.Option("--json", help="The decision-request consent list, each entry with its consent_id.")] = False,
) -> None:
    """A borrower's consents and their state at a time (default now), with the ids to
    withdraw or renew them by."""
    ledger, _ = _ledger(ctx)
    if as_json:
        write_json(ledger.listed_consents(borrower_id), None)
        return
    when = parse_instant(at, "--at") if at else ledger.store.clock()
    states = ledger.show(borrower_id, when)
    table = Table(title=f"consents of {borrower_id} at {when.isoformat()}")
    # The id is what withdraw and renew take: never cut it short, however narrow the terminal.
    table.add_column("consent", no_wrap=True,
                     min_width=max((len(s.consent_id) for s in states), default=7))
    for col in ("purpose", "contact", "status", "granted", "expires", "withdrawn"):
        table.add_column(col)
    for s in states:
        table.add_row(s.consent_id, s.purpose, s.contact_id or "", s.status,
                      s.granted_at.isoformat(), s.expires_at.isoformat() if s.expires_at else "",
                      s.withdrawn_at.isoformat() if s.withdrawn_at else "")
    console.print(table)


def review(
    ctx: typer.Context,
    as_of: Annotated[str, typer.Option("--as-of", help="Review date or time (ISO).")],
    window: Annotated[int, typer.Option("--window", help="Days ahead that count as expiring.")] = 30,
    apply: Annotated[bool, typer.Option("--apply", help="Stop the lapsed and overdue consents (audited); without it nothing changes.")] = False,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """List consents expiring soon, and lapsed or open-ended ones past their duration;
    --apply stops the latter. --json: one finding a line, `stopped` saying whether this run
    stopped it."""
    if window < 0:
        raise InputError("--window must not be negative", field="window")
    ledger, actor = _ledger(ctx)
    with progress("reviewing consents", quiet=quiet, unit="consents") as bar:
        result = ledger.review(actor=actor, as_of=parse_instant(as_of, "--as-of"),
                               window_days=window, apply=apply, on_progress=bar)
    if as_json:
        emit_lines({"finding": finding, "stopped": result.applied and finding != "expiring",
                    "consent_id": s.consent_id, "borrower_id": s.borrower_id,
                    "purpose": s.purpose, "contact_id": s.contact_id, "ends": iso(s.expires_at)}
                   for finding, rows in (("expiring", result.expiring),
                                         ("lapsed", result.lapsed), ("overdue", result.overdue))
                   for s in rows)
        return
    verb = "stopped" if result.applied else "to stop"
    table = Table(title=f"consent review as of {result.as_of.isoformat()}")
    for col in ("finding", "consent", "borrower", "purpose", "contact", "ends"):
        table.add_column(col)
    for label, rows in (("expiring", result.expiring), (f"lapsed: {verb}", result.lapsed),
                        (f"overdue: {verb}", result.overdue)):
        for s in rows:
            table.add_row(label, s.consent_id, s.borrower_id, s.purpose, s.contact_id or "",
                          s.expires_at.isoformat() if s.expires_at else "")
    console.print(table)
    console.print(f"{len(result.expiring)} expiring, {len(result.lapsed)} lapsed, "
                  f"{len(result.overdue)} overdue")
    stops = len(result.lapsed) + len(result.overdue)
    if result.applied:
        console.print(f"stopped {stops} consent(s)", highlight=False)
    else:
        console.print(f"nothing changed: {stops} consent(s) would be stopped; "
                      "run with --apply to stop them", highlight=False)


def receipt(
    ctx: typer.Context,
    ident: Annotated[str, typer.Argument(help="Receipt id, or consent id for its latest receipt.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Download a signed consent receipt (JSON; --json: on one line)."""
    ledger, _ = _ledger(ctx)
    write_json(ledger.receipts(ident)[-1], out, as_json=as_json)


def verify_receipt_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Receipt JSON file (- for stdin).")],
    public_key: Annotated[Path | None, typer.Option("--public-key", help="Controller's public key (PEM); verifies offline without the keyring.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Check a receipt's signature; exit 1 when it was altered or signed by another key."""
    from faircollect.consent.receipt import SIGNING_KEY_NAME, load_public_key, verify_receipt
    from faircollect.errors import IntegrityError

    try:
        doc = orjson.loads(read_text(file, "receipt"))
    except orjson.JSONDecodeError:
        raise InputError(f"{file} is not JSON", field="receipt") from None
    if public_key is not None:
        key = load_public_key(read_text(public_key, "public key").encode())
    else:
        from faircollect.bootstrap import open_keys

        key = open_keys(settings(ctx)).signing_key(SIGNING_KEY_NAME).public_key()
    if not isinstance(doc, dict):
        raise IntegrityError("not a FairCollect consent receipt")
    body = verify_receipt(doc, key)
    if as_json:
        emit({"verified": True, "receipt_id": body["consentReceiptID"],
              "event": body["faircollect"]["event"],
              "consent_id": body["faircollect"]["consentId"]})
        return
    console.print(f"receipt {body['consentReceiptID']} verified "
                  f"({body['faircollect']['event']} of consent {body['faircollect']['consentId']})",
                  highlight=False)


def public_key(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Print the public key receipts are signed with (PEM), to publish."""
    from faircollect.bootstrap import open_keys
    from faircollect.consent.receipt import SIGNING_KEY_NAME, key_id, public_key_pem

    key = open_keys(settings(ctx)).signing_key(SIGNING_KEY_NAME).public_key()
    if as_json:
        emit({"key_id": key_id(key), "public_key_pem": public_key_pem(key)})
        return
    typer.echo(public_key_pem(key), nl=False)
