"""Export of the ledger as JSON Lines or CSV, streamed, for the offline verifier and for auditors.

The format (one entry per line, pseudonyms) is described in ``integrity/export.py``. A token with an
``agency`` claim exports that agency's entries only.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from actions.queries import export
from api.auth import PrincipalDep
from api.deps import ContextDep
from api.errors import responses
from api.params import IsoDateTime
from store.export import ExportFilter

router = APIRouter(prefix="/v1/audit", tags=["export"])


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        **responses(401, 403, 422, 503),
        200: {
            "description": "One ledger entry per line",
            "content": {export.MEDIA_TYPES["jsonl"]: {}, "text/csv": {}},
        },
    },
    summary="Stream ledger entries with their chain fields and Merkle leaf",
)
async def export_ledger(
    principal: PrincipalDep,
    ctx: ContextDep,
    fmt: Annotated[Literal["jsonl", "csv"], Query(alias="format")] = "jsonl",
    process_id: str | None = None,
    agency: str | None = None,
    process_kind: str | None = None,
    recorded_from: Annotated[
        IsoDateTime | None, Query(alias="from", description="recorded_at >= from")
    ] = None,
    recorded_to: Annotated[
        IsoDateTime | None, Query(alias="to", description="recorded_at < to")
    ] = None,
) -> StreamingResponse:
    flt = ExportFilter(
        process_id=process_id,
        agency=agency,
        process_kind=process_kind,
        recorded_from=recorded_from,
        recorded_to=recorded_to,
    )
    flt, pseudonymizer = export.prepare(ctx, principal, flt)
    return StreamingResponse(
        export.stream(ctx, principal, flt, fmt, pseudonymizer),
        media_type=export.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="meritflow-ledger.{fmt}"'},
    )
