"""Checkpoint side effects: index new ledger entries into the Merkle tree and sign its head."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.ledger import iso_utc
from integrity.checkpoint_signing import CheckpointSigner
from store import checkpoints

log = structlog.get_logger(__name__)

KEY_MISSING = "checkpoint_signing_key_missing"


# The contracts live here rather than in activities/contracts.py: only this activity and
# LedgerCheckpointWorkflow use them. New fields get defaults (running workflows keep replaying).
class CreateCheckpoint(BaseModel):
    reason: str = "schedule"


class CheckpointCreated(BaseModel):
    id: int
    tree_size: int
    root_hash: str
    created_at: str
    key_id: str


class CheckpointActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], signer: CheckpointSigner | None
    ) -> None:
        self._sessions = sessions
        self._signer = signer

    @activity.defn(name="create_checkpoint")
    async def create_checkpoint(self, req: CreateCheckpoint) -> CheckpointCreated:
        """One checkpoint per call; a retry after a lost commit just makes the next one."""
        if self._signer is None:
            raise ApplicationError(
                "No checkpoint signing key is configured (MERITFLOW_CHECKPOINT_SIGNING_KEY).",
                type=KEY_MISSING,
                non_retryable=True,
            )
        async with self._sessions() as session, session.begin():
            cp = await checkpoints.create_checkpoint(session, self._signer, now=datetime.now(UTC))
        log.info(
            "checkpoint.created",
            checkpoint_id=cp.id,
            tree_size=cp.tree_size,
            root_hash=cp.root_hash,
            reason=req.reason,
        )
        return CheckpointCreated(
            id=cp.id,
            tree_size=cp.tree_size,
            root_hash=cp.root_hash,
            created_at=iso_utc(cp.created_at),
            key_id=cp.key_id,
        )
