"""Recording activities whose writes can be held back, so that a read model lags its workflow.

While :attr:`HeldRecords.holding`, a selection's or talent appointment's ledger batch (entries and
read model together) is kept back and its activity completes at once; :meth:`HeldRecords.release`
writes what was kept, in order. That is the read model as it stands while a recording activity is
retried after a crash, or a worker is slow: behind the workflow, never ahead of it. An action that
answered from a read of the read model would then show the stage before its own action.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.selection_contracts import SelectionRecords
from activities.selections import SelectionActivities
from activities.talent_appointments import TalentAppointmentActivities
from activities.talent_contracts import TalentAppointmentRecords
from infra.settings import Settings
from store.ledger_writer import writer_for
from worker import talent_source


class HeldRecords:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        writer = writer_for(sessions)
        self._selection = SelectionActivities(sessions, writer)
        source = talent_source(settings, sessions)
        self._appointment = TalentAppointmentActivities(sessions, source, writer)
        self.holding = False
        self._kept: list[Callable[[], Awaitable[int]]] = []

    async def _write(self, write: Callable[[], Awaitable[int]]) -> int:
        if self.holding:
            self._kept.append(write)
            return 0
        return await write()

    async def release(self) -> None:
        self.holding = False
        while self._kept:
            await self._kept.pop(0)()

    @activity.defn(name="record_selection_batch")
    async def record_selection_batch(self, req: SelectionRecords) -> int:
        return await self._write(lambda: self._selection.record_selection_batch(req))

    @activity.defn(name="record_talent_appointment_batch")
    async def record_talent_appointment_batch(self, req: TalentAppointmentRecords) -> int:
        return await self._write(lambda: self._appointment.record_talent_appointment_batch(req))
