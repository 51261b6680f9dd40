"""A process's outcome reason reads in the person's language.

Workflows store the English sentence (histories replay only if the same words are built again), so
the words are pinned here as they were before the templates existed, every template is read back
from its own sentence, and every template has an Indonesian form filled with the same values.
"""

from __future__ import annotations

import re

import pytest

from domain import reasons
from domain.durations import DurationUnit, describe
from domain.review import (
    REVIEW_RULES,
    BodyKind,
    Quorum,
    RosterSnapshot,
    SubjectType,
    Verdict,
    eligible_reviewers,
    quorum_outcome,
)
from domain.selection.registration import explain_registration_decision
from domain.selection.rulebook import get_selection_rulebook
from web.i18n import Formatter
from web.reasons import reason_text

ID, EN = Formatter("id"), Formatter("en")
SAMPLE = {
    "why": "the first verdict decides (any one)",
    "within": "5 working days",
    "passed": "2",
    "version": "PERMENPANRB-15-2019",
    "floor": "3",
    "yes": "4",
    "no": "5",
    "applicants": "1",
    "extensions": "2",
    "required": "6",
    "count": "7",
    "quorum": "majority",
    "body": "LPT-01",
    "kind": "assessment_centre",
    "needed": "oversight",
    "level": "C",
}


def fill(template: str) -> tuple[str, dict[str, str]]:
    names = re.findall(r"\{(\w+)\}", template)
    args = {n: SAMPLE[n] for n in names}
    return template.format(**args), args


@pytest.mark.parametrize("template", reasons.TEMPLATES)
def test_each_sentence_is_read_back_as_its_template(template: str) -> None:
    text, args = fill(template)
    found = reasons.parse(text)
    assert found is not None and found.template == template and dict(found.args) == args


@pytest.mark.parametrize("template", reasons.TEMPLATES)
def test_each_sentence_has_an_indonesian_form_with_the_same_values(template: str) -> None:
    text, args = fill(template)
    shown = reason_text(ID, text)
    assert shown != text, f"no Indonesian for {template!r}"
    for name, value in args.items():
        if name in reasons.NESTED or name == reasons.DURATION or name in reasons.CODES:
            continue
        assert value in shown, (name, shown)
    # English is the stored sentence itself, codes and durations aside.
    if not set(args) & (set(reasons.CODES) | {reasons.DURATION} | reasons.NESTED):
        assert reason_text(EN, text) == text


def test_nested_reasons_durations_and_codes_are_translated_too() -> None:
    inner = reasons.AUTO_APPROVED.format(within=describe(10, DurationUnit.WORKING_DAYS))
    text = reasons.PERTEK_UNREVIEWED.format(why=inner)
    assert reason_text(ID, text) == (
        "pertimbangan teknis tidak dapat ditelaah: "
        "tidak ada putusan dalam 10 hari kerja: disetujui secara otomatis"
    )
    assert reason_text(EN, text) == text
    quorum = reasons.NO_QUORUM.format(quorum="unanimous", required=3)
    assert reason_text(ID, quorum) == "tidak ada persetujuan (bulat) di antara 3 putusan"


def test_a_typed_reason_is_shown_as_typed() -> None:
    for typed in ("Masa kerja belum cukup menurut berkas terbaru.", "", None):
        assert reason_text(ID, typed) == (typed or "")


def test_the_words_workflows_store_are_the_words_they_stored_before() -> None:
    """Byte for byte the sentences of the f-strings these templates replaced (histories replay)."""
    assert describe(1, DurationUnit.WORKING_DAYS) == "1 working day"
    assert describe(5, DurationUnit.MINUTES) == "5 minutes"
    votes = [Verdict.APPROVE, Verdict.APPROVE, Verdict.REJECT]
    assert quorum_outcome(Quorum.MAJORITY, 3, votes).reason == "2 of 3 reviewers: majority"  # type: ignore[union-attr]
    assert quorum_outcome(Quorum.UNANIMOUS, 2, votes[:2]).reason == (  # type: ignore[union-attr]
        "all 2 reviewers approved: unanimous"
    )
    assert quorum_outcome(Quorum.UNANIMOUS, 3, votes).reason == (  # type: ignore[union-attr]
        "no unanimous approval among 3 verdicts"
    )
    assert quorum_outcome(Quorum.ANY_ONE, 1, votes).reason == (  # type: ignore[union-attr]
        "the first verdict decides (any one)"
    )
    assert reasons.AUTO_APPROVED.format(within="1 minute") == (
        "no verdict within 1 minute: approved automatically"
    )
    assert reasons.SUCCESSOR_NOT_APPROVED.format(why=reasons.NOT_APPROVED_BY_BODY) == (
        "The oversight review did not approve the successor: the oversight body did not approve."
    )
    assert reasons.SHORTLIST_SHORT.format(passed=2, version="v1", floor=3) == (
        "Only 2 applicant(s) passed every cut-off; rulebook v1 needs at least 3 names for the "
        "appointing authority."
    )
    assert reasons.PLENARY_REFUSED.format(yes=1, no=4) == (
        "The plenary did not approve the shortlist (1 for, 4 against)."
    )
    strict = get_selection_rulebook("PermenPANRB-15-2019")
    assert explain_registration_decision(3, 2, strict) == (
        f"3 applicant(s) after 2 extension(s); rulebook {strict.version} requires "
        f"{strict.min_applicants_per_post}, and no extension is left: the selection fails."
    )


RULE = REVIEW_RULES[SubjectType.ASSESSMENT_REPORT]  # an assessment centre accredited B or better


@pytest.mark.parametrize(
    ("roster", "words"),
    [
        (RosterSnapshot(body_code="LPT-9", found=False), "No active review body LPT-9."),
        (
            RosterSnapshot(body_code="BKN", body_kind=BodyKind.OVERSIGHT),
            "BKN is a oversight body; this review needs assessment_centre.",
        ),
        (
            RosterSnapshot(body_code="LPT-1", body_kind=BodyKind.ASSESSMENT_CENTRE),
            "LPT-1 is accredited not at all; this review needs B or better.",
        ),
        (
            RosterSnapshot(
                body_code="LPT-2", body_kind=BodyKind.ASSESSMENT_CENTRE, accreditation_level="C"
            ),
            "LPT-2 is accredited C; this review needs B or better.",
        ),
    ],
)
def test_a_body_that_cannot_review_says_why_in_the_words_it_always_did(
    roster: RosterSnapshot, words: str
) -> None:
    found = eligible_reviewers(roster, RULE, None, exclude=set(), persons=[])
    assert found.detail == words
    assert reason_text(ID, words) != words
