"""The open selection's workflow, split by stage group; ``OpenSelectionWorkflow`` is its one entry.

- ``workflow``: the class, its run loop and query, its docstring listing updates, timers, outcomes
- ``base``: the process state and what every stage group shares (turns, refusals, the ledger)
- ``planning``, ``registration``, ``assessment``, ``plenary``, ``reviews``: one stage group each
- ``view``: who the selection waits for, as the read model shows it
"""

from workflows.selection.workflow import OpenSelectionWorkflow

__all__ = ["OpenSelectionWorkflow"]
