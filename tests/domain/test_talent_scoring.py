"""The talent formula and the 9-box, table-driven against hand computations."""

from __future__ import annotations

from datetime import date

import pytest

from domain.talent.explanation import person_explanation
from domain.talent.records import RowError, record_from_row
from domain.talent.rulebook import (
    DEFAULT_TALENT_RULEBOOK,
    TALENT_RULEBOOKS,
    TRAINING_TALENT_RULEBOOK,
    Formula,
    TalentRulebook,
    get_talent_rulebook,
)
from domain.talent.scoring import Unscorable, score
from tests.domain.talent_data import CUTOFF, talent

RB = get_talent_rulebook("BKN-TM-2025.2")
OLD = get_talent_rulebook("BKN-TM-2025")
RB_TRAINING = get_talent_rulebook("BKN-TM-2025.2-training")

# The 9-box as the sources draw and number it (domain/talent/sources.py, BOX_NUMBERING_2025_2),
# written out here: performance (kinerja) up, its high row first; potential (potensial) across.
#                      potential:  low  medium  high
BY_PERFORMANCE_ROWS = {"high": (4, 7, 9), "medium": (2, 5, 8), "low": (1, 3, 6)}
NEW_CELLS = [
    (perf, pot, box)
    for perf, row in BY_PERFORMANCE_ROWS.items()
    for pot, box in zip(("low", "medium", "high"), row, strict=True)
]
# BKN-TM-2025's numbering along the diagonals, as the reviews pinned to it were numbered.
OLD_CELLS = [
    ("low", "low", 1),
    ("low", "medium", 2),
    ("medium", "low", 3),
    ("low", "high", 4),
    ("medium", "medium", 5),
    ("high", "low", 6),
    ("medium", "high", 7),
    ("high", "medium", 8),
    ("high", "high", 9),
]


def test_the_2025_formula_by_hand() -> None:
    s = score(talent(), RB, CUTOFF)
    # performance: main mean(100, 100) = 100; supporting min(2*25 + 3*10, 100) = 80
    assert s.performance == pytest.approx(0.6 * 100 + 0.4 * 80)  # 92
    # potential: 0.4*90 + 0.25*88 + 0.2*90 (S2) + 0.15*100 (no sanction)
    assert s.potential == pytest.approx(36 + 22 + 18 + 15)  # 91
    assert s.talent_score == pytest.approx(0.5 * 92 + 0.5 * 91)
    assert (s.performance_level, s.potential_level, s.box) == ("high", "high", 9)


@pytest.mark.parametrize(("perf", "pot", "box"), NEW_CELLS)
def test_the_box_table_numbers_by_rows_of_performance(perf: str, pot: str, box: int) -> None:
    assert RB.box(perf, pot) == box
    assert RB.box_levels(box) == (perf, pot)


def test_new_reviews_are_numbered_by_rows_and_drawn_as_the_sources_draw_them() -> None:
    assert DEFAULT_TALENT_RULEBOOK == RB.version
    assert get_talent_rulebook(TRAINING_TALENT_RULEBOOK).boxes == RB.boxes
    assert RB.grid() == [[4, 7, 9], [2, 5, 8], [1, 3, 6]]
    assert (RB.box("high", "medium"), RB.box("medium", "high")) == (7, 8)


@pytest.mark.parametrize(("perf", "pot", "box"), OLD_CELLS)
def test_a_review_pinned_to_bkn_tm_2025_still_numbers_along_the_diagonals(
    perf: str, pot: str, box: int
) -> None:
    for version in ("BKN-TM-2025", "BKN-TM-2025-training"):
        old = get_talent_rulebook(version)
        assert old.box(perf, pot) == box and old.box_levels(box) == (perf, pot)


