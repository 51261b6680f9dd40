"""The eligibility explanation reads in the person's language: every sentence the domain can give
has an Indonesian form in the catalog, filled with the same numbers, and English is the domain's own."""

from __future__ import annotations

from datetime import date

import pytest

from domain.eligibility import Reason, assess_eligibility
from domain.employee import EmployeeRecord, RatingRecord, Sanction
from domain.enums import PromotionType, Rating
from domain.rulebook import RULEBOOKS
from web.i18n import Formatter

PERIOD = date(2026, 4, 1)


def record(**overrides: object) -> EmployeeRecord:
    fields: dict[str, object] = {
        "nip": "198503152010011001",
        "name": "Siti Rahmawati",
        "agency": "KEMENPANRB",
        "grade": "III/b",
        "rank_since": date(2022, 4, 1),
        "education": "S1",
        "ratings": [RatingRecord(year=2024, rating=Rating.VERY_GOOD)],
        "credit_points": 60,
        "has_position_decree": True,
    }
    return EmployeeRecord.model_validate(fields | overrides)


def every_reason() -> list[Reason]:
    """Both outcomes of every check, over each promotion type and rulebook."""
    sanction = Sanction(kind="moderate", start=date(2026, 1, 1), end=None)
    records = [
        record(),
        record(grade="IV/e"),
        record(rank_since=date(2025, 6, 1), ratings=[], credit_points=0),
        record(sanctions=[sanction], has_position_decree=False, education="SMA", grade="III/d"),
        record(grade="II/d"),
    ]
    found: dict[tuple[str | None, bool], Reason] = {}
    for rb in RULEBOOKS.values():
        for kind in PromotionType:
            if kind not in rb.types:
                continue
            for r in records:
                for reason in assess_eligibility(r, kind, rb, PERIOD).reasons:
                    found.setdefault((reason.template, reason.met), reason)
    return list(found.values())


REASONS = every_reason()


def test_the_sample_covers_every_check_both_ways() -> None:
    codes = {(r.code, r.met) for r in REASONS}
    assert len(codes) >= 12, sorted(codes)
    assert all(r.template and r.template.format(**r.args) == r.message for r in REASONS)


@pytest.mark.parametrize("reason", REASONS, ids=lambda r: f"{r.code}-{r.met}-{len(r.args)}")
def test_every_sentence_is_indonesian_with_the_same_numbers(reason: Reason) -> None:
    assert reason.template is not None
    indonesian = Formatter("id").sentence(reason.template, reason.args, reason.message)
    assert indonesian != reason.message, f"untranslated: {reason.template}"
    for value in reason.args.values():
        assert value in indonesian
    assert Formatter("en").sentence(reason.template, reason.args, "x") == reason.message


def test_a_reason_without_a_template_keeps_its_sentence() -> None:
    legacy = Reason(code="top_grade", met=True, message="The next grade after III/b is III/c.")
    assert Formatter("id").sentence(legacy.template, legacy.args, legacy.message) == legacy.message
