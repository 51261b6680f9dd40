"""A bounded wait for a change a client did not make itself (a review opening, a promotion moving
on after someone else's decision or a timer), instead of polling.

The version of a process is its entity tag: a digest of what the API shows of it, the same whether
the body came from the read model or from a workflow's answer to an action, so the ``ETag`` of a
decision's answer can be sent back as ``If-None-Match`` (or ``?after=``) to wait for the next
change. The wait is a short-interval asyncio wait bounded by the deadline: the read model's row
is read again by primary key after 50 ms, then at intervals growing by half up to 500 ms, never
past the deadline (at most 30 s). A change lands in the read model as the workflow's ledger batch
commits, so the client learns of it within one interval; the database sees a handful of key
lookups per waiting client, not a tight loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel

from domain.errors import RuleViolation

MAX_WAIT_S = 30.0
FIRST_INTERVAL_S = 0.05
LONGEST_INTERVAL_S = 0.5
# Every ``?wait=`` the server takes, and nothing else: none (empty), up to 30 s in seconds (``5``,
# ``2.5s``) or in milliseconds (``500ms``). The OpenAPI document states it as the parameter's
# pattern (api/params.py), so that what a client may send is what is accepted.
WAIT_PATTERN = (
    r"^(?:"
    r"|(?:[0-9]|[12][0-9])(?:\.[0-9]{1,3})?s?|30(?:\.0{1,3})?s?"
    r"|(?:[0-9]{1,4}|[12][0-9]{4})(?:\.[0-9]{1,3})?ms|30000(?:\.0{1,3})?ms"
    r")$"
)
_WAIT = re.compile(WAIT_PATTERN)
_NUMBER = re.compile(r"^([0-9.]+)(ms|s)?$")

T = TypeVar("T", bound=BaseModel)


def parse_wait(text: str | None) -> float:
    """Seconds to wait for ``?wait=`` (``5s``, ``1500ms``, ``2.5``); 0 when absent."""
    if text is None or text == "":
        return 0.0
    m = _NUMBER.match(text) if _WAIT.match(text) else None
    seconds = None
    if m:
        value = float(m.group(1))
        seconds = value / 1000 if m.group(2) == "ms" else value
    if seconds is None or seconds > MAX_WAIT_S:
        raise RuleViolation(
            f"wait must be a duration such as 5s or 500ms, at most {MAX_WAIT_S:.0f}s; got {text!r}.",
            code="invalid_wait",
            field="wait",
        )
    return seconds


def version_of(body: BaseModel, *, ignore: frozenset[str] = frozenset()) -> str:
    """The entity tag of ``body`` (quoted, as an ``ETag`` header carries it)."""
    data = body.model_dump_json(exclude={"created_at", "updated_at", "process", *ignore})
    return '"' + hashlib.sha256(data.encode()).hexdigest()[:20] + '"'


def normalise(tag: str | None) -> str | None:
    """``W/"x"``, ``"x"`` and ``x`` name the same version."""
    if tag is None:
        return None
    tag = tag.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    return '"' + tag.strip('"') + '"' if tag else None


async def until_changed(
    read: Callable[[], Awaitable[T]], seen: str | None, wait_s: float
) -> tuple[T, str]:
    """The body and its version as soon as the version differs from ``seen``, or as it stands
    when ``wait_s`` has passed (at once when nothing was seen or no wait was asked for)."""
    body = await read()
    version = version_of(body)
    seen = normalise(seen)
    if wait_s <= 0 or seen is None or version != seen:
        return body, version
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    interval = FIRST_INTERVAL_S
    while (left := deadline - loop.time()) > 0:
        await asyncio.sleep(min(interval, left))
        interval = min(interval * 1.5, LONGEST_INTERVAL_S)
        body = await read()
        version = version_of(body)
        if version != seen:
            break
    return body, version
