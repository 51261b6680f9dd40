"""Employees: Meritflow's own HR source, filled one by one or by CSV upload."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError

from actions.schemas.employees import EmployeeRead, ImportResult
from api.auth import PrincipalDep, can_see_agency, require_roles
from api.deps import SessionDep
from api.errors import ApiError, responses
from domain.employee import EmployeeRecord
from domain.enums import Role
from infra.tokens import Principal
from store import repositories

router = APIRouter(prefix="/v1/employees", tags=["employees"])
WRITERS = require_roles(Role.HR_SYSTEM, Role.AGENCY_HR)
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


def _check_agency(principal: Principal, record: EmployeeRecord, where: str) -> None:
    if not can_see_agency(principal, record.agency):
        raise ApiError(
            403,
            "agency_out_of_scope",
            f"{where}: you may only write employees of {principal.agency}.",
        )


@router.post(
    "", status_code=201, response_model=EmployeeRead, responses=responses(401, 403, 413, 422)
)
async def upsert_employee(
    record: EmployeeRecord, principal: Annotated[Principal, Depends(WRITERS)], session: SessionDep
) -> EmployeeRead:
    _check_agency(principal, record, "employee")
    async with session.begin():
        await repositories.upsert_employees(
            session, [record.model_dump(mode="json")], now=datetime.now(UTC)
        )
    return EmployeeRead(record=record)


@router.post(
    "/import",
    response_model=ImportResult,
    responses=responses(401, 403, 413, 422),
    openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    summary="Import employees from CSV; all rows or none",
)
async def import_employees(
    request: Request, principal: Annotated[Principal, Depends(WRITERS)], session: SessionDep
) -> ImportResult:
    text = (await request.body()).decode("utf-8-sig", errors="replace")
    records = parse_csv(text)
    for i, record in enumerate(records, start=2):
        _check_agency(principal, record, f"line {i}")
    async with session.begin():
        await repositories.upsert_employees(
            session, [r.model_dump(mode="json") for r in records], now=datetime.now(UTC)
        )
    return ImportResult(imported=len(records))


@router.get("/{nip}", response_model=EmployeeRead, responses=responses(401, 404))
async def get_employee(nip: str, principal: PrincipalDep, session: SessionDep) -> EmployeeRead:
    row = await repositories.get_employee(session, nip)
    if row is None or not can_see_agency(principal, row.agency):
        raise ApiError(404, "employee_not_found", f"No employee with NIP {nip} is known here.")
    return EmployeeRead(record=EmployeeRecord.model_validate(row.record))


def parse_csv(text: str) -> list[EmployeeRecord]:
    """Every row is validated before anything is written; all errors are reported at once."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [
        c
        for c in ("nip", "name", "agency", "grade", "rank_since", "education")
        if c not in (reader.fieldnames or [])
    ]
    if missing:
        raise ApiError(
            422, "csv_columns_missing", f"The CSV lacks the columns: {', '.join(missing)}."
        )
    records, fields = [], []
    for line, row in enumerate(reader, start=2):
        try:
            records.append(EmployeeRecord.model_validate(_row_to_dict(row)))
        except (ValidationError, ValueError) as err:
            fields.append({"field": f"line {line}", "message": _describe(err)})
    if fields:
        raise ApiError(
            422,
            "csv_invalid",
            f"{len(fields)} CSV row(s) are not valid; nothing was imported.",
            fields,
        )
    if not records:
        raise ApiError(422, "csv_empty", "The CSV has no rows.")
    return records


def _describe(err: Exception) -> str:
    if isinstance(err, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors()[:5])
    return str(err)


def _split(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(";") if p.strip()]


def _row_to_dict(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: v for k, v in row.items() if k in CSV_COLUMNS and v not in (None, "")}
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
