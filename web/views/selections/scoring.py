"""Blind scoring: a scorer declares conflicts of interest first, then scores the applicants of
their components by a code that never shows a name or a NIP; a score is locked once given (an
amendment needs a justification); others' scores show only after one's own. The chair or
secretary closes a component once every score is in."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from actions.queries import selections as reads
from actions.schemas.selections import ScoreList
from actions.selections.assessment import CLOSE_COMPONENT, DECLARE, READ_SCORES, SCORE
from actions.statuses import status_for
from domain.errors import DomainError, NotFound
from web.forms import FormState, form_data, new_request_id, services, submit, take_flash
from web.i18n import N_
from web.render import render
from web.routing import ConsoleRoute
from web.views.selections.common import Seat, act, seat_of

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.get("/selections/{process_id}/scoring", response_class=HTMLResponse)
async def scoring(request: Request, process_id: str) -> Response:
    return await _page(request, process_id, FormState())


async def _page(request: Request, process_id: str, form: FormState, status: int = 200) -> Response:
    me = await seat_of(request, process_id)
    ctx, principal = services(request), me.who.principal()
    sheet = await reads.score_sheet(ctx, principal, process_id)
    codes = reads.blind_codes(ctx, process_id, sheet.applicants)
    context = {
        "s": me.sel,
        "sheet": sheet,
        "codes": sorted(codes.items()),  # (code, applicant id): the id never reaches the page
        "may_declare": bool(sheet.components) and _declaring(me),
        "may_close": me.secretariat and me.running and me.sel.stage == "assessment",
        "form": form,
        "flash": take_flash(request),
    }
    return render(request, "selections/scoring.html", context, status=status)


def _declaring(me: Seat) -> bool:
    return me.running and me.sel.stage in ("screening", "assessment")


@router.get("/selections/{process_id}/declaration", response_class=HTMLResponse)
async def declaration(request: Request, process_id: str) -> Response:
    return await _declaration(request, process_id, FormState())


async def _declaration(
    request: Request, process_id: str, form: FormState, status: int = 200
) -> Response:
    """The conflict-of-interest statement: the one page of a scorer's that names applicants, kept
    apart from the score sheet, which shows codes only."""
    me = await seat_of(request, process_id)
    ctx, principal = services(request), me.who.principal()
    sheet = await reads.score_sheet(ctx, principal, process_id)
    may = bool(sheet.components) and _declaring(me)
    people = (await reads.screening(ctx, principal, process_id, limit=500)).items if may else []
    context = {
        "s": me.sel,
        "sheet": sheet,
        "may_declare": may,
        "people": people,
        "form": form,
        "flash": take_flash(request),
    }
    return render(request, "selections/declaration.html", context, status=status)


def _redraw(request: Request, process_id: str) -> Any:
    async def redraw(form: FormState, status: int) -> Response:
        return await _page(request, process_id, form, status)

    return redraw


@router.post("/selections/{process_id}/declarations")
async def declare(request: Request, process_id: str) -> Response:
    data = await form_data(request)
    sent = await request.form()
    body = {
        "conflicted": [str(v) for v in sent.getlist("conflicted") if isinstance(v, str)],
        "reason": data.get("reason", "").strip(),
    }

    async def redraw(form: FormState, status: int) -> Response:
        return await _declaration(request, process_id, form, status)

    return await act(
        request, process_id, DECLARE, body, data,
        done=N_("Your declaration is recorded."), then=f"/selections/{process_id}/scoring",
        redraw=redraw, at="reason", row="declare",
    )  # fmt: skip


async def _applicant(request: Request, process_id: str, code: str) -> str:
    """The applicant behind a blind code on the person's own sheet."""
    who_sheet = await reads.score_sheet(
        services(request), (await seat_of(request, process_id)).who.principal(), process_id
    )
    found = reads.blind_codes(services(request), process_id, who_sheet.applicants).get(code)
    if found is None:
        raise NotFound(f"No applicant {code!r} is on your score sheet.", code="unknown_code")
    return found


@router.post("/selections/{process_id}/scores")
async def score(request: Request, process_id: str) -> Response:
    data = await form_data(request)
    component, code = data.get("component", ""), data.get("code", "")
    applicant = await _applicant(request, process_id, code)
    text = data.get("score", "").strip().replace(",", ".")
    body = {
        "component": component,
        "applicant_id": applicant,
        "score": text or None,
        "justification": data.get("justification", "").strip() or None,
    }
    return await act(
        request, process_id, SCORE, body, data,
        done=N_("Your score is recorded and locked."),
        then=f"/selections/{process_id}/scoring#r-{component}-{code}",
        redraw=_redraw(request, process_id), at="score", row=f"{component}-{code}",
    )  # fmt: skip


@router.get("/selections/{process_id}/scoring/{component}/{code}", response_class=HTMLResponse)
async def others(request: Request, process_id: str, component: str, code: str) -> Response:
    """Everyone's scores of one applicant on one component: a guarded read, refused (and
    recorded) until the person has scored the applicant or the component is closed."""
    me = await seat_of(request, process_id)
    applicant = await _applicant(request, process_id, code)
    body = {"component": component, "applicant_id": applicant}
    error: DomainError | None = None
    found: ScoreList | None = None
    try:
        found = await submit(
            request, READ_SCORES, body, request_id=new_request_id(), process_id=process_id
        )
    except DomainError as err:
        error = err
    context = {
        "s": me.sel,
        "component": component,
        "code": code,
        "items": found.items if found else [],
        "form": FormState(error=error),
    }
    return render(
        request, "selections/scores.html", context, status=status_for(error) if error else 200
    )


@router.post("/selections/{process_id}/components/{component}/close")
async def close_component(request: Request, process_id: str, component: str) -> Response:
    data = await form_data(request)
    body = {"component": component, "note": data.get("note") or None}
    return await act(
        request, process_id, CLOSE_COMPONENT, body, data,
        done=N_("The component is closed and its ranking announced."),
        then=f"/selections/{process_id}/scoring", redraw=_redraw(request, process_id),
        at="note", row=f"close-{component}",
    )  # fmt: skip
