"""Request dependencies: settings, the composed application and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from faircollect.api.auth import Principal, authenticate
from faircollect.bootstrap import App, build_app
from faircollect.config import Settings, load_settings


def settings(request: Request) -> Settings:
    """The app's settings (the environment's, read on first use)."""
    state = request.app.state
    if getattr(state, "settings", None) is None:
        state.settings = load_settings()
    return state.settings  # type: ignore[no-any-return]


def services(request: Request) -> App:
    """The application services, built on the first request that needs them."""
    state = request.app.state
    if getattr(state, "services", None) is None:
        state.services = build_app(settings(request))
    return state.services  # type: ignore[no-any-return]


def principal(
    config: Annotated[Settings, Depends(settings)],
    authorization: Annotated[str | None, Header()] = None,
) -> Principal:
    """The authenticated caller (keys are checked before any store is opened)."""
    return authenticate(config.home, authorization)
