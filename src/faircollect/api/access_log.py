"""JSON access logs: one line per request, with a request id and no personal data.

Each line (logger `faircollect.api.access`) holds the request id, method, route template,
the path with every path parameter masked (`b-0000003` -> `b-*****03`), status, duration
and a short digest of the credential; never a query string, a body, a raw id or a key.
The request id is the caller's `X-Request-ID` when it is 1-64 characters of [A-Za-z0-9._-],
else a new one; it is answered in `X-Request-ID` and in every problem body.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOGGER = logging.getLogger("faircollect.api.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def mask_value(value: str) -> str:
    """An id with all but its prefix (up to the first '-') and last two characters hidden."""
    head, sep, rest = value.partition("-")
    if not sep or len(head) > 3:
        head, rest = "", value
    else:
        head += sep
    if len(rest) <= 4:
        return head + "*" * len(rest)
    return head + "*" * (len(rest) - 2) + rest[-2:]


def masked_path(scope: Scope) -> str | None:
    """The route template with each parameter's value masked; None for an unmatched path."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if template is None:
        return None
    params: dict[str, Any] = scope.get("path_params") or {}
    return re.sub(r"\{(\w+)(:\w+)?\}",
                  lambda m: mask_value(str(params.get(m.group(1), ""))), template)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = str(value.decode("latin-1"))
            if _REQUEST_ID.fullmatch(text):
                return text
    return uuid.uuid4().hex


class AccessLog:
    """ASGI middleware (outermost): sets the request id, answers it, logs the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from faircollect.api.ratelimit import caller_of

        request_id = scope["faircollect.request_id"] = _request_id(scope)
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            caller = caller_of(scope)
            LOGGER.info(json.dumps({
                "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "request_id": request_id,
                "method": scope.get("method"),
                "route": getattr(route, "path", None),
                "path": masked_path(scope),
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "caller": caller.split(":", 1)[0] + ":" + caller.split(":", 1)[1][:12]
                if caller.startswith("key:") else "anonymous",
            }, separators=(",", ":")))
