"""What every web page shares: rendering in the viewer's language, CSRF, the session cookie.

CSRF: each browser gets a random `fc_csrf` cookie (HttpOnly, SameSite=Strict); forms carry
HMAC(key, cookie) under a key derived from the keyring, and every POST must present it (a
form field `csrf`, or the `X-CSRF-Token` header htmx sends). A POST whose Origin is another
site is refused too. Cookies are Secure whenever the request came over HTTPS.
"""

from __future__ import annotations

import hmac
import secrets
from hashlib import sha256
from importlib import resources
from typing import Any, Final

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2_fragments.fastapi import Jinja2Blocks

from faircollect.api.deps import services
from faircollect.bootstrap import App
from faircollect.errors import AccessDenied
from faircollect.web.i18n import LANGS, Translator, negotiate
from faircollect.web.services.keys import derived

CSRF_COOKIE: Final = "fc_csrf"
LANG_COOKIE: Final = "fc_lang"
SESSION_COOKIE: Final = {"staff": "fc_console", "borrower": "fc_portal"}
TEMPLATES: Final = Jinja2Blocks(directory=str(resources.files("faircollect.web") / "templates"))


class CsrfRefused(AccessDenied):
    code = "csrf_refused"


def app_of(request: Request) -> App:
    return services(request)


def language(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return negotiate(chosen, request.headers.get("accept-language"))


def _csrf_cookie(request: Request) -> tuple[str, bool]:
    value = request.cookies.get(CSRF_COOKIE)
    if value and 20 <= len(value) <= 64:
        return value, False
    fresh = getattr(request.state, "csrf_fresh", None)
    if fresh is None:
        fresh = request.state.csrf_fresh = secrets.token_urlsafe(24)
    return fresh, True


def csrf_token(request: Request) -> str:
    value, _ = _csrf_cookie(request)
    return hmac.new(derived(app_of(request), "csrf"), value.encode(), sha256).hexdigest()


def check_csrf(request: Request, form: Any) -> None:
    """CsrfRefused unless this POST carries the token of its own browser's cookie."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        if origin.split("://", 1)[-1] != host:
            raise CsrfRefused("this form was sent from another site")
    sent = str(form.get("csrf") or request.headers.get("x-csrf-token") or "")
    if not request.cookies.get(CSRF_COOKIE) or not hmac.compare_digest(
            sent, csrf_token(request)):
        raise CsrfRefused("the form's security token is missing or stale; reload the page")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def finish(request: Request, response: Response) -> Response:
    """Set the cookies a page needs: the CSRF cookie when new, the chosen language."""
    value, fresh = _csrf_cookie(request)
    if fresh:
        response.set_cookie(CSRF_COOKIE, value, httponly=True, samesite="strict",
                            secure=_secure(request), path="/")
    chosen = request.query_params.get("lang")
    if chosen in LANGS:
        response.set_cookie(LANG_COOKIE, chosen, samesite="lax", secure=_secure(request),
                            max_age=365 * 86400, path="/")
    return response


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           status: int = 200, block: str | None = None) -> Response:
    """The page (or, for an htmx request naming a block, just that block) in the viewer's
    language."""
    lang = language(request)
    t = Translator(lang)
    ctx = {"request": request, "t": t, "lang": lang, "csrf": csrf_token(request),
           "path": request.url.path, **(context or {})}
    if block is not None:
        response: Response = TEMPLATES.TemplateResponse(request, template, ctx,
                                                        block_name=block, status_code=status)
    else:
        response = TEMPLATES.TemplateResponse(request, template, ctx, status_code=status)
    return finish(request, response)


def redirect(request: Request, to: str) -> Response:
    """After a POST: see the result page (303); htmx follows HX-Redirect instead."""
    if request.headers.get("hx-request") == "true":
        return finish(request, Response(status_code=204, headers={"HX-Redirect": to}))
    return finish(request, RedirectResponse(to, status_code=303))


def set_session(request: Request, response: Response, kind: str, value: str) -> None:
    response.set_cookie(SESSION_COOKIE[kind], value, httponly=True, samesite="strict",
                        secure=_secure(request), path="/")


def clear_session(response: Response, kind: str) -> None:
    response.delete_cookie(SESSION_COOKIE[kind], path="/")


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, "error.html", {"status": status, "message": message},
                  status=status)  # type: ignore[return-value]
