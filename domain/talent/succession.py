"""Succession plans: for each critical JPT post, the ranked successors from the talent pool.

A successor's rank is their box (9 first), then their talent score, then their NIP (so a tie
never depends on the order rows were read). Each successor carries their readiness (the rulebook's
table by box and JPT eligibility) and the gaps of their individual development plan: every unmet
requirement of JPT eligibility (PP 11/2017 Pasal 107 as amended, §1.2), a competency result below
the level's target, and the leadership training the level asks for and they lack.

JPT eligibility is the open selection's own screening rule (``domain.selection.screening.screen``)
with the requirements of the rulebook the talent rulebook names: one rule, two routes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from domain.selection.rulebook import get_selection_rulebook
from domain.selection.screening import ApplicantProfile, ScreeningResult, screen
from domain.talent.records import TalentRecord
from domain.talent.rulebook import TalentRulebook


class CriticalPost(BaseModel):
    model_config = ConfigDict(frozen=True)

    agency: str
    post_id: str
    title: str
    post_level: str
    job_family: str | None = None


class PoolMember(BaseModel):
    """Someone in the agency's talent pool, with the record their review was scored on."""

    model_config = ConfigDict(frozen=True)

    nip: str
    name: str
    box: int
    talent_score: float
    review_id: str
    record: TalentRecord


class Gap(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    detail: str


class Successor(BaseModel):
    model_config = ConfigDict(frozen=True)

    rank: int
    nip: str
    name: str
    box: int
    talent_score: float
    readiness: str
    eligible: bool
    gaps: list[Gap] = Field(default_factory=list)
    review_id: str


def jpt_eligibility(
    record: TalentRecord, post_level: str, on: date, rb: TalentRulebook
) -> ScreeningResult:
    """§1.2 for ``post_level`` on ``on``: every requirement, met or not."""
    requirements = get_selection_rulebook(rb.eligibility_rulebook).requirements_for(post_level)
    profile = ApplicantProfile(
        applicant_id=record.nip,
        nip=record.nip,
        name=record.name,
        degree=record.education,
        years_experience=record.years_experience,
        years_senior_post=record.years_senior_post,
        birth_date=record.birth_date,
        grade=record.grade,
        sanction_active=record.sanction_active(on),
    )
    return screen(profile, requirements, on)


def gaps(
    record: TalentRecord, eligibility: ScreeningResult, post_level: str, rb: TalentRulebook
) -> list[Gap]:
    found = [Gap(code=r.code, detail=r.message) for r in eligibility.reasons if not r.met]
    target = rb.competency_target[post_level]
    if (record.competency_score or 0) < target:
        found.append(
            Gap(
                code="competency",
                detail=f"Competency {record.competency_score or 0:g}; the target for JPT "
                f"{post_level} is {target:g}.",
            )
        )
    training = rb.required_training[post_level]
    if training not in record.trainings:
        found.append(
            Gap(
                code="training", detail=f"{training} is required for JPT {post_level}; not on file."
            )
        )
    return found


def successors(
    post: CriticalPost, pool: Iterable[PoolMember], rb: TalentRulebook, on: date
) -> list[Successor]:
    """The post's ranked successors (at most ``rb.successors_per_post``) on ``on``."""
    fitting = [m for m in pool if post.job_family is None or m.record.job_family == post.job_family]
    fitting.sort(key=lambda m: (-m.box, -m.talent_score, m.nip))
    out = []
    for rank, m in enumerate(fitting[: rb.successors_per_post], start=1):
        result = jpt_eligibility(m.record, post.post_level, on, rb)
        out.append(
            Successor(
                rank=rank,
                nip=m.nip,
                name=m.name,
                box=m.box,
                talent_score=m.talent_score,
                readiness=rb.readiness_of(m.box, result.eligible),
                eligible=result.eligible,
                gaps=gaps(m.record, result, post.post_level, rb),
                review_id=m.review_id,
            )
        )
    return out


def plan_digest(plan: list[Successor]) -> list[tuple[int, str, int, str]]:
    """What a change of plan is judged on: who, in which order, in which box and readiness."""
    return [(s.rank, s.nip, s.box, s.readiness) for s in plan]
