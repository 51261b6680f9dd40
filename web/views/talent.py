"""Talent reviews in the console: the committee's pages (the 9-box, the people, calibration,
objections and answers, the pool), an employee's own box and objection, an auditor's read.

Every form is one action of ``actions/talent`` through the pipeline (``web/forms.py``): the same
rules, refusals and ledger entries as the JSON API.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from actions.queries import ledger as ledger_reads
from actions.queries import talent as reads
from actions.statuses import status_for
from actions.talent import people, reviews
from actions.talent.common import READERS, STARTERS
from domain.errors import DomainError
from domain.talent.records import POSITION_LEVELS
from domain.talent.rulebook import DEFAULT_TALENT_RULEBOOK, TALENT_RULEBOOKS, get_talent_rulebook
from web.forms import FormState, flash, form_data, services, submit, take_flash
from web.i18n import N_
from web.render import formatter, render
from web.routing import ConsoleRoute
from web.session import require_person
from web.talent_why import why_lines

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PAGE = 50


@router.get("/talent", response_class=HTMLResponse)
async def review_list(request: Request) -> Response:
    return await _list(request, FormState())


async def _list(request: Request, form: FormState, status: int = 200) -> Response:
    who = require_person(request)
    found = await reads.review_list(services(request), who.principal())
    context = {
        "reviews": found,
        "form": form,
        "can_start": who.role in STARTERS,
        "levels": POSITION_LEVELS,
        "rulebooks": sorted(TALENT_RULEBOOKS),
        "default_rulebook": DEFAULT_TALENT_RULEBOOK,
    }
    return render(request, "talent_reviews.html", context, status=status)


def _committee(text: str) -> list[dict[str, str]]:
    """One member a line: ``id, name, seat`` (seat: chair, secretary or member)."""
    members = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 3 and all(parts):
            members.append({"id": parts[0], "name": parts[1], "seat": parts[2]})
    return members


@router.post("/talent")
async def start_review(request: Request) -> Response:
    who = require_person(request)
    data = await form_data(request)
    form = await request.form()
    body: dict[str, Any] = {
        "code": data.get("code", ""),
        "title": data.get("title", ""),
        "population": {
            "agencies": [who.agency] if who.agency else [],
            "position_levels": [str(v) for v in form.getlist("position_levels")],
            "job_family": data.get("job_family") or None,
        },
        "cutoff_date": data.get("cutoff_date") or None,
        "rulebook_version": data.get("rulebook_version") or None,
        "committee": _committee(data.get("committee", "")),
    }
    try:
        started = await submit(request, reviews.START, body, request_id=data.get("request_id", ""))
    except DomainError as err:
        return await _list(request, FormState(values=data, error=err), status_for(err))
    return RedirectResponse(f"/talent/{started.review.id}", status_code=303)


@router.get("/talent/{review_id}", response_class=HTMLResponse)
async def review_page(request: Request, review_id: str) -> Response:
    return await _page(request, review_id, FormState())


async def _page(request: Request, review_id: str, form: FormState, status: int = 200) -> Response:
    who = require_person(request)
    ctx, principal = services(request), who.principal()
    r = await reads.review(ctx, principal, review_id)
    box = _int(request.query_params.get("box"))
    offset = _int(request.query_params.get("offset")) or 0
    page = objections = None
    if who.role in READERS:
        page = await reads.people_page(
            ctx, principal, review_id, box=box, offset=offset, limit=PAGE
        )
        objections = await reads.objection_list(ctx, principal, review_id)
    try:
        trace = await ledger_reads.trace(ctx, principal, review_id)
    except DomainError:
        trace = []
    seat = next((m["seat"] for m in r.committee if m["id"] == who.sub), None)
    audited = None
    if who.role == "auditor":
        audited = await reads.review_explanation(ctx, principal, review_id)
    committee = who.role == "talent_committee" and seat is not None
    boxes = (r.counts or {}).get("boxes") or {}
    # The 9-box as drawn (performance up, potential across), numbered by the review's own rulebook.
    grid = get_talent_rulebook(r.rulebook_version).grid()
    context = {
        "r": r,
        "grid": [[(b, boxes.get(str(b), 0)) for b in row] for row in grid],
        "page": page,
        "box": box,
        "offset": offset,
        "size": PAGE,
        "objections": objections or [],
        "committee": committee,
        "secretariat": committee and seat in ("chair", "secretary"),
        "can_cancel": who.role == "agency_hr" or (committee and seat == "chair"),
        "timeline": [e for e in trace if e["outcome"] == "accepted"][-40:],
        "refusals": sum(e["outcome"] == "refused" for e in trace),
        "audited": audited,
        "form": form,
        "flash": take_flash(request),
    }
    return render(request, "talent_review.html", context, status=status)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@router.get("/talent/{review_id}/people/{nip}", response_class=HTMLResponse)
async def person_page(request: Request, review_id: str, nip: str) -> Response:
    who = require_person(request)
    ctx = services(request)
    r = await reads.review(ctx, who.principal(), review_id)
    p = await reads.person(ctx, who.principal(), review_id, nip)
    why = why_lines(formatter(request))
    return render(request, "talent_person.html", {"r": r, "p": p, "why": why})


_ACTIONS: dict[str, tuple[Any, str]] = {
    "declarations": (people.DECLARE, N_("Your declaration is recorded.")),
    "moves": (people.CALIBRATE, N_("The move is recorded.")),
    "answers": (people.ANSWER, N_("Your answer is recorded.")),
    "close-calibration": (
        reviews.CLOSE_CALIBRATION,
        N_("Calibration is closed; the boxes are published."),
    ),
    "pool": (reviews.FINALIZE, N_("The talent pool is established.")),
    "cancel": (reviews.CANCEL, N_("The review is cancelled.")),
}


def _body(what: str, data: dict[str, str]) -> dict[str, Any]:
    if what == "declarations":
        listed = [n.strip() for n in data.get("conflicted", "").replace(",", "\n").splitlines()]
        return {"conflicted": [n for n in listed if n], "reason": data.get("reason", "")}
    if what == "moves":
        return {
            "nip": data.get("nip", ""),
            "box": _int(data.get("box")) or 0,
            "justification": data.get("justification", ""),
        }
    if what == "answers":
        uphold = data.get("uphold") == "yes"
        box = _int(data.get("box")) if uphold else None
        return {
            "nip": data.get("nip", ""),
            "uphold": uphold,
            "box": box,
            "justification": data.get("justification", ""),
        }
    if what == "cancel":
        return {"reason": data.get("reason", "")}
    return {"note": data.get("note") or None}


@router.post("/talent/{review_id}/{what}")
async def review_action(request: Request, review_id: str, what: str) -> Response:
    action, done = _ACTIONS.get(what, (None, ""))
    if action is None:
        return await _page(request, review_id, FormState(), status=404)
    data = await form_data(request)
    try:
        await submit(
            request,
            action,
            _body(what, data),
            request_id=data.get("request_id", ""),
            process_id=review_id,
        )
    except DomainError as err:
        state = FormState(values=data | {"form": what}, error=err)
        return await _page(request, review_id, state, status_for(err))
    flash(request, done)
    return RedirectResponse(f"/talent/{review_id}", status_code=303)


# ---- an employee's own box ----------------------------------------------------------------------


@router.get("/me/talent", response_class=HTMLResponse)
async def mine(request: Request) -> Response:
    return await _mine(request, FormState())


async def _mine(request: Request, form: FormState, status: int = 200) -> Response:
    who = require_person(request)
    ctx = services(request)
    rows = await reads.my_boxes(ctx, who.principal())
    found = []
    for p in rows:
        try:
            r = await reads.review(ctx, who.principal(), p.review_id)
        except DomainError:
            continue
        found.append({"p": p, "r": r, "can_object": r.stage == "objection" and not p.objection})
    context = {
        "rows": found,
        "form": form,
        "flash": take_flash(request),
        "why": why_lines(formatter(request)),
    }
    return render(request, "talent_mine.html", context, status=status)


@router.post("/me/talent/{review_id}/objection")
async def object_to_box(request: Request, review_id: str) -> Response:
    data = await form_data(request)
    body = {"grounds": data.get("grounds", "")}
    try:
        await submit(
            request,
            people.OBJECT,
            body,
            request_id=data.get("request_id", ""),
            process_id=review_id,
        )
    except DomainError as err:
        state = FormState(values=data | {"review": review_id}, error=err)
        return await _mine(request, state, status_for(err))
    flash(request, N_("Your objection is recorded; the committee will answer it."))
    return RedirectResponse("/me/talent", status_code=303)
