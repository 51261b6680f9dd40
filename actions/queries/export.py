"""The ledger as a stream of JSON Lines or CSV, for the offline verifier and for auditors.

The format (one entry per line, pseudonyms) is described in ``integrity/export.py``. A principal with
an agency exports that agency's entries only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Literal

import structlog

from actions import policy
from actions.services import Services
from domain.errors import NotPermitted, RuleViolation, Unavailable
from infra.tokens import Principal
from integrity.export import (
    ExportConfigError,
    Pseudonymizer,
    csv_rows,
    export_record,
    jsonl_line,
    load_pseudonymizer,
)
from store.export import ExportFilter, begin_snapshot, export_batches

log = structlog.get_logger(__name__)
Format = Literal["jsonl", "csv"]
EXPORTERS = policy.roles_of("audit.export")
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


def prepare(
    services: Services, principal: Principal, flt: ExportFilter, *, pseudonymize: bool = False
) -> tuple[ExportFilter, Pseudonymizer | None]:
    """Check the request before anything streams (a refusal is a status, not a broken stream)."""
    if principal.role not in EXPORTERS:
        raise NotPermitted(
            f"The role '{principal.role}' may not export the ledger.", code="forbidden_role"
        )
    if principal.agency is not None:
        if flt.agency is not None and flt.agency != principal.agency:
            raise NotPermitted(
                f"You may export the ledger of agency {principal.agency} only, not {flt.agency}.",
                code="agency_out_of_scope",
            )
        flt = ExportFilter(**{**flt.__dict__, "agency": principal.agency})
    if flt.recorded_from and flt.recorded_to and flt.recorded_to <= flt.recorded_from:
        raise RuleViolation(
            "The time range is empty: `to` must be later than `from`.",
            code="validation_error",
            field="to",
        )
    try:
        pseudonymizer = load_pseudonymizer(services.settings, force=pseudonymize)
    except ExportConfigError as exc:
        raise Unavailable(
            f"Exports are switched off: {exc}.", code="pseudonym_key_missing"
        ) from exc
    return flt, pseudonymizer


async def stream(
    services: Services,
    principal: Principal,
    flt: ExportFilter,
    fmt: Format,
    pseudonymizer: Pseudonymizer | None,
) -> AsyncIterator[str]:
    count = 0
    if fmt == "csv":
        yield csv_rows([], header=True)
    # Its own session: the stream outlives the request.
    async with services.sessions() as session, session.begin():
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
