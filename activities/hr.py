"""The HR source: where employee records come from.

Behind the ``HrSource`` protocol so that an HTTP adapter for SIASN can replace Meritflow's own
employee table without touching the workflows.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contracts import SnapshotRequest
from domain.employee import EmployeeRecord
from store import repositories


class EmployeeNotFound(Exception):
    pass


class HrSource(Protocol):
    async def employee(self, nip: str) -> EmployeeRecord: ...


class TableHrSource:
    """Meritflow's own employee table, filled through the API (one by one or by CSV)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def employee(self, nip: str) -> EmployeeRecord:
        async with self._sessions() as session:
            row = await repositories.get_employee(session, nip)
        if row is None:
            raise EmployeeNotFound(nip)
        return EmployeeRecord.model_validate(row.record)


class HrActivities:
    def __init__(self, source: HrSource) -> None:
        self._source = source

    @activity.defn(name="snapshot_employee")
    async def snapshot_employee(self, req: SnapshotRequest) -> EmployeeRecord:
        try:
            return await self._source.employee(req.nip)
        except EmployeeNotFound as exc:
            raise ApplicationError(
                f"No employee with NIP {req.nip} in the HR source.",
                type="employee_not_found",
                non_retryable=True,
            ) from exc
