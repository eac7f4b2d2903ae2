"""The outbox: depth by state, messages' metadata (never their bodies or addresses), and
cancelling a message that is still pending."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from faircollect.api.auth import Principal
from faircollect.api.conventions import ConventionRoute
from faircollect.api.deps import principal, services
from faircollect.api.etags import check_if_match, etag_of
from faircollect.api.pages import PageRequest, encode_cursor, page_request
from faircollect.api.problems import RESPONSES, RESPONSES_404, RESPONSES_EDIT
from faircollect.api.reach import require_role
from faircollect.bootstrap import App
from faircollect.dispatch import outbox as box

router = APIRouter(prefix="/v1/outbox", tags=["outbox"], route_class=ConventionRoute)
READ_ROLES = ("supervisor", "compliance", "auditor", "admin")
CANCEL_ROLES = ("supervisor", "compliance", "admin")
MessageId = Annotated[str, Path(max_length=40)]


class CancelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="operator", min_length=1, max_length=64,
                        pattern=r"^[a-z0-9_]+$", description="A code, never free text.")


@router.get("", responses=RESPONSES)
def status(app: Annotated[App, Depends(services)],
           who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """How many messages are in each state (pending, sending, sent, ...)."""
    require_role(who, READ_ROLES)
    with app.store.read() as conn:
        counts = box.counts(conn)
    return {"counts": counts, "depth": counts.get("pending", 0) + counts.get("sending", 0)}


@router.get("/messages", responses=RESPONSES)
def messages(
    app: Annotated[App, Depends(services)],
    who: Annotated[Principal, Depends(principal)],
    page: Annotated[PageRequest, Depends(page_request)],
    state: Annotated[str | None, Query(max_length=16, pattern=r"^[a-z_]+$")] = None,
    borrower_id: Annotated[str | None, Query(max_length=64)] = None,
    channel: Annotated[str | None, Query(max_length=16, pattern=r"^[a-z_]+$")] = None,
) -> dict[str, Any]:
    """Messages' metadata in id order, filtered by state, borrower or channel."""
    require_role(who, READ_ROLES)
    after = str(page.after[0]) if page.after else None
    with app.store.read() as conn:
        found = box.list_messages(conn, limit=page.limit + 1, after=after, state=state,
                                  borrower_id=borrower_id, channel=channel)
    chunk = found[: page.limit]
    return {"messages": chunk, "next_cursor": encode_cursor([chunk[-1]["message_id"]])
            if len(found) > page.limit else None}


@router.get("/messages/{message_id}", responses=RESPONSES_404)
def show(message_id: MessageId, response: Response, app: Annotated[App, Depends(services)],
         who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """One message's metadata, with its ETag."""
    require_role(who, READ_ROLES)
    with app.store.read() as conn:
        view = box.message_view(conn, message_id)
    response.headers["ETag"] = etag_of(view)
    return view


@router.post("/messages/{message_id}/cancel", responses=RESPONSES_EDIT)
def cancel(message_id: MessageId, request: Request, response: Response,
           app: Annotated[App, Depends(services)],
           who: Annotated[Principal, Depends(principal)],
           body: CancelBody | None = None) -> dict[str, Any]:
    """Cancel a pending message (409 once it is being sent or was sent). If-Match, when
    sent, must be the message's current ETag."""
    require_role(who, CANCEL_ROLES)
    with app.store.transaction(f"api:{who.actor_id}") as uow:
        current = box.message_view(uow.conn, message_id)
        check_if_match(request, etag_of(current), required=False)
        view = box.cancel_message(uow, message_id, now=app.store.clock(),
                                  reason=body.reason if body else "operator")
    response.headers["ETag"] = etag_of(view)
    return view
