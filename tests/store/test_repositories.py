from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store import repositories as repo

NOW = datetime(2025, 4, 1, 1, 2, 3, 456789, tzinfo=UTC)
PERIOD = date(2025, 4, 1)


async def add_promotion(
    sessions: async_sessionmaker[AsyncSession], process_id: str, *, agency: str = "BKN"
) -> bool:
    async with sessions.begin() as session:
        return await repo.insert_promotion_if_absent(
            session,
            process_id=process_id,
            nip="199001012015011001",
            agency=agency,
            period=PERIOD,
            promotion_type="regular",
            rulebook_version="2025.1",
            now=NOW,
        )


async def test_insert_promotion_once_under_concurrency(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    results = await asyncio.gather(*(add_promotion(sessions, "p-1") for _ in range(10)))
    assert results.count(True) == 1
    async with sessions.begin() as session:
        view = await repo.get_promotion(session, "p-1")
    assert view is not None
    assert (view.status, view.return_count, view.period) == ("starting", 0, PERIOD)
    assert view.created_at == NOW


async def test_patch_promotion(sessions: async_sessionmaker[AsyncSession]) -> None:
    await add_promotion(sessions, "p-1")
    later = NOW + timedelta(days=1)
    due = datetime(2025, 4, 8, 17, 0, tzinfo=timezone(timedelta(hours=7)))
    patch = {
        "status": "in_progress",
        "stage": "approval",
        "pending_step": "supervisor",
        "pending_actor_id": "198001012005011002",
        "due_at": due,
        "eligibility": {"eligible": True, "reasons": []},
        "return_count": 1,
    }
    async with sessions.begin() as session:
        await repo.apply_promotion_patch(session, "p-1", patch, now=later)
    async with sessions.begin() as session:
        view = await repo.get_promotion(session, "p-1")
        assert view is not None
        assert view.status == "in_progress"
        assert view.due_at == due
        assert view.due_at is not None
        assert view.due_at.tzinfo is not None
        assert view.eligibility == {"eligible": True, "reasons": []}
        assert view.updated_at == later
        assert view.created_at == NOW
        await repo.apply_promotion_patch(
            session, "p-1", {"eligibility": None, "pending_step": None}, now=later
        )
    async with sessions.begin() as session:
        view = await repo.get_promotion(session, "p-1")
        assert view is not None
        assert (view.eligibility, view.pending_step) == (None, None)


async def test_patch_refuses_key_columns(sessions: async_sessionmaker[AsyncSession]) -> None:
    await add_promotion(sessions, "p-1")
    async with sessions.begin() as session:
        with pytest.raises(ValueError, match="nip"):
            await repo.apply_promotion_patch(session, "p-1", {"nip": "x"}, now=NOW)


async def test_list_promotions_keyset(sessions: async_sessionmaker[AsyncSession]) -> None:
    for i in range(5):
        await add_promotion(sessions, f"p-{i}", agency="BKN" if i % 2 == 0 else "KEMENKEU")
    async with sessions.begin() as session:
        first = await repo.list_promotions(
            session, agency=None, status=None, period=None, limit=2, after=None
        )
        second = await repo.list_promotions(
            session, agency=None, status=None, period=None, limit=2, after=first[-1].process_id
        )
        bkn = await repo.list_promotions(
            session, agency="BKN", status="starting", period=PERIOD, limit=10, after=None
        )
        none = await repo.list_promotions(
            session, agency=None, status=None, period=date(2025, 10, 1), limit=10, after=None
        )
    assert [v.process_id for v in first] == ["p-0", "p-1"]
    assert [v.process_id for v in second] == ["p-2", "p-3"]
    assert [v.process_id for v in bkn] == ["p-0", "p-2", "p-4"]
    assert none == []


async def test_upsert_employees(sessions: async_sessionmaker[AsyncSession]) -> None:
    record = {"nip": "199001012015011001", "agency": "BKN", "name": "Siti", "rank": "III/a"}
    async with sessions.begin() as session:
        assert await repo.upsert_employees(session, [record], now=NOW) == 1
    later = NOW + timedelta(hours=1)
    async with sessions.begin() as session:
        await repo.upsert_employees(session, [{**record, "rank": "III/b"}], now=later)
    async with sessions.begin() as session:
        employee = await repo.get_employee(session, record["nip"])
        assert await repo.get_employee(session, "000000000000000000") is None
    assert employee is not None
    assert employee.record["rank"] == "III/b"
    assert (employee.created_at, employee.updated_at) == (NOW, later)


async def test_remember_key_first_wins(sessions: async_sessionmaker[AsyncSession]) -> None:
    async def remember(process_id: str) -> str:
        async with sessions.begin() as session:
            return await repo.remember_key(session, "evt-1", "promotion.start", process_id, NOW)

    results = await asyncio.gather(*(remember(f"p-{i}") for i in range(10)))
    assert len(set(results)) == 1
    assert await remember("p-late") == results[0]
