"""Refreshing succession plans: each critical post's ranked successors from the agency's pool.

A plan that changes (who, in which order, box or readiness) is replaced and the change appended to
the agency's talent-records chain (``talent-records-<agency>``), before and after, in the same
transaction; an unchanged plan writes nothing. Entry ids derive from what caused the refresh (a
review, a post being marked) and the post, so a retry never writes a change twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.ledger import Actor, LedgerEntryIn, entry_id
from domain.processes import ProcessKind, agency_chain_id
from domain.talent.rulebook import TalentRulebook
from domain.talent.succession import CriticalPost, PoolMember, plan_digest, successors
from store import ledger
from store.talent.records import critical_posts, plan_of, pool_of, replace_plan

KIND = ProcessKind.TALENT_RECORDS


async def refresh_post(
    session: AsyncSession,
    post: CriticalPost,
    pool: Sequence[PoolMember],
    rb: TalentRulebook,
    *,
    on: date,
    cause: str,
    actor: Actor,
    now: datetime,
) -> bool:
    """Recompute ``post``'s plan; True if it changed (and the change was ledgered)."""
    plan = successors(post, pool, rb, on)
    before = await plan_of(session, post.agency, post.post_id)
    if plan_digest(before) == plan_digest(plan):
        return False
    await replace_plan(session, post.agency, post.post_id, plan, now)
    chain = agency_chain_id(KIND, post.agency)
    payload: dict[str, Any] = {
        "post_id": post.post_id,
        "post_level": post.post_level,
        "cause": cause,
        "before": [
            s.model_dump(mode="json", include={"rank", "nip", "box", "readiness"}) for s in before
        ],
        "after": [s.model_dump(mode="json") for s in plan],
    }
    entry = LedgerEntryIn(
        entry_id=entry_id(chain, "succession", f"{cause}:{post.post_id}"[:150]),
        process_id=chain,
        process_kind=KIND,
        kind="succession.refreshed",
        outcome="accepted",
        actor=actor,
        subject=post.post_id,
        agency=post.agency,
        payload=payload,
        rulebook_version=rb.version,
        occurred_at=now,
    )
    await ledger.append(session, entry, recorded_at=now)
    return True


async def refresh_agencies(
    session: AsyncSession,
    agencies: Sequence[str],
    rb: TalentRulebook,
    *,
    on: date,
    cause: str,
    actor: Actor,
    now: datetime,
) -> dict[str, int]:
    posts = changed = 0
    for agency in sorted(set(agencies)):
        pool = await pool_of(session, agency)
        for post in await critical_posts(session, agency):
            posts += 1
            changed += await refresh_post(
                session, post, pool, rb, on=on, cause=cause, actor=actor, now=now
            )
    return {"posts": posts, "plans_changed": changed}
