"""A real-server tier: `faircollect serve` (uvicorn) on a free loopback port, driven with
httpx over TCP, then stopped. TestClient and ASGITransport skip binding, the lifespan and
real HTTP parsing; these tests do not.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from faircollect.api.auth import issue_key
from faircollect.policy import decide, parse_request, resolve_pack

FAIRCOLLECT = Path(sys.executable).with_name("faircollect")
# A borrower call at 23:00 in Shanghai: inside CN quiet hours, so it is denied.
REQUEST = {
    "jurisdiction": "CN", "at": "2026-05-11T15:00:00+00:00",
    "attempt": {"channel": "call", "audience": "borrower", "purpose": "collection",
                "contact_id": None, "template": None},
    "borrower": {"timezone": "Asia/Shanghai", "days_past_due": 20, "unreachable_since": None,
                 "flags": [], "opted_out_channels": [], "agreed_windows": []},
    "contacts": [], "consents": [], "history": [], "notices": [],
}


@dataclass(frozen=True)
class Server:
    url: str
    home: Path
    port: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("serve-home")
    port = _free_port()
    env = {**os.environ, "FAIRCOLLECT_HOME": str(home)}
    log = (home / "serve.log").open("wb")
    proc = subprocess.Popen([str(FAIRCOLLECT), "serve", "--host", "127.0.0.1", "--port",
                             str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"faircollect serve exited {proc.returncode}: "
                            f"{(home / 'serve.log').read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("faircollect serve did not answer /healthz within 60 s")
            time.sleep(0.2)
        yield Server(url, home, port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_health_and_readiness_over_tcp(server: Server) -> None:
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    ready = httpx.get(f"{server.url}/readyz")
    assert ready.status_code in (200, 503)  # either way a JSON answer from the app
    assert "json" in ready.headers["content-type"]


def test_a_decision_through_the_real_server_equals_the_core(server: Server) -> None:
    key = issue_key(server.home, actor_id="dialer", role="collector", scopes=("decide",))
    req = REQUEST
    r = httpx.post(f"{server.url}/v1/policy/decisions", json=req,
                   headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert r.status_code == 200, r.text
    body = r.json()
    parsed = parse_request(req)
    d = decide(parsed, resolve_pack(parsed.jurisdiction))
    assert body["allowed"] is d.allowed is False
    assert {v["rule"] for v in body["violations"]} == {v.rule for v in d.violations}


def test_no_key_is_refused(server: Server) -> None:
    r = httpx.post(f"{server.url}/v1/policy/decisions", json=REQUEST, timeout=30)
    assert r.status_code == 401


def test_malformed_http_is_refused_by_the_server_not_crashing_it(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"GARBAGE / HTTP/9.9\r\nHost\r\n\r\n")
        head = s.recv(200)
    assert head.startswith(b"HTTP/1.1 4")
    assert httpx.get(f"{server.url}/healthz").status_code == 200
