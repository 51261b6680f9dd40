"""A promotion's read-model row beside its entries: created by whoever writes first, then patched.

``store/record_effects.write_promotion`` writes it in one statement (an upsert with the identity,
an UPDATE without); these check the row it leaves, on the database of the run.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from activities.contracts import PromotionIdentity, PromotionViewData, RecordPromotion
from activities.ledger import record
from store import repositories
from store.ledger_writer import LedgerWriter
from store.models import PromotionView
from tests.helpers.ledger_rows import PROCESS, T0, make_entry

IDENTITY = PromotionIdentity(
    nip="199001012015011001",
    agency="BKN",
    period=date(2025, 4, 1),
    promotion_type="reguler",
    rulebook_version="2025.1",
)


def item(n: int, view: PromotionViewData, *, identity: bool = True) -> RecordPromotion:
    return RecordPromotion(
        process_id=PROCESS,
        entry=make_entry(n),
        view=view,
        identity=IDENTITY if identity else None,
    )


async def row(sessions: async_sessionmaker[AsyncSession]) -> PromotionView:
    async with sessions() as session:
        found = await session.get(PromotionView, PROCESS)
    assert found is not None
    return found


async def test_the_first_entry_creates_the_row_with_its_identity_and_view(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    view = PromotionViewData(
        status="in_progress",
        stage="eligibility",
        pending_step="supervisor",
        eligibility={"eligible": True},
        return_count=1,
    )
    await record(LedgerWriter(engine), [item(1, view)])
    got = await row(sessions)
    assert (got.nip, got.agency, got.period, got.promotion_type) == (
        "199001012015011001",
        "BKN",
        date(2025, 4, 1),
        "reguler",
    )
    assert (got.status, got.stage, got.pending_step, got.return_count) == (
        "in_progress",
        "eligibility",
        "supervisor",
        1,
    )
    assert got.eligibility == {"eligible": True}
    assert got.created_at == got.updated_at


async def test_a_later_entry_patches_the_row_and_keeps_what_it_does_not_say(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions.begin() as session:  # the API's row, created when it started the process
        await repositories.insert_promotion_if_absent(
            session, process_id=PROCESS, now=T0 - timedelta(days=1), **IDENTITY.model_dump()
        )
    created = (await row(sessions)).created_at
    writer = LedgerWriter(engine)
    assessed = PromotionViewData(
        status="in_progress", stage="approval", pending_step="hr", eligibility={"eligible": True}
    )
    await record(writer, [item(1, assessed)])
    decided = PromotionViewData(status="in_progress", stage="approval", pending_step="bkn")
    await record(writer, [item(2, decided, identity=False)])
    got = await row(sessions)
    assert got.created_at == created and got.updated_at > created
    assert (got.status, got.pending_step) == ("in_progress", "bkn")
    assert got.eligibility == {"eligible": True}  # assessed once, not cleared by a later view
