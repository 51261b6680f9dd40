"""The JSON API's adapter over the action pipeline: an HTTP request in, the action's result out."""

from __future__ import annotations

import hashlib
import re
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel

from actions.pipeline import Action, BodySource, Done, perform
from actions.requests import IDEMPOTENCY_KEY
from actions.requests import Request as ActionRequest
from api.deps import AppContext
from domain.errors import RuleViolation
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


async def act(
    http: Request,
    ctx: AppContext,
    action: Action[B, R],
    principal: Principal,
    process_id: str | None = None,
    body: BodySource | None = None,
) -> Done[R]:
    """Run ``action``; ``body`` replaces the raw request body where the adapter reads it itself
    (a CSV upload, an event whose media type it checks)."""
    return await perform(
        ctx,
        action,
        principal,
        process_id=process_id,
        body=http.body if body is None else body,
        request=request_of(http, principal),
    )


def body_schema(model: type[BaseModel]) -> dict[str, object]:
    """The request body an action reads itself (so that even a refused body is recorded), for the
    OpenAPI document."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }
