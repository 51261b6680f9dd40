from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.ledger import GENESIS_HASH, row_hash
from store import ledger
from store.models import LedgerEntry, LedgerHead
from tests.helpers.ledger_rows import (
    PROCESS,
    T0,
    make_entry,
    tamper,
    verify,
    write_chain,
)


async def test_append_chains_entries(sessions: async_sessionmaker[AsyncSession]) -> None:
    await write_chain(sessions, 3)
    async with sessions.begin() as session:
        rows = await ledger.entries(session, PROCESS)
        head = await session.get(LedgerHead, PROCESS)
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == GENESIS_HASH
    assert rows[1].prev_hash == rows[0].hash
    assert rows[2].prev_hash == rows[1].hash
    assert head is not None
    assert (head.seq, head.hash) == (3, rows[2].hash)
    assert rows[0].recorded_at == T0 + timedelta(hours=1)
    assert rows[0].recorded_at.tzinfo is not None
    assert rows[0].payload == {"decision": "approve", "n": 1, "note": "Disetujui — baik"}


async def test_reappend_same_id_writes_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        first, created = await ledger.append(session, make_entry(1), recorded_at=T0)
    assert created
    async with sessions.begin() as session:
        again, created_again = await ledger.append(
            session, make_entry(1), recorded_at=T0 + timedelta(seconds=30)
        )
    assert not created_again
    assert again.hash == first.hash
    assert again.recorded_at == T0
    async with sessions.begin() as session:
        assert len(await ledger.entries(session, PROCESS)) == 1
        assert (await ledger.verify(session, PROCESS)).ok


