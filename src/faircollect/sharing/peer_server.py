"""The answering side of the PSI protocol as a small ASGI app (served by `share serve`).

    POST   /psi/v1/sessions                    {mode, size, nonce[, suite]} -> session, chunk
    PUT    /psi/v1/sessions/{id}/blinded/{k}   chunk k of the querier's blinded set (32 B each)
    GET    /psi/v1/sessions/{id}/answer/{k}    chunk k of the answer, once every chunk is in
    GET    /psi/v1/sessions/{id}/set/{k}       chunk k of this lender's blinded set
    DELETE /psi/v1/sessions/{id}               end the session (audited)

Every request must be signed by an allow-listed peer (`framing`); a session belongs to the key
that opened it. Every answer is signed with this lender's key. State lives in memory only;
idle sessions are dropped after SESSION_TTL seconds (and audited as abandoned).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from faircollect.errors import Conflict, FairCollectError, InputError, NotFound, RateLimited
from faircollect.sharing import framing, group
from faircollect.sharing.framing import AllowList, NonceCache, Peer
from faircollect.sharing.parallel import GroupEngine
from faircollect.sharing.psi import Server, check_mode
from faircollect.sharing.session import SessionRecord

CHUNK = 8192
MAX_SET = 20_000_000
MAX_BODY = CHUNK * group.POINT_BYTES
SESSION_TTL = 3600
SESSIONS_PER_PEER = 4  # open at once; each holds a blinded set in memory


@dataclass
class _Session:
    sid: str
    peer: Peer
    mode: str
    size: int
    dst: bytes = field(repr=False)
    server: Server = field(repr=False)
    touched: int
    chunk: int
    answer: dict[int, list[bytes]] = field(default_factory=dict, repr=False)
    merged: list[bytes] | None = field(default=None, repr=False)
    own: list[bytes] | None = field(default=None, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def chunks(self) -> int:
        return -(-self.size // self.chunk)


class PeerServer:
    """Sessions over one fixed set; `on_end(record)` is told of every finished session."""

    def __init__(self, items: list[str], key: Ed25519PrivateKey, allow: AllowList,
                 engine: GroupEngine, clock: Callable[[], int],
                 on_end: Callable[[SessionRecord], None], chunk: int = CHUNK) -> None:
        if not 1 <= chunk <= CHUNK:
            raise InputError(f"chunk must be 1 to {CHUNK}", field="chunk")
        self.chunk = chunk
        self.items = list(dict.fromkeys(items))
        self.key = key
        self.allow = allow
        self.engine = engine
        self.clock = clock
        self.on_end = on_end
        self.nonces = NonceCache()
        self.sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"PeerServer(size={len(self.items)}, sessions={len(self.sessions)})"

    # -- the steps ------------------------------------------------------------------------
    def open(self, peer: Peer, body: bytes) -> dict[str, Any]:
        try:
            doc = orjson.loads(body)
            mode, size, qnonce = doc["mode"], doc["size"], bytes.fromhex(doc["nonce"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise InputError("a session needs JSON {mode, size, nonce (hex)}") from None
        check_mode(mode)
        suite = group.check_suite(str(doc.get("suite", group.DEFAULT_SUITE)))
        if not isinstance(size, int) or not 1 <= size <= MAX_SET:
            raise InputError(f"size must be 1 to {MAX_SET:,}", field="size")
        if len(qnonce) != 16:
            raise InputError("nonce must be 16 bytes (32 hex characters)", field="nonce")
        snonce = group.random_nonce()
        sid = secrets.token_hex(16)
        s = _Session(sid, peer, mode, size, group.session_separator(snonce, qnonce),
                     Server(self.items, suite=suite), self.clock(), self.chunk)
        with self._lock:
            self._expire()
            mine = sum(1 for x in self.sessions.values() if x.peer.key_id == peer.key_id)
            if mine >= SESSIONS_PER_PEER:
                raise RateLimited(f"this peer already has {mine} open sessions (at most "
                                  f"{SESSIONS_PER_PEER}); close one first", peer=peer.name)
            self.sessions[sid] = s
        return {"session": sid, "server_nonce": snonce.hex(), "server_size": len(s.server.items),
                "chunk": self.chunk, "mode": mode, "suite": suite}

    def _session(self, peer: Peer, sid: str) -> _Session:
        with self._lock:
            s = self.sessions.get(sid)
        if s is None or s.peer.key_id != peer.key_id:
            raise NotFound("no such session for this peer", session=sid)
        s.touched = self.clock()
        return s

    def _check_k(self, s: _Session, k: int) -> int:
        if not 0 <= k < s.chunks:
            raise InputError(f"chunk must be 0 to {s.chunks - 1}", field="chunk")
        return min(s.chunk, s.size - k * s.chunk)

    def put_blinded(self, peer: Peer, sid: str, k: int, body: bytes) -> dict[str, Any]:
        s = self._session(peer, sid)
        want = self._check_k(s, k)
        points = group.unpack(body)
        if len(points) != want:
            raise InputError(f"chunk {k} must hold {want} points, not {len(points)}",
                             field="chunk")
        with s.lock:
            if s.merged is not None or k in s.answer:
                raise Conflict(f"chunk {k} was already received", field="chunk")
        raised = self.engine.raise_all(s.server._scalar, points, suite=s.server.suite)
        with s.lock:
            s.answer[k] = raised
            return {"received": len(s.answer), "chunks": s.chunks}

    def get_answer(self, peer: Peer, sid: str, k: int) -> bytes:
        s = self._session(peer, sid)
        self._check_k(s, k)
        with s.lock:
            if s.merged is None:
                if len(s.answer) != s.chunks:
                    raise Conflict(f"{s.chunks - len(s.answer)} chunk(s) of the blinded set "
                                   "are still missing", field="chunk")
                merged = [p for i in range(s.chunks) for p in s.answer.pop(i)]
                # Cardinality: one order over the whole answer, by value, so no position
                # (nor chunk) of the answer points back at an element of the querier's set.
                s.merged = sorted(merged) if s.mode == "cardinality" else merged
            return group.pack(s.merged[k * s.chunk:(k + 1) * s.chunk])

    def get_set(self, peer: Peer, sid: str, k: int) -> bytes:
        s = self._session(peer, sid)
        n = len(s.server.items)
        if not 0 <= k < max(1, -(-n // s.chunk)):
            raise InputError("no such chunk of the set", field="chunk")
        with s.lock:
            if s.own is None:
                s.own = s.server.own_set(s.dst, self.engine)
            return group.pack(s.own[k * s.chunk:(k + 1) * s.chunk])

    def close(self, peer: Peer, sid: str) -> dict[str, Any]:
        s = self._session(peer, sid)
        with self._lock:
            self.sessions.pop(sid, None)
        done = s.merged is not None and s.own is not None
        self.on_end(self._record(s, "completed" if done else "abandoned"))
        return {"closed": sid}

    def _record(self, s: _Session, outcome: str) -> SessionRecord:
        return SessionRecord(s.sid, "server", s.peer.name, s.peer.key_id, s.mode, s.size,
                             len(s.server.items), None, outcome, s.server.suite)

    def _expire(self) -> None:
        now = self.clock()
        for sid, s in list(self.sessions.items()):
            if now - s.touched > SESSION_TTL:
                del self.sessions[sid]
                self.on_end(self._record(s, "abandoned"))

    # -- HTTP -----------------------------------------------------------------------------
    def app(self) -> Starlette:
        def endpoint(step: Callable[..., Any]) -> Callable[[Request], Any]:
            async def handle(request: Request) -> Response:
                nonce = request.headers.get(framing.NONCE, "")
                try:
                    length = int(request.headers.get("content-length") or 0)
                    if length > MAX_BODY + 1024:
                        raise InputError("the request body is too large", field="body")
                    body = await request.body()
                    if len(body) > MAX_BODY + 1024:
                        raise InputError("the request body is too large", field="body")
                    peer = framing.verify_request(
                        request.headers, request.method, request.url.path, body,
                        allow=self.allow, now=self.clock(), seen=self.nonces)
                    args = [int(v) if n == "k" else v for n, v in request.path_params.items()]
                    out = await run_in_threadpool(step, peer, *args, *(
                        [body] if request.method in ("POST", "PUT") else []))
                    status = 200
                except FairCollectError as exc:
                    out, status = exc.to_dict(), exc.http_status
                except ValueError:
                    out, status = {"error": "bad_input", "message": "bad path"}, 422
                if isinstance(out, bytes):
                    data, media = out, "application/octet-stream"
                else:
                    data, media = orjson.dumps(out), "application/json"
                headers = framing.sign_response(self.key, nonce, data) if nonce else {}
                return Response(data, status, headers=headers, media_type=media)
            return handle

        def close_step(peer: Peer, sid: str, *_: Any) -> dict[str, Any]:
            return self.close(peer, sid)

        return Starlette(routes=[
            Route("/psi/v1/sessions", endpoint(self.open), methods=["POST"]),
            Route("/psi/v1/sessions/{sid}/blinded/{k}", endpoint(self.put_blinded),
                  methods=["PUT"]),
            Route("/psi/v1/sessions/{sid}/answer/{k}", endpoint(self.get_answer),
                  methods=["GET"]),
            Route("/psi/v1/sessions/{sid}/set/{k}", endpoint(self.get_set), methods=["GET"]),
            Route("/psi/v1/sessions/{sid}", endpoint(close_step), methods=["DELETE"]),
        ])
