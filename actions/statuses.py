"""The one status table: which HTTP status each category of refusal answers with, for the JSON API
and the console's pages alike (api/errors.py documents the rule)."""

from __future__ import annotations

from domain.errors import (
    BadRequest,
    Conflict,
    DomainError,
    HeadersTooLarge,
    NotFound,
    NotPermitted,
    RuleViolation,
    TooLarge,
    Unauthenticated,
    Unavailable,
    UnsupportedMedia,
)

STATUS: dict[str, int] = {
    NotFound.category: 404,
    NotPermitted.category: 403,
    Conflict.category: 409,
    RuleViolation.category: 422,
    TooLarge.category: 413,
    HeadersTooLarge.category: 431,
    Unauthenticated.category: 401,
    BadRequest.category: 400,
    UnsupportedMedia.category: 415,
    Unavailable.category: 503,
}
BY_STATUS: dict[int, type[DomainError]] = {
    404: NotFound,
    403: NotPermitted,
    409: Conflict,
    422: RuleViolation,
    413: TooLarge,
    431: HeadersTooLarge,
    401: Unauthenticated,
    400: BadRequest,
    415: UnsupportedMedia,
    503: Unavailable,
}


def status_for(err: DomainError) -> int:
    return STATUS.get(err.category, 409)
