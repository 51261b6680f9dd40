"""Auditors: ledger search, a process's trace with its hashes, verification in words,
reconciliation against Temporal, a pseudonymised export, and the charts. Who may read them is
each route's rule in ``actions/policy.py`` (``audit.*``), checked by ``require_person``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from actions.queries import audit, export, verification
from actions.queries import ledger as ledger_reads
from actions.reconciliation import reconcile
from domain.calendar import WIB
from domain.errors import DomainError, NotFound, RuleViolation
from store.audit import EntryFilter
from store.export import ExportFilter
from web import charts
from web.forms import services
from web.i18n import N_
from web.render import formatter, render
from web.routing import ConsoleRoute
from web.session import require_person

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
FILTERS = ("process_id", "process_kind", "actor", "kind", "outcome", "subject", "from", "to")


def _when(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as err:
        raise RuleViolation(
            f"Not a date and time: {value!r}.", code="validation_error", field=field
        ) from err
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=WIB)  # a form's time is WIB


@router.get("/audit", response_class=HTMLResponse)
async def search(request: Request) -> Response:
    who = require_person(request)
    q = {k: (request.query_params.get(k) or "").strip() for k in (*FILTERS, "cursor")}
    error: DomainError | None = None
    items: list[dict[str, Any]] = []
    next_cursor = None
    if any(q[k] for k in FILTERS):
        try:
            flt = EntryFilter(
                process_kind=q["process_kind"] or None,
                actor_id=q["actor"] or None,
                kind=q["kind"] or None,
                outcome=q["outcome"] or None,
                subject=q["subject"] or None,
                process_id=q["process_id"] or None,
                recorded_from=_when(q["from"], "from"),
                recorded_to=_when(q["to"], "to"),
            )
            items, next_cursor = await audit.search(
                services(request), who.principal(), flt, limit=50, cursor=q["cursor"] or None
            )
        except DomainError as err:
            error = err
    context = {"q": q, "items": items, "next_cursor": next_cursor, "error": error}
    return render(request, "audit.html", context, status=422 if error else 200)


@router.get("/audit/charts", response_class=HTMLResponse)
async def charts_page(request: Request) -> Response:
    who = require_person(request)
    data = await audit.chart_data(services(request), who.principal())
    return render(request, "audit_charts.html", {"charts": data})


@router.get("/audit/charts/{name}.svg")
async def chart(request: Request, name: str) -> Response:
    who = require_person(request)
    fmt = formatter(request)
    data = await audit.chart_data(services(request), who.principal())
    if name == "time-in-stage":
        svg = charts.time_in_stage(
            data["time_in_stage"],
            fmt.gettext(N_("Median hours in stage")),
            fmt.gettext(N_("hours")),
        )
    elif name == "refusals":
        svg = charts.counts(
            data["refusals"], fmt.gettext(N_("Refusals by code")), fmt.gettext(N_("refusals"))
        )
    elif name == "deadlines":
        svg = charts.counts(
            data["deadlines"], fmt.gettext(N_("Deadlines missed")), fmt.gettext(N_("events"))
        )
    else:
        raise NotFound(f"No chart {name!r}.")
    headers = {"Content-Security-Policy": charts.SVG_POLICY, "Cache-Control": "no-store"}
    return Response(svg, media_type="image/svg+xml", headers=headers)


@router.get("/audit/processes/{process_id}", response_class=HTMLResponse)
async def process(request: Request, process_id: str) -> Response:
    who = require_person(request)
    entries = await ledger_reads.trace(services(request), who.principal(), process_id)
    return render(request, "audit_process.html", {"pid": process_id, "entries": entries})


@router.get("/audit/processes/{process_id}/verify", response_class=HTMLResponse)
async def verify(request: Request, process_id: str) -> Response:
    who = require_person(request)
    result = await verification.verify_process(services(request), who.principal(), process_id)
    return render(request, "audit_verify.html", {"pid": process_id, "v": result})


@router.get("/audit/processes/{process_id}/reconciliation", response_class=HTMLResponse)
async def reconciliation(request: Request, process_id: str) -> Response:
    who = require_person(request)
    report = await reconcile(services(request), who.principal(), process_id)
    return render(request, "audit_reconciliation.html", {"pid": process_id, "report": report})


@router.get("/audit/export.csv")
async def export_csv(request: Request, process_id: str | None = None) -> Response:
    who = require_person(request)
    flt, pseudonymizer = export.prepare(
        services(request),
        who.principal(),
        ExportFilter(process_id=process_id or None),
        pseudonymize=True,
    )
    return StreamingResponse(
        export.stream(services(request), who.principal(), flt, "csv", pseudonymizer),
        media_type=export.MEDIA_TYPES["csv"],
        headers={
            "Content-Disposition": 'attachment; filename="meritflow-ledger-pseudonymised.csv"'
        },
    )
