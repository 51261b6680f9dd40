"""Queries and gated writes of the open selection; the caller owns the transaction.

Two kinds of writer share these tables. The workflow's activities write the read model in full
(:func:`write_view`, the only writer of a selection's stage; :func:`replace_panel`,
:func:`publish`) and count what closes a stage (:func:`close_registration`, :func:`precheck_all`,
:func:`screening_tally`, :func:`check_component`), moving gate columns in the transaction that
counts. The action pipeline writes candidate-level data straight here, one transaction per request
(:func:`register_applicant`, :func:`import_applicants`, :func:`decide_screening`, :func:`declare`,
:func:`submit_score`), each checking its gate with ``domain.selection`` under the row's lock and
appending its own ledger entry (:class:`Stamp`).

A refused write raises a ``domain.errors`` error before the first row is touched.

Modules: ``rows`` (the row, its lock, panel, announcements), ``entries`` (the ledger entry of a
write), ``applicants``, ``screening``, ``scores``, ``counts`` (what closing a stage counts),
``tasks`` (the inbox).
"""

from store.selections.applicants import (
    SOURCES,
    count_applicants,
    get_applicant,
    import_applicants,
    list_applicants,
    register_applicant,
)
from store.selections.counts import (
    birth_dates,
    check_component,
    close_registration,
    score_sheets,
    screened_in,
)
from store.selections.entries import Stamp
from store.selections.rows import (
    announcements,
    get,
    insert_if_absent,
    list_selections,
    lock,
    panel,
    publish,
    replace_panel,
    seat,
    update_gate,
    write_view,
)
from store.selections.scores import (
    components_of,
    conflicts,
    declare,
    get_declaration,
    read_scores,
    scores_by,
    submit_score,
)
from store.selections.screening import decide_screening, precheck_all, screening_tally
from store.selections.tasks import tasks_for

__all__ = [
    "SOURCES",
    "Stamp",
    "announcements",
    "birth_dates",
    "check_component",
    "close_registration",
    "components_of",
    "conflicts",
    "count_applicants",
    "decide_screening",
    "declare",
    "get",
    "get_applicant",
    "get_declaration",
    "import_applicants",
    "insert_if_absent",
    "list_applicants",
    "list_selections",
    "lock",
    "panel",
    "precheck_all",
    "publish",
    "read_scores",
    "register_applicant",
    "replace_panel",
    "score_sheets",
    "scores_by",
    "screened_in",
    "screening_tally",
    "seat",
    "submit_score",
    "tasks_for",
    "update_gate",
    "write_view",
]
