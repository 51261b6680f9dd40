"""Employees: Meritflow's own HR source, filled one by one or by CSV upload.

The two writes are the pipeline's actions (``actions/employees.py``); this module reads the request
and answers with the action's result, and serves the read.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from actions.employees import IMPORT, REQUIRED_COLUMNS, UPSERT, csv_body
from actions.schemas.employees import EmployeeRead, ImportResult
from api.actions import act, body_schema, csv_body_schema
from api.auth import PrincipalDep, can_see_agency
from api.deps import ContextDep, SessionDep
from api.errors import ApiError, responses
from domain.employee import EmployeeRecord
from store import repositories

router = APIRouter(prefix="/v1/employees", tags=["employees"])
ACTION_ERRORS = (401, 403, 404, 413, 422, 503)


@router.post(
    "",
    status_code=201,
    response_model=EmployeeRead,
    responses=responses(*ACTION_ERRORS),
    openapi_extra=body_schema(EmployeeRecord),
    summary=UPSERT.summary,
)
async def upsert_employee(
    request: Request, principal: PrincipalDep, ctx: ContextDep
) -> EmployeeRead:
    return (await act(request, ctx, UPSERT, principal)).result


@router.post(
    "/import",
    response_model=ImportResult,
    responses=responses(*ACTION_ERRORS),
    openapi_extra=csv_body_schema(REQUIRED_COLUMNS, "header with at least"),
    summary=IMPORT.summary,
)
async def import_employees(
    request: Request, principal: PrincipalDep, ctx: ContextDep
) -> ImportResult:
    async def read() -> bytes:
        return csv_body(await request.body())

    return (await act(request, ctx, IMPORT, principal, body=read)).result


@router.get("/{nip}", response_model=EmployeeRead, responses=responses(401, 404))
async def get_employee(nip: str, principal: PrincipalDep, session: SessionDep) -> EmployeeRead:
    row = await repositories.get_employee(session, nip)
    if row is None or not can_see_agency(principal, row.agency):
        raise ApiError(404, "employee_not_found", f"No employee with NIP {nip} is known here.")
    return EmployeeRead(record=EmployeeRecord.model_validate(row.record))
