"""One error shape everywhere, from one table: ``{"error": <code>, "detail": <sentence>, "fields"?}``.

Every refusal is a :class:`domain.errors.DomainError`; its class (category) decides the status:

| category                    | status | when                                                          |
|-----------------------------|--------|---------------------------------------------------------------|
| NotFound                    | 404    | it does not exist, or the caller may not see it               |
| NotPermitted                | 403    | the caller sees it, but their role or seat may not do this    |
| Conflict (stage, turn, ...) | 409    | not now: wrong stage, another's turn, closed, still running   |
| RuleViolation               | 422    | the values sent break a rule (``fields`` names each one)      |
| TooLarge                    | 413    | over a size limit                                             |
| Unauthenticated             | 401    | no acceptable credentials (with ``WWW-Authenticate``)         |
| BadRequest                  | 400    | malformed bytes or headers                                    |
| UnsupportedMedia            | 415    | a body in a media type the endpoint does not read             |
| Unavailable                 | 503    | a dependency is down; retry (with ``Retry-After``)            |

``InProgress`` (a 409) also carries ``Retry-After``. A method the path does not serve is 405 with
``Allow`` naming every method it does serve (:func:`allowed_methods`). The OpenAPI document declares
all of these on every operation that can answer them (``api/openapi.py``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from actions.statuses import BY_STATUS, status_for
from api import outages
from domain.errors import (
    Conflict,
    DomainError,
    InProgress,
    RuleViolation,
    Unauthenticated,
    Unavailable,
)

__all__ = ["ApiError", "ErrorBody", "render", "responses", "status_for", "validation_error"]


class FieldError(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    error: str
    detail: str
    fields: list[FieldError] | None = None


def ApiError(  # noqa: N802 - reads like the exception it builds
    status: int, code: str, detail: str, fields: list[dict[str, str]] | None = None
) -> DomainError:
    """The refusal of a read endpoint, by the status it must answer with."""
    return BY_STATUS.get(status, Conflict)(detail, code=code, fields=fields)


def render(err: DomainError) -> JSONResponse:
    content: dict[str, Any] = {"error": err.code, "detail": err.message}
    if err.fields:
        content["fields"] = err.fields
    headers: dict[str, str] = {}
    if isinstance(err, InProgress | Unavailable):
        headers["Retry-After"] = str(err.retry_after)
    if isinstance(err, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="meritflow"'
    return JSONResponse(content, status_code=status_for(err), headers=headers)


def field_errors(errors: Any) -> list[dict[str, str]]:
    out = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ()) if p not in ("body",)]
        out.append({"field": ".".join(loc) or "body", "message": str(e.get("msg", "invalid"))})
    return out


def validation_error(errors: Any) -> RuleViolation:
    fields = field_errors(errors)
    names = ", ".join(f["field"] for f in fields[:5])
    return RuleViolation(
        f"The request is not valid: check {names}.", code="validation_error", fields=fields
    )


HTTP_CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


def install(app: FastAPI) -> None:
    async def on_domain(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return render(exc)

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return render(validation_error(exc.errors()))

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if isinstance(exc.__cause__, DomainError):
            # FastAPI wraps what reading the body raised ("error parsing the body"): the body
            # limits' own refusal is the answer.
            return render(exc.__cause__)
        code = HTTP_CODES.get(exc.status_code, "http_error")
        headers = dict(exc.headers or {})
        detail = str(exc.detail)
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
            detail = f"{request.method} is not allowed here; allowed: {headers['Allow']}."
        body = {"error": code, "detail": detail}
        return JSONResponse(body, status_code=exc.status_code, headers=headers)

    app.add_exception_handler(DomainError, on_domain)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    outages.install(app, render)  # a database or Temporal outage: 503 + Retry-After, not 500


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette's own ``Allow`` names only the
    first route that matched the path, so GET and POST on one path would each hide the other)."""
    methods: set[str] = set()
    for context in iter_route_contexts(request.app.router.routes):
        match, _ = context.route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE:
            methods |= set(context.methods or ())
    return sorted(methods)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"model": ErrorBody} for s in statuses}
