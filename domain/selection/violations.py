"""A broken rule found while checking a whole configuration, before anything is raised.

Panel and scheme checks collect every problem so a committee can fix them in one go, then raise the
first one (its code names the rule) with the others listed in the message and in ``details``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.errors import RuleViolation


class Violation(BaseModel):
    """One broken rule: a stable code and a sentence carrying the numbers compared."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str


def raise_first(violations: list[Violation], field: str | None = None) -> None:
    """Raise the first violation as a ``RuleViolation`` naming ``field`` (the part of the request
    at fault); do nothing when the list is empty."""
    if not violations:
        return
    first, *others = violations
    message = first.message
    if others:
        message += " Also: " + " ".join(v.message for v in others)
    raise RuleViolation(
        message, code=first.code, field=field, violations=[v.model_dump() for v in violations]
    )
