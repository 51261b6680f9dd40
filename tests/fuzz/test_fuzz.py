"""Fuzz every operation of the OpenAPI document once per principal (each role, and anonymous): no
5xx, and every answer is one the document declares (status, content type, body schema). See
tests/fuzz/harness.py.

The CI profile is bounded (``MERITFLOW_FUZZ_EXAMPLES``, default 1 case per operation, generation
mode and principal, drawn deterministically); ``make fuzz`` runs the long one (random draws, more
cases) and appends the counts to ``MERITFLOW_FUZZ_REPORT``.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from domain.enums import Role
from infra.tokens import mint_token
from server import create_app
from tests.fuzz.harness import Tally, fuzz, load, sender
from tests.helpers.promotion_api import AGENCY, Api

EXAMPLES = int(os.environ.get("MERITFLOW_FUZZ_EXAMPLES", "1"))
RANDOM = os.environ.get("MERITFLOW_FUZZ_RANDOM") == "1"
REPORT = os.environ.get("MERITFLOW_FUZZ_REPORT")
# National roles read across agencies; the others are bound to one.
NATIONAL = {Role.ADMIN, Role.BKN, Role.AUDITOR}
PRINCIPALS = [*(r.value for r in Role), "anonymous"]


def without_security(document: dict[str, Any]) -> dict[str, Any]:
    """The document as a token holder fuzzes it: the token is always sent (the anonymous run tries
    the requests without one), so the cases are spent on the inputs, not on dropping the header."""
    out = {**document, "paths": {}}
    for path, item in document["paths"].items():
        out["paths"][path] = {
            method: {k: v for k, v in op.items() if k != "security"} for method, op in item.items()
        }
    return out


@pytest.mark.timeout(3600)
@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_fuzz_every_operation(stack: Api, principal: str) -> None:
    document = create_app(stack.settings).openapi()
    headers: dict[str, str] = {}
    if principal != "anonymous":
        role = Role(principal)
        agency = None if role in NATIONAL else AGENCY
        token = mint_token(stack.settings, role=principal, sub=f"fuzz-{principal}", agency=agency)
        headers = {"Authorization": f"Bearer {token}"}
        document = without_security(document)
    send = sender(stack.http, asyncio.get_running_loop())
    tally: Tally = await asyncio.to_thread(
        fuzz, load(document), send, headers=headers, examples=EXAMPLES, derandomize=not RANDOM
    )
    if REPORT:
        with Path(REPORT).open("a", encoding="utf-8") as out:
            out.write(f"principal={principal} {tally.report()}\n")
    assert tally.requests >= len(document["paths"]), tally.report()
    assert (tally.server_errors, tally.failures) == (0, {}), tally.report()
