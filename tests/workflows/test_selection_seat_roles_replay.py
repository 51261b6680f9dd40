"""Seats need their roles from now on, and a run that began before that still replays as it ran.

An update's validator never runs on replay; its handler re-checks the validator under the lock.
In a run recorded before ``selection-seats-with-their-roles``, an update the run accepted from a
seat held with another role (the defect) must replay; in a run recorded under the rule, the same
history would be a different run, and replay says so.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.review import ThirdPartyReviewWorkflow
from workflows.selection import OpenSelectionWorkflow

HISTORIES = Path(__file__).resolve().parent.parent / "histories"


def with_role(stem: str, update: str, role: str) -> WorkflowHistory:
    """The committed history ``stem`` with the actor of every ``update`` given ``role``."""
    ids = json.loads((HISTORIES / "workflow_ids.json").read_text())
    data: dict[str, Any] = json.loads((HISTORIES / f"{stem}.json").read_text())
    changed = 0
    for event in data["events"]:
        accepted = event.get("workflowExecutionUpdateAcceptedEventAttributes")
        if not accepted or accepted["acceptedRequest"]["input"]["name"] != update:
            continue
        payload = accepted["acceptedRequest"]["input"]["args"]["payloads"][0]
        arg = json.loads(base64.b64decode(payload["data"]))
        arg["actor"]["role"] = role
        payload["data"] = base64.b64encode(json.dumps(arg).encode()).decode()
        changed += 1
    assert changed, f"no {update} in {stem}"
    return WorkflowHistory.from_json(ids[stem], json.dumps(data))


async def replay(history: WorkflowHistory) -> BaseException | None:
    replayer = Replayer(
        workflows=[OpenSelectionWorkflow, ThirdPartyReviewWorkflow],
        data_converter=pydantic_data_converter,
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    return result.replay_failure


async def test_a_vote_accepted_before_the_rule_from_a_seat_with_another_role_replays() -> None:
    assert await replay(with_role("selection-appointed", "plenary_vote", "auditor")) is None
    assert await replay(with_role("selection-appointed", "appoint", "auditor")) is None


async def test_under_the_rule_such_a_vote_is_another_run() -> None:
    failure = await replay(with_role("selection-pipeline-appointed", "plenary_vote", "auditor"))
    assert failure is not None
