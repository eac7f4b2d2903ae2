"""SMS through a gateway's HTTP API: signed requests, retry on 503, idempotency header.

The gateway is a real HTTP server on 127.0.0.1 started by the test; it checks each
request's signature and keeps one message per Idempotency-Key, as a real gateway does.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from dispatch_seed import enqueue_many, seed_borrower

from faircollect.config import Secret
from faircollect.dispatch.channels import open_channel
from faircollect.dispatch.channels.webhook import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookChannel,
    verify,
)
from faircollect.dispatch.outbox import counts
from faircollect.dispatch.worker import Worker
from faircollect.errors import ConfigError

SECRET = "test-gateway-secret"


class Gateway:
    """What the gateway saw and how it should answer."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.accepted: dict[str, dict[str, Any]] = {}
        self.fail_first: int = 0
        self.lock = threading.Lock()


def _handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            stamp = self.headers.get(TIMESTAMP_HEADER, "")
            good = verify(SECRET.encode(), stamp, body, self.headers.get(SIGNATURE_HEADER, ""))
            fresh = stamp.isdigit() and abs(time.time() - int(stamp)) < 300
            key = self.headers.get(IDEMPOTENCY_HEADER, "")
            with gateway.lock:
                gateway.requests.append({"key": key, "signed": good})
                if not (good and fresh and key):
                    status, answer = 401, {"error": "bad signature"}
                elif gateway.fail_first > 0:
                    gateway.fail_first -= 1
                    status, answer = 503, {"error": "busy"}
                else:
                    gateway.accepted.setdefault(key, json.loads(body))
                    status, answer = 200, {"id": "gw-" + key[-6:]}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture
def gateway() -> Iterator[tuple[Gateway, str]]:
    state = Gateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/sms"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_signed_sms_is_retried_on_503_and_accepted_once(
    app: Any, settings: Any, gateway: tuple[Gateway, str]
) -> None:
    state, url = gateway
    state.fail_first = 2
    seed_borrower(app)
    enqueue_many(app, 2, planned_at=app.store.clock())
    sleeps: list[float] = []
    channel = WebhookChannel(url, Secret(SECRET), backoff=0.01, sleep=sleeps.append)
    try:
        assert Worker(app.store, app.vault, channel).run(until_empty=True).sent == 2
        # Reconciling a webhook message means sending again: the gateway keeps one per key.
        assert channel.reconcile("m-x", "test:b-1:0").status == "not_sent"
    finally:
        channel.close()
    assert sleeps == [0.01, 0.02]  # exponential backoff over the two 503s
    assert len(state.requests) == 4 and all(r["signed"] for r in state.requests)
    assert len(state.accepted) == 2
    first = state.accepted["test:b-1:0"]
    assert first["to"] == "+447700900001" and "Ada" in first["body"]
    with app.store.read() as conn:
        assert counts(conn) == {"sent": 2}


def test_wrong_secret_is_refused_and_not_retried(app: Any, gateway: tuple[Gateway, str]) -> None:
    state, url = gateway
    seed_borrower(app)
    enqueue_many(app, 1, planned_at=app.store.clock())
    channel = WebhookChannel(url, Secret("not-the-secret"), sleep=lambda _s: None)
    try:
        assert Worker(app.store, app.vault, channel).run(until_empty=True).failed == 1
    finally:
        channel.close()
    assert len(state.requests) == 1 and not state.accepted


def test_gateway_down_gives_up_for_now_and_retries_later(app: Any) -> None:
    seed_borrower(app)
    enqueue_many(app, 1, planned_at=app.store.clock())
    channel = WebhookChannel(
        "http://127.0.0.1:9/sms", Secret(SECRET), retries=2, sleep=lambda _s: None
    )
    try:
        assert Worker(app.store, app.vault, channel).run(once=True).retried == 1
    finally:
        channel.close()
    with app.store.read() as conn:
        assert counts(conn) == {"pending": 1}


def test_webhook_needs_its_secret(settings: Any) -> None:
    with pytest.raises(ConfigError):
        open_channel("webhook:http://127.0.0.1:1/x", home=settings.home, env={})
