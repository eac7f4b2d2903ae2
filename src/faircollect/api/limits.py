"""Request-body limit: bodies are counted as they stream in, so an oversized one is never parsed.

The limit is FAIRCOLLECT_API_MAX_BODY bytes (default 1 MiB). A declared Content-Length over it
is refused before any byte is read; a body without one is counted chunk by chunk and refused
as soon as it passes the limit.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faircollect.errors import ConfigError, PayloadTooLarge

DEFAULT_MAX_BODY = 1 << 20


def max_body(env: Mapping[str, str] | None = None) -> int:
    """The configured limit in bytes."""
    raw = (os.environ if env is None else env).get("FAIRCOLLECT_API_MAX_BODY", "").strip()
    if not raw:
        return DEFAULT_MAX_BODY
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ConfigError("FAIRCOLLECT_API_MAX_BODY must be a positive number of bytes",
                          field="FAIRCOLLECT_API_MAX_BODY")
    return value


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body is larger than {limit:,} bytes", limit=limit)


class BodyLimit:
    """ASGI middleware: raise PayloadTooLarge while reading a body over `limit` bytes."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                scope["faircollect.too_large"] = True
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            if scope.get("faircollect.too_large"):
                raise _too_large(limit)
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _too_large(limit)
            return message

        await self.app(scope, counted, send)
