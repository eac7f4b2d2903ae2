"""Two FairCollect processes run the PSI protocol over loopback HTTP.

`share serve` runs in one subprocess and `share query` in another; refused requests (unsigned,
not allow-listed, tampered, replayed, stale) are sent by hand to the same server.
"""

from __future__ import annotations

import base64
import os
import random
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, select

from faircollect.bootstrap import build_app
from faircollect.config import Secret, Settings
from faircollect.sharing import framing
from faircollect.sharing.service import lender_key
from faircollect.store.tables.audit import audit_entries


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _lender(root: Path, name: str) -> tuple[dict[str, str], Ed25519PrivateKey]:
    home = root / name
    home.mkdir()
    url = f"sqlite:///{home / 'fc.db'}"
    app = build_app(Settings(home=home, database_url=Secret(url)))
    key = lender_key(app)
    app.store.dispose()
    env = {**os.environ, "FAIRCOLLECT_HOME": str(home), "FAIRCOLLECT_DATABASE_URL": url,
           "FAIRCOLLECT_ACTOR": f"test:{name}"}
    return env, key


def _allow(path: Path, **keys: Ed25519PrivateKey) -> Path:
    entries = [{"name": n, "public_key": base64.b64encode(
        k.public_key().public_bytes_raw()).decode()} for n, k in keys.items()]
    path.write_text(orjson.dumps({"peers": entries}).decode(), encoding="utf-8")
    return path


def _phones(rng: random.Random, n: int) -> list[str]:
    return list(dict.fromkeys(f"+86138{rng.randrange(10**8):08d}" for _ in range(n)))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    root = tmp_path_factory.mktemp("psi")
    env_a, key_a = _lender(root, "a")
    env_b, key_b = _lender(root, "b")
    rng = random.Random(17)
    pool = _phones(rng, 1400)
    shared = pool[:300]
    set_a = shared + pool[300:900]
    set_b = shared + pool[900:1400]
    rng.shuffle(set_a)
    rng.shuffle(set_b)
    (root / "a.txt").write_text("\n".join(set_a) + "\n", encoding="utf-8")
    # The server's file spells its numbers another way: normalisation must meet them.
    (root / "b.txt").write_text("\n".join(f"phone,{p[3:6]} {p[6:10]} {p[10:]},CN"
                                          for p in set_b) + "\n", encoding="utf-8")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "faircollect", "share", "serve", "--peers",
         str(_allow(root / "b-peers.yaml", lender_a=key_a)), "--set", str(root / "b.txt"),
         "--port", str(port), "--workers", "1", "--chunk", "256"],
        env=env_b, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if server.poll() is not None:
                pytest.fail(server.stderr.read().decode() if server.stderr else "server died")
            time.sleep(0.1)
    else:
        pytest.fail("share serve did not start listening")
    yield {"root": root, "env_a": env_a, "env_b": env_b, "key_a": key_a, "key_b": key_b,
           "url": f"http://127.0.0.1:{port}", "shared": shared, "server": server,
           "peers_a": _allow(root / "a-peers.yaml", lender_b=key_b)}
    server.terminate()
    server.communicate(timeout=20)


def _query(world: dict[str, object], *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "faircollect", "share", "query", "--peer", str(world["url"]),
         "--peers", str(world["peers_a"]), "--set", str(Path(str(world["root"])) / "a.txt"),
         "--workers", "1", *extra],
        env=world["env_a"], capture_output=True, text=True, timeout=120)  # type: ignore[arg-type]


def test_two_processes_run_both_modes_and_audit_only_counts(world: dict[str, object]) -> None:
    """One test on purpose: the audit checks need the sessions this very server ran (under
    pytest-xdist each worker has its own server)."""
    out = Path(str(world["root"])) / "found.txt"
    run = _query(world, "--out", str(out), "--json")
    assert run.returncode == 0, run.stderr
    summary = orjson.loads(run.stdout)
    assert (summary["mode"], summary["count"], summary["querier_size"],
            summary["server_size"], summary["peer"]) == ("intersection", 300, 900, 800, "lender_b")
    found = {line.split(",")[1] for line in out.read_text().splitlines()}
    assert found == set(world["shared"])  # type: ignore[arg-type]
    assert oct(out.stat().st_mode & 0o777) == "0o600"

    run = _query(world, "--cardinality", "--json", "--suite", "x25519")
    assert run.returncode == 0, run.stderr
    summary = orjson.loads(run.stdout)
    assert (summary["count"], summary["mode"], summary["suite"]) == (300, "cardinality", "x25519")
    assert "+86" not in run.stdout + run.stderr
    refused = _query(world, "--cardinality", "--out", "x.txt")
    assert refused.returncode == 2 and "--out needs intersection mode" in refused.stderr

    querier = _audit(str(world["env_a"]["FAIRCOLLECT_DATABASE_URL"]))  # type: ignore[index]
    psi = [p for a, p in querier if a == "sharing.psi_querier"]
    assert [(p["mode"], p["suite"], p["result_size"], p["server_size"], p["peer"])
            for p in psi] == [("intersection", "ristretto255", 300, 800, "lender_b"),
                              ("cardinality", "x25519", 300, 800, "lender_b")]
    server = _audit(str(world["env_b"]["FAIRCOLLECT_DATABASE_URL"]))  # type: ignore[index]
    done = [p for a, p in server if a == "sharing.psi_server" and p["outcome"] == "completed"]
    assert [(p["mode"], p["querier_size"], p["result_size"], p["peer"]) for p in done] == [
        ("intersection", 900, None, "lender_a"), ("cardinality", 900, None, "lender_a")]
    for _, payload in querier + server:
        assert "+86" not in orjson.dumps(payload).decode()


