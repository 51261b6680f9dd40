"""The record outlives Temporal: delete a finished workflow, and every audit read still answers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.testing import WorkflowEnvironment

from infra.settings import Settings
from tests.e2e.audit_support import AuditApi, finished_promotion, running_api, wait_until_gone


@pytest_asyncio.fixture
async def api(
    dev_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[AuditApi]:
    async with running_api(dev_env, sessions, settings) as running:
        yield running


async def test_a_deleted_workflow_leaves_ledger_read_model_and_explanation(
    api: AuditApi, dev_env: WorkflowEnvironment
) -> None:
    pid, run_id = await finished_promotion(api, dev_env)
    before = await api.ok(f"/v1/processes/{pid}/ledger")
    report = await api.ok(f"/v1/audit/processes/{pid}/reconciliation")
    assert report["ok"] is True, report

    await dev_env.client.workflow_service.delete_workflow_execution(
        DeleteWorkflowExecutionRequest(
            namespace=dev_env.client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=pid, run_id=run_id),
        )
    )
    await wait_until_gone(dev_env, pid, run_id)

    after = await api.ok(f"/v1/processes/{pid}/ledger")
    assert after == before
    verify = await api.ok(f"/v1/processes/{pid}/ledger/verify")
    assert verify["ok"] is True and verify["entries"] == len(before["entries"])
    promotion = await api.ok(f"/v1/promotions/{pid}")
    assert promotion["status"] == "completed"
    assert promotion["decree"]["number"] == "800/KP/2027/9"

    explanation = await api.ok(f"/v1/processes/{pid}/explanation")
    assert explanation["eligibility"]["eligible"] is True
    assert explanation["eligibility"]["reasons"]
    assert [(s["step"], s["decision"], s["automatic"]) for s in explanation["steps"]] == [
        (step, "approve", False)
        for step in (
            "supervisor",
            "promotion_board",
            "agency_hr",
            "bkn_technical_approval",
            "appointing_authority",
        )
    ]
    assert explanation["steps"][-1]["decree"]["number"] == "800/KP/2027/9"
    assert explanation["outcome"]["status"] == "completed"
    assert explanation["ledger"]["verified"] is True

    found = await api.ok("/v1/audit/entries", process_id=pid)
    assert [e["entry_id"] for e in found["items"]] == [e["entry_id"] for e in before["entries"]]

    gone = await api.ok(f"/v1/audit/processes/{pid}/reconciliation")
    assert gone["ok"] is False
    assert [d["kind"] for d in gone["differences"]] == ["history_unavailable"]
    assert run_id in gone["differences"][0]["detail"]
