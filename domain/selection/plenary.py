"""The panel plenary that approves the shortlist: who may vote, the quorum, the tally.

Only non-recused members vote. The quorum is met when MORE than the rulebook's fraction of them
voted; votes cast decide by simple majority, and on a tie the chair's side wins when the rulebook
says so (a recused or silent chair breaks no tie, and a tie is then not an approval).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.errors import Conflict, RuleViolation
from domain.selection.rulebook import SelectionRulebook, exact_fraction


class PlenaryResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    approved: bool
    yes: int
    no: int
    present: int
    quorum_met: bool
    chair_cast_tie: bool


def quorum_met(present: int, eligible: int, rb: SelectionRulebook) -> bool:
    """Whether ``present`` voters out of ``eligible`` non-recused members make a quorum."""
    return present > exact_fraction(rb.plenary_quorum_fraction) * eligible


def check_quorum(
    votes: dict[str, bool], eligible_members: list[str], rb: SelectionRulebook
) -> None:
    """Refuse to tally a vote without a quorum (or with a vote from someone not eligible)."""
    _check_voters(votes, eligible_members)
    eligible = len(set(eligible_members))
    if quorum_met(len(votes), eligible, rb):
        return
    raise Conflict(
        f"{len(votes)} of {eligible} eligible panel members voted; rulebook {rb.version} needs "
        f"more than {float(rb.plenary_quorum_fraction * 100):g}% of them.",
        code="plenary_quorum_not_met",
        present=len(votes),
        eligible=eligible,
    )


def plenary_result(
    votes: dict[str, bool], eligible_members: list[str], chair_id: str, rb: SelectionRulebook
) -> PlenaryResult:
    """Tally ``votes`` (member id -> yes). Without a quorum the result is recorded, not approved."""
    _check_voters(votes, eligible_members)
    yes = sum(votes.values())
    no = len(votes) - yes
    quorum = quorum_met(len(votes), len(set(eligible_members)), rb)
    chair_vote = votes.get(chair_id)
    chair_cast_tie = quorum and yes == no and rb.chair_breaks_ties and chair_vote is not None
    if not quorum:
        approved = False
    elif chair_cast_tie:
        approved = bool(chair_vote)
    else:
        approved = yes > no
    return PlenaryResult(
        approved=approved,
        yes=yes,
        no=no,
        present=len(votes),
        quorum_met=quorum,
        chair_cast_tie=chair_cast_tie,
    )


def _check_voters(votes: dict[str, bool], eligible_members: list[str]) -> None:
    outsiders = sorted(set(votes) - set(eligible_members))
    if outsiders:
        raise RuleViolation(
            f"Not eligible to vote in this plenary (recused or not on the panel): "
            f"{', '.join(outsiders)}.",
            code="not_eligible_to_vote",
            members=outsiders,
        )
