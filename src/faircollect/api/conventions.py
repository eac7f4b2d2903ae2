"""The conventions every route follows, in one route class (`ConventionRoute`).

- Every route documents 429 (rate limits); every POST also 409 and takes an optional
  `Idempotency-Key` header (1-255 visible ASCII characters).
- A POST with `Idempotency-Key`: the first request claims the key (per credential) and its
  response is kept for 24 hours; a replay with the same method, path and body answers that
  response again (`Idempotent-Replayed: true`) without running the route, so nothing
  changes; the same key with another request is 409. A request that fails with an error is
  not kept, so it may be corrected and sent again with the same key.

Routers use it with `APIRouter(route_class=ConventionRoute)`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Coroutine, Sequence
from typing import Annotated, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi import Depends, Header, Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from faircollect.api import deps
from faircollect.api.problems import responses_for
from faircollect.errors import InputError
from faircollect.store import idempotency

KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
_KEY = re.compile(KEY_PATTERN)
# Response headers a replay repeats.
_KEPT_HEADERS = ("content-type", "etag", "location")


def one_of(values: tuple[str, ...]) -> dict[str, Any]:
    """The schema's enum for a value a service checks (and names the allowed values of, in
    its own error), so clients and fuzzers see the vocabulary without a second validator;
    pass as a parameter's or field's `json_schema_extra`."""
    return {"enum": list(values)}


def idempotency_key(
    key: Annotated[str | None, Header(
        alias="Idempotency-Key", min_length=1, max_length=255, pattern=KEY_PATTERN,
        description="Makes a retry safe: a replay with the same body answers the first "
                    "response and changes nothing; another body with the same key is 409.")]
    = None,
) -> str | None:
    """The request's Idempotency-Key (declared so the schema documents and checks it)."""
    return key


def caller_digest(authorization: str | None) -> str:
    """A stable, non-reversible name for the credential that sent a request."""
    token = (authorization or "").removeprefix("Bearer ").strip()
    return hashlib.sha256(b"faircollect-caller\0" + token.encode()).hexdigest()


def _cipher(app: Any) -> AESGCM:
    key = HKDF(hashes.SHA256(), 32, salt=None,
               info=b"faircollect api idempotency").derive(app.keys.blind_index_key())
    return AESGCM(key)


def _seal(app: Any, aad: bytes, body: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + _cipher(app).encrypt(nonce, body, aad)


def _open(app: Any, aad: bytes, blob: bytes) -> bytes:
    return _cipher(app).decrypt(blob[:12], blob[12:], aad)


def _fingerprint(request: Request, body: bytes) -> str:
    h = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), body):
        h.update(len(part).to_bytes(8, "big") + part)
    return h.hexdigest()


class ConventionRoute(APIRoute):
    """An APIRoute that documents 429 (and 409 on POST) and honours Idempotency-Key."""

    # Whether POSTs take Idempotency-Key (OAuth token routes do not: see `TokenRoute`).
    replayable = True

    def __init__(self, path: str, endpoint: Callable[..., Any], *,
                 methods: set[str] | list[str] | None = None,
                 responses: dict[int | str, dict[str, Any]] | None = None,
                 dependencies: Sequence[Any] | None = None, **kwargs: Any) -> None:
        wanted = {m.upper() for m in (methods or ("GET",))}
        post = "POST" in wanted and self.replayable
        extra = (409, 429) if post else (429,)
        merged = {**responses_for(*extra), **(responses or {})}
        deps_ = list(dependencies or [])
        if post:
            deps_.append(Depends(idempotency_key))
        super().__init__(path, endpoint, methods=methods, responses=merged,
                         dependencies=deps_, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()
        if "POST" not in (self.methods or set()) or not self.replayable:
            return inner

        async def handler(request: Request) -> Response:
            key = request.headers.get("idempotency-key")
            if key is None:
                return await inner(request)
            if not _KEY.fullmatch(key):
                raise InputError("Idempotency-Key must be 1 to 255 visible ASCII characters",
                                 field="header.Idempotency-Key")
            authorization = request.headers.get("authorization")
            # Only an authenticated caller may claim or replay a key.
            await run_in_threadpool(deps.caller, request, authorization)
            body = await request.body()
            app = await run_in_threadpool(deps.services, request)
            caller = caller_digest(authorization)
            aad = caller.encode() + b"\0" + key.encode()
            stored = await run_in_threadpool(
                idempotency.claim, app.store, caller, key, _fingerprint(request, body))
            if stored is not None:
                headers = json.loads(stored.headers)
                headers["Idempotent-Replayed"] = "true"
                return Response(_open(app, aad, stored.body_ct), status_code=stored.status,
                                headers=headers)
            try:
                response = await inner(request)
            except BaseException:
                await run_in_threadpool(idempotency.release, app.store, caller, key)
                raise
            content = getattr(response, "body", None)
            if not isinstance(content, bytes) or response.status_code >= 400:
                await run_in_threadpool(idempotency.release, app.store, caller, key)
                return response
            kept = {k: v for k, v in response.headers.items() if k in _KEPT_HEADERS}
            await run_in_threadpool(idempotency.complete, app.store, caller, key,
                                    response.status_code, json.dumps(kept),
                                    _seal(app, aad, content))
            return response

        return handler


class TokenRoute(ConventionRoute):
    """OAuth2 token routes: no Idempotency-Key. A retried grant simply gets a new pair;
    keeping live tokens for replays would keep secrets longer than they live."""

    replayable = False
