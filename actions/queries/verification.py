"""Verify one process: its hash chain, and its entries against the newest *published* checkpoint.

The chain alone cannot catch a rewrite that recomputes every hash after the change. A signed
checkpoint can: its root covers every entry indexed before it, and its signature, checked with the
key this deployment is configured with (not a key stored next to the data), cannot be forged.
The checkpoint is read from where it was published outside the database, so deleting the
``checkpoints`` table hides nothing. For each of the process's entries the checkpoint covers, the
leaf must be the entry's current hash and its inclusion proof must lead to the signed root; the
first entry that fails is named.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from actions.queries.ledger import trace_rows
from actions.services import Services
from domain import merkle
from infra.tokens import Principal
from integrity import checkpoint_log
from integrity.checkpoint_signing import checkpoint_message, optional_signer, verify_signature
from store import checkpoints, ledger
from store.models import LedgerEntry
from store.reads import reading


class CheckpointCheck(BaseModel):
    checkpoint_id: int
    tree_size: int
    created_at: datetime
    key_id: str
    signature_ok: bool
    covered: int = 0
    proved: int = 0
    first_bad_seq: int | None = None
    first_bad_entry: str | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.signature_ok and self.problem is None and self.proved == self.covered


class Verification(BaseModel):
    """The chain check's fields (``ok`` for both checks), and the checkpoint's own result."""

    ok: bool
    process_id: str
    entries: int
    head_hash: str | None
    first_bad_seq: int | None
    problem: str | None
    chain_ok: bool
    checkpoint: CheckpointCheck | None


async def verify_process(services: Services, principal: Principal, process_id: str) -> Verification:
    published = await asyncio.to_thread(
        checkpoint_log.read, services.settings.published_checkpoints_dir
    )
    async with reading(services.sessions) as session:
        rows = await trace_rows(session, principal, process_id)
        chain = await ledger.verify(session, process_id)
        check = None
        if published:
            check = await _against(session, published[-1], rows, _trusted_key(services, published))
    bad = [s for s in (chain.first_bad_seq, check.first_bad_seq if check else None) if s]
    problem = chain.problem or (check.problem if check else None)
    return Verification(
        ok=chain.ok and (check is None or check.ok),
        process_id=process_id,
        entries=chain.entries,
        head_hash=chain.head_hash,
        first_bad_seq=min(bad) if bad else None,
        problem=problem,
        chain_ok=chain.ok,
        checkpoint=check,
    )


def _trusted_key(services: Services, published: list[dict[str, Any]]) -> str:
    """The deployment's own public key; without a signer configured here, the one published."""
    signer = optional_signer(services.settings)
    return signer.public_key if signer is not None else str(published[-1]["public_key"])


async def _against(
    session: Any, cp: dict[str, Any], rows: list[LedgerEntry], public_key: str
) -> CheckpointCheck:
    size, root = int(cp["tree_size"]), bytes.fromhex(cp["root_hash"])
    message = checkpoint_message(size, cp["root_hash"], cp["created_at"])
    check = CheckpointCheck(
        checkpoint_id=int(cp["id"]),
        tree_size=size,
        created_at=datetime.fromisoformat(cp["created_at"]),
        key_id=str(cp["key_id"]),
        signature_ok=verify_signature(public_key, message, cp["signature"]),
    )
    present = {r.entry_id for r in rows}
    for signed in await checkpoints.leaves_of_process(session, rows[0].process_id, size):
        if signed.entry_id not in present:  # signed into the tree, gone from the ledger
            check.first_bad_seq = len(rows) + 1
            check.first_bad_entry = signed.entry_id
            check.problem = (
                f"entry {signed.entry_id}, signed into checkpoint {check.checkpoint_id} at leaf "
                f"{signed.leaf_index}, is missing from the ledger (removed or truncated?)"
            )
            return check
    leaves = await checkpoints.leaves_of(session, [r.entry_id for r in rows])
    # Recorded after the checkpoint (or not indexed yet): not covered.
    covered = [(r, leaves[r.entry_id]) for r in rows if r.entry_id in leaves]
    covered = [(r, leaf) for r, leaf in covered if leaf.leaf_index < size]
    check.covered = len(covered)
    for row, leaf in covered:
        if leaf.leaf_hash != merkle.ledger_leaf_hash(row.entry_id, row.hash).hex():
            # Changed after it was signed into the tree: this is the entry, exactly.
            return _bad(check, row, f"is not the entry checkpoint {check.checkpoint_id} signed")
    proofs = await _proofs(session, [leaf.leaf_index for _, leaf in covered], size)
    unproved: list[LedgerEntry] = []
    for row, leaf in covered:
        proof = proofs.get(leaf.leaf_index)
        leaf_hash = bytes.fromhex(leaf.leaf_hash)
        if proof is None or not merkle.verify_inclusion(
            leaf_hash, leaf.leaf_index, size, proof, root
        ):
            unproved.append(row)
            continue
        check.proved += 1
    if unproved:
        # Leaves and entries agree but do not lead to the signed root: the stored tree was
        # rewritten along with the entries, so a neighbour's proof fails too; the history
        # (reconciliation) names the edited entry itself.
        _bad(
            check,
            unproved[0],
            f"no longer leads to the root checkpoint {check.checkpoint_id} "
            "signed (entries and their Merkle leaves rewritten together?)",
        )
    return check


async def _proofs(session: Any, indexes: list[int], size: int) -> dict[int, list[bytes]]:
    """Every covered leaf's audit path in one read; when a stored subtree is missing, leaf by
    leaf, so that the leaves whose paths are whole still prove (those without have none)."""
    try:
        return await checkpoints.inclusion_proofs(session, indexes, size)
    except checkpoints.TreeIncomplete:
        pass
    found: dict[int, list[bytes]] = {}
    for index in indexes:
        try:
            found[index] = await checkpoints.inclusion_proof(session, index, size)
        except checkpoints.TreeIncomplete:
            continue
    return found


def _bad(check: CheckpointCheck, row: LedgerEntry, what: str) -> CheckpointCheck:
    check.first_bad_seq, check.first_bad_entry = row.seq, row.entry_id
    check.problem = f"entry {row.seq} ({row.entry_id}) {what}"
    return check
