"""A ledger rewritten in the database, with or without its checkpoints deleted, is caught by the
API's verify, by reconciliation with the Temporal histories, and by the offline verifier, each
naming the first bad entry.

Each case gets a database of its own: two promotions, a signed checkpoint (published outside the
database), then one rewrite done the way someone with database access would (around the guards).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, text, update

from domain.ledger import row_hash
from domain.merkle import ledger_leaf_hash
from integrity import checkpoint_log
from store import ledger
from store.audit_models import Checkpoint, MerkleLeaf
from store.models import LedgerEntry, LedgerHead
from tests.e2e.checkpoint_support import (
    StackApi,
    checkpoint_stack,
    export,
    promotion_with_history,
    verify,
)
from tests.helpers.ledger_rows import tamper

Rewrite = Callable[[StackApi, str], Awaitable[int]]


async def _rows(api: StackApi, pid: str) -> list[dict[str, Any]]:
    async with api.sessions() as s:
        return [ledger.entry_to_dict(r) for r in await ledger.entries(s, pid)]


async def edit(api: StackApi, pid: str) -> int:
    """One entry's justification changed; nothing else."""
    await tamper(
        api.sessions,
        update(LedgerEntry)
        .where(LedgerEntry.process_id == pid, LedgerEntry.seq == 2)
        .values(justification="forged"),
    )
    return 2


async def edit_and_rechain(api: StackApi, pid: str, *, leaves: bool = True) -> int:
    """An entry changed and every hash after it recomputed, the head and the leaves too."""
    rows = await _rows(api, pid)
    statements: list[Any] = []
    prev = rows[1]["prev_hash"]
    for i, row in enumerate(rows[1:], start=1):
        if i == 1:
            row["justification"] = "forged"
        row["prev_hash"] = prev
        row["hash"] = prev = row_hash(row)
        statements.append(
            update(LedgerEntry)
            .where(LedgerEntry.entry_id == row["entry_id"])
            .values(
                justification=row["justification"], prev_hash=row["prev_hash"], hash=row["hash"]
            )
        )
        if leaves:
            leaf = ledger_leaf_hash(row["entry_id"], row["hash"]).hex()
            statements.append(
                update(MerkleLeaf)
                .where(MerkleLeaf.entry_id == row["entry_id"])
                .values(leaf_hash=leaf)
            )
    statements.append(update(LedgerHead).where(LedgerHead.process_id == pid).values(hash=prev))
    await tamper(api.sessions, *statements)
    return 2


async def rechain_keeping_leaves(api: StackApi, pid: str) -> int:
    """Re-chained, but the Merkle leaves left as they were signed."""
    return await edit_and_rechain(api, pid, leaves=False)


async def rechain_and_drop_checkpoints(api: StackApi, pid: str) -> int:
    seq = await edit_and_rechain(api, pid, leaves=False)
    await tamper(api.sessions, delete(Checkpoint))
    return seq


async def truncate(api: StackApi, pid: str) -> int:
    """The last entry removed and the head wound back to the one before."""
    rows = await _rows(api, pid)
    last, before = rows[-1], rows[-2]
    await tamper(
        api.sessions,
        delete(LedgerEntry).where(LedgerEntry.entry_id == last["entry_id"]),
        update(LedgerHead)
        .where(LedgerHead.process_id == pid)
        .values(seq=before["seq"], hash=before["hash"]),
    )
    return int(last["seq"])


CASES: list[Rewrite] = [
    edit,
    edit_and_rechain,
    rechain_keeping_leaves,
    rechain_and_drop_checkpoints,
    truncate,
]


@pytest.mark.parametrize("rewrite", CASES, ids=[c.__name__ for c in CASES])
async def test_a_rewritten_ledger_is_caught_three_ways(
    rewrite: Rewrite, dev_env, tmp_path: Path
) -> None:
    publish = tmp_path / "published"
    async with checkpoint_stack(dev_env, tmp_path, checkpoint_publish_dir=publish) as api:
        pid = await promotion_with_history(api)
        other = await promotion_with_history(api)
        await api.checkpoint()
        assert checkpoint_log.read(publish), "the checkpoint was published outside the database"
        assert (await api.ok(f"/v1/processes/{pid}/ledger/verify"))["ok"] is True
        seq = await rewrite(api, pid)

        verdict = await api.ok(f"/v1/processes/{pid}/ledger/verify")
        assert verdict["ok"] is False, verdict
        if rewrite is edit_and_rechain:
            # The stored tree was rewritten with the entries: a neighbour's proof fails as well,
            # so the first failing entry may come before the edited one (reconciliation below
            # names it exactly).
            assert verdict["first_bad_seq"] <= seq, verdict
        else:
            assert verdict["first_bad_seq"] == seq, verdict
        assert (await api.ok(f"/v1/processes/{other}/ledger/verify"))["ok"] is True

        report = await api.ok(f"/v1/audit/processes/{pid}/reconciliation")
        assert report["ok"] is False, report
        named = {d.get("entry_id") for d in report["differences"]}
        if rewrite is not truncate:
            edited = next(r for r in await _rows(api, pid) if r["seq"] == seq)
            assert edited["entry_id"] in named, report
            first = report["differences"][0]
            assert first["kind"] == "entry_differs_from_history", report
            assert first["entry_id"] == edited["entry_id"], report

        exported = await export(api, tmp_path / "ledger.jsonl")
        code, out = await verify(exported, checkpoint_log.log_path(publish), _key(publish))
        assert code == 1 and out.startswith("FAIL"), out


def _key(publish: Path) -> str:
    return str(
        json.loads(checkpoint_log.log_path(publish).read_text().splitlines()[-1])["public_key"]
    )


async def test_guards_hold_without_going_around_them(dev_env, tmp_path: Path) -> None:
    async with checkpoint_stack(dev_env, tmp_path) as api:
        await promotion_with_history(api)
        await api.checkpoint()
        async with api.sessions() as s:
            count = (await s.execute(select(Checkpoint))).scalars().all()
        assert count
        for statement in (delete(Checkpoint), text("DELETE FROM merkle_leaves")):
            with pytest.raises(Exception, match="append-only"):
                async with api.sessions.begin() as s:
                    await s.execute(statement)


async def test_published_checkpoints_are_public(dev_env, tmp_path: Path) -> None:
    publish = tmp_path / "published"
    async with checkpoint_stack(dev_env, tmp_path, checkpoint_publish_dir=publish) as api:
        await promotion_with_history(api)
        made = await api.checkpoint()
        r = await api.http.get("/v1/public/checkpoints")  # no token
        body = r.json()
        assert r.status_code == 200 and body["public_key"]
        assert [c["id"] for c in body["checkpoints"]] == [made["id"]]
        page = await api.http.get("/public/checkpoints")
        assert page.status_code == 200 and made["root_hash"] in page.text
