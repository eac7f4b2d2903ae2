"""Operations: /healthz (no auth), /readyz (no auth; names what failed), /metrics (staff key).

Probes and load balancers cannot hold keys, so the two probes answer without one and say
nothing personal or secret. Metrics need a staff key: route names and counts are still
operational data.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from faircollect.api.auth import Principal
from faircollect.api.deps import principal, settings
from faircollect.api.problems import RESPONSES, RESPONSES_503, problem
from faircollect.config import Settings
from faircollect.errors import AccessDenied
from faircollect.readiness import readiness

router = APIRouter(tags=["operations"])
METRICS_ROLES = ("supervisor", "compliance", "auditor", "admin")


class Metrics:
    """The app's Prometheus collectors, in a registry of its own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("faircollect_http_requests", "HTTP requests by route and status",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("faircollect_http_request_seconds", "HTTP request latency",
                                 ["method", "route"], registry=self.registry)
        self.decisions = Counter("faircollect_decisions", "Policy decisions by outcome",
                                 ["outcome"], registry=self.registry)

    def decided(self, decisions: list[dict[str, Any]]) -> None:
        allowed = sum(1 for d in decisions if d.get("allowed"))
        if allowed:
            self.decisions.labels("allowed").inc(allowed)
        if len(decisions) - allowed:
            self.decisions.labels("denied").inc(len(decisions) - allowed)


def metrics_of(request: Request) -> Metrics | None:
    return getattr(request.app.state, "metrics", None)


def install(app: FastAPI) -> None:
    """Count every request by its route template (never its raw path, which holds ids)."""
    app.state.metrics = metrics = Metrics()

    @app.middleware("http")
    async def _measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = request.scope.get("route")
            name = getattr(route, "path", None) or "unmatched"
            metrics.requests.labels(request.method, name, str(status)).inc()
            metrics.latency.labels(request.method, name).observe(time.perf_counter() - started)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up (no auth, touches nothing)."""
    return {"status": "ok"}


@router.get("/readyz", responses=RESPONSES_503)
def readyz(request: Request, config: Annotated[Settings, Depends(settings)]) -> Any:
    """Ready when the database is reachable and migrated and the keyring is readable."""
    services = getattr(request.app.state, "services", None)
    checks = readiness(config, services.store if services is not None else None)
    body = {c.name: ("ok" if c.ok else c.reason) for c in checks}
    failed = [c for c in checks if not c.ok]
    if failed:
        detail = "; ".join(f"{c.name}: {c.reason}" for c in failed)
        return problem(request, 503, detail, code="not_ready", extra={"checks": body})
    return JSONResponse({"status": "ready", "checks": body})


@router.get("/metrics", responses=RESPONSES, response_class=Response)
def metrics(request: Request, who: Annotated[Principal, Depends(principal)]) -> Response:
    """Prometheus metrics: requests by route and status, latency, decisions by outcome."""
    if who.role not in METRICS_ROLES:
        raise AccessDenied("this role may not read metrics", role=who.role)
    found = metrics_of(request)
    data = generate_latest(found.registry) if found else b""
    return Response(data, media_type=CONTENT_TYPE_LATEST)
