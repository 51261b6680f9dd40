"""Employees: Meritflow's own HR source, written one by one or by CSV, and told of changes.

No process: the target is the ledger chain of an agency's employee records
(``domain.processes.agency_chain_id``), where refused attempts are recorded with the NIP as their
subject. A record names its agency, so writing one for an agency the caller cannot see is 404 like
any other object out of sight; a CSV file is one action on the caller's records, and every line
naming another agency is refused with the file (422, by line), as are invalid lines.

``id.go.bkn.employee.changed.v1`` tells the employee's running promotions (a signal each).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import structlog
from pydantic import BaseModel, Field, ValidationError
from temporalio.service import RPCError

from actions.inbound import Inbound, Plan, event_action, event_target, parse_data
from actions.pipeline import Action, Attempt, can_see_agency
from actions.schemas.employees import EmployeeRead, ImportResult
from actions.schemas.events import EmployeeChangedData
from actions.services import Services
from actions.targets import Target
from domain import cloudevents as ce
from domain.employee import EmployeeRecord
from domain.errors import RuleViolation
from domain.ledger import canonical_json
from domain.processes import ProcessKind, agency_chain_id
from infra.tokens import Principal
from store import events as store_events
from store import repositories
from workflows.promotion import PromotionWorkflow

log = structlog.get_logger(__name__)
KIND = ProcessKind.EMPLOYEE_RECORDS
CSV_COLUMNS = [
    "nip",
    "name",
    "agency",
    "grade",
    "rank_since",
    "education",
    "position",
    "position_kind",
    "supervisor_nip",
    "ratings",
    "sanctions",
    "trainings",
    "credit_points",
    "has_position_decree",
]
# Rows per transaction of a CSV import: a few tens of milliseconds of SQLite's write lock each.
IMPORT_CHUNK_ROWS = 250
REQUIRED_COLUMNS = ("nip", "name", "agency", "grade", "rank_since", "education")


def records_of(agency: str | None, **kw: Any) -> Target:
    label = f"employee records of {agency or 'all agencies'}"
    return Target(KIND, agency_chain_id(KIND, agency), agency, label=label, **kw)


# ---- one record ---------------------------------------------------------------------------------


async def _locate_record(
    services: Services,  # noqa: ARG001 - a locator
    principal: Principal,  # noqa: ARG001
    body: EmployeeRecord,
) -> Target:
    return records_of(body.agency, subject=body.nip, missing="agency_out_of_scope")


async def _upsert(a: Attempt[EmployeeRecord]) -> EmployeeRead:
    async with a.services.sessions() as session, session.begin():
        await repositories.upsert_employees(
            session, [a.body.model_dump(mode="json")], now=datetime.now(UTC)
        )
    return EmployeeRead(record=a.body)


UPSERT = Action(
    name="employees.upsert",
    kind=KIND,
    refused="employees.write_refused",
    body=EmployeeRecord,
    result=EmployeeRead,
    locate=_locate_record,
    execute=_upsert,
    subject=lambda b: b.nip,
    summary="Create or replace one employee's record",
)


# ---- a CSV file ---------------------------------------------------------------------------------


class EmployeeCsv(BaseModel):
    """A CSV file as read, before any rule: its header and its rows (line 2 onwards)."""

    columns: list[str] = Field(default_factory=list)
    rows: list[dict[str, str]] = Field(default_factory=list)


def csv_body(raw: bytes) -> bytes:
    """The body the pipeline parses for a CSV upload: the file's header and rows as JSON; a file
    the csv module cannot split into rows is refused (422 ``csv_invalid``), not a server error."""
    text = io.StringIO(raw.decode("utf-8-sig", errors="replace"), newline="")
    reader = csv.DictReader(text)
    try:
        rows = [{k: v or "" for k, v in row.items() if isinstance(k, str)} for row in reader]
    except csv.Error as err:
        raise RuleViolation(
            f"The file is not CSV the rows can be read from: {err}.",
            code="csv_invalid",
            field="body",
        ) from err
    return canonical_json({"columns": list(reader.fieldnames or []), "rows": rows})


async def _locate_file(
    services: Services,  # noqa: ARG001 - a locator
    principal: Principal,
    body: EmployeeCsv,  # noqa: ARG001
) -> Target:
    return records_of(principal.agency)


def parse_rows(a: Attempt[EmployeeCsv]) -> list[EmployeeRecord]:
    """Every row is checked before anything is written; all faults are reported at once."""
    body = a.body
    missing = [c for c in REQUIRED_COLUMNS if c not in body.columns]
    if missing:
        raise RuleViolation(
            f"The CSV lacks the columns: {', '.join(missing)}.",
            code="csv_columns_missing",
            fields=[{"field": "columns", "message": f"missing: {', '.join(missing)}"}],
        )
    records, faults, elsewhere = [], [], []
    for line, row in enumerate(body.rows, start=2):
        try:
            record = EmployeeRecord.model_validate(_row_to_dict(row))
        except (ValidationError, ValueError) as err:
            faults.append({"field": f"line {line}", "message": _describe(err)})
            continue
        records.append(record)
        if not can_see_agency(a.principal, record.agency):
            message = f"agency {record.agency}: you may only write employees of {a.target.agency}"
            elsewhere.append({"field": f"line {line}", "message": message})
    if faults:
        raise RuleViolation(
            f"{len(faults)} CSV row(s) are not valid; nothing was imported.",
            code="csv_invalid",
            fields=faults,
        )
    if elsewhere:
        raise RuleViolation(
            f"{len(elsewhere)} CSV row(s) are employees of another agency; nothing was imported.",
            code="agency_out_of_scope",
            fields=elsewhere,
        )
    if not records:
        raise RuleViolation("The CSV has no rows.", code="csv_empty", field="rows")
    return records


async def _import(a: Attempt[EmployeeCsv]) -> ImportResult:
    """Every row is checked first (all or none are accepted); then they are written in chunks of
    :data:`IMPORT_CHUNK_ROWS`, a transaction each, so that a large file never holds SQLite's write
    lock for seconds. Should the database fail midway (503), the rows written so far are upserts of
    the same records: sending the same file again completes the import."""
    rows = [r.model_dump(mode="json") for r in parse_rows(a)]
    now = datetime.now(UTC)
    for start in range(0, len(rows), IMPORT_CHUNK_ROWS):
        async with a.services.sessions() as session, session.begin():
            await repositories.upsert_employees(
                session, rows[start : start + IMPORT_CHUNK_ROWS], now=now
            )
    return ImportResult(imported=len(rows))


IMPORT = Action(
    name="employees.import",
    kind=KIND,
    refused="employees.import_refused",
    body=EmployeeCsv,
    result=ImportResult,
    locate=_locate_file,
    execute=_import,
    summary="Import employees from CSV; all rows or none",
)


def _describe(err: Exception) -> str:
    if isinstance(err, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors()[:5])
    return str(err)


def _split(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(";") if p.strip()]


def _row_to_dict(row: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {k: v for k, v in row.items() if k in CSV_COLUMNS and v}
    out["ratings"] = [
        {"year": int(y), "rating": r}
        for y, r in (p.split(":", 1) for p in _split(row.get("ratings")))
    ]
    out["sanctions"] = [
        dict(zip(("kind", "start", "end"), p.split(":"), strict=False))
        for p in _split(row.get("sanctions"))
    ]
    out["trainings"] = _split(row.get("trainings"))
    if "has_position_decree" in out:
        out["has_position_decree"] = str(out["has_position_decree"]).lower() in ("1", "true", "yes")
    return out


# ---- the event: an employee's record changed at the HR source -----------------------------------


async def _locate_changed(services: Services, principal: Principal, found: Inbound) -> Target:
    data = parse_data(EmployeeChangedData, found.event)
    async with services.sessions() as session:
        employee = await repositories.get_employee(session, data.nip)
    agency = employee.agency if employee is not None else principal.agency
    return event_target(
        KIND,
        agency_chain_id(KIND, agency),
        agency,
        Inbound(found.event, found.ref, found.stored, data, employee),
        label=f"employee with NIP {data.nip}",
        subject=data.nip,
        missing="employee_not_found",
    )


async def _plan_changed(a: Attempt[ce.CloudEvent]) -> Plan:
    found: Inbound = a.target.row
    nip, signal_id = found.data.nip, found.event.id
    async with a.services.sessions() as session:
        running = await store_events.running_promotions_of(session, nip)
    targets = [p.process_id for p in running if can_see_agency(a.principal, p.agency)]
    client = a.services.client

    async def dispatch() -> dict[str, Any]:
        notified = []
        for process_id in targets:
            handle = client.get_workflow_handle(process_id)
            try:
                await handle.signal(PromotionWorkflow.employee_changed, signal_id)
            except RPCError as err:  # finished or not yet started: nothing to notify
                log.info("event.signal_skipped", process_id=process_id, error=err.message)
                continue
            notified.append(process_id)
        return {
            "process_ids": notified,
            "detail": f"Notified {len(notified)} running process(es) of employee {nip}.",
        }

    return Plan(detail="Received; notifying running processes.", dispatch=dispatch)


CHANGED = event_action(
    name="employees.changed",
    kind=KIND,
    refused="employees.change_refused",
    locate=_locate_changed,
    plan=_plan_changed,
    summary="Tell an employee's running promotions that their record changed",
)
