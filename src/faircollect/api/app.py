"""The FastAPI app factory. Errors map to HTTP statuses in `problems`, and nowhere else."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from faircollect import __version__
from faircollect.api import docs, operations, problems
from faircollect.api.access_log import AccessLog
from faircollect.api.limits import BodyLimit, max_body
from faircollect.api.ratelimit import RateLimit, per_minute
from faircollect.config import Settings

# Router modules, each exposing `router` (an APIRouter); add one line per resource.
ROUTER_MODULES = (
    "faircollect.api.policy",
    "faircollect.api.consent",
    "faircollect.api.payments",
    "faircollect.api.borrowers",
    "faircollect.api.cases",
    "faircollect.api.subject",
    "faircollect.api.templates",
    "faircollect.api.playbooks",
    "faircollect.api.cycle_runs",
    "faircollect.api.outbox",
    "faircollect.api.audit",
    "faircollect.api.reports",
    "faircollect.api.oauth",
    "faircollect.api.operations",
    "faircollect.api.governance",
    "faircollect.api.risk",
    "faircollect.api.sharing",
)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    services = getattr(app.state, "services", None)
    if services is not None:  # close the store's connections on shutdown
        services.store.dispose()
        app.state.services = None


def create_app(settings: Settings | None = None, *, body_limit: int | None = None,
               rate_limit: int | None = None) -> FastAPI:
    """A new application with every router mounted (nothing is opened at import time).

    `settings` default to the environment, read on the first request that needs the store.
    `body_limit` defaults to FAIRCOLLECT_API_MAX_BODY (1 MiB), `rate_limit` (requests per
    minute per credential, 0 for none) to FAIRCOLLECT_API_RATE_LIMIT (600).
    """
    app = FastAPI(
        title="FairCollect",
        version=__version__,
        lifespan=_lifespan,
        docs_url=None,  # served from local assets by `docs`
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.services = None
    problems.install(app)
    for name in ROUTER_MODULES:
        app.include_router(importlib.import_module(name).router)
    docs.install(app)
    from faircollect.web import install as install_web  # the console, portal, contact page

    install_web(app)
    # Innermost: the body limit raises inside the route, where `problems` answers 413.
    app.add_middleware(BodyLimit, limit=body_limit or max_body())
    app.add_middleware(RateLimit, limit=per_minute() if rate_limit is None else rate_limit)
    operations.install(app)  # metrics count what the limits answered too
    app.add_middleware(AccessLog)  # outermost: every request gets an id and one log line
    return app
