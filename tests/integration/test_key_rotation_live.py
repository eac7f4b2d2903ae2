"""Key rotation while the system runs: `serve` and two `dispatch` workers keep going through
three `keys rotate`, no request fails, no process restarts, and afterwards every record
decrypts under the one master key left (issue: key custody under concurrency). The same
with the master keys in a PKCS#11 token (SoftHSM2) instead of the local keyring."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from faircollect.api.auth import issue_key
from faircollect.bootstrap import build_app
from faircollect.config import load_settings
from faircollect.dispatch.message import OutboundMessage
from faircollect.dispatch.outbox import counts, enqueue_many
from faircollect.store.tables.foundation import borrowers, data_keys

BORROWERS = 120
NOTICE = "We will e-mail you about your account only. You can withdraw at any time."


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "faircollect", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:  # the child keeps its own descriptor
        return subprocess.Popen([sys.executable, "-m", "faircollect", *args], env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def _enqueue(app: Any, ids: list[str], wave: int) -> int:
    now = app.store.clock()
    msgs = [
        OutboundMessage(
            idempotency_key=f"live:{wave}:{bid}", borrower_id=bid, channel="sms",
            template_id="t-live", purpose="reminder", body=f"Reminder {wave}.",
            planned_at=now - timedelta(seconds=1), expires_at=now + timedelta(days=1))
        for bid in ids
    ]
    with app.store.transaction("test") as uow:
        enqueue_many(uow, app.vault, msgs, now=now)
    return len(msgs)


@pytest.mark.parametrize("provider", ["local", "pkcs11"])
def test_serve_and_two_workers_run_through_three_rotations(
        db_url: str, tmp_path: Path, provider: str, request: pytest.FixtureRequest) -> None:
    home = tmp_path / "home"
    env = dict(os.environ, FAIRCOLLECT_HOME=str(home), FAIRCOLLECT_DATABASE_URL=db_url)
    env.pop("FAIRCOLLECT_CHANNEL", None)  # the file channel under the home
    for name in [k for k in env if k.startswith("FAIRCOLLECT_PKCS11_")]:
        env.pop(name)
    env["FAIRCOLLECT_KEY_PROVIDER"] = provider
    if provider == "pkcs11":
        env.update(request.getfixturevalue("token"))  # a fresh SoftHSM2 token
    prefix = "hsm-" if provider == "pkcs11" else "mk-"
    assert _cli(env, "generate", str(tmp_path / "book"), "--borrowers", str(BORROWERS)
                ).returncode == 0
    imported = _cli(env, "import", str(tmp_path / "book"))
    assert imported.returncode == 0, imported.stderr
    app = build_app(load_settings(env))
    with app.store.read() as conn:
        ids = list(conn.execute(select(borrowers.c.borrower_id).where(
            borrowers.c.phone_ct.is_not(None)).order_by(borrowers.c.borrower_id)).scalars())
    assert len(ids) >= BORROWERS // 2
    portal = {bid: issue_key(home, actor_id=f"portal:{bid}", role="borrower", borrower_id=bid)
              for bid in ids[:10]}
    port = _free_port()
    procs = {
        "serve": _start(env, "serve", "--port", str(port), log=tmp_path / "serve.log"),
        "w1": _start(env, "dispatch", "--poll", "0.05", "--batch", "10",
                     log=tmp_path / "w1.log"),
        "w2": _start(env, "dispatch", "--poll", "0.05", "--batch", "10",
                     log=tmp_path / "w2.log"),
    }
    failures: list[str] = []
    requests = 0
    stop = threading.Event()
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)

        def traffic() -> None:
            nonlocal requests
            with httpx.Client(base_url=base, timeout=30) as client:
                while not stop.is_set():
                    for bid, key in portal.items():
                        auth = {"Authorization": f"Bearer {key}"}
                        r = client.post("/v1/consents", headers=auth, json={
                            "borrower_id": bid, "purpose": "electronic_communications",
                            "notice_text": NOTICE, "policy_version": "privacy-2026.1"})
                        g = client.get(f"/v1/borrowers/{bid}/consents", headers=auth)
                        requests += 2
                        for resp in (r, g):
                            if resp.status_code >= 300:
                                failures.append(f"{resp.request.method} {resp.status_code}")

        talker = threading.Thread(target=traffic)
        talker.start()
        sent_expected = _enqueue(app, ids, 0)
        for wave in range(1, 4):
            rotated = _cli(env, "keys", "rotate")
            assert rotated.returncode == 0, rotated.stderr
            assert f"retired: {prefix}" in rotated.stdout, rotated.stdout
            sent_expected += _enqueue(app, ids, wave)
        deadline = time.monotonic() + 180
        while True:
            with app.store.read() as conn:
                state = counts(conn)
            if state.get("sent", 0) >= sent_expected:
                break
            for name, proc in procs.items():
                assert proc.poll() is None, f"{name} exited: " + (
                    tmp_path / f"{name}.log").read_text()[-2000:]
            assert time.monotonic() < deadline, state
            time.sleep(0.2)
        stop.set()
        talker.join(60)
        for name, proc in procs.items():  # nobody restarted, nobody died
            assert proc.poll() is None, f"{name} exited"
    finally:
        stop.set()
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            proc.wait(30)
    assert requests > 0 and failures == []
    assert state == {"sent": sent_expected}
    # Every record decrypts under the one master key left, read by a fresh keyring or token
    # session.
    fresh = build_app(load_settings(env))
    keys = fresh.vault.keys
    keys.refresh()
    assert len(keys.master_ids()) == 1 and keys.current_master_id().startswith(prefix)
    with fresh.store.read() as conn:
        masters = set(conn.execute(select(data_keys.c.master_key_id)).scalars())
        assert masters == {keys.current_master_id()}
        rows = conn.execute(select(borrowers.c.borrower_id, borrowers.c.phone_ct).where(
            borrowers.c.phone_ct.is_not(None))).all()
        ciphers = fresh.vault.ciphers(conn, [r.borrower_id for r in rows])
        phones = [fresh.vault.open(ciphers[r.borrower_id], r.phone_ct, "borrowers", "phone",
                                   r.borrower_id) for r in rows]
    assert len(phones) == len(ids) and all(p.startswith("+") for p in phones)
    app.store.dispose()
    fresh.store.dispose()
