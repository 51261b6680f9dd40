"""Training rulebooks: minutes instead of days, for demonstrations, training and tests only.

A rulebook whose version is marked ``training`` keeps every rule of its legal model but counts its
durations in minutes, so a whole process can be walked through in one sitting. It must never decide
a real case: it is refused wherever ``MERITFLOW_ENV`` is not one of :data:`TRAINING_ENVS`.
"""

from __future__ import annotations

from typing import Protocol

from domain.errors import RuleViolation

TRAINING_ENVS = frozenset({"development", "test", "training"})


class Versioned(Protocol):
    """Any rulebook (promotion, selection): its version, and whether it is a training one."""

    @property
    def version(self) -> str: ...

    @property
    def training(self) -> bool: ...


def training_allowed(env: str) -> bool:
    return env in TRAINING_ENVS


def require_training_allowed(env: str, version: str) -> None:
    """Refuse a training rulebook outside development, test and training."""
    if training_allowed(env):
        return
    raise RuleViolation(
        f"The rulebook {version!r} is a training rulebook (durations in minutes); it can be used "
        f"only where MERITFLOW_ENV is one of {', '.join(sorted(TRAINING_ENVS))}, not {env!r}.",
        code="training_rulebook_not_allowed",
        field="rulebook_version",
    )


def require_usable(rulebook: Versioned, env: str) -> None:
    """Refuse ``rulebook`` where it may not decide anything: a training one outside TRAINING_ENVS."""
    if rulebook.training:
        require_training_allowed(env, rulebook.version)
