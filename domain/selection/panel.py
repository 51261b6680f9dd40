"""Selection panel (Pansel) composition: size, odd count, internal share, chair and secretary.

UU 5/2014 Pasal 110 requires a mix of internal and external members; the rulebook sets the size
bounds and the cap on the internal share. The chair and the secretary are members too and count
towards the size.
"""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from fractions import Fraction

from pydantic import BaseModel, ConfigDict, Field

from domain.selection.rulebook import SelectionRulebook, exact_fraction
from domain.selection.violations import Violation, raise_first


class PanelRole(StrEnum):
    CHAIR = "chair"
    SECRETARY = "secretary"
    MEMBER = "member"


class PanelMember(BaseModel):
    """One panel seat; ``internal`` marks a member from the agency running the selection."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    role: PanelRole
    internal: bool
    affiliation: str = Field(min_length=1, max_length=200)


def validate_panel(members: list[PanelMember], rb: SelectionRulebook) -> None:
    """Refuse a panel that breaks a composition rule; the code names the first rule broken."""
    raise_first(panel_violations(members, rb), field="members")


def panel_violations(members: list[PanelMember], rb: SelectionRulebook) -> list[Violation]:
    """Every composition rule ``members`` break, in a fixed order (size first)."""
    checks = (
        _size(members, rb),
        _odd(members, rb),
        _internal_share(members, rb),
        _exactly_one(members, PanelRole.CHAIR, rb.require_chair, "chair_required"),
        _exactly_one(members, PanelRole.SECRETARY, rb.require_secretary, "secretary_required"),
        _duplicates(members),
    )
    return [v for v in checks if v is not None]


def internal_share(members: list[PanelMember]) -> Fraction:
    """Internal members over all members, exactly; 0 for an empty panel."""
    if not members:
        return Fraction(0)
    return Fraction(sum(m.internal for m in members), len(members))


def _size(members: list[PanelMember], rb: SelectionRulebook) -> Violation | None:
    n = len(members)
    if rb.panel_min <= n <= rb.panel_max:
        return None
    return Violation(
        code="panel_size",
        message=(
            f"The panel has {n} member(s); rulebook {rb.version} requires "
            f"{rb.panel_min} to {rb.panel_max}."
        ),
    )


def _odd(members: list[PanelMember], rb: SelectionRulebook) -> Violation | None:
    n = len(members)
    if not rb.panel_must_be_odd or n % 2 == 1:
        return None
    return Violation(
        code="panel_not_odd",
        message=f"The panel has {n} member(s); rulebook {rb.version} requires an odd number.",
    )


def _internal_share(members: list[PanelMember], rb: SelectionRulebook) -> Violation | None:
    share = internal_share(members)
    cap = exact_fraction(rb.internal_share_max)
    if share <= cap:
        return None
    internal = sum(m.internal for m in members)
    return Violation(
        code="internal_share",
        message=(
            f"{internal} of {len(members)} panel members are internal ({_percent(share)}); "
            f"rulebook {rb.version} caps the internal share at {_percent(cap)}."
        ),
    )


def _exactly_one(
    members: list[PanelMember], role: PanelRole, required: bool, code: str
) -> Violation | None:
    count = sum(m.role is role for m in members)
    if not required or count == 1:
        return None
    return Violation(
        code=code,
        message=f"The panel needs exactly one {role.value}; it has {count}.",
    )


def _duplicates(members: list[PanelMember]) -> Violation | None:
    repeated = sorted(i for i, n in Counter(m.id for m in members).items() if n > 1)
    if not repeated:
        return None
    return Violation(
        code="duplicate_member",
        message=f"Listed more than once on the panel: {', '.join(repeated)}.",
    )


def _percent(value: Fraction) -> str:
    return f"{float(value * 100):.4g}%"
