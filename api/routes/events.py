"""Inbound CloudEvents from HR systems: ``POST /v1/events``.

One event per request, in structured mode (``application/cloudevents+json``, or
``application/json`` without ``ce-`` headers) or binary mode (``ce-`` headers, the data as a JSON
body); batch mode is refused 415 (``domain/cloudevents.py`` says why). The action is the event
type's (``actions/events.py``): a new event answers 202, a repeat of one already handled 200 with
``duplicate: true`` and the same process.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from actions.events import action_for, binary_event, one_event
from actions.schemas.events import EventAccepted, event_request_schema
from api.actions import act
from api.auth import PrincipalDep
from api.deps import AppContext, ContextDep
from api.errors import responses
from api.limits import check_json
from domain import cloudevents as ce
from domain.errors import UnsupportedMedia

router = APIRouter(prefix="/v1/events", tags=["events"])


async def _read_event(request: Request, ctx: AppContext) -> bytes:
    """The event as structured JSON, from whichever mode it was sent in."""
    content_type = request.headers.get("content-type", "")
    base = content_type.split(";", 1)[0].strip().lower()
    if base == ce.BATCH:
        raise UnsupportedMedia(
            "Batch mode is not accepted: send each event in its own request (structured or binary"
            " mode), so that each gets its own answer.",
            field="Content-Type",
        )
    if base != ce.STRUCTURED and ce.BINARY_MARKER in request.headers:
        raw = await request.body()
        # The edge checks JSON limits on bodies that say they are JSON; this one may not say so.
        check_json(
            raw,
            max_depth=ctx.settings.max_json_depth,
            max_elements=ctx.settings.max_json_elements,
        )
        return binary_event(request.headers.items(), content_type, raw)
    if base not in ce.CONTENT_TYPES:
        raise UnsupportedMedia(
            f"Send one event in CloudEvents structured mode as {' or '.join(ce.CONTENT_TYPES)},"
            f" or in binary mode with ce- headers (got '{content_type or 'none'}').",
            field="Content-Type",
        )
    return one_event(await request.body())


@router.post(
    "",
    status_code=202,
    response_model=EventAccepted,
    responses=responses(200, 401, 403, 404, 409, 413, 415, 422, 503),
    openapi_extra={"requestBody": event_request_schema()},
    summary="Receive one CloudEvent; the same (source, id) again starts nothing",
)
async def receive_event(
    request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> EventAccepted:
    raw = await _read_event(request, ctx)

    async def read() -> bytes:
        return raw

    done = await act(request, ctx, action_for(raw), principal, body=read)
    if done.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    response.status_code = 200 if done.replayed or done.result.duplicate else 202
    return done.result
