"""What every selection page shares: who the person is on this selection, and one way to act."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from actions import policy
from actions.pipeline import Action
from actions.queries import selections as reads
from actions.schemas.selections import SelectionRead
from actions.statuses import status_for
from domain.enums import Role
from domain.errors import DomainError
from domain.selection.rulebook import SelectionRulebook, WindowUnit, get_selection_rulebook
from web.forms import FormState, flash, services, submit
from web.session import Person, require_person

# Stages in the order a selection walks them; the terminal ones end the timeline.
STAGES = (
    "planning",
    "plan_review",
    "announcement",
    "registration",
    "screening",
    "assessment",
    "shortlist",
    "oversight_review",
    "appointment",
    "completed",
)
SECRETARIAT = ("chair", "secretary")
REGISTRARS = policy.action_roles("selection.register_applicant")
APPOINTERS = policy.action_roles("selection.appoint")


@dataclass(frozen=True)
class Seat:
    """The signed-in person on one selection: their role, their seat on its panel, and what the
    selection's rules let that role and seat do at its stage (the pipeline still judges)."""

    who: Person
    sel: SelectionRead
    seat: str | None
    rulebook: SelectionRulebook

    @property
    def planner(self) -> bool:
        return self.who.role == Role.AGENCY_HR.value or self.seat in SECRETARIAT

    @property
    def secretariat(self) -> bool:
        return self.seat in SECRETARIAT

    @property
    def member(self) -> bool:
        return self.seat is not None

    @property
    def registrar(self) -> bool:
        return self.who.role in REGISTRARS

    @property
    def authority(self) -> bool:
        return self.who.role in APPOINTERS and self.who.sub == self.sel.appointing_authority_id

    @property
    def minutes(self) -> bool:
        return self.rulebook.window_unit is WindowUnit.MINUTES

    @property
    def running(self) -> bool:
        return self.sel.status == "in_progress"


async def seat_of(request: Request, process_id: str) -> Seat:
    who = require_person(request)
    ctx = services(request)
    sel = await reads.get(ctx, who.principal(), process_id)
    seat = await reads.seat(ctx, who.principal(), process_id)
    return Seat(who, sel, seat, get_selection_rulebook(sel.rulebook_version))


Redraw = Callable[[FormState, int], Awaitable[Response]]


async def act(
    request: Request,
    process_id: str,
    action: Action[Any, Any],
    body: Mapping[str, Any] | bytes,
    data: Mapping[str, str],
    *,
    done: str,
    then: str,
    redraw: Redraw,
    at: str | None = None,
    row: str | None = None,
) -> Response:
    """One attempt of ``action``: on success a message and the page ``then``; on refusal the page
    drawn again by ``redraw`` with the refusal at the top and beside its field."""
    try:
        await submit(
            request, action, body, request_id=data.get("request_id", ""), process_id=process_id
        )
    except DomainError as err:
        form = FormState(values=dict(data), error=err, at=at, row=row)
        return await redraw(form, status_for(err))
    flash(request, done)
    return RedirectResponse(then, status_code=303)


def lines(text: str) -> list[str]:
    """The non-empty lines of a textarea, or the items of a comma-separated field."""
    return [p.strip() for chunk in text.splitlines() for p in chunk.split(",") if p.strip()]
