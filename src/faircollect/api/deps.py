"""Request dependencies: settings, the composed application and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Request

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


def caller(request: Request, authorization: str | None) -> Principal:
    """Who sends `authorization`: an API key (checked before any store is opened) or a
    staff access token (`fct_...`, looked up in the store)."""
    from faircollect.api.tokens import ACCESS_PREFIX, token_principal

    config = settings(request)
    token = (authorization or "").removeprefix("Bearer ").strip()
    if authorization and authorization.startswith("Bearer ") and token.startswith(
            ACCESS_PREFIX):
        return token_principal(services(request).store, config.home, token)
    return authenticate(config.home, authorization)


def principal(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> Principal:
    """The authenticated caller: an API key or a staff access token."""
    return caller(request, authorization)
