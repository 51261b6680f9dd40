"""Why a person is in their box, sentence by sentence: each a template and its values.

The explanation kept with the person stores these sentences filled in English (its ``why`` list,
which the API answers and which rows published before templates existed already hold). The console
rebuilds them from the explanation's own numbers with :func:`why_from_explanation` and reads each
template from its catalog, so a person reads why in their language; the levels and an objection's
status are single words the console translates too (:data:`WORDS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.eligibility import N_
from domain.talent.rulebook import TalentRulebook

Sentence = tuple[str, dict[str, str]]

# The words that stand as values inside the sentences, marked for the catalogs.
WORDS = (N_("low"), N_("medium"), N_("high"), N_("upheld"), N_("rejected"))


def why_sentences(
    rb: TalentRulebook,
    *,
    performance: float,
    performance_level: str,
    potential: float,
    potential_level: str,
    computed_box: int,
    final_box: int,
    calibration: Mapping[str, Any] | None = None,
    objection: Mapping[str, Any] | None = None,
) -> list[Sentence]:
    perf, pot = rb.box_levels(final_box)
    out: list[Sentence] = [
        (
            N_(
                "Performance axis {performance} ({performance_level}), potential axis "
                "{potential} ({potential_level}): the formula places you in box {box}."
            ),
            {
                "performance": f"{performance:g}",
                "performance_level": performance_level,
                "potential": f"{potential:g}",
                "potential_level": potential_level,
                "box": str(computed_box),
            },
        )
    ]
    if calibration:
        out.append(
            (
                N_(
                    "The talent committee moved you from box {before} to box {after} ({by}): "
                    "{justification}"
                ),
                {
                    "before": str(calibration["from"]),
                    "after": str(calibration["to"]),
                    "by": str(calibration["by"]),
                    "justification": str(calibration["justification"]),
                },
            )
        )
    if objection:
        out.append(
            (
                N_("Your objection was {status}: {answer}"),
                {"status": str(objection["status"]), "answer": str(objection.get("answer", ""))},
            )
        )
    out.append(
        (
            N_("Box {box} is performance {performance_level}, potential {potential_level}."),
            {"box": str(final_box), "performance_level": perf, "potential_level": pot},
        )
    )
    pool = {"boxes": ", ".join(map(str, rb.pool_boxes))}
    if final_box in rb.pool_boxes:
        out.append((N_("Boxes {boxes} form the talent pool: you are in it."), pool))
    else:
        out.append((N_("Boxes {boxes} form the talent pool: you are not in it."), pool))
    return out


def filled(sentences: list[Sentence]) -> list[str]:
    """The sentences in English, as the explanation stores them."""
    return [template.format(**args) for template, args in sentences]


def why_from_explanation(rb: TalentRulebook, e: Mapping[str, Any]) -> list[Sentence]:
    """The sentences of a stored explanation (see ``explanation.person_explanation``)."""
    return why_sentences(
        rb,
        performance=float(e["performance"]),
        performance_level=str(e["levels"]["performance"]),
        potential=float(e["potential"]),
        potential_level=str(e["levels"]["potential"]),
        computed_box=int(e["computed_box"]),
        final_box=int(e["box"]),
        calibration=e.get("calibration"),
        objection=e.get("objection"),
    )
