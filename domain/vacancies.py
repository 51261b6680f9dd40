"""How a vacated post is filled: open selection, or another way the law provides.

An HR system reports a vacancy (``id.go.bkn.post.vacated.v1``); Meritflow starts an open selection
(seleksi terbuka) only where the law fills the post that way, and otherwise records why it did not.

- Only high leadership posts (JPT Utama, Madya, Pratama) are filled by open selection
  (UU 5/2014 Pasal 108-113; PP 11/2017 Pasal 107) [S1,S2]. Administrator, supervisory (pengawas)
  and functional posts are filled within the agency by promotion or transfer [GK].
- An agency whose merit system the oversight body approved may fill JPT posts from its talent pool
  without open selection (UU 5/2014 Pasal 111) [S2,S21]; the HR system says so in the event, as the
  approval is not data Meritflow holds.

Pure: tags follow /work/shared/domain-rules.md.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel

from domain.selection.rulebook import POST_LEVELS

PostKind = Literal["pratama", "madya", "utama", "administrator", "pengawas", "functional"]
POST_KINDS: tuple[str, ...] = get_args(PostKind)
assert set(POST_LEVELS) <= set(POST_KINDS), "every JPT level is a kind of post"
FilledBy = Literal["open_selection", "talent_management"]


class Filling(BaseModel):
    """The route a vacancy takes, with the sentence and the legal basis that say why."""

    open_selection: bool
    route: str  # open_selection | talent_management | within_agency
    reason: str
    legal_basis: str


def how_filled(post_level: str, filled_by: FilledBy = "open_selection") -> Filling:
    """How a vacated post of ``post_level`` is filled, given what the agency says it uses."""
    if post_level not in POST_LEVELS:
        return Filling(
            open_selection=False,
            route="within_agency",
            reason=f"A post at level '{post_level}' is not a high leadership post (JPT): it is "
            "filled within the agency by promotion or transfer, not by open selection.",
            legal_basis="UU 5/2014 Pasal 108 (open selection fills JPT posts)",
        )
    if filled_by == "talent_management":
        return Filling(
            open_selection=False,
            route="talent_management",
            reason=f"The agency fills this JPT {post_level.title()} post from its talent pool under "
            "an approved merit system, without open selection.",
            legal_basis="UU 5/2014 Pasal 111",
        )
    return Filling(
        open_selection=True,
        route="open_selection",
        reason=f"A JPT {post_level.title()} post is filled by open selection.",
        legal_basis="UU 5/2014 Pasal 108-113; PP 11/2017 Pasal 107",
    )
