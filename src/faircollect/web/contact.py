"""The contact-person page: a one-time link, no sign-in (see services/contact_links)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from faircollect.web.common import app_of, check_csrf, redirect, render
from faircollect.web.services import contact_links

router = APIRouter(prefix="/contact", include_in_schema=False)
Token = Annotated[str, Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
DONE = {"refused": "Done: we will not contact you again.",
        "erased": "Done: your name and phone number are erased."}


@router.get("/{token}")
def page(token: Token, request: Request) -> Response:
    shown = contact_links.show(app_of(request), token)
    done = DONE.get(request.query_params.get("done", ""))
    return render(request, "contact.html", {"page": shown, "token": token, "done": done})


@router.post("/{token}/refuse")
async def refuse(token: Token, request: Request) -> Response:
    check_csrf(request, await request.form())
    contact_links.refuse(app_of(request), token)
    return redirect(request, f"/contact/{token}?done=refused")


@router.post("/{token}/erase")
async def erase(token: Token, request: Request) -> Response:
    check_csrf(request, await request.form())
    contact_links.erase(app_of(request), token)
    return redirect(request, f"/contact/{token}?done=erased")
