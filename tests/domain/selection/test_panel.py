from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain.errors import RuleViolation
from domain.selection.panel import PanelMember, PanelRole, panel_violations, validate_panel
from domain.selection.rulebook import get_selection_rulebook

RB = get_selection_rulebook("PermenPANRB-15-2019")


def _panel(size: int, internal: int, *, chairs: int = 1, secretaries: int = 1) -> list[PanelMember]:
    """``size`` members, the first ``internal`` of them internal; chair and secretary first."""
    roles = [PanelRole.CHAIR] * chairs + [PanelRole.SECRETARY] * secretaries
    roles += [PanelRole.MEMBER] * (size - len(roles))
    return [
        PanelMember(
            id=f"m{i}",
            name=f"Member {i}",
            role=roles[i],
            internal=i < internal,
            affiliation="BKPSDM" if i < internal else "Universitas Hasanuddin",
        )
        for i in range(size)
    ]


def _codes(members: list[PanelMember]) -> list[str]:
    return [v.code for v in panel_violations(members, RB)]


@pytest.mark.parametrize(("size", "internal"), [(5, 2), (5, 0), (7, 3), (9, 4)])
def test_valid_panels_pass(size, internal):
    validate_panel(_panel(size, internal), RB)
    assert _codes(_panel(size, internal)) == []


@pytest.mark.parametrize(
    ("members", "raised", "all_codes"),
    [
        (_panel(6, 2), "panel_not_odd", ["panel_not_odd"]),
        (_panel(4, 1), "panel_size", ["panel_size", "panel_not_odd"]),
        (_panel(3, 1), "panel_size", ["panel_size"]),
        (_panel(11, 2), "panel_size", ["panel_size"]),
        (_panel(5, 3), "internal_share", ["internal_share"]),
        (_panel(7, 4), "internal_share", ["internal_share"]),
        (_panel(5, 2, chairs=0), "chair_required", ["chair_required"]),
        (_panel(5, 2, chairs=2), "chair_required", ["chair_required"]),
        (_panel(5, 2, secretaries=0), "secretary_required", ["secretary_required"]),
        (_panel(5, 2)[:4] + [_panel(5, 2)[3]], "duplicate_member", ["duplicate_member"]),
        (_panel(4, 3, chairs=0), "panel_size",
         ["panel_size", "panel_not_odd", "internal_share", "chair_required"]),
    ],
)  # fmt: skip
def test_composition_violations(members, raised, all_codes):
    assert _codes(members) == all_codes
    with pytest.raises(RuleViolation) as err:
        validate_panel(members, RB)
    assert err.value.code == raised
    assert [v["code"] for v in err.value.details["violations"]] == all_codes


def test_internal_share_message_states_share_and_cap():
    with pytest.raises(RuleViolation) as err:
        validate_panel(_panel(5, 3), RB)
    assert "3 of 5" in err.value.message
    assert "60%" in err.value.message
    assert "45%" in err.value.message


def test_message_lists_every_violation():
    with pytest.raises(RuleViolation) as err:
        validate_panel(_panel(4, 3, chairs=0), RB)
    assert "odd" in err.value.message
    assert "chair" in err.value.message


def test_rules_off_in_the_rulebook_are_not_checked():
    relaxed = RB.model_copy(
        update={"panel_must_be_odd": False, "require_chair": False, "require_secretary": False}
    )
    assert panel_violations(_panel(6, 2, chairs=0, secretaries=0), relaxed) == []


def test_a_member_needs_an_affiliation():
    with pytest.raises(ValidationError):
        PanelMember(id="m1", name="A", role=PanelRole.MEMBER, internal=False, affiliation="")
