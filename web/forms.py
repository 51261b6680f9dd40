"""A console form is one attempt of one action, through the same pipeline as the JSON API.

The form carries a request id chosen when the page was drawn, so a double click or a resubmitted
form is the same request (the pipeline answers it once). A refusal comes back as the DomainError the
API would answer with; the view shows its sentence, in the person's language, beside the fields at
fault.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel

from actions.pipeline import Action, perform
from actions.requests import Request as ActionRequest
from actions.services import Services
from domain.errors import DomainError
from web.session import CSRF_FIELD, check_csrf, require_person

B = TypeVar("B", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)
REQUEST_FIELD = "request_id"


def services(request: Request) -> Services:
    ctx: Services = request.app.state.ctx
    return ctx


def new_request_id() -> str:
    return uuid.uuid4().hex


@dataclass
class FormState:
    """What a form shows: the values sent back, and the refusal with its fields."""

    values: dict[str, Any] = field(default_factory=dict)
    error: DomainError | None = None
    request_id: str = field(default_factory=new_request_id)
    # A refusal that names no field is shown beside this one (the field the person would fix).
    at: str | None = None
    # On a page with one form per row (an applicant, a member): the row the refusal belongs to.
    row: str | None = None

    def field_errors(self) -> dict[str, str]:
        if self.error is None:
            return {}
        found = {f["field"]: f["message"] for f in self.error.fields}
        if not found and self.at:
            found[self.at] = self.error.message
        return found


async def form_data(request: Request) -> dict[str, str]:
    form = await request.form()
    check_csrf(request, str(form.get(CSRF_FIELD) or ""))
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}


async def submit(
    request: Request,
    action: Action[B, R],
    body: Mapping[str, Any] | bytes,
    *,
    request_id: str,
    process_id: str | None = None,
) -> R:
    """Run ``action`` as the signed-in person; raises the refusal as a DomainError.

    ``body`` is a form's values, or the bytes of an uploaded file for an action that reads its
    own format (a CSV import)."""
    who = require_person(request)
    done = await perform(
        services(request),
        action,
        who.principal(),
        process_id=process_id,
        body=body if isinstance(body, bytes) else {k: v for k, v in body.items() if v is not None},
        request=ActionRequest(id=request_id[:64] or new_request_id(), supplied=True),
    )
    return done.result


def flash(request: Request, message: str) -> None:
    request.session["flash"] = message


def take_flash(request: Request) -> str | None:
    value = request.session.pop("flash", None)
    return str(value) if value else None
