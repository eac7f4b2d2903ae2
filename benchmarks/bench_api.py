"""The HTTP API under a steady mixed load on loopback, beside a bare FastAPI endpoint.

    python benchmarks/bench_api.py            # full: 20 s per server, 8 clients
    python benchmarks/bench_api.py --quick    # 4 s per server

`faircollect serve` runs over a small imported portfolio (SQLite, rate limits off), and 8
client threads loop through the mix a lender's systems send: a policy decision (the
dialer), a borrower's case read (the console), a consent grant (the portal, with an
Idempotency-Key) and a payment (the loan system, with an Idempotency-Key). The peer is a
bare FastAPI app answering `GET /ping` with `{"ok": true}` under the same uvicorn, the same
clients and the same duration, started in the same run: what the framework alone costs on
this machine. Printed: requests/s, p50 and p99 latency of the mix and of each kind. The
issue sets no threshold; a row is met when no request of its kind failed.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

CLIENTS = 8
BORROWERS = 200
NOTICE = "We will e-mail you about your account only. You can withdraw at any time."
BARE_APP = '''
from fastapi import FastAPI

app = FastAPI()


@app.get("/ping")
def ping() -> dict[str, bool]:
    return {"ok": True}
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(base: str, path: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(base + path, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server did not come up: {log.read_text()[-2000:]}")


def _cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "faircollect", *args], env=env, check=True,
                   capture_output=True, timeout=600)


def _seed(home: Path, env: dict[str, str]) -> dict[str, Any]:
    """Import a portfolio; keys for each client; a borrower and a loan per request."""
    from sqlalchemy import select

    from faircollect.api.auth import issue_key
    from faircollect.bootstrap import build_app
    from faircollect.config import load_settings
    from faircollect.store.tables.foundation import loans

    _cli(env, "generate", str(home / "book"), "--borrowers", str(BORROWERS),
         "--as-of", "2026-10-31")
    _cli(env, "import", str(home / "book"))
    app = build_app(load_settings(env))
    with app.store.read() as conn:
        pairs = conn.execute(select(loans.c.borrower_id, loans.c.loan_id)
                             .order_by(loans.c.loan_id)).all()
    app.store.dispose()
    borrower_keys = {b: issue_key(home, actor_id=f"portal:{b}", role="borrower", borrower_id=b)
                     for b, _ in pairs[:20]}
    return {
        "pairs": [(b, loan) for b, loan in pairs],
        "dialer": issue_key(home, actor_id="dialer", role="collector", scopes=("decide",)),
        "console": issue_key(home, actor_id="console", role="supervisor"),
        "loans": issue_key(home, actor_id="loan-system", role="supervisor",
                           scopes=("payments",)),
        "portal": borrower_keys,
    }


def _decision() -> dict[str, Any]:
    return {"jurisdiction": "US", "at": "2026-11-02T15:30:00Z",
            "attempt": {"channel": "call", "audience": "borrower", "purpose": "collection",
                        "contact_id": None},
            "borrower": {"timezone": "America/New_York", "days_past_due": 12,
                         "unreachable_since": None, "flags": [], "opted_out_channels": [],
                         "agreed_windows": []}}


def _mixed(seed: dict[str, Any]) -> list[tuple[str, Callable[[httpx.Client, int], httpx.Response]]]:
    pairs, portal = seed["pairs"], list(seed["portal"].items())
    run = os.urandom(4).hex()

    def decide(c: httpx.Client, n: int) -> httpx.Response:
        return c.post("/v1/policy/decisions", json=_decision(),
                      headers={"Authorization": f"Bearer {seed['dialer']}"})

    def case(c: httpx.Client, n: int) -> httpx.Response:
        borrower = pairs[n % len(pairs)][0]
        return c.get(f"/v1/borrowers/{borrower}/case",
                     headers={"Authorization": f"Bearer {seed['console']}"})

    def consent(c: httpx.Client, n: int) -> httpx.Response:
        borrower, key = portal[n % len(portal)]
        return c.post("/v1/consents", json={
            "borrower_id": borrower, "purpose": "electronic_communications",
            "notice_text": NOTICE, "policy_version": "privacy-2026.1"},
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": f"c-{run}-{n}"})

    def payment(c: httpx.Client, n: int) -> httpx.Response:
        _, loan = pairs[n % len(pairs)]
        return c.post("/v1/payments", json={
            "payment_id": f"bench-{run}-{n}", "loan_id": loan, "paid_on": "2026-11-01",
            "amount": "1.00"},
            headers={"Authorization": f"Bearer {seed['loans']}",
                     "Idempotency-Key": f"p-{run}-{n}"})

    return [("decision", decide), ("case read", case), ("consent write", consent),
            ("payment", payment)]


def _load(base: str, calls: list[tuple[str, Callable[[httpx.Client, int], httpx.Response]]],
          seconds: float) -> tuple[dict[str, list[float]], dict[str, int], float]:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    counter = itertools.count()
    lock = threading.Lock()
    start = time.perf_counter()
    stop_at = start + seconds

    def client() -> None:
        with httpx.Client(base_url=base, timeout=30) as c:
            while time.perf_counter() < stop_at:
                n = next(counter)
                name, call = calls[n % len(calls)]
                t = time.perf_counter()
                try:
                    ok = call(c, n).status_code < 300
                except httpx.HTTPError:
                    ok = False
                took = time.perf_counter() - t
                with lock:
                    latencies[name].append(took)
                    if not ok:
                        errors[name] += 1

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return latencies, errors, time.perf_counter() - start


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def _start(args: list[str], env: dict[str, str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Measure and return the table rows."""
    seconds = 4.0 if quick else 20.0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        home = root / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRCOLLECT_")}
        env.update(FAIRCOLLECT_HOME=str(home), FAIRCOLLECT_API_RATE_LIMIT="0")
        seed = _seed(home, env)
        (root / "bare.py").write_text(BARE_APP, encoding="utf-8")
        port, bare_port = _free_port(), _free_port()
        ours = _start([sys.executable, "-m", "faircollect", "serve", "--port", str(port)],
                      env, root / "serve.log", root)
        bare = _start([sys.executable, "-m", "uvicorn", "bare:app", "--port", str(bare_port),
                       "--log-level", "warning", "--no-access-log"], env, root / "bare.log",
                      root)
        try:
            base, bare_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{bare_port}"
            _wait(base, "/healthz", ours, root / "serve.log")
            _wait(bare_base, "/ping", bare, root / "bare.log")
            lat, errors, took = _load(base, _mixed(seed), seconds)
            bare_lat, bare_errors, bare_took = _load(
                bare_base, [("ping", lambda c, n: c.get("/ping"))], seconds)
        finally:
            for proc in (ours, bare):
                proc.terminate()
            for proc in (ours, bare):
                proc.wait(30)
    everything = [v for values in lat.values() for v in values]
    ping = bare_lat["ping"]
    rps, bare_rps = len(everything) / took, len(ping) / bare_took
    rows = [{
        "figure": f"API mixed load on loopback, {CLIENTS} clients (decision, case read, "
                  f"consent write, payment; {len(everything):,} requests)",
        "ours": round(rps, 1), "unit": "req/s",
        "peer": "bare FastAPI GET /ping, same uvicorn and clients", "peer_value": round(bare_rps, 1),
        "ratio": round(rps / bare_rps, 3),
        "target": f"no failed request (failed: {sum(errors.values())}, bare: "
                  f"{sum(bare_errors.values())})",
        "met": not errors and not bare_errors,
    }]
    for label, p in (("p50", 0.50), ("p99", 0.99)):
        ours_ms, bare_ms = _pct(everything, p), _pct(ping, p)
        rows.append({"figure": f"API mixed load, {label} latency", "ours": round(ours_ms, 2),
                     "unit": "ms", "peer": f"bare FastAPI {label}",
                     "peer_value": round(bare_ms, 2), "ratio": round(ours_ms / bare_ms, 2),
                     "target": None, "met": None})
    for name, values in sorted(lat.items()):
        p50, p99 = _pct(values, 0.5), _pct(values, 0.99)
        rows.append({"figure": f"  {name}: {len(values):,} requests, p50 (peer: its p99)",
                     "ours": round(p50, 2), "unit": "ms",
                     "peer": "p99", "peer_value": round(p99, 2), "ratio": round(p99 / p50, 2),
                     "target": f"no failed request (failed: {errors.get(name, 0)})",
                     "met": errors.get(name, 0) == 0})
    return rows


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(json.dumps(r))
