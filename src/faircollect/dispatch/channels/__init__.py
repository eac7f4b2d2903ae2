"""Channels, and the one place that picks a channel from `FAIRCOLLECT_CHANNEL`.

`file:DIR` (JSON lines, the default under FAIRCOLLECT_HOME/sent), `smtp://host:port`
(sender from FAIRCOLLECT_SMTP_FROM), `webhook:URL` (secret from FAIRCOLLECT_WEBHOOK_SECRET).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from faircollect.config import Secret
from faircollect.dispatch.channels.base import Channel
from faircollect.errors import ConfigError

DEFAULT_SENDER = "collections@faircollect.invalid"


def _now() -> datetime:
    return datetime.now(UTC)


def open_channel(
    spec: str | None,
    *,
    home: Path,
    env: Mapping[str, str] | None = None,
    clock: Callable[[], datetime] = _now,
) -> Channel:
    """The channel `spec` names (None: the file channel under `home`)."""
    env = os.environ if env is None else env
    if not spec:
        spec = f"file:{home / 'sent'}"
    if spec.startswith("file:"):
        from faircollect.dispatch.channels.file import FileChannel

        target = spec[len("file:") :]
        if not target:
            raise ConfigError(
                "FAIRCOLLECT_CHANNEL: file: needs a directory", field="FAIRCOLLECT_CHANNEL"
            )
        return FileChannel(Path(target).expanduser(), clock=clock)
    if spec.startswith("smtp://"):
        from faircollect.dispatch.channels.journal import SentKeys
        from faircollect.dispatch.channels.smtp import SmtpChannel

        parts = urlsplit(spec)
        try:
            port = parts.port or 25
        except ValueError as exc:
            raise ConfigError(
                "FAIRCOLLECT_CHANNEL: bad SMTP port", field="FAIRCOLLECT_CHANNEL"
            ) from exc
        if not parts.hostname:
            raise ConfigError(
                "FAIRCOLLECT_CHANNEL: smtp:// needs a host", field="FAIRCOLLECT_CHANNEL"
            )
        return SmtpChannel(
            parts.hostname,
            port,
            sender=env.get("FAIRCOLLECT_SMTP_FROM") or DEFAULT_SENDER,
            journal=SentKeys(home / "dispatch" / "smtp-sent-keys.jsonl"),
            clock=clock,
        )
    if spec.startswith("webhook:"):
        from faircollect.dispatch.channels.webhook import WebhookChannel

        url = spec[len("webhook:") :]
        if not url.startswith(("http://", "https://")):
            raise ConfigError(
                "FAIRCOLLECT_CHANNEL: webhook: needs an http(s) URL", field="FAIRCOLLECT_CHANNEL"
            )
        secret = env.get("FAIRCOLLECT_WEBHOOK_SECRET")
        if not secret:
            raise ConfigError(
                "FAIRCOLLECT_WEBHOOK_SECRET must be set to sign webhook requests",
                field="FAIRCOLLECT_WEBHOOK_SECRET",
            )
        return WebhookChannel(url, Secret(secret), clock=clock)
    raise ConfigError(
        "FAIRCOLLECT_CHANNEL: expected file:DIR, smtp://host:port or webhook:URL",
        field="FAIRCOLLECT_CHANNEL",
    )


__all__ = ["Channel", "open_channel"]
