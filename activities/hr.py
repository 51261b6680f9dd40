"""The HR source: where employee records, and the inputs of a talent review, come from.

Behind the ``HrSource`` and ``TalentSource`` protocols so that an HTTP adapter for SIASN can replace
Meritflow's own tables without touching the workflows. A talent source answers an agency's records
with the rows it could not map beside them (:class:`TalentBatch`): one bad row is named and left
out, it never fails the whole population.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contracts import SnapshotRequest
from domain.employee import EmployeeRecord
from domain.talent.records import TalentRecord
from store import repositories
from store.talent import records as talent_records


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


class TalentBatch(BaseModel):
    """The records of some agencies, and each row that could not be read (``row``: its position in
    the source's answer, ``nip`` when known, ``column`` and ``message``)."""

    records: list[TalentRecord] = Field(default_factory=list)
    errors: list[dict[str, Any]] = Field(default_factory=list)


class TalentSource(Protocol):
    async def talent_records(self, agencies: Sequence[str]) -> TalentBatch: ...

    async def talent_record(self, nip: str) -> TalentRecord: ...


class TableTalentSource:
    """Meritflow's own table of talent inputs, filled through the API (JSON or CSV)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def talent_records(self, agencies: Sequence[str]) -> TalentBatch:
        async with self._sessions() as session:
            stored = await talent_records.profiles_of(session, agencies)
        batch = TalentBatch()
        for i, data in enumerate(stored):
            try:
                batch.records.append(TalentRecord.model_validate(data))
            except ValidationError as err:
                nip = data.get("nip") if isinstance(data, dict) else None
                batch.errors.append(
                    {"row": i, "nip": nip, "column": "record", "message": str(err)[:300]}
                )
        return batch

    async def talent_record(self, nip: str) -> TalentRecord:
        async with self._sessions() as session:
            found = await talent_records.get_profile(session, nip)
        if found is None:
            raise EmployeeNotFound(nip)
        return found


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
