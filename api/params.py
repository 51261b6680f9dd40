"""Query parameter types that take what the OpenAPI document says and nothing else.

Integers are bounded by what the database stores (64-bit signed), so a huge id is a 422, not a 500.

Pydantic's lax mode reads ``?period=0`` as a Unix timestamp (1970-01-01); a query string that is not
an ISO 8601 date (or date-time with its offset) is refused 422 instead, naming the parameter.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import Path
from pydantic import AwareDatetime, BeforeValidator, Field

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
