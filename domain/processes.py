"""The kinds of process Meritflow runs, named once.

Every module that names a kind of process (the ledger's ``process_kind`` column, reconciliation,
the action pipeline, the console) takes it from here; the full registry of what each kind is made
of (workflow, read model, actions, routes) is ``actions/registry.py``, which sees every layer.

Some things people change are not processes: an agency's employee records, its webhook
subscriptions, a review body and its roster, a reviewer's standing conflicts. Their actions go
through the same pipeline, and a refused attempt is recorded the same way, on a ledger chain of
the administered object (one chain per agency for records and subscriptions, one per review body,
one per reviewer). They have no workflow, so reconciliation has nothing to compare them with.
"""

from __future__ import annotations

import hashlib
from datetime import date
from enum import StrEnum


class ProcessKind(StrEnum):
    PROMOTION = "promotion"
    REVIEW = "review"
    SELECTION = "selection"
    PROMOTION_PERIOD = "promotion_period"
    TALENT_REVIEW = "talent_review"
    TALENT_APPOINTMENT = "talent_appointment"
    # Administered objects (no workflow): see the module's docstring.
    EMPLOYEE_RECORDS = "employee_records"
    WEBHOOK_SUBSCRIPTIONS = "webhook_subscriptions"
    REVIEW_BODY = "review_body"
    REVIEWER = "reviewer"
    # An agency's talent data, approval, critical posts and succession plans (no workflow).
    TALENT_RECORDS = "talent_records"


_AGENCY_CHAINS = {
    ProcessKind.EMPLOYEE_RECORDS: "employee-records",
    ProcessKind.WEBHOOK_SUBSCRIPTIONS: "webhook-subscriptions",
    ProcessKind.TALENT_RECORDS: "talent-records",
}


def agency_chain_id(kind: ProcessKind, agency: str | None) -> str:
    """The ledger chain of an agency's employee records, webhook subscriptions or talent records;
    national ones (no agency) share one chain."""
    prefix = _AGENCY_CHAINS[kind]
    return f"{prefix}-{agency}" if agency else prefix


def review_body_chain_id(code: str) -> str:
    return f"review-body-{code}"


def reviewer_chain_id(reviewer_id: str) -> str:
    # A reviewer's id is their token subject (up to 200 characters); a long one is hashed so that
    # entry ids (``<chain>:refused:<40>``) stay within the ledger's 200.
    if len(reviewer_id) > 100:
        reviewer_id = hashlib.sha256(reviewer_id.encode()).hexdigest()[:40]
    return f"reviewer-{reviewer_id}"


def promotion_workflow_id(nip: str, period: date) -> str:
    """One promotion per employee per period: the business key is the workflow id.

    Here rather than with the workflow's contracts because the activities that prepare a period's
    children (below the workflows) and the actions that start a promotion (above) both build it.
    """
    return f"promotion-{nip}-{period:%Y-%m}"
