"""Promotions: the list and start form (agency HR), a promotion's page with its eligibility
explanation, timeline and the decision form for whoever's step it is."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from actions import policy
from actions.promotions import DECIDE, START
from actions.queries import ledger as ledger_reads
from actions.queries import promotions as reads
from actions.queries.calendar import working_days_left
from actions.schemas.promotions import PromotionRead
from actions.statuses import status_for
from domain.eligibility import RATING_WORDS, REASON_SOURCES
from domain.errors import DomainError
from domain.rulebook import get_rulebook
from web.forms import FormState, flash, form_data, services, submit, take_flash
from web.i18n import N_, Formatter
from web.reasons import reason_text
from web.render import formatter, render
from web.routing import ConsoleRoute
from web.session import require_person

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
STARTERS = policy.action_roles("promotion.start")


@router.get("/promotions", response_class=HTMLResponse)
async def promotions(request: Request, cursor: str | None = None) -> Response:
    return await _list(request, FormState(), cursor)


async def _list(
    request: Request, form: FormState, cursor: str | None, status: int = 200
) -> Response:
    who = require_person(request)
    page = await reads.page(services(request), who.principal(), cursor=cursor)
    context = {
        "page": page,
        "form": form,
        "can_start": who.role in STARTERS,
        "flash": take_flash(request),
    }
    return render(request, "promotions.html", context, status=status)


@router.post("/promotions")
async def start(request: Request) -> Response:
    data = await form_data(request)
    body = {
        "nip": data.get("nip", "").strip(),
        "period": data.get("period", ""),
        "type": data.get("type") or "regular",
    }
    try:
        started = await submit(request, START, body, request_id=data.get("request_id", ""))
    except DomainError as err:
        return await _list(request, FormState(values=data, error=err), None, status=status_for(err))
    return RedirectResponse(f"/promotions/{started.promotion.id}", status_code=303)


@router.get("/promotions/{process_id}", response_class=HTMLResponse)
async def promotion(request: Request, process_id: str) -> Response:
    return await _page(request, process_id, FormState())


async def _page(request: Request, process_id: str, form: FormState, status: int = 200) -> Response:
    who = require_person(request)
    ctx = services(request)
    p = await reads.get(ctx, who.principal(), process_id)
    try:
        trace = await ledger_reads.trace(ctx, who.principal(), process_id)
    except DomainError:
        trace = []
    fmt = formatter(request)
    checks = _reasons(p, fmt)
    decree = dict(p.decree or {})
    if decree.get("effective_date"):
        decree["effective_on"] = fmt.date(date.fromisoformat(str(decree["effective_date"])))
    context = {
        "p": p,
        "decree": decree,
        "reasons": checks,
        "outcome_reason": _outcome_reason(p, checks, fmt),
        "legal_basis": get_rulebook(p.rulebook_version).legal_basis,
        "timeline": [e for e in trace if e["outcome"] == "accepted"],
        "refusals": [e for e in trace if e["outcome"] == "refused"],
        "may_decide": _may_decide(who.role, who.sub, p),
        "left": _left(p, ctx.settings.joint_leave_days),
        "form": form,
        "flash": take_flash(request),
    }
    return render(request, "promotion.html", context, status=status)


@router.post("/promotions/{process_id}/decisions")
async def decide(request: Request, process_id: str) -> Response:
    data = await form_data(request)
    corrections = [
        line.strip() for line in data.get("corrections", "").splitlines() if line.strip()
    ]
    body: dict[str, Any] = {
        "decision": data.get("decision", ""),
        "justification": data.get("justification", ""),
        "step": data.get("step") or None,
        "corrections": corrections,
        "decree_number": data.get("decree_number") or None,
    }
    try:
        await submit(
            request, DECIDE, body, request_id=data.get("request_id", ""), process_id=process_id
        )
    except DomainError as err:
        form = FormState(values=data, error=err)
        return await _page(request, process_id, form, status=status_for(err))
    flash(request, N_("Your decision is recorded."))
    return RedirectResponse(f"/promotions/{process_id}", status_code=303)


# Each eligibility check's name, for the "Check" column (the code stays the API's).
CHECKS = {
    "top_grade": N_("Next grade"),
    "years_in_rank": N_("Years in rank"),
    "performance": N_("Performance ratings"),
    "education_cap": N_("Highest grade for the education"),
    "disciplinary_sanction": N_("Disciplinary sanctions"),
    "training": N_("Required training"),
    "service_exam": N_("Service exam"),
    "credit_points": N_("Credit points"),
    "position_decree": N_("Position decree"),
}


# The performance check's rating words, longest first so that "very good" is not read as "good".
_RATING = re.compile(
    r"\b(" + "|".join(sorted(RATING_WORDS.values(), key=len, reverse=True)) + r")\b"
)


def _reasons(p: PromotionRead, fmt: Formatter) -> list[dict[str, Any]]:
    """Each check with its sentence in the reader's language and its legal source."""
    reasons = (p.eligibility or {}).get("reasons") or []
    return [
        {
            **r,
            "check": fmt.gettext(CHECKS[str(r.get("code"))])
            if r.get("code") in CHECKS
            else str(r.get("code")),
            "text": fmt.sentence(r.get("template"), _args(r, fmt), str(r.get("message", ""))),
            "source": REASON_SOURCES.get(str(r.get("code")), ""),
        }
        for r in reasons
    ]


def _args(r: dict[str, Any], fmt: Formatter) -> dict[str, str]:
    args = {k: str(v) for k, v in (r.get("args") or {}).items()}
    if r.get("code") == "performance":
        for name in ("listed", "minimum"):
            if name in args:
                args[name] = _RATING.sub(lambda m: fmt.gettext(m.group(1)), args[name])
    return args


def _outcome_reason(p: PromotionRead, checks: list[dict[str, Any]], fmt: Formatter) -> str:
    """Why the promotion ended: an ineligible one's unmet checks as the table shows them (the
    workflow joined their English sentences), else the workflow's reason in the reader's words."""
    unmet = [str(c["text"]) for c in checks if not c.get("met")]
    if p.status == "ineligible" and unmet:
        return "; ".join(unmet)
    return reason_text(fmt, p.outcome_reason)


def _may_decide(role: str, sub: str, p: PromotionRead) -> bool:
    pending = p.pending
    if pending is None or pending.review_id or p.status != "in_progress":
        return False
    if role not in (pending.role, pending.escalated_to_role):
        return False
    return not (role == "supervisor" and pending.actor_id not in (None, sub))


def _left(p: PromotionRead, leave: list[Any]) -> int | None:
    if p.pending is None or p.pending.due_at is None:
        return None
    return working_days_left(p.pending.due_at, datetime.now(UTC), tuple(leave))
