"""Checkpoint side effects: index new ledger entries into the Merkle tree and sign its head."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.ledger import iso_utc
from integrity import checkpoint_log
from integrity.checkpoint_signing import CheckpointSigner
from store import checkpoints
from store.audit_models import Checkpoint

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


def as_published(cp: Checkpoint) -> dict[str, Any]:
    return {
        "id": cp.id,
        "tree_size": cp.tree_size,
        "root_hash": cp.root_hash,
        "created_at": iso_utc(cp.created_at),
        "key_id": cp.key_id,
        "public_key": cp.public_key,
        "signature": cp.signature,
    }


async def publish_pending(sessions: async_sessionmaker[AsyncSession], directory: Path) -> int:
    """Append to the published log every checkpoint it lacks (a crash between the commit and the
    publication is caught up by the next call); returns how many were appended."""
    published = await asyncio.to_thread(checkpoint_log.read, directory)
    last = max((int(c["id"]) for c in published), default=0)
    async with sessions() as session:
        rows = [as_published(cp) for cp in await checkpoints.since(session, last)]
    return await asyncio.to_thread(checkpoint_log.append, directory, rows)


class CheckpointActivities:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        signer: CheckpointSigner | None,
        publish_dir: Path | None = None,
    ) -> None:
        self._sessions = sessions
        self._signer = signer
        self._publish_dir = publish_dir

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
        if self._publish_dir is not None:
            await publish_pending(self._sessions, self._publish_dir)
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
