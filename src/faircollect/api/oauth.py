"""OAuth2 for staff: POST /v1/oauth/token (client credentials, refresh) and
POST /v1/oauth/revoke (RFC 7009). Bodies are application/x-www-form-urlencoded, as the RFCs
say; the client authenticates with HTTP Basic or `client_id`/`client_secret` fields.
Errors are problem+json carrying the RFC's `error` member. See `faircollect.api.tokens`."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from faircollect.api import otp
from faircollect.api.conventions import TokenRoute
from faircollect.api.deps import services, settings
from faircollect.api.problems import RESPONSES
from faircollect.api.tokens import (
    InvalidClient,
    OAuthError,
    client_credentials,
    otp_grant,
    refresh,
    revoke,
)
from faircollect.bootstrap import App
from faircollect.config import Settings

router = APIRouter(prefix="/v1/oauth", tags=["oauth"], route_class=TokenRoute)
_FIELDS = ("grant_type", "client_id", "client_secret", "scope", "refresh_token", "token",
           "token_type_hint", "borrower_id", "code", "channel")


def _form_schema(required: list[str]) -> dict[str, Any]:
    props = {f: {"type": "string", "maxLength": 512} for f in _FIELDS}
    props["grant_type"] = {"type": "string",
                           "enum": ["client_credentials", "refresh_token", "otp"]}
    props["channel"] = {"type": "string", "enum": list(otp.CHANNELS)}
    return {"requestBody": {"required": True, "content": {
        "application/x-www-form-urlencoded": {"schema": {
            "type": "object", "properties": props, "required": required}}}}}


async def _form(request: Request) -> dict[str, str]:
    if not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"):
        raise OAuthError("invalid_request", "send the fields as "
                         "application/x-www-form-urlencoded")
    try:
        parsed = parse_qs((await request.body()).decode("utf-8"), strict_parsing=False,
                          max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "the form is not valid") from None
    form: dict[str, str] = {}
    for name, values in parsed.items():
        if len(values) != 1:
            raise OAuthError("invalid_request", f"{name} is given more than once")
        if name in _FIELDS:
            if len(values[0]) > 512:
                raise OAuthError("invalid_request", f"{name} is too long")
            form[name] = values[0]
    return form


def _client(request: Request, form: dict[str, str]) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    if header.startswith("Basic "):
        try:
            raw = base64.b64decode(header[6:], validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidClient("the Basic credentials do not decode") from None
        client_id, sep, secret = raw.partition(":")
        if sep:
            return client_id, secret
        raise InvalidClient("the Basic credentials need client_id:client_secret")
    if "client_id" in form and "client_secret" in form:
        return form["client_id"], form["client_secret"]
    raise InvalidClient("authenticate the client with HTTP Basic or client_id and "
                        "client_secret")


_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.post("/token", responses=RESPONSES,
             openapi_extra=_form_schema(["grant_type"]))
async def token(request: Request, app: Annotated[App, Depends(services)],
                config: Annotated[Settings, Depends(settings)]) -> JSONResponse:
    """Issue a token pair: `grant_type=client_credentials` (the API key's id and the key as
    client credentials, optional `scope`), `grant_type=refresh_token`, or `grant_type=otp`
    (a borrower's `borrower_id` and the one-time `code` sent to them)."""
    from starlette.concurrency import run_in_threadpool

    form = await _form(request)
    grant_type = form.get("grant_type")
    if grant_type == "client_credentials":
        client_id, secret = _client(request, form)
        grant = await run_in_threadpool(client_credentials, app.store, config.home,
                                        client_id, secret, form.get("scope"))
    elif grant_type == "refresh_token":
        if not form.get("refresh_token"):
            raise OAuthError("invalid_request", "refresh_token is required")
        grant = await run_in_threadpool(refresh, app.store, config.home,
                                        form["refresh_token"], form.get("scope"))
    elif grant_type == "otp":
        borrower_id, code = form.get("borrower_id", ""), form.get("code", "")
        if not borrower_id or not code:
            raise OAuthError("invalid_request", "borrower_id and code are required")
        who = await run_in_threadpool(otp.verify_code, app, borrower_id, code)
        grant = await run_in_threadpool(otp_grant, app.store, who)
    else:
        raise OAuthError("unsupported_grant_type",
                         "grant_type must be client_credentials, refresh_token or otp")
    return JSONResponse(grant.to_dict(), headers=_NO_STORE)


@router.post("/revoke", responses=RESPONSES, openapi_extra=_form_schema(["token"]))
async def revoke_token(request: Request,
                       app: Annotated[App, Depends(services)]) -> JSONResponse:
    """Revoke an access or refresh token and every token of its grant (always 200)."""
    from starlette.concurrency import run_in_threadpool

    form = await _form(request)
    if not form.get("token"):
        raise OAuthError("invalid_request", "token is required")
    await run_in_threadpool(revoke, app.store, form["token"])
    return JSONResponse({"revoked": True}, headers=_NO_STORE)


@router.post("/otp", status_code=202, responses=RESPONSES,
             openapi_extra=_form_schema(["borrower_id", "channel"]))
async def send_code(request: Request,
                    app: Annotated[App, Depends(services)]) -> JSONResponse:
    """Send a borrower a one-time sign-in code through their own verified phone (`sms`) or
    e-mail on file. Always 202, whether or not anything was sent (no borrower lookup)."""
    from starlette.concurrency import run_in_threadpool

    form = await _form(request)
    borrower_id, channel = form.get("borrower_id", ""), form.get("channel", "")
    if not borrower_id or len(borrower_id) > 64:
        raise OAuthError("invalid_request", "borrower_id (at most 64 characters) is required")
    if channel not in otp.CHANNELS:
        raise OAuthError("invalid_request", "channel must be sms or email")
    await run_in_threadpool(otp.request_code, app, borrower_id, channel)
    return JSONResponse({"sent": "a code, if this borrower has that channel verified on "
                                 "file", "expires_in": int(otp.LIFETIME.total_seconds())},
                        status_code=202, headers=_NO_STORE)
