"""Verify one process for an auditor: its hash chain, and its entries against the newest signed
checkpoint (the checkpoint's signature, each covered entry's leaf, its inclusion proof)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from actions.queries.ledger import trace_rows
from actions.services import Services
from domain import merkle
from infra.tokens import Principal
from integrity.checkpoint_signing import checkpoint_message, verify_signature
from store import checkpoints, ledger
from store.ledger import VerifyResult


class CheckpointCheck(BaseModel):
    checkpoint_id: int
    tree_size: int
    created_at: datetime
    key_id: str
    signature_ok: bool
    covered: int
    proved: int
    first_bad_entry: str | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.signature_ok and self.problem is None and self.proved == self.covered


class Verification(BaseModel):
    process_id: str
    chain: VerifyResult
    checkpoint: CheckpointCheck | None

    @property
    def ok(self) -> bool:
        return self.chain.ok and (self.checkpoint is None or self.checkpoint.ok)


async def verify_process(services: Services, principal: Principal, process_id: str) -> Verification:
    async with services.sessions() as session:
        rows = await trace_rows(session, principal, process_id)
        chain = await ledger.verify(session, process_id)
        newest = await checkpoints.list_checkpoints(session, limit=1)
        if not newest:
            return Verification(process_id=process_id, chain=chain, checkpoint=None)
        cp = newest[0]
        check = CheckpointCheck(
            checkpoint_id=cp.id,
            tree_size=cp.tree_size,
            created_at=cp.created_at,
            key_id=cp.key_id,
            signature_ok=verify_signature(
                cp.public_key,
                checkpoint_message(cp.tree_size, cp.root_hash, cp.created_at),
                cp.signature,
            ),
            covered=0,
            proved=0,
        )
        root = bytes.fromhex(cp.root_hash)
        for row in rows:
            leaf = await checkpoints.leaf_of(session, row.entry_id)
            if leaf is None or leaf.leaf_index >= cp.tree_size:
                continue  # recorded after the checkpoint
            check.covered += 1
            expected = merkle.ledger_leaf_hash(row.entry_id, row.hash).hex()
            proof = await checkpoints.inclusion_proof(session, leaf.leaf_index, cp.tree_size)
            included = merkle.verify_inclusion(
                bytes.fromhex(leaf.leaf_hash), leaf.leaf_index, cp.tree_size, proof, root
            )
            if leaf.leaf_hash != expected or not included:
                check.first_bad_entry = check.first_bad_entry or row.entry_id
                check.problem = check.problem or (
                    f"entry {row.seq} ({row.entry_id}) does not match what checkpoint {cp.id} "
                    "signed (edited or re-chained after the checkpoint?)"
                )
                continue
            check.proved += 1
    return Verification(process_id=process_id, chain=chain, checkpoint=check)
