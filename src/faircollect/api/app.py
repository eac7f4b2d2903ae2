"""The FastAPI app factory. Errors map to HTTP statuses here and nowhere else."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from faircollect import __version__
from faircollect.config import Settings
from faircollect.errors import FairCollectError

# Router modules, each exposing `router` (an APIRouter); add one line per resource.
ROUTER_MODULES = (
    "faircollect.api.policy",
    "faircollect.api.consent",
)


async def _on_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, FairCollectError):  # registered for this type only
        raise exc
    return JSONResponse(exc.to_dict(), status_code=exc.http_status)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    services = getattr(app.state, "services", None)
    if services is not None:  # close the store's connections on shutdown
        services.store.dispose()
        app.state.services = None


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new application with every router mounted (nothing is opened at import time).

    `settings` default to the environment, read on the first request that needs the store.
    """
    app = FastAPI(title="FairCollect", version=__version__, lifespan=_lifespan)
    app.state.settings = settings
    app.state.services = None
    app.add_exception_handler(FairCollectError, _on_error)
    for name in ROUTER_MODULES:
        app.include_router(importlib.import_module(name).router)
    return app
