"""Selections: the list and start form (agency HR), and a selection's own page: its stage
timeline, counts, who it waits for, and the actions open to the person's role and seat."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from actions import policy
from actions.queries import ledger as ledger_reads
from actions.queries import selections as reads
from actions.selections.common import STARTERS
from actions.selections.planning import START
from actions.statuses import status_for
from domain.errors import DomainError
from domain.selection.rulebook import DEFAULT_SELECTION_RULEBOOK, SELECTION_RULEBOOKS
from domain.training import training_allowed
from web.forms import FormState, form_data, services, submit, take_flash
from web.i18n import N_
from web.render import render
from web.routing import ConsoleRoute
from web.session import require_person
from web.views.selections.common import STAGES, Seat, seat_of

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
SCORING_ROLES = policy.action_roles("selection.submit_score")


def rulebooks(env: str) -> list[dict[str, Any]]:
    """The rulebooks a selection may start on here: training ones only where they are allowed."""
    return [
        {"version": rb.version, "title": rb.title, "training": rb.training}
        for rb in SELECTION_RULEBOOKS.values()
        if not rb.training or training_allowed(env)
    ]


@router.get("/selections", response_class=HTMLResponse)
async def selections(request: Request, cursor: str | None = None) -> Response:
    return await _list(request, FormState(), cursor)


async def _list(
    request: Request, form: FormState, cursor: str | None, status: int = 200
) -> Response:
    who = require_person(request)
    ctx = services(request)
    page = await reads.page(ctx, who.principal(), cursor=cursor)
    context = {
        "page": page,
        "form": form,
        "can_start": who.role in STARTERS,
        "rulebooks": rulebooks(ctx.settings.env),
        "default_rulebook": DEFAULT_SELECTION_RULEBOOK,
        "flash": take_flash(request),
    }
    return render(request, "selections/list.html", context, status=status)


@router.post("/selections")
async def start(request: Request) -> Response:
    data = await form_data(request)
    body = {
        "code": data.get("code", "").strip(),
        "post_title": data.get("post_title", "").strip(),
        "post_level": data.get("post_level", ""),
        "appointing_authority_id": data.get("appointing_authority_id", "").strip(),
        "rulebook_version": data.get("rulebook_version") or None,
        "oversight_body": data.get("oversight_body", "").strip() or None,
        "assessment_body": data.get("assessment_body", "").strip() or None,
    }
    try:
        started = await submit(request, START, body, request_id=data.get("request_id", ""))
    except DomainError as err:
        return await _list(request, FormState(values=data, error=err), None, status_for(err))
    return RedirectResponse(f"/selections/{started.selection.id}", status_code=303)


@router.get("/selections/{process_id}", response_class=HTMLResponse)
async def selection(request: Request, process_id: str) -> Response:
    me = await seat_of(request, process_id)
    ctx = services(request)
    principal = me.who.principal()
    try:
        trace = await ledger_reads.trace(ctx, principal, process_id)
    except DomainError:
        trace = []
    components = []
    if me.who.role in SCORING_ROLES:
        components = (await reads.score_sheet(ctx, principal, process_id)).components
    context = {
        "s": me.sel,
        "me": me.who,
        "seat": me.seat,
        "stages": _stages(me.sel.stage),
        "waiting": [awaited(w) for w in me.sel.waiting_for],
        "actions": open_actions(me, bool(components)),
        "timeline": [e for e in trace if e["outcome"] == "accepted"],
        "refusals": sum(1 for e in trace if e["outcome"] == "refused"),
        "legal_basis": me.rulebook.legal_basis,
        "flash": take_flash(request),
    }
    return render(request, "selections/selection.html", context)


# What the workflow waits for (``workflows/selection/view.py``), as catalog strings.
AWAITED = {
    "set the panel and scheme, then submit the plan": N_(
        "set the panel and scheme, then submit the plan"
    ),
    "registration opens": N_("registration opens"),
    "announce the vacancy": N_("announce the vacancy"),
    "register": N_("register"),
    "decide screening and close it": N_("decide screening and close it"),
    "vote in the plenary": N_("vote in the plenary"),
    "appoint one of the shortlist": N_("appoint one of the shortlist"),
}
AWAITED_PREFIXES = (("review ", N_("review %(what)s")), ("score ", N_("score %(what)s")))


def awaited(item: dict[str, Any]) -> dict[str, Any]:
    """One ``waiting_for`` item with its sentence as a msgid and parameters, and its due time."""
    what, params = str(item.get("what", "")), {}
    text = AWAITED.get(what, what)
    for prefix, msgid in AWAITED_PREFIXES:
        if what.startswith(prefix):
            text, params = msgid, {"what": what[len(prefix) :]}
    due = item.get("due_at")
    when = datetime.fromisoformat(str(due)) if due else None
    return {"who": item.get("who"), "what": text, "params": params, "due": when}


def _stages(current: str) -> list[dict[str, str]]:
    """Every stage with where the selection is: done, current or to come."""
    if current not in STAGES:  # cancelled or failed: the stages walked are unknown here
        return [{"stage": current, "state": "current"}]
    at = STAGES.index(current)
    return [
        {"stage": s, "state": "done" if i < at else "current" if i == at else "todo"}
        for i, s in enumerate(STAGES)
    ]


def open_actions(me: Seat, scores: bool) -> list[dict[str, str]]:
    """What the person may do on this selection now, by role and seat (the pipeline judges)."""
    s, base, out = me.sel, f"/selections/{me.sel.id}", []
    if not me.running:
        return []
    stage = s.stage

    def add(label: str, href: str) -> None:
        out.append({"label": label, "href": href})

    if stage == "planning" and me.planner:
        add(
            N_("Set the panel, the scoring scheme and the scorers, then submit the plan"),
            f"{base}/planning",
        )
    if stage == "announcement" and me.planner:
        add(N_("Announce the vacancy and open registration"), f"{base}/planning#announce-h")
    if stage == "registration" and me.registrar:
        add(N_("Register applicants, one by one or from a CSV file"), f"{base}/applicants")
    if stage == "screening" and me.member:
        add(N_("Decide the administrative screening"), f"{base}/screening")
    if stage in ("screening", "assessment") and scores:
        add(N_("Declare conflicts of interest and score, blind"), f"{base}/scoring")
    if stage == "assessment" and me.secretariat:
        add(N_("Close a component once every score is in"), f"{base}/scoring#close-h")
    if stage == "shortlist" and me.member:
        add(N_("Vote on the proposed shortlist"), f"{base}/decision")
    if stage == "appointment" and me.authority:
        add(N_("Appoint one of the three"), f"{base}/decision")
    if me.authority:
        add(N_("Cancel the selection"), f"{base}/decision#cancel-h")
    return out