def test_the_pool_is_the_same_three_cells_under_both_numberings_only_7_and_8_swap() -> None:
    cells = {rb.version: {b: rb.box_levels(b) for b in rb.pool_boxes} for rb in (OLD, RB)}
    assert OLD.pool_boxes == RB.pool_boxes == (7, 8, 9)
    assert set(cells[OLD.version].values()) == set(cells[RB.version].values())
    assert cells[OLD.version][9] == cells[RB.version][9] == ("high", "high")
    assert cells[OLD.version][7] == cells[RB.version][8] == ("medium", "high")
    assert cells[OLD.version][8] == cells[RB.version][7] == ("high", "medium")
    assert OLD.successor_box == RB.successor_box == 9


def test_bkn_tm_2025_2_changes_the_boxes_and_nothing_else() -> None:
    pairs = [(OLD, RB), (get_talent_rulebook("BKN-TM-2025-training"), RB_TRAINING)]
    for old, new in pairs:
        a, b = old.model_dump(), new.model_dump()
        changed = {k for k in a if a[k] != b[k]}
        assert changed <= {"version", "title", "legal_basis", "boxes", "sources"}, changed
        assert "boxes" in changed
        assert b["legal_basis"] == a["legal_basis"].replace(OLD.version, RB.version)
    assert RB_TRAINING.version == "BKN-TM-2025.2-training" and RB_TRAINING.training


def test_the_same_person_is_box_7_now_and_stays_box_8_on_a_review_pinned_to_bkn_tm_2025() -> None:
    record = talent(competency_score=60, potential_score=60)
    # potential: 0.4*60 + 0.25*60 + 0.2*90 + 0.15*100 = 72 (medium); performance 92 (high)
    now, before = score(record, RB, CUTOFF), score(record, OLD, CUTOFF)
    assert (now.performance, now.potential) == (before.performance, before.potential)
    assert (now.performance_level, now.potential_level) == ("high", "medium")
    assert (now.box, before.box) == (7, 8)


def test_thresholds_are_inclusive_at_their_lower_bound() -> None:
    assert RB.levels.level(80) == "high" and RB.levels.level(79.99) == "medium"
    assert RB.levels.level(60) == "medium" and RB.levels.level(59.99) == "low"


def test_a_sanction_within_the_lookback_lowers_integrity_the_worst_counts() -> None:
    record = talent(
        integrity=[
            {"severity": "ringan", "start": date(2024, 1, 1), "end": date(2024, 3, 1)},
            {"severity": "medium", "start": date(2025, 1, 1), "end": date(2025, 6, 1)},
            {"severity": "heavy", "start": date(2015, 1, 1), "end": date(2016, 1, 1)},
        ]
    )
    part = next(p for p in score(record, RB, CUTOFF).parts if p.key == "integrity")
    assert part.points == 50 and "medium" in part.detail


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"ratings": [{"year": 2020, "rating": "good"}]}, "no_rating"),
        ({"competency_score": None}, "no_competency"),
        ({"competency_assessed_on": date(2023, 1, 1)}, "competency_expired"),
        ({"competency_assessed_on": date(2027, 6, 1)}, "competency_expired"),
        ({"potential_score": None}, "no_potential"),
    ],
)
def test_what_cannot_be_scored_says_why(change: dict[str, object], code: str) -> None:
    with pytest.raises(Unscorable) as err:
        score(talent(**change), RB, CUTOFF)  # type: ignore[arg-type]
    assert err.value.code == code


def test_the_formula_must_sum_to_one_and_every_number_needs_a_source() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        Formula(**{**RB.formula.model_dump(), "performance_main": 0.7})
    data = RB.model_dump()
    data["sources"] = {k: v for k, v in RB.sources.items() if k != "formula"}
    with pytest.raises(ValueError, match="formula"):
        TalentRulebook.model_validate(data)


