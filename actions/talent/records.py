"""An agency's talent records: the HR inputs (CSV or one JSON record), the oversight body's approval,
critical posts (marking one computes its succession plan at once).

No process: the target is the ledger chain ``talent-records-<agency>``, where each accepted change
and each refused attempt is appended. A CSV file is all rows or none; every bad row is named by its
line and column in the refusal (422).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from actions.employees import EmployeeCsv
from actions.pipeline import Action, Attempt
from actions.schemas.talent import CriticalPostIn, CriticalPostRead, TalentImported
from actions.services import Services
from actions.talent.common import sees_agency, stamp
from actions.targets import Target
from domain.calendar import WIB
from domain.errors import NotFound, RuleViolation
from domain.processes import ProcessKind, agency_chain_id
from domain.talent.explanation import digest
from domain.talent.filling import Approval
from domain.talent.records import REQUIRED_COLUMNS, RowError, TalentRecord, record_from_row
from domain.talent.rulebook import DEFAULT_TALENT_RULEBOOK, get_talent_rulebook
from domain.talent.succession import CriticalPost
from infra.tokens import Principal
from store import stamped
from store.talent import records
from store.talent.succession import refresh_post

KIND = ProcessKind.TALENT_RECORDS
# Past this many bad rows a refusal names the first ones only; its count is always in full.
NAMED = 200


def records_of(agency: str | None, **kw: Any) -> Target:
    label = f"talent records of {agency or 'all agencies'}"
    return Target(KIND, agency_chain_id(KIND, agency), agency, label=label, **kw)


def _visible(principal: Principal, target: Target) -> bool:
    return sees_agency(principal, target.agency)


async def _append(
    session: AsyncSession, a: Attempt[Any], kind: str, payload: dict[str, Any], subject: str | None
) -> None:
    await stamped.append(
        session,
        stamp(a),
        process_id=a.target.process_id,
        process_kind=KIND,
        kind=kind,
        agency=a.target.agency,
        stage=None,
        subject=subject,
        payload=payload,
    )


# ---- HR inputs ------------------------------------------------------------------------------------


async def _locate_mine(services: Services, principal: Principal, body: Any) -> Target:  # noqa: ARG001
    return records_of(principal.agency)


def parse_rows(a: Attempt[EmployeeCsv]) -> list[TalentRecord]:
    body = a.body
    missing = [c for c in REQUIRED_COLUMNS if c not in body.columns]
    if missing:
        raise RuleViolation(
            f"The CSV lacks the columns: {', '.join(missing)}.",
            code="csv_columns_missing",
            fields=[{"field": "columns", "message": f"missing: {', '.join(missing)}"}],
        )
    found, faults = [], []
    for line, row in enumerate(body.rows, start=2):
        try:
            record = record_from_row(row)
        except RowError as err:
            faults.append({"field": f"line {line}, {err.column}", "message": err.message})
            continue
        if not sees_agency(a.principal, record.agency):
            message = f"agency {record.agency}: you may only write talent records of your agency"
            faults.append({"field": f"line {line}, agency", "message": message})
            continue
        found.append(record)
    if faults:
        raise RuleViolation(
            f"{len(faults)} CSV row(s) are not valid; nothing was imported.",
            code="csv_invalid",
            fields=faults[:NAMED],
            invalid_rows=len(faults),
        )
    if not found:
        raise RuleViolation("The CSV has no rows.", code="csv_empty", field="rows")
    return found


async def _store(a: Attempt[Any], found: list[TalentRecord]) -> TalentImported:
    now = datetime.now(UTC)
    payload = {
        "imported": len(found),
        "digest": digest([{"nip": r.nip, "record": r.model_dump(mode="json")} for r in found]),
    }

    async def unit(session: AsyncSession) -> None:
        await records.upsert_profiles(session, found, now)
        await _append(session, a, "talent_records.imported", payload, None)

    await a.services.writer.run(unit)
    return TalentImported(imported=len(found))


async def _import(a: Attempt[EmployeeCsv]) -> TalentImported:
    return await _store(a, parse_rows(a))


IMPORT = Action(
    name="talent_records.import",
    kind=KIND,
    refused="talent_records.import_refused",
    body=EmployeeCsv,
    result=TalentImported,
    locate=_locate_mine,
    execute=_import,
    summary="Import performance and potential inputs from CSV; all rows or none, every bad row "
    "named by line and column",
)


async def _locate_record(_: Services, principal: Principal, body: TalentRecord) -> Target:
    if not sees_agency(principal, body.agency):
        raise NotFound(f"No agency '{body.agency}' is visible to you.", field="agency")
    return records_of(body.agency, subject=body.nip)


async def _upsert(a: Attempt[TalentRecord]) -> TalentImported:
    return await _store(a, [a.body])


UPSERT = Action(
    name="talent_records.upsert",
    kind=KIND,
    refused="talent_records.write_refused",
    body=TalentRecord,
    result=TalentImported,
    locate=_locate_record,
    execute=_upsert,
    subject=lambda b: b.nip,
    summary="Create or replace one employee's talent inputs",
)


# ---- the approval ---------------------------------------------------------------------------------


async def _locate_approval(_: Services, principal: Principal, body: Approval) -> Target:  # noqa: ARG001
    return records_of(body.agency)


async def _approve(a: Attempt[Approval]) -> Approval:
    payload = a.body.model_dump(mode="json")

    async def unit(session: AsyncSession) -> None:
        await records.record_approval(session, a.body, a.actor.id, a.now)
        await _append(session, a, "talent_records.approval_recorded", payload, None)

    await a.services.writer.run(unit)
    return a.body


RECORD_APPROVAL = Action(
    name="talent_records.record_approval",
    kind=KIND,
    refused="talent_records.approval_refused",
    body=Approval,
    result=Approval,
    locate=_locate_approval,
    visible=_visible,
    execute=_approve,
    summary="Record an agency's merit index and the oversight body's talent-management approval",
)


# ---- critical posts -------------------------------------------------------------------------------


async def _locate_post(_: Services, principal: Principal, body: CriticalPostIn) -> Target:
    agency = body.agency or principal.agency
    if agency is None:
        raise RuleViolation("Name the agency.", code="agency_required", field="agency")
    return records_of(agency, subject=body.post_id)


async def _mark(a: Attempt[CriticalPostIn]) -> CriticalPostRead:
    b, agency = a.body, str(a.target.agency)
    post = CriticalPost(
        agency=agency,
        post_id=b.post_id,
        title=b.title,
        post_level=b.post_level,
        job_family=b.job_family,
    )
    rb = get_talent_rulebook(DEFAULT_TALENT_RULEBOOK)
    cause = f"post:{a.fingerprint[:16]}"

    async def unit(session: AsyncSession) -> bool:
        await records.mark_post(session, post, critical=b.critical, by=a.actor.id, now=a.now)
        await _append(
            session, a, "talent_records.post_marked", b.model_dump(mode="json"), b.post_id
        )
        if not b.critical:
            return False
        pool = await records.pool_of(session, agency)
        on = a.now.astimezone(WIB).date()
        return await refresh_post(
            session, post, pool, rb, on=on, cause=cause, actor=a.actor, now=a.now
        )

    changed = await a.services.writer.run(unit)
    async with a.services.sessions() as session:
        plan = await records.plan_of(session, agency, b.post_id)
    return CriticalPostRead(**post.model_dump(), successors=plan, changed=changed)


MARK_POST = Action(
    name="talent_records.mark_post",
    kind=KIND,
    refused="talent_records.post_refused",
    body=CriticalPostIn,
    result=CriticalPostRead,
    locate=_locate_post,
    visible=_visible,
    execute=_mark,
    subject=lambda b: b.post_id,
    summary="Mark a JPT post critical (or not); its succession plan is computed from the pool",
)
