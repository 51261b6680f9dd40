"""One error shape everywhere: ``{"error": <code>, "detail": <sentence>, "fields": [...]?}``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from domain.errors import (
    DomainError,
    NotFound,
    NotYourStep,
    ProcessClosed,
    RuleViolation,
    WrongStage,
)

STATUS_BY_DOMAIN: list[tuple[type[DomainError], int]] = [
    (NotFound, 404),
    (RuleViolation, 422),
    (WrongStage, 409),
    (NotYourStep, 409),
    (ProcessClosed, 409),
]


class FieldError(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    error: str
    detail: str
    fields: list[FieldError] | None = None


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, detail: str, fields: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.fields = status, code, detail, fields


def status_for(err: DomainError) -> int:
    for cls, status in STATUS_BY_DOMAIN:
        if isinstance(err, cls):
            return status
    return 400


def from_domain(err: DomainError) -> ApiError:
    return ApiError(status_for(err), err.code, err.message)


def field_errors(errors: Any) -> list[dict[str, str]]:
    out = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ()) if p not in ("body",)]
        out.append({"field": ".".join(loc) or "body", "message": str(e.get("msg", "invalid"))})
    return out


def validation_error(errors: Any) -> ApiError:
    fields = field_errors(errors)
    names = ", ".join(f["field"] for f in fields[:5])
    return ApiError(422, "validation_error", f"The request is not valid: check {names}.", fields)


def render(err: ApiError) -> JSONResponse:
    body = ErrorBody(error=err.code, detail=err.detail, fields=None)
    content = body.model_dump(exclude_none=True)
    if err.fields:
        content["fields"] = err.fields
    return JSONResponse(content, status_code=err.status)


HTTP_CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


def install(app: FastAPI) -> None:
    async def on_api(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return render(exc)

    async def on_domain(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return render(from_domain(exc))

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return render(validation_error(exc.errors()))

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = HTTP_CODES.get(exc.status_code, "http_error")
        return render(ApiError(exc.status_code, code, str(exc.detail)))

    app.add_exception_handler(ApiError, on_api)
    app.add_exception_handler(DomainError, on_domain)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"model": ErrorBody} for s in statuses}


def update_refusal(err: WorkflowUpdateFailedError, status_by_code: dict[str, int]) -> ApiError:
    """A workflow update its validator or handler refused, as the caller should see it: the
    domain code travels as the ApplicationError's type; a rule broken is 422, the rest 409."""
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.type:
        return ApiError(status_by_code.get(cause.type, 409), cause.type, cause.message)
    return ApiError(409, "update_refused", str(err))
