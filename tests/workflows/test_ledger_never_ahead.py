"""The ledger never runs ahead of the workflow: an entry for a decision is written only once the
history holds that decision, by either of its two writers.

A promotion's update hands its entries to its caller (workflows/ledgered.py), who writes them once
the update has completed: every entry handed over must name an update the history holds as
completed. A caller that dies leaves them to the workflow, which catches up with its own activity.

The recording activity is wrapped so that, before it writes, it reads the workflow's history from
the server and checks that every update its entries name was accepted there. The design makes this
hold by construction (the writing activity is scheduled by the completion of the task that
accepted, see workflows/ledgered.py); this test holds every write of a real run to it. A local
activity, as used before, runs while that task may still be open; in our runs on this SDK version
the check happened to pass for it too, so the crash itself is exercised by tests/e2e/test_faults.py.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from activities.contracts import PromotionRecords
from activities.ledger import LedgerActivities
from domain.enums import Decision, Step
from domain.ledger import Actor
from store import ledger
from tests.conftest import employee, put_employee, register_body
from tests.helpers.promotion_workflow import start, wait_pending
from tests.helpers.workers import worker_with
from workflows import policies
from workflows.contracts import DecisionInput
from workflows.promotion import PromotionWorkflow

CHECKED: list[str] = []


class CheckingLedger(LedgerActivities):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], client: Client) -> None:
        super().__init__(sessions)
        self._client = client

    @activity.defn(name="record_promotion_batch")
    async def record_promotion_batch(self, req: PromotionRecords) -> int:
        named = {i.entry.update_id for i in req.items if i.entry.update_id}
        if named:
            history = await self._client.get_workflow_handle(
                req.items[0].process_id
            ).fetch_history()
            accepted = _updates(history, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
            assert named <= accepted, f"entries for {named - accepted} written before acceptance"
            CHECKED.extend(sorted(named))
        return await super().record_promotion_batch(req)


def _updates(history: Any, event_type: Any) -> set[str]:
    found = set()
    for e in history.events:
        if e.event_type != event_type:
            continue
        if event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            found.add(e.workflow_execution_update_completed_event_attributes.meta.update_id)
        else:
            attrs = e.workflow_execution_update_accepted_event_attributes
            found.add(attrs.accepted_request.meta.update_id)
    return found


async def test_decision_entries_follow_their_accepted_update(ts_env, sessions, settings) -> None:
    await register_body(sessions, "BKN")
    rec = employee()
    await put_employee(sessions, rec)
    checking = CheckingLedger(sessions, ts_env.client)
    async with worker_with(ts_env.client, sessions, settings, checking.record_promotion_batch):
        h = await start(ts_env, settings, rec)
        await wait_pending(h, Step.SUPERVISOR)
        for role, sub in (("supervisor", rec["supervisor_nip"]), ("promotion_board", "board")):
            d = DecisionInput(
                actor=Actor(id=sub, role=role, agency=rec["agency"]),
                decision=Decision.APPROVE,
                justification="checked",
            )
            answer = await h.execute_update(PromotionWorkflow.decide, d)
            # What the caller is handed to write names only updates the history has completed.
            completed = _updates(
                await h.fetch_history(), EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED
            )
            handed = {i.entry.update_id for i in answer.ledger if i.entry.update_id}
            assert handed and handed <= completed
        # The caller died before writing: the workflow catches up, after the same check.
        await ts_env.sleep(policies.LEDGER_CATCH_UP + timedelta(seconds=1))
        deadline = asyncio.get_running_loop().time() + 60
        while len(CHECKED) < 2 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        await h.terminate("test finished")
    assert len(CHECKED) == 2, CHECKED
    async with sessions() as s:
        decided = [e for e in await ledger.entries(s, h.id) if e.kind == "promotion.decision"]
    assert sorted(str(e.update_id) for e in decided) == sorted(CHECKED)
