"""Open selection for high leadership posts (seleksi terbuka JPT): the pure rules.

Modules, one per concern, all free of I/O and clocks (callers pass dates), so the selection
workflow can import them inside the Temporal sandbox:

- ``rulebook``: versioned ``SelectionRulebook`` data, every number with its source (PermenPANRB
  15/2019, its floor-of-3 variant, and a training version counting minutes); ``sources``: where
  each legal number comes from
- ``seats``: who may act: a role together with its seat or identity, never one alone
- ``panel``: panel composition rules
- ``scheme``: the scoring scheme (components, weights, cut-offs, tie-break order)
- ``screening``: the administrative eligibility pre-check
- ``registration``: the window (dates, or minutes in training), who may still register, and the
  extend / proceed / fail decision at closing
- ``scoring``: screening decisions, conflict declarations, scores, blind reading
- ``plan``: the workflow's stage-level rules (staffing, plan, components, the appointee)
- ``ranking``: integrated scores, ranks, shortlist and published component lists
- ``plenary``: quorum and tally of the panel's shortlist vote
- ``stages``: the stage machine

Every refusal is a ``domain.errors`` subclass whose ``code`` names the rule broken.
"""
