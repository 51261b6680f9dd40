"""Activity timeouts and retry policies, named once."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

RECORD_TIMEOUT = timedelta(seconds=10)
RECORD_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10)
)

# Entries an update handed to its caller (workflows/ledgered.py): the workflow writes them itself
# this long after the first of them at the latest (a caller that died meanwhile loses nothing), or
# as soon as this many wait.
LEDGER_CATCH_UP = timedelta(seconds=10)
MAX_HANDED = 50

HR_SNAPSHOT_TIMEOUT = timedelta(seconds=30)
HR_SNAPSHOT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=10,
    non_retryable_error_types=["employee_not_found"],
)

CALENDAR_TIMEOUT = timedelta(seconds=10)
CALENDAR_RETRY = RetryPolicy(maximum_attempts=5)

# Activities that read or write every applicant of a selection at once (pre-check, ranking).
BULK_TIMEOUT = timedelta(minutes=5)
