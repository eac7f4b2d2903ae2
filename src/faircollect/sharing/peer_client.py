"""The querying side of the PSI protocol over HTTP, to a peer on a loopback address.

Runs the steps of `psi.Querier` against a `peer_server`: open a session, upload the blinded
set in chunks, download the answer and the peer's blinded set in chunks, compare, close.
Every request is signed with this lender's key; every answer must be signed by the peer's
allow-listed key and is refused otherwise. Progress is reported as (done, total) work items.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from faircollect.errors import FairCollectError, InputError
from faircollect.sharing import framing, group
from faircollect.sharing.framing import AllowList, Peer, Refused
from faircollect.sharing.parallel import GroupEngine, OnProgress
from faircollect.sharing.psi import Querier, Result
from faircollect.sharing.session import SessionRecord

TIMEOUT = httpx.Timeout(600.0, connect=10.0)


def check_loopback(url: str) -> str:
    """The peer URL without a trailing slash; InputError unless http(s) to a loopback host."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise InputError("the peer URL must look like http://127.0.0.1:PORT", field="peer")
    try:
        loop = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loop = False
    if not loop:
        raise InputError("this build runs the sharing protocol on loopback addresses only "
                         "(127.0.0.1, ::1, localhost)", field="peer")
    return url.rstrip("/")


class PeerError(FairCollectError):
    """The peer refused a request or answered something unusable."""

    code = "peer_error"


class PeerClient:
    """Signed requests to one peer; answers checked against the allow-list."""

    def __init__(self, url: str, key: Ed25519PrivateKey, allow: AllowList,
                 clock: Callable[[], int]) -> None:
        self.url = check_loopback(url)
        self.key = key
        self.allow = allow
        self.clock = clock
        self.peer: Peer | None = None
        self._http = httpx.Client(timeout=TIMEOUT, trust_env=False)

    def __repr__(self) -> str:
        return f"PeerClient(url={self.url!r})"

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, path: str, body: bytes = b"") -> bytes:
        nonce = secrets.token_hex(16)
        headers = framing.sign_request(self.key, method, path, body, now=self.clock(),
                                       nonce=nonce)
        try:
            r = self._http.request(method, self.url + path, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise PeerError(f"cannot reach the peer: {type(exc).__name__}") from None
        peer = framing.verify_response(r.headers, nonce, r.content, allow=self.allow)
        if self.peer is not None and peer.key_id != self.peer.key_id:
            raise Refused("the peer's key changed during the session")
        self.peer = peer
        if r.status_code != 200:
            try:
                msg = str(orjson.loads(r.content).get("message", ""))
            except orjson.JSONDecodeError:
                msg = ""
            raise PeerError(f"the peer refused {method} {path.split('/')[-1] or path}: "
                            f"HTTP {r.status_code} {msg}".rstrip(), status=r.status_code)
        return r.content

    def json(self, method: str, path: str, doc: Any = None) -> Any:
        return orjson.loads(self.call(method, path, b"" if doc is None else orjson.dumps(doc)))


def run_query(client: PeerClient, querier: Querier, engine: GroupEngine,
              on_progress: OnProgress | None = None) -> tuple[Result, SessionRecord]:
    """The whole protocol as the querier; the result and the session's audit record."""
    n = len(querier.items)
    if n == 0:
        raise InputError("the set is empty: nothing to compare", field="set")
    qnonce = group.random_nonce()
    opened = client.json("POST", "/psi/v1/sessions", {"mode": querier.mode, "size": n,
                                                       "nonce": qnonce.hex(),
                                                       "suite": querier.suite})
    if opened.get("suite", querier.suite) != querier.suite:
        raise PeerError("the peer answered in another group suite")
    sid, chunk, m = str(opened["session"]), int(opened["chunk"]), int(opened["server_size"])
    dst = group.session_separator(bytes.fromhex(opened["server_nonce"]), qnonce)
    total = 3 * n + m + min(n, m)  # the last step raises the smaller side
    done = 0

    def tick(step: int) -> None:
        nonlocal done
        done += step
        if on_progress:
            on_progress(done, total)

    base = f"/psi/v1/sessions/{sid}"
    blinded = querier.blind(dst, engine, lambda d, t: on_progress(d, total) if on_progress
                            else None)
    done = n
    for k in range(0, n, chunk):
        client.call("PUT", f"{base}/blinded/{k // chunk}", group.pack(blinded[k:k + chunk]))
        tick(min(chunk, n - k))
    answer: list[bytes] = []
    for k in range(0, n, chunk):
        answer.extend(group.unpack(client.call("GET", f"{base}/answer/{k // chunk}")))
        tick(min(chunk, n - k))
    theirs: list[bytes] = []
    for k in range(0, max(m, 1), chunk):
        theirs.extend(group.unpack(client.call("GET", f"{base}/set/{k // chunk}")))
        tick(min(chunk, m - k) if m else 0)
    if len(theirs) != m:
        raise PeerError(f"the peer announced {m} elements and sent {len(theirs)}")
    start = done
    result = querier.finish(answer, theirs, engine,
                            lambda d, t: on_progress(start + d, total) if on_progress else None)
    client.json("DELETE", base)
    peer = client.peer
    if peer is None:  # every call above checked a signed answer; keep the types honest
        raise PeerError("the peer never answered")
    return result, SessionRecord(sid, "querier", peer.name, peer.key_id,
                                 querier.mode, n, m, result.count, suite=querier.suite)
