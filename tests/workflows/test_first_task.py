"""An update delivered with the workflow's start, in its very first task.

An HR system that creates a selection and sets its panel at once can have both land in the first
workflow task: the update's validator and handler then run before the workflow's main method. Update
with start makes that certain here (the dev server, which implements it), so the workflow must
already know its input in the validator and must hold the update until the start entry is written.
A promotion's decision sent that early is refused with the code a late one would get.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import (
    WithStartWorkflowOperation,
    WorkflowFailureError,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from domain.enums import Decision
from domain.ledger import Actor
from infra.settings import Settings
from store import ledger
from tests.conftest import PERIOD, employee, put_employee, register_body
from tests.helpers.promotion_workflow import start_input
from tests.helpers.selection_workflow import HR, PPK, Run, panel
from worker import build_worker
from workflows.contracts import DecisionInput, promotion_workflow_id
from workflows.promotion import PromotionWorkflow
from workflows.selection import OpenSelectionWorkflow
from workflows.selection_contracts import (
    CancelInput,
    PanelInput,
)


@pytest_asyncio.fixture
async def worker(
    dev_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[None]:
    async with build_worker(dev_env.client, sessions, settings):
        yield


async def test_a_panel_sent_with_the_start_waits_for_the_start_entry(
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    worker: None,
) -> None:
    body = f"OV{uuid.uuid4().hex[:8].upper()}"
    await register_body(sessions, body, kind="oversight", reviewers=["r0", "r1", "r2"], head="h")
    run = Run(dev_env, sessions, settings, body)
    start = WithStartWorkflowOperation(
        OpenSelectionWorkflow.run,
        run.start_input(),
        id=run.id,
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )
    state = await dev_env.client.execute_update_with_start_workflow(
        OpenSelectionWorkflow.set_panel,
        PanelInput(actor=HR, members=panel(run.prefix)),
        start_workflow_operation=start,
    )
    assert state.stage == "planning"
    handle = await start.workflow_handle()
    async with sessions() as s:
        rows = await ledger.entries(s, run.id)
    assert [r.kind for r in rows] == ["selection.started", "panel.set"]
    await handle.execute_update(
        OpenSelectionWorkflow.cancel, CancelInput(actor=PPK, reason="test finished")
    )
    await handle.result()
    # The wait is behind a patch: this history carries its marker and replays.
    history = await handle.fetch_history()
    markers = [e for e in history.events if e.HasField("marker_recorded_event_attributes")]
    assert markers, "the update took the patched path"
    replayer = Replayer(workflows=[OpenSelectionWorkflow], data_converter=pydantic_data_converter)
    assert (await replayer.replay_workflow(history)).replay_failure is None


async def test_a_decision_sent_with_a_promotions_start_is_refused_for_what_it_is(
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    worker: None,
) -> None:
    record = employee()
    await put_employee(sessions, record)
    start = WithStartWorkflowOperation(
        PromotionWorkflow.run,
        start_input(record),
        id=promotion_workflow_id(record["nip"], PERIOD),
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )
    supervisor = Actor(id=record["supervisor_nip"], role="supervisor", agency=record["agency"])
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await dev_env.client.execute_update_with_start_workflow(
            PromotionWorkflow.decide,
            DecisionInput(actor=supervisor, decision=Decision.APPROVE, justification="early"),
            start_workflow_operation=start,
        )
    cause = err.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "not_pending", cause
    handle = await start.workflow_handle()
    await handle.cancel()
    with pytest.raises(WorkflowFailureError):
        await handle.result()
