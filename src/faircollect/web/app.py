"""Mount the web faces on the API's app: pages, static files, headers, HTML error pages."""

from __future__ import annotations

import importlib
from importlib import resources
from typing import Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faircollect.errors import FairCollectError

PREFIXES: Final = ("/console", "/portal", "/contact", "/web-static")
ROUTERS: Final = ("faircollect.web.console", "faircollect.web.portal", "faircollect.web.contact")
# No inline script or style anywhere; htmx and the stylesheet come from this server only.
CSP: Final = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
              "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
              "base-uri 'none'")
HEADERS: Final = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


def is_web(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PREFIXES)


class WebHeaders:
    """Security headers on every web response; pages (not static files) are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_web(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/web-static/")

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in {h for h, _ in HEADERS}]
                headers.extend(HEADERS)
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, wrapped)


def install(app: FastAPI) -> None:
    """Add the console, the portal and the contact-person page to `app`."""
    for name in ROUTERS:
        app.include_router(importlib.import_module(name).router)
    app.mount("/web-static", StaticFiles(directory=str(resources.files("faircollect.web")
                                                      / "static")), name="web-static")
    _html_errors(app)
    app.add_middleware(WebHeaders)


def _html_errors(app: FastAPI) -> None:
    """Errors on web paths answer an HTML page in the viewer's language; the API's stay
    problem+json (its handlers are kept and called for every other path)."""
    from faircollect.web.common import error_page

    for kind in (FairCollectError, RequestValidationError, StarletteHTTPException):
        api_handler = app.exception_handlers[kind]

        async def handler(request: Request, exc: Exception, _api=api_handler) -> Response:  # type: ignore[no-untyped-def]
            if not is_web(request.url.path):
                return await _api(request, exc)  # type: ignore[no-any-return]
            if isinstance(exc, FairCollectError):
                from faircollect.errors import AccessDenied

                if isinstance(exc, AccessDenied) and getattr(exc, "http_status", 403) == 401:
                    face = "portal" if request.url.path.startswith("/portal") else "console"
                    return RedirectResponse(f"/{face}/sign-in", status_code=303)
                return error_page(request, exc.http_status, str(exc))
            if isinstance(exc, RequestValidationError):
                return error_page(request, 422, "a field of the form is missing or invalid")
            status = getattr(exc, "status_code", 500)
            return error_page(request, status, "not found" if status == 404 else "error")

        app.exception_handlers[kind] = handler
