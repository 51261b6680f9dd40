"""The one error hierarchy of Meritflow: every refusal, from a rule to a stale view, is one of these.

DomainError                        a refusal, with a stable ``code``, a sentence, and the fields at fault
 ├── NotFound                      the thing does not exist, or the caller may not see it
 ├── NotPermitted                  the caller may see it, but their role or seat may not do this
 ├── Conflict                      the process is not in a state where this can happen now
 │    ├── WrongStage               ... it is at another stage
 │    ├── NotYourStep              ... another actor's turn, or the caller's view is stale
 │    ├── ProcessClosed            ... it has ended
 │    └── InProgress               ... the same request or decision is still being applied (retry)
 ├── RuleViolation                 the values sent break a rule of the rulebook
 ├── TooLarge                      the request is larger than a limit
 │    └── HeadersTooLarge          ... in its header fields
 ├── Unauthenticated               no credentials the service accepts
 ├── BadRequest                    malformed bytes or headers, before any rule
 ├── UnsupportedMedia              a body in a media type the endpoint does not read
 └── Unavailable                   a dependency is down: the same request will succeed later

Each class is one *category*; the API maps categories to HTTP statuses in one table
(``api/errors.py``), the console to a place on the page. Nothing here knows HTTP.

Errors cross the workflow boundary as ``ApplicationError(message, {"category", "fields", ...},
type=code)`` (:func:`to_transport` / :func:`from_transport`), so a validator's refusal reaches the
caller as the same class it was raised as.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar


class DomainError(Exception):
    code = "domain_error"
    category: ClassVar[str] = "domain_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        fields: Sequence[Mapping[str, str]] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        out = [dict(f) for f in fields or ()]
        if field is not None and not any(f.get("field") == field for f in out):
            out.insert(0, {"field": field, "message": message})
        self.fields: list[dict[str, str]] = out
        self.details = details


class NotFound(DomainError):
    code = "not_found"
    category = "not_found"


class NotPermitted(DomainError):
    code = "forbidden"
    category = "not_permitted"


class Conflict(DomainError):
    code = "conflict"
    category = "conflict"


class WrongStage(Conflict):
    code = "wrong_stage"


class NotYourStep(Conflict):
    code = "not_your_step"


class ProcessClosed(Conflict):
    code = "process_closed"


class InProgress(Conflict):
    """The same thing is still being applied; ``retry_after`` seconds is a good time to ask again."""

    code = "in_progress"

    def __init__(self, message: str, *, retry_after: int = 1, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class RuleViolation(DomainError):
    code = "rule_violation"
    category = "rule_violation"


class TooLarge(DomainError):
    code = "too_large"
    category = "too_large"


class HeadersTooLarge(TooLarge):
    """The request's header fields together are larger than the limit."""

    code = "headers_too_large"
    category = "headers_too_large"


class Unauthenticated(DomainError):
    """The request carries no credentials the service accepts."""

    code = "unauthenticated"
    category = "unauthenticated"


class BadRequest(DomainError):
    """The request itself is malformed (bytes, headers, media type) before any rule is reached."""

    code = "bad_request"
    category = "bad_request"


class UnsupportedMedia(DomainError):
    """The body is not in a media type the endpoint reads."""

    code = "unsupported_media_type"
    category = "unsupported_media"


class Unavailable(DomainError):
    """Not a refusal: a dependency is down and the same request will succeed later."""

    code = "unavailable"
    category = "unavailable"

    def __init__(self, message: str, *, retry_after: int = 5, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


# The class each category travels back as; the subclasses of Conflict share its category.
_BY_CATEGORY: dict[str, type[DomainError]] = {
    cls.category: cls
    for cls in (
        NotFound,
        NotPermitted,
        Conflict,
        RuleViolation,
        TooLarge,
        HeadersTooLarge,
        Unauthenticated,
        BadRequest,
        UnsupportedMedia,
        Unavailable,
    )
}


def to_transport(err: DomainError) -> tuple[str, str, dict[str, Any]]:
    """``(message, type, details)`` for an ``ApplicationError`` that :func:`from_transport` reads."""
    details: dict[str, Any] = {"category": err.category, **err.details}
    if err.fields:
        details["fields"] = err.fields
    return err.message, err.code, details


def from_transport(code: str, message: str, details: Any) -> DomainError:
    """The error a workflow refused with, rebuilt from its ``ApplicationError`` parts.

    An error without a category (raised by code that predates categories) is a conflict: the
    workflow refused it because of the state it was in.
    """
    data = details if isinstance(details, Mapping) else {}
    category = str(data.get("category", Conflict.category))
    cls = _BY_CATEGORY.get(category, Conflict)
    fields = data.get("fields")
    extra = {k: v for k, v in data.items() if k not in ("category", "fields")}
    return cls(message, code=code, fields=fields if isinstance(fields, list) else None, **extra)
