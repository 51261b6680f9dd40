"""A real worker with one or more activities swapped for test versions of the same name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from infra.settings import Settings
from infra.worker_shutdown import BoundedWorker
from worker import build_worker


def _name(fn: Callable[..., Any]) -> str:
    return str(fn.__temporal_activity_definition.name)  # type: ignore[attr-defined]


def worker_with(
    client: Client,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *replacements: Callable[..., Any],
) -> BoundedWorker:
    """``build_worker``'s worker, where each replacement takes the place of the activity that
    bears its name."""
    base = build_worker(client, sessions, settings, task_queue=f"{settings.task_queue}-base")
    by_name = {_name(r): r for r in replacements}
    activities = [by_name.get(_name(a), a) for a in base.config()["activities"]]
    missing = set(by_name) - {_name(a) for a in base.config()["activities"]}
    assert not missing, f"no activity named {missing} to replace"
    config: dict[str, Any] = {
        **base.config(),
        "activities": activities,
        "task_queue": settings.task_queue,
    }
    return BoundedWorker(**config)
