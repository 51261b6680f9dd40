"""The process an action is attempted on, as its read model shows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.processes import ProcessKind


@dataclass(frozen=True)
class Target:
    kind: ProcessKind
    process_id: str
    agency: str | None
    stage: str | None = None
    subject: str | None = None
    rulebook_version: str | None = None
    # The read-model row itself, for the action's own checks (seats, named people).
    row: Any = None
    # How a refusal names it to the caller, and the code of "not visible to you", where these are
    # not the process's kind and id (an administered object: a webhook subscription, an employee).
    label: str | None = None
    missing: str = "not_found"

    @property
    def name(self) -> str:
        return self.label or f"{self.kind.value.replace('_', ' ')} '{self.process_id}'"
