"""Signed checkpoints over the whole ledger: make one, list them, prove inclusion and consistency.

A checkpoint covers every agency's entries, so its size and root are shown to every auditor; an
inclusion proof is given only for an entry the caller may see.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Query, Request

from actions import cursors
from actions.schemas.checkpoints import (
    CheckpointPage,
    CheckpointRead,
    ConsistencyProofRead,
    InclusionProofRead,
    PublicKeyRead,
)
from activities.checkpoints import publish_pending
from api.auth import PrincipalDep, can_see_agency, current_principal
from api.deps import ContextDep, SessionDep
from api.errors import ApiError, responses
from api.params import Count, RowId
from domain.ledger import iso_utc
from infra.tokens import Principal
from integrity.checkpoint_signing import CheckpointKeyError, CheckpointSigner, load_signer
from store import checkpoints
from store.audit_models import Checkpoint
from store.models import LedgerEntry

router = APIRouter(prefix="/v1/audit", tags=["checkpoints"])
log = structlog.get_logger(__name__)

# Who may call each route is its rule in actions/policy.py (``audit.checkpoints``), checked with
# the token: every route below depends on the principal, named or not.
SIGNED_IN = [Depends(current_principal)]


def checkpoint_signer(request: Request, ctx: ContextDep) -> CheckpointSigner:
    """The signing key, loaded once per app; 503 where none is configured."""
    signer: CheckpointSigner | None = getattr(request.app.state, "checkpoint_signer", None)
    if signer is None:
        try:
            signer = load_signer(ctx.settings)
        except CheckpointKeyError as exc:
            raise ApiError(
                503, "checkpoint_key_missing", f"Checkpoints are not signed: {exc}."
            ) from exc
        request.app.state.checkpoint_signer = signer
    return signer


SignerDep = Annotated[CheckpointSigner, Depends(checkpoint_signer)]


def to_read(cp: Checkpoint) -> CheckpointRead:
    return CheckpointRead(
        id=cp.id,
        tree_size=cp.tree_size,
        root_hash=cp.root_hash,
        created_at=iso_utc(cp.created_at),
        key_id=cp.key_id,
        signature=cp.signature,
        public_key=cp.public_key,
    )


@router.get(
    "/public-key",
    response_model=PublicKeyRead,
    responses=responses(401, 403, 503),
    dependencies=SIGNED_IN,
)
async def public_key(signer: SignerDep) -> PublicKeyRead:
    return PublicKeyRead(
        public_key=signer.public_key, key_id=signer.key_id, development=signer.development
    )


@router.post(
    "/checkpoints",
    status_code=201,
    response_model=CheckpointRead,
    responses=responses(401, 403, 503),
    summary="Index new ledger entries and sign a tree head now",
)
async def create_checkpoint(
    principal: PrincipalDep, ctx: ContextDep, signer: SignerDep
) -> CheckpointRead:
    async with ctx.sessions() as session, session.begin():
        cp = await checkpoints.create_checkpoint(session, signer, now=datetime.now(UTC))
    await publish_pending(ctx.sessions, ctx.settings.published_checkpoints_dir)
    log.info(
        "checkpoint.created",
        checkpoint_id=cp.id,
        tree_size=cp.tree_size,
        root_hash=cp.root_hash,
        reason="on_demand",
        by=principal.sub,
    )
    return to_read(cp)


@router.get(
    "/checkpoints",
    response_model=CheckpointPage,
    responses=responses(401, 403, 422),
    dependencies=SIGNED_IN,
)
async def list_checkpoints(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> CheckpointPage:
    before = cursors.after_number(cursor)
    rows = await checkpoints.list_checkpoints(session, limit=limit + 1, before=before)
    items = [to_read(cp) for cp in rows[:limit]]
    last = items[-1].id if len(rows) > limit and items else None
    return CheckpointPage(items=items, next_cursor=cursors.next_of(last))


async def _checkpoint(session: SessionDep, checkpoint_id: int) -> Checkpoint:
    cp = await checkpoints.get_checkpoint(session, checkpoint_id)
    if cp is None:
        raise ApiError(404, "checkpoint_not_found", f"No checkpoint {checkpoint_id}.")
    return cp


@router.get(
    "/checkpoints/{checkpoint_id}",
    response_model=CheckpointRead,
    responses=responses(401, 403, 404),
    dependencies=SIGNED_IN,
)
async def get_checkpoint(checkpoint_id: RowId, session: SessionDep) -> CheckpointRead:
    return to_read(await _checkpoint(session, checkpoint_id))


async def _visible_entry(session: SessionDep, principal: Principal, entry_id: str) -> LedgerEntry:
    entry = await session.get(LedgerEntry, entry_id)
    if entry is None or not can_see_agency(principal, entry.agency):
        raise ApiError(404, "not_found", f"No ledger entry '{entry_id}' is visible to you.")
    return entry


@router.get(
    "/checkpoints/{checkpoint_id}/inclusion/{entry_id:path}",
    response_model=InclusionProofRead,
    responses=responses(401, 403, 404, 409),
    summary="Audit path of one entry's leaf up to the checkpoint's root",
)
async def inclusion_proof(
    checkpoint_id: RowId, entry_id: str, principal: PrincipalDep, session: SessionDep
) -> InclusionProofRead:
    cp = await _checkpoint(session, checkpoint_id)
    entry = await _visible_entry(session, principal, entry_id)
    leaf = await checkpoints.leaf_of(session, entry_id)
    if leaf is None or leaf.leaf_index >= cp.tree_size:
        where = "after it" if leaf is not None else "by no checkpoint yet"
        raise ApiError(
            409,
            "not_in_checkpoint",
            f"Entry '{entry_id}' is not covered by checkpoint {cp.id} "
            f"(tree size {cp.tree_size}): it was indexed {where}.",
        )
    path = await checkpoints.inclusion_proof(session, leaf.leaf_index, cp.tree_size)
    return InclusionProofRead(
        checkpoint_id=cp.id,
        entry_id=entry_id,
        entry_hash=entry.hash,
        leaf_index=leaf.leaf_index,
        leaf_hash=leaf.leaf_hash,
        tree_size=cp.tree_size,
        root_hash=cp.root_hash,
        audit_path=[h.hex() for h in path],
    )


@router.get(
    "/consistency",
    response_model=ConsistencyProofRead,
    responses=responses(401, 403, 404, 422),
    summary="Proof that the tree of one checkpoint is a prefix of another's",
    dependencies=SIGNED_IN,
)
async def consistency_proof(
    session: SessionDep,
    first: Annotated[Count, Query(description="tree_size of the older checkpoint")],
    second: Annotated[Count, Query(description="tree_size of the newer checkpoint")],
) -> ConsistencyProofRead:
    if first > second:
        raise ApiError(
            422,
            "validation_error",
            "`first` must not be larger than `second`.",
            [{"field": "first", "message": "must be <= second"}],
        )
    found = {}
    for name, size in (("first", first), ("second", second)):
        cp = await checkpoints.checkpoint_of_size(session, size)
        if cp is None:
            raise ApiError(
                404, "checkpoint_not_found", f"No checkpoint has tree size {size} ({name})."
            )
        found[name] = cp
    proof = await checkpoints.consistency_proof(session, first, second)
    return ConsistencyProofRead(
        first=first,
        second=second,
        first_checkpoint_id=found["first"].id,
        second_checkpoint_id=found["second"].id,
        first_root=found["first"].root_hash,
        second_root=found["second"].root_hash,
        proof=[h.hex() for h in proof],
    )
