"""What a request body may be, checked before any route reads it: bounded in bytes (however it is
sent), valid UTF-8 when it is JSON, and JSON bounded in nesting depth and element count.

A breach is raised from the body *reader*, so that a route that reads through the action pipeline
records the refused attempt like any other; nothing is read past the byte limit.
"""

from __future__ import annotations

import json
from typing import Any

from domain.errors import BadRequest, RuleViolation

JSON_TYPES = ("application/json", "application/cloudevents+json", "application/merge-patch+json")


def is_json(content_type: str | None) -> bool:
    base = (content_type or "").split(";")[0].strip().lower()
    return base in JSON_TYPES or base.endswith("+json")


def check_json(body: bytes, *, max_depth: int, max_elements: int) -> None:
    """Refuse a JSON body that is not UTF-8, too deep, or too large in elements; a body that is
    merely malformed is left to the route (which names the field at fault)."""
    if not body:
        return
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BadRequest(
            f"The body is not valid UTF-8 (byte {err.start}); send JSON encoded as UTF-8.",
            code="invalid_utf8",
            field="body",
        ) from err
    try:
        value = json.loads(text)
    except RecursionError as err:
        raise _too_deep(max_depth) from err
    except ValueError:
        return
    depth, count = _measure(value, max_depth, max_elements)
    if depth > max_depth:
        raise _too_deep(max_depth)
    if count > max_elements:
        raise RuleViolation(
            f"The JSON body has more than {max_elements} elements; send it in smaller parts.",
            code="json_too_large",
            field="body",
            limit=max_elements,
        )


def _too_deep(max_depth: int) -> RuleViolation:
    return RuleViolation(
        f"The JSON body is nested more than {max_depth} levels deep.",
        code="json_too_deep",
        field="body",
        limit=max_depth,
    )


def _measure(value: Any, max_depth: int, max_elements: int) -> tuple[int, int]:
    """(depth, elements), walked without recursion; stops early past either limit."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    deepest = count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        deepest = max(deepest, depth)
        if deepest > max_depth or count > max_elements:
            break
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest, count
