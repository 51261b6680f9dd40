"""A person's "why" in their language, and never a sentence other than the one kept."""

from __future__ import annotations

from typing import Any

from domain.talent.explanation import person_explanation
from domain.talent.rulebook import get_talent_rulebook
from domain.talent.scoring import Scored
from domain.talent.why import filled, why_from_explanation
from web.i18n import Formatter
from web.talent_why import why_lines

RB = get_talent_rulebook("BKN-TM-2025.2")
OLD = get_talent_rulebook("BKN-TM-2025")


def _explained(rb: Any = RB, box: int = 7, **kw: Any) -> dict[str, Any]:
    """High performance, medium potential: box 7 by rows of performance (BKN-TM-2025.2), box 8
    along BKN-TM-2025's diagonals."""
    s = Scored(
        nip="198001012005011001",
        performance=82.5,
        potential=61.0,
        talent_score=71.75,
        performance_level="high",
        potential_level="medium",
        box=box,
        parts=[],
    )
    return person_explanation(s, rb, final_box=kw.pop("final_box", box), **kw)


def test_the_kept_english_is_exactly_the_sentences_filled() -> None:
    moved = {"from": 7, "to": 5, "by": "tc-1", "justification": "temuan audit terbaru"}
    e = _explained(final_box=5, calibration=moved, objection={"status": "rejected"})
    assert e["why"] == filled(why_from_explanation(RB, e))
    # The wording the rows already published hold: changing it is a new kind of explanation.
    assert e["why"][0] == (
        "Performance axis 82.5 (high), potential axis 61 (medium): the formula places you in box 7."
    )
    assert e["why"][-1] == "Boxes 7, 8, 9 form the talent pool: you are not in it."
    assert "Box 7 is performance high, potential medium." in _explained()["why"]


def test_the_console_reads_each_sentence_in_indonesian_and_in_english() -> None:
    e = _explained(objection={"status": "upheld", "answer": "SKP direvisi"})
    lines = why_lines(Formatter("id"))(e)
    assert lines[0].startswith("Sumbu kinerja 82.5 (tinggi), sumbu potensial 61 (menengah)")
    assert lines[1] == "Keberatan Anda diterima: SKP direvisi"
    assert lines[-1].endswith("Anda termasuk di dalamnya.")
    assert why_lines(Formatter("en"))(e) == e["why"]


def test_an_explanation_kept_under_bkn_tm_2025_is_read_by_its_own_numbering() -> None:
    e = _explained(OLD, 8)
    assert "Box 8 is performance high, potential medium." in e["why"]
    lines = why_lines(Formatter("id"))(e)
    assert "Kotak 8 berarti kinerja tinggi, potensial menengah." in lines
    assert why_lines(Formatter("en"))(e) == e["why"]


def test_an_explanation_kept_in_other_words_is_shown_as_kept() -> None:
    e = _explained()
    e["why"] = ["Worded by an older build.", *e["why"][1:]]
    assert why_lines(Formatter("id"))(e) == e["why"]
    unknown = {**_explained(), "rulebook": "no-such-rulebook"}
    assert why_lines(Formatter("id"))(unknown) == unknown["why"]
