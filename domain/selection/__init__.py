"""Open selection for high leadership posts (seleksi terbuka JPT): the pure rules.

Modules, one per concern, all free of I/O and clocks (callers pass dates), so the selection
workflow can import them inside the Temporal sandbox:

- ``rulebook``: versioned ``SelectionRulebook`` data (PermenPANRB 15/2019 and its floor-of-3 variant)
- ``panel``: panel composition rules
- ``scheme``: the scoring scheme (components, weights, cut-offs, tie-break order)
- ``screening``: the administrative eligibility pre-check
- ``registration``: window length and the extend / proceed / fail decision at closing
- ``ranking``: integrated scores, ranks, shortlist and published component lists
- ``plenary``: quorum and tally of the panel's shortlist vote
- ``stages``: the stage machine

Every refusal is a ``domain.errors`` subclass whose ``code`` names the rule broken.
"""
