"""Per-credential rate limits: a token bucket per API key (or, without one, per client address).

FAIRCOLLECT_API_RATE_LIMIT is the number of requests a credential may make per minute
(default 600, i.e. 10 a second sustained, with bursts up to the full minute's worth); 0
turns limits off. A request over the limit is answered 429 with `Retry-After` (whole
seconds) and never reaches a route. The probes (/healthz, /readyz) are not limited.
Buckets live in the process: each server process limits on its own.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Mapping

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from faircollect.errors import ConfigError, RateLimited

DEFAULT_PER_MINUTE = 600
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz"})
_MAX_BUCKETS = 100_000  # forget the idlest callers beyond this many


def per_minute(env: Mapping[str, str] | None = None) -> int:
    """The configured requests per minute per credential (0: no limit)."""
    raw = (os.environ if env is None else env).get("FAIRCOLLECT_API_RATE_LIMIT", "").strip()
    if not raw:
        return DEFAULT_PER_MINUTE
    if not raw.isdigit():
        raise ConfigError("FAIRCOLLECT_API_RATE_LIMIT must be a whole number of requests per "
                          "minute (0 for no limit)", field="FAIRCOLLECT_API_RATE_LIMIT")
    return int(raw)


class Buckets:
    """Token buckets: `capacity` requests, refilled at capacity per minute."""

    def __init__(self, capacity: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(capacity)
        self.rate = capacity / 60.0
        self.clock = clock
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, caller: str) -> int:
        """0 when the request may go ahead, else the seconds to wait before retrying."""
        now = self.clock()
        with self._lock:
            tokens, seen = self._state.get(caller, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - seen) * self.rate)
            if tokens >= 1.0:
                self._state[caller] = (tokens - 1.0, now)
                if len(self._state) > _MAX_BUCKETS:
                    self._forget_idle()
                return 0
            self._state[caller] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.rate))

    def _forget_idle(self) -> None:
        full = sorted(self._state, key=lambda k: self._state[k][1])
        for k in full[: len(full) // 2]:
            del self._state[k]


def caller_of(scope: Scope) -> str:
    """The credential a request carries (a digest), or its client address when it has none."""
    from faircollect.api.conventions import caller_digest

    for name, value in scope.get("headers", ()):
        if name == b"authorization" and value.startswith(b"Bearer "):
            return "key:" + caller_digest(value.decode("latin-1"))
    client = scope.get("client")
    return "addr:" + (client[0] if client else "unknown")


class RateLimit:
    """ASGI middleware: answer 429 problem+json when the caller's bucket is empty."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.buckets = Buckets(limit) if limit > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or self.buckets is None
                or scope.get("path") in UNLIMITED_PATHS):
            await self.app(scope, receive, send)
            return
        wait = self.buckets.take(caller_of(scope))
        if not wait:
            await self.app(scope, receive, send)
            return
        from faircollect.api.problems import problem

        exc = RateLimited(f"too many requests; retry in {wait} s", retry_after=wait)
        response = problem(Request(scope), 429, exc.message, code=exc.code,
                           extra={"retry_after": wait}, headers={"Retry-After": str(wait)})
        await response(scope, receive, send)
