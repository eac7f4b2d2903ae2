"""One error hierarchy for FairCollect.

Errors carry structured fields (file, line, column, field, rule ids, tokens) and a message
written for a person. They never carry personal data: callers pass tokens or masked values.
Each face maps them to exit codes or HTTP statuses in exactly one place.
"""

from __future__ import annotations

from typing import Any


class FairCollectError(Exception):
    """Base of every error FairCollect raises on purpose."""

    exit_code: int = 1
    http_status: int = 500
    code: str = "error"

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = {k: v for k, v in fields.items() if v is not None}

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.fields}


class InputError(FairCollectError):
    """The caller's input is wrong: exit 2, HTTP 400/422. Nothing was changed."""

    exit_code = 2
    http_status = 422
    code = "bad_input"


class RowError(InputError):
    """A row of an input file is wrong; names the file, line (header is line 1) and column."""

    code = "bad_row"

    def __init__(
        self, reason: str, *, file: str, line: int, column: str | None = None, **fields: Any
    ) -> None:
        where = f"{file}:{line}" + (f" column {column}" if column else "")
        super().__init__(f"{where}: {reason}", file=file, line=line, column=column, **fields)
        self.reason = reason


class NotFound(InputError):
    """A named record does not exist."""

    http_status = 404
    code = "not_found"


class Conflict(InputError):
    """The request contradicts the current state (e.g. withdrawing a withdrawn consent)."""

    http_status = 409
    code = "conflict"


class PayloadTooLarge(InputError):
    """A request body is larger than the face accepts (HTTP 413); nothing was parsed."""

    http_status = 413
    code = "too_large"


class ConfigError(InputError):
    """Settings or a data file (pack, playbook, catalogue) is missing or broken."""

    code = "bad_config"


class AccessDenied(FairCollectError):
    """The actor's role or stated purpose does not allow this."""

    exit_code = 1
    http_status = 403
    code = "access_denied"


class IntegrityError(FairCollectError):
    """Stored data failed a check: tampered audit log, bad signature, unreadable ciphertext."""

    exit_code = 1
    http_status = 500
    code = "integrity"


class KeyUnavailable(FairCollectError):
    """A key is missing, destroyed (crypto-shredded) or its keyring is unsafe."""

    exit_code = 1
    http_status = 500
    code = "key"


class StoreUnavailable(FairCollectError):
    """The configured database cannot be used: a bad URL or driver, a server that refuses,
    a missing database or role, an SQLite file that cannot be opened.

    Exit 1 (the input is fine; the environment is not), HTTP 503. The message names the
    host, port, database and role and says how to fix it; it never carries a password.
    """

    exit_code = 1
    http_status = 503
    code = "store_unavailable"


class PreconditionFailed(Conflict):
    """An edit's `If-Match` names a version that is no longer current (HTTP 412)."""

    http_status = 412
    code = "precondition_failed"


class PreconditionRequired(InputError):
    """An edit that must name the version it changes came without `If-Match` (HTTP 428)."""

    http_status = 428
    code = "precondition_required"


class RateLimited(FairCollectError):
    """A caller sent more requests than its limit allows (HTTP 429, with Retry-After)."""

    exit_code = 1
    http_status = 429
    code = "rate_limited"
