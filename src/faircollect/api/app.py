"""The FastAPI app factory. Errors map to HTTP statuses here and nowhere else."""

from __future__ import annotations

import importlib

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from faircollect import __version__
from faircollect.errors import FairCollectError

# Router modules, each exposing `router` (an APIRouter); add one line per resource.
ROUTER_MODULES = ("faircollect.api.policy",)


async def _on_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, FairCollectError):  # registered for this type only
        raise exc
    return JSONResponse(exc.to_dict(), status_code=exc.http_status)


def create_app() -> FastAPI:
    """A new application with every router mounted (nothing is opened at import time)."""
    app = FastAPI(title="FairCollect", version=__version__)
    app.add_exception_handler(FairCollectError, _on_error)
    for name in ROUTER_MODULES:
        app.include_router(importlib.import_module(name).router)
    return app
