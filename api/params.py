"""Query parameter types that take what the OpenAPI document says and nothing else.

Integers are bounded by what the database stores (64-bit signed), so a huge id is a 422, not a 500.

Pydantic's lax mode reads ``?period=0`` as a Unix timestamp (1970-01-01); a query string that is not
an ISO 8601 date (or date-time with its offset) is refused 422 instead, naming the parameter.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import Header, Path, Query
from pydantic import AwareDatetime, BeforeValidator, Field

from actions.queries.waiting import WAIT_PATTERN

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _iso_date(value: Any) -> Any:
    if isinstance(value, str) and not _DATE.match(value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


def _iso_date_time(value: Any) -> Any:
    if isinstance(value, str) and not _DATE_TIME.match(value):
        raise ValueError("expected an ISO 8601 date-time with its offset (2027-04-01T08:00:00Z)")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_date_time)]

MAX_INT64 = 2**63 - 1
Count = Annotated[int, Field(ge=0, le=MAX_INT64)]
RowId = Annotated[int, Path(ge=1, le=MAX_INT64)]


# The bounded wait of a read (GET a promotion or a review): its description and parameters.
WAIT_DOC = (
    "Every answer carries an `ETag`: the version of what it shows (the same for this read and for "
    "an action's answer). To wait for a change you did not make yourself — a review opening, the "
    "process moving to its next step after someone else's decision or a timer — send the version "
    "you have as `If-None-Match` (or `?after=`) with `?wait=` (`5s`, `500ms`, at most `30s`; a "
    "bad value is 422): the answer comes as soon as the version differs, or when the wait has "
    "passed. Unchanged after the wait: 304 with `If-None-Match`, 200 with the same body and "
    "`ETag` with `?after=`. The server waits in short asyncio sleeps bounded by the deadline "
    "(50 ms, growing to 500 ms), reading the read model by key between them; it does not hold a "
    "database connection while it sleeps. Without `wait` the read answers at once. Your own "
    "actions never need this: their answers carry the new state and the next pending step."
)
WaitQuery = Annotated[
    str | None,
    Query(
        description="How long to wait for a change: 5s, 500ms; at most 30s.",
        # Documented, checked by parse_wait (422 ``invalid_wait``, not FastAPI's own error).
        json_schema_extra={"pattern": WAIT_PATTERN},
    ),
]
AfterQuery = Annotated[
    str | None, Query(description="The version (ETag) you have; as If-None-Match, in the URL.")
]
IfNoneMatch = Annotated[str | None, Header(description="The version (ETag) you have.")]
