"""One rule for every list's cursor: opaque, handed out by the API, and refused alike when it is not.

A page's ``next_cursor`` is the position of its last item, encoded (:func:`encode`); the next request
sends it back as ``?cursor=`` and the list decodes it (:func:`decode`) into the key it pages by.
Anything else — a made-up string, a cursor of another list, a truncated one — is refused with 422
``invalid_cursor`` and one sentence (:func:`invalid`), on every list alike; never an empty page, never
the first page again. An empty ``?cursor=`` is the same as none.

Two lists page by positions their store module encodes itself (the audit search, whose cursor the
audit benchmark also reads, and the selections); they raise ``store.audit.InvalidCursor``, which
:func:`guard` turns into the same refusal.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from contextlib import contextmanager

from domain.errors import RuleViolation
from store.audit import InvalidCursor

Key = str | int
_PREFIX = "c1."


def invalid() -> RuleViolation:
    return RuleViolation(
        "The cursor is not one this list gave out; send the next_cursor of the previous page, "
        "or no cursor for the first page.",
        code="invalid_cursor",
        field="cursor",
    )


def encode(*key: Key) -> str:
    """The cursor of the position ``key`` (the last item's sort key)."""
    raw = json.dumps(list(key), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return _PREFIX + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode(cursor: str, *shape: type[Key]) -> tuple[Key, ...]:
    """The key in ``cursor``, each part of the type in ``shape``; else :func:`invalid`."""
    if not cursor.startswith(_PREFIX):
        raise invalid()
    body = cursor.removeprefix(_PREFIX)
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        key = json.loads(raw.decode("utf-8"))
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise invalid() from exc
    if not isinstance(key, list) or len(key) != len(shape):
        raise invalid()
    if not all(type(part) is kind for part, kind in zip(key, shape, strict=True)):
        raise invalid()
    return tuple(key)


def after_id(cursor: str | None) -> str | None:
    """The id a list keyed by one string id resumes after (``None``: the first page)."""
    if not cursor:
        return None
    (key,) = decode(cursor, str)
    return str(key)


def after_number(cursor: str | None) -> int | None:
    """The number a list keyed by one integer resumes after (``None``: the first page)."""
    if not cursor:
        return None
    (key,) = decode(cursor, int)
    return int(key)


def next_of(key: Key | None) -> str | None:
    """The ``next_cursor`` of a page whose last item has ``key`` (``None``: no next page)."""
    return None if key is None else encode(key)


@contextmanager
def guard() -> Iterator[None]:
    """Around a store call that decodes its own cursor: its refusal is this module's."""
    try:
        yield
    except InvalidCursor as exc:
        raise invalid() from exc
