"""The JSON API's adapter over the action pipeline: an HTTP request in, the action's result out."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TypeVar

from fastapi import Request, Response
from pydantic import BaseModel

from actions.pipeline import Action, Done, perform
from actions.requests import IDEMPOTENCY_KEY
from actions.requests import Request as ActionRequest
from api.deps import AppContext
from api.limits import is_json
from domain.errors import RuleViolation, UnsupportedMedia
from domain.ledger import canonical_json
from infra.tokens import Principal

B = TypeVar("B", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def request_of(http: Request, principal: Principal) -> ActionRequest:
    """The request's name: an ``Idempotency-Key`` (the caller's, kept per caller), else the
    ``X-Request-Id`` the client chose, else the one the middleware made up (never sent again)."""
    key = http.headers.get(IDEMPOTENCY_KEY)
    if key is not None:
        if not _VALID_KEY.match(key):
            raise RuleViolation(
                f"The {IDEMPOTENCY_KEY} header must be 1-255 visible ASCII characters.",
                code="validation_error",
                field=IDEMPOTENCY_KEY,
            )
        scoped = hashlib.sha256(f"{principal.sub}\x00{key}".encode()).hexdigest()
        return ActionRequest(id=f"key:{scoped[:56]}", supplied=True, header=IDEMPOTENCY_KEY)
    supplied = bool(getattr(http.state, "request_id_supplied", False))
    return ActionRequest(id=http.state.request_id, supplied=supplied)


def json_body(http: Request) -> Callable[[], Awaitable[bytes]]:
    """The body as a JSON action reads it: refused (and so recorded) if sent as anything else."""

    async def read() -> bytes:
        body = await http.body()
        if body and not is_json(http.headers.get("content-type")):
            raise UnsupportedMedia(
                "Send this request's body as JSON (Content-Type: application/json).",
                field="Content-Type",
            )
        return body

    return read


async def act(
    http: Request,
    ctx: AppContext,
    action: Action[B, R],
    principal: Principal,
    process_id: str | None = None,
    *,
    body: Callable[[], Awaitable[bytes]] | None = None,
    path: Mapping[str, str] | None = None,
) -> Done[R]:
    """Run ``action``; ``path`` names what the URL adds to a JSON body (an applicant, a component),
    so that it is part of the action's body and of the request's fingerprint."""
    read = body or json_body(http)
    return await perform(
        ctx,
        action,
        principal,
        process_id=process_id,
        body=_with_path(read, path) if path else read,
        request=request_of(http, principal),
    )


ANSWERED = (
    "The answer is the process as the workflow left it after this action, from the workflow "
    "update's result: its new stage and `pending`, the step it waits for next (who acts, on what, "
    "by when), so a client never reads again to learn what its own action did. A replayed request "
    "(the same `Idempotency-Key`) gets that same answer again, with `Idempotent-Replayed: true`."
)


def answered(done: Done[R], response: Response) -> R:
    """The action's result; a replayed request's stored answer says so (``Idempotent-Replayed``)."""
    if done.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return done.result


def _with_path(
    read: Callable[[], Awaitable[bytes]], path: Mapping[str, str]
) -> Callable[[], Awaitable[bytes]]:
    async def merged() -> bytes:
        raw = await read()
        try:
            data = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return raw  # refused as it is, when it is parsed
        if not isinstance(data, dict):
            return raw
        return canonical_json({**data, **path})

    return merged


def csv_body_schema(columns: Iterable[str], rule: str) -> dict[str, object]:
    """The request body of a CSV upload, for the OpenAPI document: required (an empty body is
    refused 422), its header line named; OpenAPI has no schema for a CSV's rows."""
    header = ",".join(columns)
    return {
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string", "description": f"{rule}: {header}"}}
            },
        }
    }


def body_schema(model: type[BaseModel]) -> dict[str, object]:
    """The request body an action reads itself (so that even a refused body is recorded), for the
    OpenAPI document."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }
