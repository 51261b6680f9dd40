"""One marker for a run's changes instead of one per change.

``workflow.patched`` records a marker in the history of a run that takes a change, and with it the
SDK upserts the run's ``TemporalChangeVersion`` search attribute: a visibility write on the server,
per change, per run. On the bench's dev server two patches added to the bare workflow cost it 5 ms
of server CPU per run (0.75 s more per 150 runs, in two runs by turns): each about 40 % of an
update. A promotion took four, two of them in the middle of its approvals.

A kind takes its changes, in runs started from a baseline on, under that baseline's one marker:
:meth:`Changes.start` asks, at the run's first step, for each baseline from the newest down, and
stops at the first the run has; from then :meth:`Changes.patched` answers True for every change
that baseline includes, without a marker of its own. A new change goes into a new baseline that
includes the older one's: runs started since take it, runs started under the older baseline replay
without it, and neither records more than one marker.

A run started before the first baseline has no baseline marker in its history: it asks for each
change the first baseline includes as it always did, at the same points, so its history replays
unchanged. A change that only later baselines include was never asked for alone, and such a run
does not take it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from temporalio import workflow


class Changes:
    """The changes a run takes: under one of its kind's baselines, or one by one (older runs)."""

    def __init__(self, baselines: Sequence[tuple[str, Iterable[str]]]) -> None:
        """``baselines``: (marker, the changes it includes), the newest first; each includes
        the changes of the ones after it."""
        self._baselines = [(name, frozenset(includes)) for name, includes in baselines]
        self._alone = self._baselines[-1][1]  # asked for one by one before any baseline
        self._current: frozenset[str] | None = None

    def start(self) -> None:
        """At the run's first step (a fixed point, so every replay asks at the same one)."""
        if self._current is not None:
            return
        self._current = frozenset()
        for name, includes in self._baselines:
            if workflow.patched(name):
                self._current = includes
                return

    def patched(self, change: str) -> bool:
        if self._current and change in self._current:
            return True
        if change in self._alone:
            return workflow.patched(change)
        return False
