"""Domain errors.

DomainError
 ├── NotFound            the thing named does not exist (or is not visible to the caller)
 ├── RuleViolation       the request breaks a rule of the rulebook (period not allowed, ...)
 ├── WrongStage          the process is not at a stage where this is possible
 ├── NotYourStep         the caller may not act on this step
 └── ProcessClosed       the process has ended

Each carries a stable machine-readable ``code`` and a sentence for people. No HTTP here: the API maps
classes to status codes in one place.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class NotFound(DomainError):
    code = "not_found"


class RuleViolation(DomainError):
    code = "rule_violation"


class WrongStage(DomainError):
    code = "wrong_stage"


class NotYourStep(DomainError):
    code = "not_your_step"


class ProcessClosed(DomainError):
    code = "process_closed"
