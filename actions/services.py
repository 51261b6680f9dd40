"""What an action needs from the outside world, given once per process (API, console, tests)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from infra.settings import Settings
from store.group_commit import GroupCommit


@dataclass
class Services:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    client: Client
    writer: GroupCommit = field(init=False)
    # The newest ledger entry this process wrote for each process, by process id (actions/handed).
    written: dict[str, str] = field(default_factory=dict, init=False)
    # Tasks that tell a run, a little later, what this process wrote for it (actions/handed).
    later: set[asyncio.Task[None]] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        self.writer = GroupCommit(self.sessions)

    async def close(self) -> None:
        """Stop what runs in the background (runs not told yet catch up on their own)."""
        for task in list(self.later):
            task.cancel()
        await asyncio.gather(*list(self.later), return_exceptions=True)
