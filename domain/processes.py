"""The kinds of process Meritflow runs, named once.

Every module that names a kind of process (the ledger's ``process_kind`` column, reconciliation,
the action pipeline, the console) takes it from here; the full registry of what each kind is made
of (workflow, read model, actions, routes) is ``actions/registry.py``, which sees every layer.
"""

from __future__ import annotations

from enum import StrEnum


class ProcessKind(StrEnum):
    PROMOTION = "promotion"
    REVIEW = "review"
    SELECTION = "selection"
    PROMOTION_PERIOD = "promotion_period"
