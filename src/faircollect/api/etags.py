"""ETag and If-Match: a resource's version is a digest of its representation.

GET answers `ETag`; an edit checks `If-Match` against the resource as it is now: a
mismatch is 412 (someone changed it since it was read); where a route requires it, a
missing `If-Match` is 428. `If-Match: *` matches any current version.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Request

from faircollect.errors import PreconditionFailed, PreconditionRequired


def etag_of(representation: Any) -> str:
    """A strong ETag for a JSON-able representation."""
    canonical = json.dumps(representation, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def check_if_match(request: Request, current: str, *, required: bool) -> None:
    """PreconditionFailed unless If-Match names `current` (or is *); PreconditionRequired
    when it is missing and `required`."""
    header = request.headers.get("if-match")
    if header is None:
        if required:
            raise PreconditionRequired(
                "this edit needs If-Match with the ETag from reading the resource",
                field="header.If-Match")
        return
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    if "*" in tags or current in tags:
        return
    raise PreconditionFailed("the resource changed since it was read (If-Match does not name "
                             "its current ETag); read it again", field="header.If-Match")
