"""Succession and appointments in the console: an agency's approval, critical posts with their
ranked successors (readiness, development gaps) and pool; a talent appointment with the decision
that sent the post to the pool, the appointing authority's decree, or the fall-back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from actions import policy
from actions.queries import ledger as ledger_reads
from actions.queries import talent as reads
from actions.statuses import status_for
from actions.talent import appointments, records
from domain.calendar import WIB
from domain.errors import DomainError
from web.forms import FormState, flash, form_data, services, submit, take_flash
from web.i18n import N_
from web.render import formatter, render
from web.routing import ConsoleRoute
from web.session import require_person
from web.talent_route import route_lines

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
POOL_ROWS = 50
MARKERS = policy.action_roles("talent_records.mark_post")


@router.get("/talent-posts", response_class=HTMLResponse)
async def posts_page(request: Request) -> Response:
    return await _posts(request, FormState())


async def _posts(request: Request, form: FormState, status: int = 200) -> Response:
    who = require_person(request)
    ctx, principal = services(request), who.principal()
    agency = request.query_params.get("agency") or None
    today = datetime.now(WIB).date()
    pool = await reads.pool(ctx, principal, agency)
    context = {
        "approval": await reads.approval(ctx, principal, agency, today),
        "posts": await reads.posts(ctx, principal, agency),
        "pool": pool.members[:POOL_ROWS],
        "pool_size": len(pool.members),
        "appointments": await reads.appointment_list(ctx, principal),
        "can_mark": who.role in MARKERS,
        "form": form,
        "flash": take_flash(request),
    }
    return render(request, "talent_posts.html", context, status=status)


@router.post("/talent-posts")
async def mark_post(request: Request) -> Response:
    data = await form_data(request)
    body = {
        "post_id": data.get("post_id", ""),
        "title": data.get("title", ""),
        "post_level": data.get("post_level", ""),
        "job_family": data.get("job_family") or None,
        "critical": data.get("critical", "yes") == "yes",
    }
    try:
        await submit(request, records.MARK_POST, body, request_id=data.get("request_id", ""))
    except DomainError as err:
        return await _posts(request, FormState(values=data, error=err), status_for(err))
    flash(request, N_("The post is recorded and its succession plan computed."))
    return RedirectResponse("/talent-posts", status_code=303)


@router.get("/talent-appointments/{process_id}", response_class=HTMLResponse)
async def appointment_page(request: Request, process_id: str) -> Response:
    return await _appointment(request, process_id, FormState())


async def _appointment(
    request: Request, process_id: str, form: FormState, status: int = 200
) -> Response:
    who = require_person(request)
    ctx = services(request)
    a = await reads.appointment(ctx, who.principal(), process_id)
    try:
        trace = await ledger_reads.trace(ctx, who.principal(), process_id)
    except DomainError:
        trace = []
    authority = who.role == "appointing_authority" and who.sub == a.appointing_authority_id
    context = {
        "a": a,
        "route": route_lines(formatter(request), a.decision),
        "may_appoint": authority and a.stage == "appointment",
        "may_fall_back": (authority or who.role == "agency_hr") and a.stage == "appointment",
        "timeline": [e for e in trace if e["outcome"] == "accepted"],
        "refusals": sum(e["outcome"] == "refused" for e in trace),
        "form": form,
        "flash": take_flash(request),
    }
    return render(request, "talent_appointment.html", context, status=status)


_ACTIONS: dict[str, tuple[Any, str]] = {
    "appointment": (appointments.APPOINT, N_("The successor is appointed.")),
    "fall-back": (appointments.FALL_BACK, N_("The post goes to open selection; it is started.")),
}


@router.post("/talent-appointments/{process_id}/{what}")
async def appointment_action(request: Request, process_id: str, what: str) -> Response:
    action, done = _ACTIONS.get(what, (None, ""))
    if action is None:
        return await _appointment(request, process_id, FormState(), status=404)
    data = await form_data(request)
    if what == "appointment":
        body = {"decree_number": data.get("decree_number", ""), "note": data.get("note") or None}
    else:
        body = {"reason": data.get("reason", "")}
    try:
        await submit(
            request, action, body, request_id=data.get("request_id", ""), process_id=process_id
        )
    except DomainError as err:
        state = FormState(values=data, error=err)
        return await _appointment(request, process_id, state, status_for(err))
    flash(request, done)
    return RedirectResponse(f"/talent-appointments/{process_id}", status_code=303)
