"""The reasons the committed histories recorded, written before ``domain/reasons.py`` existed,
are sentences of its templates: a template whose words drifted from what running workflows wrote
would stop reading them (and would write other words than their histories hold)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from domain import reasons

HISTORIES = sorted((Path(__file__).resolve().parent.parent / "histories").glob("*.json"))


def _payloads(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        if isinstance(node.get("data"), str) and "metadata" in node:
            try:
                yield json.loads(base64.b64decode(node["data"]))
            except ValueError:
                pass
        for value in node.values():
            yield from _payloads(value)
    elif isinstance(node, list):
        for value in node:
            yield from _payloads(value)


def _reasons(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("reason", "outcome_reason") and isinstance(value, str):
                yield value
            yield from _reasons(value)
    elif isinstance(node, list):
        for value in node:
            yield from _reasons(value)


def recorded() -> set[str]:
    found: set[str] = set()
    for path in HISTORIES:
        for payload in _payloads(json.loads(path.read_text())):
            found.update(_reasons(payload))
    return found


def test_the_reasons_recorded_before_the_templates_are_read_back_by_them() -> None:
    by_template: dict[str, list[str]] = {}
    for text in recorded():
        found = reasons.parse(text)
        if found is not None:
            assert found.template.format(**found.args) == text
            by_template.setdefault(found.template, []).append(text)
    # The histories hold these machine-written reasons; each must still be one of the templates.
    assert {
        reasons.ANY_ONE,
        reasons.MAJORITY,
        reasons.AUTO_APPROVED,
        reasons.SUCCESSOR_NOT_APPROVED,
        reasons.REGISTRATION_FAILED,
    } <= by_template.keys(), sorted(by_template)
    nested = reasons.parse(by_template[reasons.SUCCESSOR_NOT_APPROVED][0])
    assert nested is not None and reasons.parse(nested.args["why"]) is not None
