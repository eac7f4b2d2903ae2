"""`faircollect web staff-add | demo-code | contact-link`: accounts and links for the web
faces that `faircollect serve` serves (/console, /portal, /contact)."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console

from faircollect.cli._context import app_for
from faircollect.cli._output import JsonOption, emit
from faircollect.errors import InputError


def register(app: typer.Typer) -> None:
    web = typer.Typer(help="Staff accounts and contact-person links of the web console.",
                      no_args_is_help=True)
    web.command("staff-add")(staff_add_command)
    web.command("demo-code")(demo_code_command)
    web.command("contact-link")(contact_link_command)
    app.add_typer(web, name="web")


def staff_add_command(
    ctx: typer.Context,
    username: Annotated[str, typer.Option(help="Sign-in name (letters, digits, - _ .).")],
    role: Annotated[str, typer.Option(help="collector, supervisor, compliance, auditor or "
                                           "admin.")],
    as_json: JsonOption = False,
) -> None:
    """Add a staff account; prints the TOTP secret's otpauth:// URI once (add it to an
    authenticator app). The password is read from FAIRCOLLECT_STAFF_PASSWORD or asked for."""
    from faircollect.web.services.staff import add_staff

    password = os.environ.get("FAIRCOLLECT_STAFF_PASSWORD") or typer.prompt(
        "password", hide_input=True, confirmation_prompt=True)
    fc = app_for(ctx)
    account = add_staff(fc.app, actor=fc.actor, username=username, role=role,
                        password=password)
    if as_json:
        emit({"username": account.username, "role": account.role,
              "totp_uri": account.totp_uri})
        return
    Console().print(f"staff account {account.username} ({account.role}) added; add this to "
                    f"an authenticator app (shown once):\n{account.totp_uri}", soft_wrap=True)


def demo_code_command(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="A demo account (made by faircollect demo).")],
    as_json: JsonOption = False,
) -> None:
    """The current sign-in code of a demo staff account (only demo accounts)."""
    from faircollect.web.services.staff import current_code

    code = current_code(app_for(ctx).app, username)
    if as_json:
        emit({"username": username, "code": code})
        return
    typer.echo(code)


def contact_link_command(
    ctx: typer.Context,
    contact: Annotated[str, typer.Argument(help="The contact id.")],
    lender: Annotated[str, typer.Option(help="The lender's name as the contact sees it.")],
    as_json: JsonOption = False,
) -> None:
    """A one-time link for a contact person (put it in the message sent to them)."""
    from faircollect.web.services.contact_links import issue_link

    if not contact.strip():
        raise InputError("contact: required", field="contact")
    fc = app_for(ctx)
    path = "/contact/" + issue_link(fc.app, actor=fc.actor, contact_id=contact, lender=lender)
    if as_json:
        emit({"path": path})
        return
    typer.echo(path)
