"""What every command needs: settings and the composed services, built on first use."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from typing import Any

import typer

from faircollect.bootstrap import App, build_app
from faircollect.config import Settings, load_settings


def _obj(ctx: typer.Context) -> dict[str, Any]:
    root = ctx.find_root()
    if not isinstance(root.obj, dict):
        root.obj = {}
    return root.obj


def settings(ctx: typer.Context) -> Settings:
    """Settings for this invocation (the --db option wins over the environment)."""
    obj = _obj(ctx)
    if "settings" not in obj:
        obj["settings"] = load_settings(db=obj.get("db"))
    return obj["settings"]  # type: ignore[no-any-return]


@dataclass
class CommandContext:
    app: App
    actor: str


def app_for(ctx: typer.Context) -> CommandContext:
    """The composed application for this invocation, and who is acting."""
    obj = _obj(ctx)
    if "app" not in obj:
        obj["app"] = build_app(settings(ctx))
    user = os.environ.get("FAIRCOLLECT_ACTOR") or f"cli:{getpass.getuser()}"
    return CommandContext(app=obj["app"], actor=user)