def test_the_2025_formula_carries_its_low_confidence_caveat_and_the_box_source_says_unconfirmed() -> (
    None
):
    for rb in TALENT_RULEBOOKS.values():
        assert "LOW CONFIDENCE" in rb.sources["formula"]
        assert "UNCONFIRMED" in rb.sources["boxes"]
    for version in ("BKN-TM-2025", "BKN-TM-2025-training"):
        assert get_talent_rulebook(version).sources["boxes"].startswith("SUPERSEDED")
    new = RB.sources["boxes"]
    assert new == RB_TRAINING.sources["boxes"]
    for cited in (
        "github.com/Praz-715/pupr-argo-dev, lib/scoring/konstanta.ts",
        "cikalpedia.id/manajemen-talenta-asn-akhiri-praktik-like-and-",
        "resources/views/kms/artikel2.blade.php",
        "permenpanrb-no-20-tahun-2025",
        "PermenPANRB 3/2020's Lampiran",
        "Kepka BKN 411/2025",
        "none of them the regulation's annex",
    ):
        assert cited in new, cited


def test_a_corrected_formula_is_a_new_version_not_a_code_change() -> None:
    data = RB.model_dump() | {"version": "agency-corrected"}
    data["formula"] = {**data["formula"], "performance_main": 0.5, "performance_supporting": 0.5}
    corrected = TalentRulebook.model_validate(data)
    assert score(talent(), corrected, CUTOFF).performance == pytest.approx(90)


def test_the_explanation_names_numbers_rule_and_the_committee() -> None:
    s = score(talent(), RB, CUTOFF)
    moved = {"from": 9, "to": 8, "by": "tc-1", "justification": "a recent audit finding"}
    text = person_explanation(s, RB, final_box=8, calibration=moved)
    assert text["box"] == 8 and text["computed_box"] == 9 and text["in_pool"]
    assert "BKN-TM-2025.2" in text["rule"] and "LOW CONFIDENCE" in text["sources"]["formula"]
    assert text["sources"]["boxes"].startswith("UNCONFIRMED against the annex")
    assert any("moved you from box 9 to box 8" in w for w in text["why"])
    assert "Box 8 is performance medium, potential high." in text["why"]
    old = person_explanation(s, OLD, final_box=8, calibration=moved)
    assert "Box 8 is performance high, potential medium." in old["why"]
    assert {p["key"] for p in text["parts"]} >= {"performance_main", "integrity"}


def test_a_csv_row_and_a_bad_one() -> None:
    row = {
        "nip": "198001012005011001",
        "name": "A",
        "agency": "X",
        "position_level": "administrator",
        "education": "S1",
        "birth_date": "1980-01-01",
        "years_experience": "10",
        "years_senior_post": "2",
        "ratings": "2025:good;2026:very_good",
        "integrity": "berat:2020-01-01:2020-12-31",
        "trainings": "PKA; PKN II",
    }
    record = record_from_row(row)
    assert [r.year for r in record.ratings] == [2025, 2026]
    assert record.integrity[0].severity.value == "heavy" and record.trainings == ["PKA", "PKN II"]
    with pytest.raises(RowError) as err:
        record_from_row({**row, "competency_score": "120"})
    assert err.value.column == "competency_score"
    with pytest.raises(RowError) as err:
        record_from_row({**row, "ratings": "2025"})
    assert err.value.column == "ratings"


def test_the_training_rulebook_counts_minutes_and_is_refused_in_production() -> None:
    from domain.durations import DurationUnit
    from domain.errors import RuleViolation
    from domain.talent.rulebook import rulebook_for_start

    for version in ("BKN-TM-2025.2-training", "BKN-TM-2025-training"):
        training = rulebook_for_start(version, "training")
        assert training.duration_unit is DurationUnit.MINUTES and training.training
        assert training.successor_review.duration_unit is DurationUnit.MINUTES
        with pytest.raises(RuleViolation) as err:
            rulebook_for_start(version, "production")
        assert err.value.code == "training_rulebook_not_allowed"
    legal = rulebook_for_start(None, "production")
    assert legal.version == "BKN-TM-2025.2" and legal.duration_unit is DurationUnit.WORKING_DAYS
    # The superseded version is still there for whoever names it.
    assert rulebook_for_start("BKN-TM-2025", "production").boxes["high/medium"] == 8
