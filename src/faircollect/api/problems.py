"""RFC 9457 problem details: every error the API returns, mapped here and nowhere else.

A FairCollect error keeps its structured fields (field, file, line...) as extension members
beside `type`, `title`, `status`, `detail` and `instance`; validation problems add `errors`,
one entry per field. A 401 always carries `WWW-Authenticate: Bearer`.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from faircollect.errors import FairCollectError

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://faircollect.invalid/problems/"


class FieldProblem(BaseModel):
    """One invalid field of a request."""

    field: str = Field(description="Dotted path of the field, e.g. body.notice_text.")
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem detail (application/problem+json)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str = Field(description="FairCollect's machine-readable error code.")
    errors: list[FieldProblem] | None = None
    request_id: str | None = Field(
        default=None, description="The request's id, as in its X-Request-ID and the log.")


def responses_for(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        s: {
            "model": Problem,
            "description": HTTPStatus(s).phrase,
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for s in statuses
    }


_responses = responses_for


# The error statuses every authenticated route may answer, for `responses=` on each route.
COMMON = (400, 401, 403, 413, 422)
RESPONSES = _responses(*COMMON)
RESPONSES_404 = _responses(*COMMON, 404)
RESPONSES_404_409 = _responses(*COMMON, 404, 409)
RESPONSES_503 = _responses(503)
# Edits that check If-Match: 412 when it names an old version, 428 when it is required.
RESPONSES_EDIT = _responses(*COMMON, 404, 409, 412, 428)


def problem(
    request: Request,
    status: int,
    detail: str,
    *,
    code: str,
    extra: dict[str, Any] | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response for `request`."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
    }
    for key, value in (extra or {}).items():
        body.setdefault(key, value)
    if errors is not None:
        body["errors"] = errors
    request_id = request.scope.get("faircollect.request_id")
    if request_id:
        body.setdefault("request_id", request_id)
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="faircollect"'}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


async def _on_faircollect(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, FairCollectError):  # registered for this type only
        raise exc
    fields = {k: v for k, v in exc.fields.items() if isinstance(v, str | int | float | bool)}
    errors = None
    if exc.http_status == 422 and "field" in fields:
        errors = [{"field": str(fields["field"]), "message": exc.message}]
    headers = None
    retry_after = exc.fields.get("retry_after")
    if exc.http_status == 429 and isinstance(retry_after, int):
        headers = {"Retry-After": str(retry_after)}
    return problem(request, exc.http_status, exc.message, code=exc.code, extra=fields,
                   errors=errors, headers=headers)


_UNION_TAG = re.compile(r"^[A-Z]\w*$|\[")


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    # Drop the union member tags pydantic adds ("PaymentBody", "list[PaymentBody]").
    return ".".join(str(p) for p in loc if not (isinstance(p, str) and _UNION_TAG.search(p)))


def _field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    errors = [{"field": _loc(e.get("loc", ())), "message": str(e.get("msg", ""))}
              for e in exc.errors()]
    # A body that is one object or a list: keep the errors of the branch that was meant.
    specific = [e for e in errors if e["field"] not in ("body", "")]
    return specific or errors


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):
        raise exc
    errors = _field_errors(exc)
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
    return problem(request, 422, detail, code="bad_input", errors=errors,
                   extra={"field": errors[0]["field"]} if errors else None)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
        exc.status_code, "http_error")
    return problem(request, exc.status_code, str(exc.detail), code=code,
                   headers=dict(exc.headers or {}))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Never echo the exception: it may hold personal data.
    return problem(request, 500, "an unexpected error occurred", code="internal")


def install(app: FastAPI) -> None:
    """Register the one set of exception handlers on `app`."""
    app.add_exception_handler(FairCollectError, _on_faircollect)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unexpected)
