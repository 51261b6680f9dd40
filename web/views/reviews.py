"""Third-party reviewers (BKN, oversight, assessment centre): the queue, a review, its forms."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from actions import policy
from actions.queries import ledger as ledger_reads
from actions.queries import reviews as reads
from actions.reviews import DECLARE, VERDICT
from actions.schemas.reviews import ReviewRead
from actions.statuses import status_for
from domain.errors import DomainError
from web.forms import FormState, flash, form_data, services, submit, take_flash
from web.i18n import N_
from web.render import render
from web.routing import ConsoleRoute
from web.session import require_person

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.get("/reviews", response_class=HTMLResponse)
async def queue(request: Request) -> Response:
    who = require_person(request)
    page = await reads.page(services(request), who.principal())
    return render(request, "reviews.html", {"page": page, "flash": take_flash(request)})


@router.get("/reviews/{review_id}", response_class=HTMLResponse)
async def review(request: Request, review_id: str) -> Response:
    return await _page(request, review_id, FormState())


async def _page(request: Request, review_id: str, form: FormState, status: int = 200) -> Response:
    who = require_person(request)
    ctx = services(request)
    r = await reads.get(ctx, who.principal(), review_id)
    try:
        trace = await ledger_reads.trace(ctx, who.principal(), review_id)
    except DomainError:
        trace = []
    seat = next((s for s in r.seats if s.reviewer_id == who.sub), None)
    may_declare = (
        who.role in policy.action_roles("review.declare")
        and r.status == "open"
        and seat is not None
        and seat.status == "assigned"
    )
    gives_verdicts = who.role in policy.action_roles("review.verdict") and r.status == "open"
    context = {
        "r": r,
        "seat": seat,
        "may_declare": may_declare,
        "may_verdict": gives_verdicts and _may_verdict(who.sub, r, seat),
        # Not yet declared: the verdict's form carries the declaration of no conflict with it.
        "may_declare_with_verdict": gives_verdicts and may_declare,
        "timeline": [e for e in trace if e["outcome"] == "accepted"],
        "form": form,
        "flash": take_flash(request),
    }
    return render(request, "review.html", context, status=status)


def _may_verdict(sub: str, r: ReviewRead, seat: Any) -> bool:
    if seat is not None:
        return bool(seat.status == "declared")
    return r.escalated and sub == r.head_reviewer_id


@router.post("/reviews/{review_id}/declarations")
async def declare(request: Request, review_id: str) -> Response:
    data = await form_data(request)
    persons = [p.strip() for p in data.get("persons", "").split(",") if p.strip()]
    body = {
        "has_conflict": data.get("has_conflict") == "yes",
        "persons": persons,
        "reason": data.get("reason", ""),
    }
    return await _act(request, review_id, DECLARE, body, data, N_("Your declaration is recorded."))


@router.post("/reviews/{review_id}/verdicts")
async def verdict(request: Request, review_id: str) -> Response:
    data = await form_data(request)
    findings = [
        {"what": line.strip(), "return_to_stage": data.get("return_to_stage") or None}
        for line in data.get("findings", "").splitlines()
        if line.strip()
    ]
    body = {
        "verdict": data.get("verdict", ""),
        "justification": data.get("justification", ""),
        "findings": findings,
        "declares_no_conflict": data.get("declares_no_conflict") == "yes",
    }
    return await _act(request, review_id, VERDICT, body, data, N_("Your verdict is recorded."))


async def _act(
    request: Request,
    review_id: str,
    action: Any,
    body: dict[str, Any],
    data: dict[str, str],
    done: str,
) -> Response:
    try:
        await submit(
            request, action, body, request_id=data.get("request_id", ""), process_id=review_id
        )
    except DomainError as err:
        return await _page(request, review_id, FormState(values=data, error=err), status_for(err))
    flash(request, done)
    return RedirectResponse(f"/reviews/{review_id}", status_code=303)
