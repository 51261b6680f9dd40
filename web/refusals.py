"""The refusals a person meets on the selection's pages, in their language.

The pipeline refuses in English with a stable code; :func:`web.i18n.refusal_text` looks the code
up in the catalog as ``refusal:<code>`` (the refusal's details fill its parameters) and falls back
to the pipeline's sentence. Marking the keys here puts them in the catalogs; a code with no
Indonesian sentence would fail ``tests/web/test_catalogs.py``.

The score sheet is blind: the sentences of refusals a scorer meets there name no applicant (the
pipeline's own sentence names the applicant's id), in English too.
"""

from __future__ import annotations

from web.i18n import N_

REFUSALS = (
    N_("refusal:validation_error"),
    N_("refusal:forbidden_role"),
    N_("refusal:not_found"),
    N_("refusal:wrong_stage"),
    N_("refusal:request_in_progress"),
    N_("refusal:agency_required"),
    N_("refusal:training_rulebook_not_allowed"),
    N_("refusal:rulebook_not_found"),
    # planning
    N_("refusal:panel_size"),
    N_("refusal:panel_not_odd"),
    N_("refusal:internal_share"),
    N_("refusal:duplicate_member"),
    N_("refusal:not_chair_or_secretary"),
    N_("refusal:weights_sum"),
    N_("refusal:no_components"),
    N_("refusal:duplicate_component"),
    N_("refusal:tie_break_unknown"),
    N_("refusal:tie_break_duplicate"),
    N_("refusal:scorers_required"),
    N_("refusal:scorer_not_on_panel"),
    N_("refusal:pass_fail_weight"),
    N_("refusal:pass_fail_cutoff"),
    N_("refusal:plan_incomplete"),
    N_("refusal:already_announced"),
    N_("refusal:window_in_minutes"),
    N_("refusal:window_in_days"),
    N_("refusal:registration_window_too_short"),
    N_("refusal:registration_window_in_past"),
    # registration
    N_("refusal:registration_not_open"),
    N_("refusal:registration_closed"),
    N_("refusal:applicant_exists"),
    N_("refusal:csv_invalid"),
    N_("refusal:csv_too_large"),
    N_("refusal:csv_too_many_rows"),
    # screening and scoring
    N_("refusal:not_panel_member"),
    N_("refusal:wrong_role_for_seat"),
    N_("refusal:justification_required"),
    N_("refusal:applicant_not_found"),
    N_("refusal:not_assigned"),
    N_("refusal:declaration_required"),
    N_("refusal:conflict_of_interest"),
    N_("refusal:applicant_not_eligible"),
    N_("refusal:invalid_score"),
    N_("refusal:score_locked"),
    N_("refusal:duplicate_score"),
    N_("refusal:scores_blind"),
    N_("refusal:component_not_open"),
    N_("refusal:unknown_component"),
    N_("refusal:unknown_code"),
    # plenary and appointment
    N_("refusal:not_eligible_to_vote"),
    N_("refusal:already_voted"),
    N_("refusal:plenary_quorum_not_met"),
    N_("refusal:not_appointing_authority"),
    N_("refusal:not_shortlisted"),
)
