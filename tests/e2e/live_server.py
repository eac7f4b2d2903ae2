"""The API served by uvicorn on a free loopback port, as `faircollect serve` serves it.

The e2e API tests drive it with httpx over TCP: the socket, HTTP/1.1 parsing, the lifespan
and uvicorn's own handling all take part, which Starlette's TestClient skips. The server
runs in a thread of the test process, so a test can still set its data up through the
services of the same store (the server reads the same database and keyring).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn


@contextmanager
def live_client(asgi: Any, **client: Any) -> Iterator[httpx.Client]:
    """An httpx client of `asgi` served on 127.0.0.1, for as long as the block runs."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(asgi, access_log=False, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("uvicorn did not start serving the API within 30 s")
        time.sleep(0.01)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30, **client) as c:
            yield c
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
