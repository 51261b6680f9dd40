"""Where each number of the PermenPANRB 15/2019 selection rulebook comes from.

Tags follow /work/shared/domain-rules.md: [S#] is a source listed there, [GK] is general knowledge
that was not confirmed and must be checked before relying on it. ``SelectionRulebook`` refuses a
rulebook without a source for every number (``domain.selection.rulebook.NUMBERS``).
"""

from __future__ import annotations

PERMENPANRB_15_2019: dict[str, str] = {
    "panel_min": "[GK] PermenPANRB 15/2019 sets 5 to 9 members (unconfirmed); observed panels have "
    "5 or 7 [S5,S12,S66,S67,S72b]",
    "panel_max": "[GK] as panel_min",
    "panel_must_be_odd": "[GK] an odd number, as every observed panel [S5,S12,S66,S67,S72b]",
    "internal_share_max": "UU 5/2014 Pasal 110 (internal and external members); internal at most "
    "45% as cited by BKD Sulsel [S5]",
    "require_chair": "panel decrees name a chair and a secretary, each also a member [S72b,S10b]",
    "require_secretary": "as require_chair [S72b,S10b]",
    "registration_min_length": "[GK] 15 calendar days: the CPNS minimum (PP 11/2017 Pasal 22(2)) "
    "and observed JPT windows [S11,S12]; the same minimum in PermenPANRB 15/2019 is unconfirmed",
    "min_applicants_per_post": "PermenPANRB 15/2019: at least 4 applicants per post [S9,S10]",
    "extension_length": "PermenPANRB 15/2019: an extension runs 7 calendar days [S9,S10]",
    "max_extensions": "PermenPANRB 15/2019: at most two extensions [S9,S10]",
    "floor_after_extensions": "strict reading: still fewer than 4 after both extensions fails "
    "[S9,S10]",
    "shortlist_size": "UU 5/2014 Pasal 113, PP 11/2017 Pasal 127: 3 names per vacancy [S2,S14]",
    "shortlist_min": "[GK] no rule for fewer than three qualified names: three are required to "
    "give the appointing authority a choice",
    "plenary_quorum_fraction": "[GK] no plenary quorum rule found (domain-rules 7): more than half "
    "of the non-recused members",
    "chair_breaks_ties": "[GK] no tie rule found: the chair's side wins a tie",
    "justification_min_chars": "[GK] Meritflow's rule: a reason of at least 10 characters; no "
    "regulation sets a length",
    "score_min": "[GK] the 0-100 scale of assessment reports and panel score sheets (e.g. below 68 "
    "'does not meet' [S66c]); no national scale found",
    "score_max": "[GK] as score_min",
    "plan_review": "[GK] oversight review of plan and panel (UU 5/2014 Pasal 120(4) [S19]); no "
    "service standard found: reminder after 5, due after 10 working days, then escalation",
    "shortlist_review": "[GK] as plan_review, for the proposed names [S14,S19]",
    "eligibility": "PP 11/2017 Pasal 107 as amended by PP 17/2020 [S26,S26b]",
}
