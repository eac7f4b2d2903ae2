"""What every command needs: settings and the composed services, built on first use."""

from __future__ import annotations

from typing import Any

import typer

from faircollect.config import Settings, load_settings


def settings(ctx: typer.Context) -> Settings:
    """Settings for this invocation (the --db option wins over the environment)."""
    root = ctx.find_root()
    obj: dict[str, Any] = root.obj if isinstance(root.obj, dict) else {}
    cached = obj.get("settings")
    if cached is None:
        cached = load_settings(db=obj.get("db"))
        obj["settings"] = cached
        root.obj = obj
    return cached  # type: ignore[no-any-return]
