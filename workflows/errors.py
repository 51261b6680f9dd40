"""A domain refusal as a workflow raises it: an ``ApplicationError`` that keeps the category."""

from __future__ import annotations

from collections.abc import Callable

from temporalio.exceptions import ApplicationError

from domain.errors import DomainError, to_transport


def refused(err: DomainError) -> ApplicationError:
    message, code, details = to_transport(err)
    return ApplicationError(message, details, type=code, non_retryable=True)


def check(fn: Callable[[], None]) -> None:
    """Run a domain check; its refusal leaves as an update refusal."""
    try:
        fn()
    except DomainError as err:
        raise refused(err) from err
