"""Signed checkpoints through the API, on a Temporal dev server with a real worker."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from temporalio.client import ScheduleIntervalSpec, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from actions.checkpoint_schedule import SCHEDULE_ID, ensure_checkpoint_schedule
from activities.checkpoints import KEY_MISSING, CreateCheckpoint
from domain import merkle
from integrity.checkpoint_signing import checkpoint_message, verify_signature
from store import ledger
from store.models import LedgerEntry
from tests.e2e.checkpoint_support import (
    AGENCY,
    StackApi,
    checkpoint_stack,
    promotion_with_history,
)
from workflows.checkpoint import LedgerCheckpointWorkflow


async def entry_count(api: StackApi) -> int:
    async with api.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


async def test_checkpoint_inclusion_and_consistency(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with checkpoint_stack(dev_env, tmp_path) as api:
        first_pid = await promotion_with_history(api)
        first = await api.checkpoint()
        assert first["tree_size"] == await entry_count(api) >= 5

        key = await api.ok("/v1/audit/public-key")
        assert key["development"] is True and key["key_id"] == first["key_id"]
        message = checkpoint_message(first["tree_size"], first["root_hash"], first["created_at"])
        assert verify_signature(key["public_key"], message, first["signature"])

        async with api.sessions() as s:
            rows = await ledger.entries(s, first_pid)
        for row in rows:
            proof = await api.ok(f"/v1/audit/checkpoints/{first['id']}/inclusion/{row.entry_id}")
            assert proof["entry_hash"] == row.hash and proof["root_hash"] == first["root_hash"]
            leaf = merkle.ledger_leaf_hash(row.entry_id, row.hash)
            assert proof["leaf_hash"] == leaf.hex()
            path = [bytes.fromhex(h) for h in proof["audit_path"]]
            root = bytes.fromhex(first["root_hash"])
            assert merkle.verify_inclusion(
                leaf, proof["leaf_index"], first["tree_size"], path, root
            )
            assert not merkle.verify_inclusion(
                merkle.ledger_leaf_hash(row.entry_id, "0" * 64),
                proof["leaf_index"],
                first["tree_size"],
                path,
                root,
            )

        second_pid = await promotion_with_history(api)
        second = await api.checkpoint("admin")
        assert second["tree_size"] == await entry_count(api) > first["tree_size"]
        proof = await api.ok(
            "/v1/audit/consistency", first=first["tree_size"], second=second["tree_size"]
        )
        assert (proof["first_checkpoint_id"], proof["second_checkpoint_id"]) == (
            first["id"],
            second["id"],
        )
        assert merkle.verify_consistency(
            first["tree_size"],
            second["tree_size"],
            bytes.fromhex(first["root_hash"]),
            bytes.fromhex(second["root_hash"]),
            [bytes.fromhex(h) for h in proof["proof"]],
        )

        # An entry indexed by the second checkpoint is not in the first.
        async with api.sessions() as s:
            later = (await ledger.entries(s, second_pid))[0].entry_id
        r = await api.get(f"/v1/audit/checkpoints/{first['id']}/inclusion/{later}", agency=None)
        assert r.status_code == 409 and r.json()["error"] == "not_in_checkpoint"

        page = await api.ok("/v1/audit/checkpoints", limit=1)
        assert [c["id"] for c in page["items"]] == [second["id"]] and page["next_cursor"]
        page = await api.ok("/v1/audit/checkpoints", limit=1, cursor=page["next_cursor"])
        assert [c["id"] for c in page["items"]] == [first["id"]] and page["next_cursor"] is None
        assert (await api.ok(f"/v1/audit/checkpoints/{first['id']}")) == first


async def test_checkpoint_refusals(dev_env: WorkflowEnvironment, tmp_path: Path) -> None:
    async with checkpoint_stack(dev_env, tmp_path) as api:
        pid = await promotion_with_history(api)
        cp = await api.checkpoint()
        async with api.sessions() as s:
            entry_id = (await ledger.entries(s, pid))[0].entry_id
        url = f"/v1/audit/checkpoints/{cp['id']}/inclusion/{entry_id}"
        cases = [
            ("POST", "/v1/audit/checkpoints", "supervisor", AGENCY, 403, "forbidden_role"),
            ("GET", "/v1/audit/checkpoints", "agency_hr", AGENCY, 403, "forbidden_role"),
            ("GET", "/v1/audit/public-key", "hr_system", None, 403, "forbidden_role"),
            ("GET", url, "auditor", "OTHER-AGENCY", 404, "not_found"),
            ("GET", "/v1/audit/checkpoints/999/inclusion/x", "auditor", None, 404, "checkpoint_not_found"),
            ("GET", f"/v1/audit/checkpoints/{cp['id']}/inclusion/nope", "auditor", None, 404, "not_found"),
            ("GET", "/v1/audit/consistency?first=1&second=0", "auditor", None, 422, "validation_error"),
            ("GET", f"/v1/audit/consistency?first=1&second={cp['tree_size']}", "auditor", None, 404,
             "checkpoint_not_found"),
            ("GET", "/v1/audit/checkpoints?limit=0", "auditor", None, 422, "validation_error"),
        ]  # fmt: skip
        for method, target, role, agency, status, code in cases:
            r = await api.http.request(method, target, headers=api.auth(role, "x", agency))
            assert (r.status_code, r.json()["error"]) == (status, code), (target, r.text)
        # The auditor of the entry's own agency gets its proof.
        assert (await api.get(url, "auditor", AGENCY)).status_code == 200


async def test_production_without_a_key_refuses_to_checkpoint(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with checkpoint_stack(dev_env, tmp_path, env="production") as api:
        r = await api.http.post("/v1/audit/checkpoints", headers=api.auth("auditor", "a", None))
        assert r.status_code == 503 and r.json()["error"] == "checkpoint_key_missing"
        assert (await api.get("/v1/audit/public-key", agency=None)).status_code == 503
        assert await ensure_checkpoint_schedule(dev_env.client, api.settings) is False
        try:
            await dev_env.client.execute_workflow(
                LedgerCheckpointWorkflow.run,
                CreateCheckpoint(reason="test"),
                id=f"checkpoint-{uuid.uuid4().hex[:8]}",
                task_queue=api.settings.task_queue,
            )
        except WorkflowFailureError as err:
            cause = getattr(err.cause, "cause", None)
            assert isinstance(cause, ApplicationError) and cause.type == KEY_MISSING
        else:
            raise AssertionError("the checkpoint workflow must fail without a key")


async def test_schedule_is_created_once_and_runs_the_workflow(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    schedule_id = f"{SCHEDULE_ID}-{uuid.uuid4().hex[:8]}"
    async with checkpoint_stack(dev_env, tmp_path, checkpoint_interval_minutes=90) as api:
        await promotion_with_history(api)
        client = dev_env.client
        assert await ensure_checkpoint_schedule(client, api.settings, schedule_id=schedule_id)
        assert not await ensure_checkpoint_schedule(client, api.settings, schedule_id=schedule_id)
        handle = client.get_schedule_handle(schedule_id)
        try:
            spec = (await handle.describe()).schedule.spec
            assert spec.intervals == [ScheduleIntervalSpec(every=timedelta(minutes=90))]
            await handle.trigger()
            items = []
            for _ in range(600):
                items = (await api.ok("/v1/audit/checkpoints"))["items"]
                if items:
                    break
                await asyncio.sleep(0.1)
            assert items and items[0]["tree_size"] == await entry_count(api)
        finally:
            await handle.delete()
