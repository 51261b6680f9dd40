"""Register applicants: one by one (JSON) or a CSV file (text/csv, all rows or none)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from actions.schemas.selections import ApplicantCreate, ApplicantRead, ImportResult
from actions.selections.csv_import import CSV_COLUMNS
from actions.selections.registration import IMPORT, REGISTER
from api.actions import act, body_schema, csv_body_schema
from api.auth import PrincipalDep
from api.deps import ContextDep
from api.errors import responses

router = APIRouter(prefix="/v1/selections", tags=["selections"])
ACTION_ERRORS = responses(401, 403, 404, 409, 413, 422, 503)
CSV_BODY = csv_body_schema(CSV_COLUMNS, "header")


@router.post(
    "/{process_id}/applicants",
    status_code=201,
    response_model=ApplicantRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(ApplicantCreate),
    summary=REGISTER.summary,
)
async def register_applicant(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> ApplicantRead:
    return (await act(request, ctx, REGISTER, principal, process_id)).result


@router.post(
    "/{process_id}/applicants/import",
    status_code=201,
    response_model=ImportResult,
    responses=ACTION_ERRORS,
    openapi_extra=CSV_BODY,
    summary=IMPORT.summary,
)
async def import_applicants(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> ImportResult:
    return (await act(request, ctx, IMPORT, principal, process_id, body=request.body)).result