async def test_concurrent_appends_make_a_gapless_chain(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def one(n: int) -> bool:
        async with sessions.begin() as session:
            _, created = await ledger.append(session, make_entry(n), recorded_at=T0)
            return created

    assert all(await asyncio.gather(*(one(n) for n in range(1, 11))))
    async with sessions.begin() as session:
        rows = await ledger.entries(session, PROCESS)
    assert [r.seq for r in rows] == list(range(1, 11))
    assert sorted(r.entry_id for r in rows) == sorted(make_entry(n).entry_id for n in range(1, 11))
    result = await verify(sessions)
    assert result.ok, result.problem
    assert result.entries == 10


async def test_concurrent_appends_of_one_id_write_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def one() -> bool:
        async with sessions.begin() as session:
            _, created = await ledger.append(session, make_entry(1), recorded_at=T0)
            return created

    results = await asyncio.gather(*(one() for _ in range(10)))
    assert results.count(True) == 1
    async with sessions.begin() as session:
        assert len(await ledger.entries(session, PROCESS)) == 1


async def test_verify_ok(sessions: async_sessionmaker[AsyncSession]) -> None:
    await write_chain(sessions, 5)
    result = await verify(sessions)
    assert result.ok
    assert result.entries == 5
    assert result.first_bad_seq is None
    assert result.problem is None
    async with sessions.begin() as session:
        rows = await ledger.entries(session, PROCESS)
    assert result.head_hash == rows[-1].hash


async def test_verify_empty_chain(sessions: async_sessionmaker[AsyncSession]) -> None:
    result = await verify(sessions)
    assert result.ok
    assert result.process_id == PROCESS
    assert (result.entries, result.head_hash) == (0, None)


async def test_chains_are_per_process(sessions: async_sessionmaker[AsyncSession]) -> None:
    await write_chain(sessions, 2)
    await write_chain(sessions, 3, process_id="promotion:other")
    async with sessions.begin() as session:
        other = await ledger.entries(session, "promotion:other")
        assert [r.seq for r in other] == [1, 2, 3]
        assert other[0].prev_hash == GENESIS_HASH
        assert (await ledger.verify(session, "promotion:other")).ok
    assert (await verify(sessions)).ok


async def test_edited_payload_is_caught(sessions: async_sessionmaker[AsyncSession]) -> None:
    await write_chain(sessions, 5)
    await tamper(
        sessions,
        update(LedgerEntry)
        .where(LedgerEntry.process_id == PROCESS, LedgerEntry.seq == 3)
        .values(payload={"decision": "reject", "n": 3, "note": "Disetujui — baik"}),
    )
    result = await verify(sessions)
    assert not result.ok
    assert result.first_bad_seq == 3
    assert result.problem == "entry 3: hash does not match its contents (edited?)"


async def test_edited_column_is_caught(sessions: async_sessionmaker[AsyncSession]) -> None:
    await write_chain(sessions, 4)
    await tamper(
        sessions,
        update(LedgerEntry)
        .where(LedgerEntry.process_id == PROCESS, LedgerEntry.seq == 2)
        .values(actor_id="someone-else"),
    )
    result = await verify(sessions)
    assert (result.ok, result.first_bad_seq) == (False, 2)


async def test_removed_middle_entry_is_caught(sessions: async_sessionmaker[AsyncSession]) -> None:
    await write_chain(sessions, 5)
    await tamper(
        sessions,
        delete(LedgerEntry).where(LedgerEntry.process_id == PROCESS, LedgerEntry.seq == 3),
    )
    result = await verify(sessions)
    assert not result.ok
    assert result.first_bad_seq == 3
    assert result.entries == 4
    assert "removed" in (result.problem or "")


async def test_reordered_entries_are_caught(sessions: async_sessionmaker[AsyncSession]) -> None:
    await write_chain(sessions, 5)
    where = (LedgerEntry.process_id == PROCESS,)
    # Through a spare value, because (process_id, seq) is unique.
    await tamper(
        sessions,
        update(LedgerEntry).where(*where, LedgerEntry.seq == 3).values(seq=-1),
        update(LedgerEntry).where(*where, LedgerEntry.seq == 4).values(seq=3),
        update(LedgerEntry).where(*where, LedgerEntry.seq == -1).values(seq=4),
    )
    result = await verify(sessions)
    assert not result.ok
    assert result.first_bad_seq == 3


async def test_removed_tail_is_caught(sessions: async_sessionmaker[AsyncSession]) -> None:
    await write_chain(sessions, 5)
    await tamper(
        sessions,
        delete(LedgerEntry).where(LedgerEntry.process_id == PROCESS, LedgerEntry.seq == 5),
    )
    result = await verify(sessions)
    assert not result.ok
    assert result.first_bad_seq == 5
    assert result.problem == "chain has 4 entries but its head says 5 (tail removed?)"


async def test_rewritten_tail_with_stale_head_is_caught(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await write_chain(sessions, 3)
    async with sessions.begin() as session:
        row = (
            await session.scalars(
                select(LedgerEntry).where(LedgerEntry.process_id == PROCESS, LedgerEntry.seq == 3)
            )
        ).one()
        data = ledger.entry_to_dict(row)
    # A forger who recomputes the last hash correctly still disagrees with the head.
    data["justification"] = "forged"
    await tamper(
        sessions,
        update(LedgerEntry)
        .where(LedgerEntry.entry_id == row.entry_id)
        .values(justification="forged", hash=row_hash(data)),
    )
    result = await verify(sessions)
    assert (result.ok, result.first_bad_seq) == (False, 3)


async def test_export_verifies_offline(sessions: async_sessionmaker[AsyncSession]) -> None:
    await write_chain(sessions, 4)
    async with sessions.begin() as session:
        exported = [ledger.entry_to_dict(r) for r in await ledger.entries(session, PROCESS)]
        head = await session.get(LedgerHead, PROCESS)
    assert head is not None
    assert exported[0]["recorded_at"] == "2025-04-01T09:30:15.123456Z"
    result = ledger.verify_rows(exported, {"seq": head.seq, "hash": head.hash})
    assert result.ok, result.problem
    exported[1]["payload"] = {**exported[1]["payload"], "n": 99}
    bad = ledger.verify_rows(exported, {"seq": head.seq, "hash": head.hash})
    assert (bad.ok, bad.first_bad_seq) == (False, 2)


async def test_payload_values_are_stored_as_hashed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    wib = timezone(timedelta(hours=7))
    entry = make_entry(
        1,
        payload={"effective": date(2025, 4, 1), "at": datetime(2025, 4, 1, 7, tzinfo=wib)},
        occurred_at=datetime(2025, 4, 1, 15, 0, tzinfo=wib),
    )
    async with sessions.begin() as session:
        await ledger.append(session, entry, recorded_at=T0)
    async with sessions.begin() as session:
        (row,) = await ledger.entries(session, PROCESS)
        assert row.payload == {"effective": "2025-04-01", "at": "2025-04-01T00:00:00.000000Z"}
        assert row.occurred_at == datetime(2025, 4, 1, 8, 0, tzinfo=UTC)
        assert (await ledger.verify(session, PROCESS)).ok


async def test_naive_recorded_at_is_refused(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        with pytest.raises(ValueError, match="timezone-aware"):
            await ledger.append(session, make_entry(1), recorded_at=datetime(2025, 1, 1))


async def test_several_appends_in_one_transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        for n in (1, 2, 3):
            _, created = await ledger.append(session, make_entry(n), recorded_at=T0)
            assert created
        _, again = await ledger.append(session, make_entry(2), recorded_at=T0)
        assert not again
    async with sessions.begin() as session:
        assert [r.seq for r in await ledger.entries(session, PROCESS)] == [1, 2, 3]
        assert (await ledger.verify(session, PROCESS)).ok


async def test_rolled_back_append_leaves_no_trace(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await write_chain(sessions, 1)
    async with sessions() as session:
        await ledger.append(session, make_entry(2), recorded_at=T0)
        await session.rollback()
    await write_chain(sessions, 1, process_id="promotion:other")
    async with sessions.begin() as session:
        _, created = await ledger.append(session, make_entry(2), recorded_at=T0)
        assert created
    result = await verify(sessions)
    assert (result.ok, result.entries) == (True, 2)
