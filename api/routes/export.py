"""Export of the ledger as JSON Lines or CSV, streamed, for the offline verifier and for auditors.

The format (one entry per line, pseudonyms) is described in ``infra/export.py``. A token with an
``agency`` claim exports that agency's entries only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime

from api.auth import require_roles
from api.deps import ContextDep
from api.errors import ApiError, responses
from domain.enums import Role
from infra.export import (
    ExportConfigError,
    Pseudonymizer,
    csv_rows,
    export_record,
    jsonl_line,
    load_pseudonymizer,
)
from infra.tokens import Principal
from store.export import ExportFilter, begin_snapshot, export_batches

router = APIRouter(prefix="/v1/audit", tags=["export"])
log = structlog.get_logger(__name__)

EXPORTERS = require_roles(Role.AUDITOR)
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


def _scope(principal: Principal, agency: str | None) -> str | None:
    if principal.agency is None:
        return agency
    if agency is not None and agency != principal.agency:
        raise ApiError(
            403,
            "agency_out_of_scope",
            f"You may export the ledger of agency {principal.agency} only, not {agency}.",
        )
    return principal.agency


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        **responses(401, 403, 422, 503),
        200: {
            "description": "One ledger entry per line",
            "content": {MEDIA_TYPES["jsonl"]: {}, "text/csv": {}},
        },
    },
    summary="Stream ledger entries with their chain fields and Merkle leaf",
)
async def export_ledger(
    principal: Annotated[Principal, Depends(EXPORTERS)],
    ctx: ContextDep,
    fmt: Annotated[Literal["jsonl", "csv"], Query(alias="format")] = "jsonl",
    process_id: str | None = None,
    agency: str | None = None,
    process_kind: str | None = None,
    recorded_from: Annotated[
        AwareDatetime | None, Query(alias="from", description="recorded_at >= from")
    ] = None,
    recorded_to: Annotated[
        AwareDatetime | None, Query(alias="to", description="recorded_at < to")
    ] = None,
) -> StreamingResponse:
    if recorded_from is not None and recorded_to is not None and recorded_to <= recorded_from:
        raise ApiError(
            422,
            "validation_error",
            "The time range is empty: `to` must be later than `from`.",
            [{"field": "to", "message": "must be later than from"}],
        )
    flt = ExportFilter(
        process_id=process_id,
        agency=_scope(principal, agency),
        process_kind=process_kind,
        recorded_from=recorded_from,
        recorded_to=recorded_to,
    )
    try:
        pseudonymizer = load_pseudonymizer(ctx.settings)
    except ExportConfigError as exc:
        raise ApiError(503, "pseudonym_key_missing", f"Exports are switched off: {exc}.") from exc
    filename = f"meritflow-ledger.{fmt}"
    return StreamingResponse(
        _stream(ctx, flt, fmt, pseudonymizer, principal),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def _stream(
    ctx: ContextDep,
    flt: ExportFilter,
    fmt: Literal["jsonl", "csv"],
    pseudonymizer: Pseudonymizer | None,
    principal: Principal,
) -> AsyncIterator[str]:
    count = 0
    if fmt == "csv":
        yield csv_rows([], header=True)
    # Its own session: the stream outlives the request's dependencies.
    async with ctx.sessions() as session, session.begin():
        await begin_snapshot(session)
        async for rows in export_batches(session, flt):
            records = [
                export_record(r, r["leaf_index"], r["leaf_hash"], pseudonymizer) for r in rows
            ]
            count += len(records)
            yield csv_rows(records) if fmt == "csv" else "".join(map(jsonl_line, records))
    log.info(
        "ledger.exported",
        entries=count,
        format=fmt,
        agency=flt.agency,
        process_id=flt.process_id,
        pseudonymized=pseudonymizer is not None,
        by=principal.sub,
    )
