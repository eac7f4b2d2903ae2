"""Request dependencies: the composed application and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from faircollect.api.auth import Principal, authenticate
from faircollect.bootstrap import App, build_app
from faircollect.config import load_settings


def services(request: Request) -> App:
    """The application services, built on the first request that needs them."""
    state = request.app.state
    if getattr(state, "services", None) is None:
        settings = getattr(state, "settings", None) or load_settings()
        state.settings = settings
        state.services = build_app(settings)
    return state.services  # type: ignore[no-any-return]


def principal(
    request: Request,
    app: Annotated[App, Depends(services)],
    authorization: Annotated[str | None, Header()] = None,
) -> Principal:
    """The authenticated caller."""
    return authenticate(app.settings.home, authorization)
