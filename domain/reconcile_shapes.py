"""What each kind of process writes to the ledger, as reconciliation compares it with the history.

Keyed by ``domain.processes.ProcessKind``; ``domain.reconcile`` re-exports both names. A new kind
of process adds its shape here (README, "Adding a kind of process").
"""

from __future__ import annotations

from pydantic import BaseModel


class ProcessShape(BaseModel):
    """What a kind of process writes: its start entry, the activities that write its entries."""

    start_kind: str
    record_activities: tuple[str, ...]
    # False where one update may write several entries (each still by its own activity).
    one_entry_per_update: bool = True
    # False for a workflow that continues as new: one start entry for the chain, in its first run.
    start_in_every_run: bool = True

    @property
    def recorders(self) -> str:
        return " or ".join(self.record_activities)


SHAPES: dict[str, ProcessShape] = {  # keyed by domain.processes.ProcessKind
    "promotion": ProcessShape(
        start_kind="promotion.started",
        # A batch holding entries of the BKN review the promotion runs inside itself.
        record_activities=(
            "record_promotion",
            "record_promotion_batch",
            "record_promotion_review_batch",
        ),
    ),
    "selection": ProcessShape(
        start_kind="selection.started",
        record_activities=("record_selection", "record_selection_batch"),
        one_entry_per_update=False,
    ),
    "review": ProcessShape(
        start_kind="review.requested",
        record_activities=("record_review", "record_review_batch", "record_promotion_review_batch"),
        one_entry_per_update=False,
    ),
    # A close or a finalize records the step and what it published or established.
    "talent_review": ProcessShape(
        start_kind="talent_review.started",
        record_activities=("record_talent_review", "record_talent_review_batch"),
        one_entry_per_update=False,
    ),
    "talent_appointment": ProcessShape(
        start_kind="talent_appointment.started",
        record_activities=("record_talent_appointment", "record_talent_appointment_batch"),
    ),
    # The period's activities write its entries in their own transactions (no entry id in their
    # input), so these are matched by count; updates it has none.
    "promotion_period": ProcessShape(
        start_kind="promotion_period.started",
        record_activities=("prepare_period", "finish_period"),
        start_in_every_run=False,
    ),
}


# The updates of a review run inside the workflow of the process it reviews (a promotion's BKN
# review): they belong to the review's ledger, not to the host's.
HOSTED_REVIEW_UPDATES = frozenset({"review_declare", "review_verdict"})
