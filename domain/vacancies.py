"""How a vacated post is filled: open selection, talent management, or within the agency.

An HR system reports a vacancy (``id.go.bkn.post.vacated.v1``):

- Only high leadership posts (JPT Utama, Madya, Pratama) are filled by open selection or from a
  talent pool (UU 5/2014 Pasal 108-113; PP 11/2017 Pasal 107) [S1,S2]. Administrator, supervisory
  (pengawas) and functional posts are filled within the agency by promotion or transfer [GK]:
  nothing is started, and the event records why.
- A JPT post goes to talent management or to open selection by the rules of
  ``domain.talent.filling`` (a current approval, a succession plan, a qualified successor in box 9);
  the event may carry the agency's choice (``filled_by``): ``open_selection`` always opens a
  selection, ``talent_management`` (or nothing) lets those rules decide, with open selection as
  the blended fall-back.

Pure: tags follow /work/shared/domain-rules.md.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel

from domain.selection.rulebook import POST_LEVELS
from domain.talent.filling import Decision

PostKind = Literal["pratama", "madya", "utama", "administrator", "pengawas", "functional"]
POST_KINDS: tuple[str, ...] = get_args(PostKind)
assert set(POST_LEVELS) <= set(POST_KINDS), "every JPT level is a kind of post"
FilledBy = Literal["open_selection", "talent_management"]


class Filling(BaseModel):
    """The route a vacancy takes, with the sentence and the legal basis that say why."""

    route: str  # open_selection | talent_management | within_agency
    reason: str
    legal_basis: str


def is_jpt(post_level: str) -> bool:
    return post_level in POST_LEVELS


def within_agency(post_level: str) -> Filling:
    """A post that is not a JPT post: filled within the agency."""
    return Filling(
        route="within_agency",
        reason=f"A post at level '{post_level}' is not a high leadership post (JPT): it is filled "
        "within the agency by promotion or transfer, not by open selection.",
        legal_basis="UU 5/2014 Pasal 108 (open selection fills JPT posts)",
    )


def from_decision(decision: Decision) -> Filling:
    """A JPT post's route as ``domain.talent.filling.decide`` found it."""
    return Filling(route=decision.route, reason=decision.reason, legal_basis=decision.legal_basis)
