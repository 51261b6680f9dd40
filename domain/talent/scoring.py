"""The talent score and the 9-box: each employee's axes by the rulebook's formula, and their box.

Pure and fast (a province's 100,000 employees are scored in one go): no clock, the cut-off date is
an argument. Every part of an axis keeps the numbers it came from, so the explanation an employee
reads can say which ratings, which assessment and which sanction gave which points under which rule.
A record that cannot be scored (no rating in the years read, no valid competency assessment, no
potential assessment) raises :class:`Unscorable` with the reason: the review lists it, it is never
guessed.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from domain.talent.records import Severity, TalentRecord
from domain.talent.rulebook import TalentRulebook


class Unscorable(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Part(BaseModel):
    """One input of an axis: its points (0-100), its weight in the axis, and where they came from."""

    model_config = ConfigDict(frozen=True)

    key: str
    axis: str
    points: float
    weight: float
    detail: str


class Scored(BaseModel):
    model_config = ConfigDict(frozen=True)

    nip: str
    performance: float
    potential: float
    talent_score: float
    performance_level: str
    potential_level: str
    box: int
    parts: list[Part]


def _r(value: float) -> float:
    return round(value, 2)


def _years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def _main(record: TalentRecord, rb: TalentRulebook, cutoff: date) -> Part:
    first, last = cutoff.year - rb.rating_years, cutoff.year - 1
    rated = [r for r in record.ratings if first <= r.year <= last]
    if not rated:
        raise Unscorable(
            "no_rating", f"No SKP rating for {first}-{last} on file at the cut-off {cutoff}."
        )
    points = _r(sum(rb.rating_scores[r.rating] for r in rated) / len(rated))
    listed = ", ".join(f"{r.year} {r.rating.value}" for r in rated)
    return Part(
        key="performance_main",
        axis="performance",
        points=points,
        weight=rb.formula.performance_main,
        detail=f"SKP ratings {listed}: mean {points:g} points",
    )


def _supporting(record: TalentRecord, rb: TalentRulebook) -> Part:
    sp = rb.supporting_points
    raw = record.awards * sp.per_award + record.team_assignments * sp.per_team_assignment
    points = _r(min(raw, sp.cap))
    return Part(
        key="performance_supporting",
        axis="performance",
        points=points,
        weight=rb.formula.performance_supporting,
        detail=f"{record.awards} award(s) x {sp.per_award:g} + {record.team_assignments} team "
        f"assignment(s) x {sp.per_team_assignment:g}, at most {sp.cap:g}: {points:g} points",
    )


def _competency(record: TalentRecord, rb: TalentRulebook, cutoff: date) -> Part:
    on, value = record.competency_assessed_on, record.competency_score
    if value is None or on is None:
        raise Unscorable("no_competency", "No competency assessment result on file.")
    if on > cutoff or on < _years_before(cutoff, rb.competency_validity_years):
        raise Unscorable(
            "competency_expired",
            f"The competency assessment of {on} is not valid at the cut-off {cutoff} (valid "
            f"{rb.competency_validity_years} years).",
        )
    return Part(
        key="competency",
        axis="potential",
        points=_r(value),
        weight=rb.formula.competency,
        detail=f"competency assessment of {on}: {value:g}",
    )


def _potential(record: TalentRecord, rb: TalentRulebook) -> Part:
    if record.potential_score is None:
        raise Unscorable("no_potential", "No potential assessment result on file.")
    return Part(
        key="potential_assessment",
        axis="potential",
        points=_r(record.potential_score),
        weight=rb.formula.potential_assessment,
        detail=f"potential assessment: {record.potential_score:g}",
    )


def _qualification(record: TalentRecord, rb: TalentRulebook) -> Part:
    points = rb.qualification_points[record.education]
    return Part(
        key="qualification",
        axis="potential",
        points=points,
        weight=rb.formula.qualification,
        detail=f"education {record.education}: {points:g} points",
    )


_SEVERITY_ORDER = (Severity.HEAVY, Severity.MEDIUM, Severity.LIGHT)


def _integrity(record: TalentRecord, rb: TalentRulebook, cutoff: date) -> Part:
    ip = rb.integrity_points
    since = _years_before(cutoff, ip.lookback_years)
    ran = {
        i.severity
        for i in record.integrity
        if i.start <= cutoff and (i.end is None or i.end >= since)
    }
    worst = next((s for s in _SEVERITY_ORDER if s in ran), None)
    points = ip.none if worst is None else getattr(ip, worst.value)
    what = "no disciplinary sanction" if worst is None else f"worst sanction {worst.value}"
    return Part(
        key="integrity",
        axis="potential",
        points=points,
        weight=rb.formula.integrity,
        detail=f"{what} since {since}: {points:g} points",
    )


def _axis(parts: list[Part], axis: str) -> float:
    return _r(sum(p.points * p.weight for p in parts if p.axis == axis))


def score(record: TalentRecord, rb: TalentRulebook, cutoff: date) -> Scored:
    """The axes, the talent score and the box of ``record`` at ``cutoff``; or Unscorable."""
    parts = [
        _main(record, rb, cutoff),
        _supporting(record, rb),
        _competency(record, rb, cutoff),
        _potential(record, rb),
        _qualification(record, rb),
        _integrity(record, rb, cutoff),
    ]
    performance, potential = _axis(parts, "performance"), _axis(parts, "potential")
    f = rb.formula
    talent = _r(performance * f.performance + potential * f.potential)
    perf_level, pot_level = rb.levels.level(performance), rb.levels.level(potential)
    return Scored(
        nip=record.nip,
        performance=performance,
        potential=potential,
        talent_score=talent,
        performance_level=perf_level,
        potential_level=pot_level,
        box=rb.box(perf_level, pot_level),
        parts=parts,
    )


def rule_sentence(rb: TalentRulebook) -> str:
    """The rule that placed everyone, in one sentence (with its version)."""
    f, lv = rb.formula, rb.levels
    return (
        f"Rulebook {rb.version}: performance = {f.performance_main:g} x main + "
        f"{f.performance_supporting:g} x supporting; potential = {f.competency:g} x competency + "
        f"{f.potential_assessment:g} x potential + {f.qualification:g} x qualification + "
        f"{f.integrity:g} x integrity; talent score = {f.performance:g} x performance + "
        f"{f.potential:g} x potential. An axis of {lv.high_from:g} or more is high, "
        f"{lv.medium_from:g} or more medium, otherwise low; the box is the rulebook's number "
        "for the pair (performance level, potential level)."
    )
