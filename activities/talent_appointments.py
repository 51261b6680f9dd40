"""Side effects of a talent appointment: its ledger with the read model, the successor's check on
the day of appointment, and the read-model row of the open selection it falls back to."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.hr import EmployeeNotFound, TalentSource
from activities.ledger_items import append_items
from activities.talent_contracts import (
    PrepareSelection,
    RecordTalentAppointment,
    SuccessorCheck,
    SuccessorCheckRequest,
    TalentAppointmentRecords,
)
from domain.talent.filling import approval_checks
from domain.talent.rulebook import get_talent_rulebook
from domain.talent.succession import jpt_eligibility
from store import selections
from store.ledger_writer import LedgerWriter, writer_for
from store.talent import appointments
from store.talent import records as talent_records

log = structlog.get_logger(__name__)


class TalentAppointmentActivities:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        source: TalentSource,
        writer: LedgerWriter | None = None,
    ) -> None:
        self._sessions = sessions
        self._source = source
        self._writer = writer or writer_for(sessions)

    @activity.defn(name="record_talent_appointment_batch")
    async def record_talent_appointment_batch(self, req: TalentAppointmentRecords) -> int:
        return await append_items(self._writer, req.items, before=_view)

    @activity.defn(name="record_talent_appointment")
    async def record_talent_appointment(self, req: RecordTalentAppointment) -> int:
        return await append_items(self._writer, [req], before=_view)

    @activity.defn(name="talent_check_successor")
    async def check_successor(self, req: SuccessorCheckRequest) -> SuccessorCheck:
        """The successor's record from the HR source now, and the agency's approval now."""
        rb = get_talent_rulebook(req.rulebook_version)
        try:
            record = await self._source.talent_record(req.nip)
        except EmployeeNotFound as exc:
            raise ApplicationError(
                f"No talent record of NIP {req.nip} in the HR source.",
                type="employee_not_found",
                non_retryable=True,
            ) from exc
        result = jpt_eligibility(record, req.post_level, req.on, rb)
        async with self._sessions() as session:
            approval = await talent_records.current_approval(session, req.agency)
        checks = approval_checks(approval, req.on, rb)
        return SuccessorCheck(
            eligible=result.eligible,
            reasons=[r.model_dump() for r in result.reasons],
            approval_current=all(c.met for c in checks),
            approval_checks=[c.model_dump() for c in checks],
            source=type(self._source).__name__,
        )

    @activity.defn(name="talent_prepare_selection")
    async def prepare_selection(self, req: PrepareSelection) -> bool:
        """Insert the selection's row if absent (as every selection start does); True if new."""
        async with self._sessions() as session, session.begin():
            return await selections.insert_if_absent(
                session, req.process_id, req.identity, datetime.now(UTC)
            )


async def _view(session: AsyncSession, req: RecordTalentAppointment, now: datetime) -> None:
    await appointments.write_view(session, req.process_id, req.view, now)