def _audit(url: str) -> list[tuple[str, dict[str, object]]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(audit_entries.c.action, audit_entries.c.record)).all()
    engine.dispose()
    return [(a, orjson.loads(r)["payload"]) for a, r in rows]


def _signed(key: Ed25519PrivateKey, method: str, path: str, body: bytes,
            **over: object) -> dict[str, str]:
    now = int(over.pop("now", time.time()))  # type: ignore[call-overload]
    return framing.sign_request(key, method, path, body, now=now, nonce=secrets.token_hex(16))


OPEN = "/psi/v1/sessions"


def _open_body() -> bytes:
    return orjson.dumps({"mode": "cardinality", "size": 3, "nonce": secrets.token_hex(16)})


def test_refused_requests(world: dict[str, object]) -> None:
    url, key_a = str(world["url"]), world["key_a"]
    assert isinstance(key_a, Ed25519PrivateKey)
    body = _open_body()
    with httpx.Client(base_url=url, trust_env=False) as http:
        ok = http.post(OPEN, content=body, headers=_signed(key_a, "POST", OPEN, body))
        assert ok.status_code == 200, ok.text
        # unsigned
        r = http.post(OPEN, content=body)
        assert r.status_code == 401 and "unsigned" in r.json()["message"]
        # signed by a key that is not on the allow-list
        r = http.post(OPEN, content=body,
                      headers=_signed(Ed25519PrivateKey.generate(), "POST", OPEN, body))
        assert r.status_code == 403
        # tampered: the body changed after signing
        headers = _signed(key_a, "POST", OPEN, body)
        r = http.post(OPEN, content=body.replace(b'"size":3', b'"size":4'), headers=headers)
        assert r.status_code == 401 and "signature" in r.json()["message"]
        # replayed: the same signed request twice
        headers = _signed(key_a, "POST", OPEN, body)
        first = http.post(OPEN, content=body, headers=headers)
        assert first.status_code == 200
        r = http.post(OPEN, content=body, headers=headers)
        assert r.status_code == 409 and "replay" in r.json()["message"]
        # stale: signed ten minutes ago
        r = http.post(OPEN, content=body,
                      headers=_signed(key_a, "POST", OPEN, body, now=time.time() - 600))
        assert r.status_code == 401 and "timestamp" in r.json()["message"]
        # a session belongs to the key that opened it
        sid = ok.json()["session"]
        path = f"{OPEN}/{sid}/set/0"
        r = http.get(path, headers=_signed(key_a, "GET", path.replace("set/0", "set/1"), b""))
        assert r.status_code == 401
        # every answer, refusals too, is signed by the server's key
        framing.verify_response(r.headers, r.request.headers[framing.NONCE], r.content,
                                allow=framing.parse_allow_list(
                                    Path(str(world["peers_a"])).read_text()))
        # a peer keeps at most SESSIONS_PER_PEER sessions open at once
        opened = [sid, first.json()["session"], *_open_all(http, key_a)]
        assert len(opened) == 4
        body = _open_body()
        r = http.post(OPEN, content=body, headers=_signed(key_a, "POST", OPEN, body))
        assert r.status_code == 429 and "open sessions" in r.json()["message"]
        for s in opened:
            path = f"{OPEN}/{s}"
            assert http.delete(path, headers=_signed(key_a, "DELETE", path, b"")).status_code == 200


def _open_all(http: httpx.Client, key: Ed25519PrivateKey) -> list[str]:
    """Open sessions until the server refuses; the ids opened."""
    out = []
    for _ in range(10):
        body = _open_body()
        r = http.post(OPEN, content=body, headers=_signed(key, "POST", OPEN, body))
        if r.status_code != 200:
            assert r.status_code == 429
            break
        out.append(r.json()["session"])
    return out


def test_querier_refuses_a_server_it_does_not_know(world: dict[str, object]) -> None:
    root = Path(str(world["root"]))
    stranger = _allow(root / "other-peers.yaml", someone=Ed25519PrivateKey.generate())
    run = subprocess.run(
        [sys.executable, "-m", "faircollect", "share", "query", "--peer", str(world["url"]),
         "--peers", str(stranger), "--set", str(root / "a.txt"), "--workers", "1"],
        env=world["env_a"], capture_output=True, text=True, timeout=60)  # type: ignore[arg-type]
    assert run.returncode == 1 and "allow-list" in run.stderr
    remote = subprocess.run(
        [sys.executable, "-m", "faircollect", "share", "query", "--peer", "http://192.0.2.1:1",
         "--peers", str(stranger), "--set", str(root / "a.txt")],
        env=world["env_a"], capture_output=True, text=True, timeout=60)  # type: ignore[arg-type]
    assert remote.returncode == 2 and "loopback" in remote.stderr
