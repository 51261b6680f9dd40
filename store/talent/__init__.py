"""Queries and gated writes of talent management; the caller owns the transaction.

Modules: ``reviews`` (a review's row: read model, gate, lock), ``people`` (cut-off, scores,
declarations, calibration, publication), ``objections`` (objections, answers, the final pool),
``records`` (HR inputs, approvals, critical posts, the pool, succession plans), ``succession``
(refreshing plans, each change ledgered), ``appointments`` (a talent appointment's row),
``entries`` (the ledger entry of a write the action pipeline makes).
"""
