"""Why a vacant post went where it went, in the reader's language, and never a sentence other
than the one kept (``web/talent_route.py``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.talent.filling import decide
from tests.domain.test_talent_rules import RB, VACATED, approval, candidates
from web.i18n import Formatter
from web.talent_route import route_lines

OLD: dict[str, object] = {"birth_date": date(1970, 1, 1)}  # 57 on the day the post fell vacant


def _decision(**kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "post_level": "pratama",
        "filled_by": None,
        "approval": approval(),
        "has_plan": True,
        # In ranked order (the helper pairs them so): the first is too old on the day.
        "candidates": candidates(("198001012005011001", 9, OLD), ("198001012005011002", 9, {})),
        "rb": RB,
        "on": VACATED,
    }
    return decide(**(args | kw)).model_dump(mode="json")


def _kept(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "reason": d["reason"],
        "checks": [{"met": c["met"], "text": c["message"]} for c in d["checks"]],
        "passed_over": [
            {"nip": p["nip"], "rank": p["rank"], "why": p["why"]} for p in d["passed_over"]
        ],
    }


def test_in_english_the_page_says_exactly_what_was_kept() -> None:
    for d in (_decision(), _decision(has_plan=False), _decision(approval=None)):
        assert route_lines(Formatter("en"), d) == _kept(d)


def test_in_indonesian_every_sentence_of_a_talent_route_is_translated() -> None:
    d = _decision()
    assert d["route"] == "talent_management"
    lines = route_lines(Formatter("id"), d)
    assert lines["reason"].startswith("Diisi dari talent pool: 198001012005011002 ")
    assert [c["met"] for c in lines["checks"]] == [True] * 6  # choice, 3 approval, plan, successor
    assert lines["checks"][0]["text"] == "Instansi menyerahkan keputusan pada aturan."
    assert "(peringkat 2, kotak 9) memenuhi syarat JPT pratama" in lines["checks"][-1]["text"]
    (aged,) = lines["passed_over"]
    assert aged["why"].startswith("tidak memenuhi syarat: ") and "57" in aged["why"]
    assert "not eligible" not in aged["why"] and "Aged" not in aged["why"]


def test_in_indonesian_an_open_selection_names_the_unmet_check_translated() -> None:
    d = _decision(has_plan=False)
    lines = route_lines(Formatter("id"), d)
    unmet = "Jabatan ini tidak memiliki rencana suksesi (tidak ditandai kritikal)."
    assert lines["reason"] == f"Diisi melalui seleksi terbuka: {unmet}"
    assert [c["text"] for c in lines["checks"] if not c["met"]] == [unmet]
    nobody = _decision(
        candidates=candidates(("198001012005011001", 9, OLD), ("198001012005011002", 8, {}))
    )
    lines = route_lines(Formatter("id"), nobody)
    assert nobody["route"] == "open_selection"
    assert "Tidak ada suksesor di kotak 9 yang memenuhi syarat JPT pratama" in lines["reason"]
    assert [p["why"] for p in lines["passed_over"]][1] == "di kotak 8, bukan kotak 9"


def test_a_decision_kept_without_templates_or_reworded_is_shown_as_kept() -> None:
    d = _decision()
    for c in d["checks"]:  # as decisions taken before templates were kept
        c.pop("template"), c.pop("args")
    for p in d["passed_over"]:
        p.pop("template", None), p.pop("args", None), p.pop("reasons", None)
    lines = route_lines(Formatter("id"), d)
    # The reason is rebuilt from the decision's own fields and says the same: it is translated.
    assert lines["reason"].startswith("Diisi dari talent pool: ")
    assert lines == _kept(d) | {"reason": lines["reason"]}
    reworded = _decision(has_plan=False)
    reworded["reason"] = "Filled by open selection, as an older build said it."
    assert route_lines(Formatter("id"), reworded)["reason"] == reworded["reason"]
