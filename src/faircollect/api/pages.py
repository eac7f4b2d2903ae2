"""Cursor pagination for list routes: `?limit=` (1-500, default 50) and `?cursor=`.

A page answers its items and `next_cursor` (null on the last page); the cursor is opaque
(base64url JSON of the last item's sort key), so clients pass it back unchanged. A cursor
that does not decode is 422 naming `query.cursor`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from faircollect.errors import InputError

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class PageInfo(BaseModel):
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null "
                                                "on the last one.")


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int
    after: list[Any] | None  # the last sort key of the previous page


def encode_cursor(key: Sequence[Any]) -> str:
    raw = json.dumps(list(key), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        value = None
    if not isinstance(value, list):
        raise InputError("the cursor is not one this API issued; pass next_cursor unchanged",
                         field="query.cursor")
    return value


def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
    = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=512, pattern=r"^[A-Za-z0-9_-]+$",
                                        description="next_cursor of the previous page.")]
    = None,
) -> PageRequest:
    """The dependency list routes take for ?limit= and ?cursor=."""
    return PageRequest(limit, decode_cursor(cursor) if cursor else None)


def paginate(items: Sequence[T], page: PageRequest,
             key: Callable[[T], Sequence[Any]]) -> tuple[list[T], str | None]:
    """One page of `items` (sorted here by `key`, whose values compare as JSON would)."""
    ordered = sorted(items, key=lambda i: [str(v) for v in key(i)])
    if page.after is not None:
        after = [str(v) for v in page.after]
        ordered = [i for i in ordered if [str(v) for v in key(i)] > after]
    chunk = ordered[: page.limit]
    more = len(ordered) > page.limit
    return chunk, (encode_cursor(key(chunk[-1])) if more and chunk else None)
