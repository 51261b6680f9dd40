"""Reconcile a process's ledger with its Temporal history, for an auditor (API and console)."""

from __future__ import annotations

import structlog
from temporalio.service import RPCError

from actions import policy
from actions.history import UnsupportedProcess, reconcile_rows
from actions.services import Services
from domain.errors import NotFound, NotPermitted, RuleViolation, Unavailable
from domain.reconcile import ReconciliationReport
from infra.tokens import Principal
from store import audit

log = structlog.get_logger(__name__)
RECONCILERS = policy.roles_of("audit.reconcile")


async def reconcile(
    services: Services, principal: Principal, process_id: str
) -> ReconciliationReport:
    if principal.role not in RECONCILERS:
        raise NotPermitted(
            f"The role '{principal.role}' may not reconcile the ledger.", code="forbidden_role"
        )
    async with services.sessions() as session:
        rows = await audit.process_rows(session, process_id)
    agency = next((r["agency"] for r in rows if r["agency"]), None)
    if not rows or not (principal.agency is None or principal.agency == agency):
        raise NotFound(f"No process '{process_id}' with a ledger is visible to you.")
    try:
        report = await reconcile_rows(services.client, process_id, rows)
    except UnsupportedProcess as err:
        raise RuleViolation(f"{err}.", code="reconciliation_unsupported") from err
    except RPCError as err:
        log.warning("audit.reconciliation_failed", process_id=process_id, status=err.status)
        raise Unavailable(
            "Temporal could not be asked for the history; try again.", code="temporal_unavailable"
        ) from err
    log.info(
        "audit.reconciled",
        process_id=process_id,
        differences=len(report.differences),
        kinds=sorted({d.kind for d in report.differences}),
    )
    return report
