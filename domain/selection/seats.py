"""Who may act in a selection: a role together with the seat or identity that goes with it.

A seat is never enough on its own, nor is a role: the panel's seats go with the role
``selection_committee``, a scorer's assignment with the role its component's scorers hold
(``assessor`` for an assessment centre's part, ``selection_committee`` for the committee's), and the
appointment with the role ``appointing_authority`` held by the authority named at the start. A token
whose subject is the chair's id but whose role is ``auditor`` is not the chair.

Every refusal here is :class:`NotPermitted` (the caller sees the selection, but may not do this);
the callers (workflow validators, the store's gated writes) pass what they know of the seat.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from domain.enums import Role
from domain.errors import Conflict, NotPermitted
from domain.ledger import Actor
from domain.selection.panel import PanelRole
from domain.selection.scheme import Component

COMMITTEE = Role.SELECTION_COMMITTEE.value
SECRETARIAT = frozenset({PanelRole.CHAIR, PanelRole.SECRETARY})
# The role a component's scorers hold, by the component's scorer kind.
SCORER_ROLE: Mapping[str, str] = {
    "assessor": Role.ASSESSOR.value,
    "committee": Role.SELECTION_COMMITTEE.value,
}


def _seat_role(
    actor: Actor, seat: PanelRole | str | None, role_required: bool = True
) -> PanelRole | None:
    """The actor's seat, but only when they act in the role that goes with it.

    ``role_required=False`` is for the workflow re-checking, on replay, an update that a run from
    before this rule accepted (see ``workflows/selection/base.py``); never for a new request.
    """
    if seat is None:
        return None
    if role_required and actor.role != COMMITTEE:
        raise NotPermitted(
            f"{actor.id} holds a seat on this panel, which is taken with the role {COMMITTEE}; "
            f"this request came with the role {actor.role}.",
            code="wrong_role_for_seat",
        )
    return PanelRole(seat)


def require_member(
    actor: Actor, seat: PanelRole | str | None, what: str, role_required: bool = True
) -> PanelRole:
    """A member of this selection's panel, acting as one."""
    role = _seat_role(actor, seat, role_required)
    if role is None:
        raise NotPermitted(
            f"{actor.id} is not on this selection's panel; only its members {what}.",
            code="not_panel_member",
        )
    return role


def require_secretariat(
    actor: Actor, seat: PanelRole | str | None, what: str, role_required: bool = True
) -> None:
    """The panel's chair or secretary, acting as such."""
    if require_member(actor, seat, what, role_required) not in SECRETARIAT:
        raise NotPermitted(
            f"Only the panel's chair or secretary {what}.", code="not_chair_or_secretary"
        )


def require_planner(actor: Actor, seat: PanelRole | str | None, role_required: bool = True) -> None:
    """The plan is the agency HR unit's, or the panel chair's or secretary's."""
    if actor.role == Role.AGENCY_HR.value:
        return
    role = _seat_role(actor, seat, role_required)
    if role not in SECRETARIAT:
        raise NotPermitted(
            "The plan is prepared by the agency's HR unit or the panel's chair or secretary.",
            code="not_chair_or_secretary",
        )


def require_appointing_authority(
    actor: Actor, authority_id: str, role_required: bool = True
) -> None:
    """The appointing authority named when the selection started, acting as one."""
    if actor.id == authority_id and (
        actor.role == Role.APPOINTING_AUTHORITY.value or not role_required
    ):
        return
    raise NotPermitted(
        "Only this selection's appointing authority, with the role appointing_authority, may "
        "do this.",
        code="not_appointing_authority",
    )


def require_scorer(
    actor: Actor, code: str, component: Component | None, assigned: Collection[str]
) -> None:
    """Assigned to score component ``code``, with the role its scorers hold."""
    if actor.id not in assigned:
        raise NotPermitted(
            f"{actor.id} is not assigned to score {component.name if component else code}.",
            code="not_assigned",
        )
    wanted = SCORER_ROLE[component.scorer_kind] if component else None
    if wanted is not None and actor.role != wanted:
        raise NotPermitted(
            f"{component.name if component else code} is scored with the role {wanted}; this "
            f"request came with the role {actor.role}.",
            code="wrong_role_for_seat",
        )


def assigned_components(scorers: Mapping[str, Collection[str]], scorer_id: str) -> list[str]:
    """The components ``scorer_id`` scores, in code order."""
    return sorted(code for code, ids in scorers.items() if scorer_id in ids)


def require_any_assignment(
    actor: Actor, scorers: Mapping[str, Collection[str]], components: Mapping[str, Component]
) -> list[str]:
    """Assigned to score at least one component, with a role one of them is scored with."""
    codes = assigned_components(scorers, actor.id)
    if not codes:
        raise NotPermitted(
            f"{actor.id} is not assigned to score any component of this selection, so has "
            "nothing to declare.",
            code="not_assigned",
        )
    wanted = {SCORER_ROLE[components[c].scorer_kind] for c in codes if c in components}
    if wanted and actor.role not in wanted:
        raise NotPermitted(
            f"{actor.id} scores with the role {' or '.join(sorted(wanted))}; this request came "
            f"with the role {actor.role}.",
            code="wrong_role_for_seat",
        )
    return codes


def require_voter(
    actor: Actor,
    seat: PanelRole | str | None,
    recused: Collection[str],
    votes: Collection[str],
    role_required: bool = True,
) -> None:
    """A panel member not recused from this plenary, who has not voted yet."""
    require_member(actor, seat, "vote", role_required)
    if actor.id in recused:
        raise NotPermitted(
            "You declared a conflict with a proposed name, so you are recused from this vote.",
            code="not_eligible_to_vote",
        )
    if actor.id in votes:
        raise Conflict("You have already voted in this plenary.", code="already_voted")
