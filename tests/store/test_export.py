"""Export: keyset batches over the store, and the line formats read back exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from domain.ledger import Actor, LedgerEntryIn, row_hash
from integrity.checkpoint_signing import CheckpointSigner
from integrity.export import (
    EXPORT_COLUMNS,
    Pseudonymizer,
    csv_rows,
    export_record,
    jsonl_line,
    read_export,
)
from store import checkpoints, ledger
from store.export import ExportFilter, begin_snapshot, export_batches

T0 = datetime(2026, 2, 2, 8, 0, tzinfo=UTC)
NIP = "199001012015011001"


def entry(process: str, n: int, **kw) -> LedgerEntryIn:
    fields = {
        "entry_id": f"{process}:{n}",
        "process_id": process,
        "process_kind": "promotion" if process.startswith("p") else "selection",
        "kind": "promotion.decision",
        "outcome": "accepted",
        "actor": Actor(id=NIP, role="supervisor", agency="BKN"),
        "subject": NIP,
        "agency": "BKN" if process != "p-other" else "KEMENKEU",
        "payload": {"snapshot": {"nip": NIP, "name": "Siti Rahmawati"}, "n": n},
        "justification": f"disetujui untuk {NIP}",
        "occurred_at": T0,
    }
    fields.update(kw)
    return LedgerEntryIn(**fields)


async def fill(sessions) -> None:
    for minute, (process, n) in enumerate(
        [("p-b", 1), ("p-a", 1), ("p-b", 2), ("s-c", 1), ("p-a", 2), ("p-other", 1), ("p-a", 3)]
    ):
        async with sessions.begin() as s:
            await ledger.append(s, entry(process, n), recorded_at=T0 + timedelta(minutes=minute))


async def collect(sessions, flt: ExportFilter, batch: int) -> list[dict]:
    out: list[dict] = []
    async with sessions() as s, s.begin():
        await begin_snapshot(s)
        async for rows in export_batches(s, flt, batch=batch):
            assert len(rows) <= batch
            out.extend(rows)
    return out


async def test_batches_follow_the_chains_and_the_filters(sessions) -> None:
    await fill(sessions)
    async with sessions.begin() as s:
        cp = await checkpoints.create_checkpoint(s, CheckpointSigner.from_seed(bytes(32)), now=T0)
    async with sessions.begin() as s:
        await ledger.append(s, entry("p-a", 4), recorded_at=T0 + timedelta(hours=1))

    rows = await collect(sessions, ExportFilter(), batch=2)
    assert [(r["process_id"], r["seq"]) for r in rows] == [
        ("p-a", 1), ("p-a", 2), ("p-a", 3), ("p-a", 4), ("p-b", 1), ("p-b", 2), ("p-other", 1),
        ("s-c", 1),
    ]  # fmt: skip
    leaves = {r["entry_id"]: r["leaf_index"] for r in rows}
    assert leaves["p-b:1"] == 0 and leaves["p-a:1"] == 1 and leaves["p-a:4"] is None
    assert sorted(i for i in leaves.values() if i is not None) == list(range(cp.tree_size))
    assert all(row_hash(export_record(r, None, None)) == r["hash"] for r in rows)

    async def keys(**kw) -> list[str]:
        return [r["entry_id"] for r in await collect(sessions, ExportFilter(**kw), batch=3)]

    assert await keys(process_id="p-b") == ["p-b:1", "p-b:2"]
    assert await keys(agency="KEMENKEU") == ["p-other:1"]
    assert await keys(process_kind="selection") == ["s-c:1"]
    window = {"recorded_from": T0 + timedelta(minutes=2), "recorded_to": T0 + timedelta(minutes=4)}
    assert await keys(**window) == ["p-b:2", "s-c:1"]


def test_lines_read_back_exactly(tmp_path: Path) -> None:
    awkward = {
        **dict.fromkeys(EXPORT_COLUMNS),
        "entry_id": "e:1",
        "process_id": "p",
        "seq": 1,
        "process_kind": "promotion",
        "kind": "k",
        "outcome": "accepted",
        "stage_before": "",
        "stage_after": "\\N",
        "actor_id": "a",
        "actor_role": "r",
        "justification": 'line one\nline "two", with comma\\',
        "payload": {"x": [1, 2.5, None, "é"], "nested": {"b": True}},
        "occurred_at": "2026-01-01T00:00:00.000000Z",
        "recorded_at": "2026-01-01T00:00:00.000001Z",
        "prev_hash": "0" * 64,
        "hash": "f" * 64,
        "leaf_index": 0,
        "leaf_hash": "a" * 64,
        "pseudonymized": False,
    }
    other = {**awkward, "entry_id": "e:2", "seq": 2, "leaf_index": None, "leaf_hash": None}
    (tmp_path / "x.csv").write_text(csv_rows([awkward, other], header=True), encoding="utf-8")
    (tmp_path / "x.jsonl").write_text(jsonl_line(awkward) + jsonl_line(other), encoding="utf-8")
    for name in ("x.csv", "x.jsonl"):
        assert [rec for _, rec in read_export(tmp_path / name)] == [awkward, other]
    assert [line for line, _ in read_export(tmp_path / "x.csv")] == [2, 4]


def test_pseudonyms_are_stable_and_leave_hashes_alone() -> None:
    row = {
        **entry("p-a", 1).model_dump(),
        "actor_id": NIP,
        "actor_role": "supervisor",
        "actor_agency": "BKN",
        "on_behalf_of": None,
        "seq": 1,
        "prev_hash": "1" * 64,
        "hash": "123456789012345678" + "a" * 46,
        "occurred_at": T0,
        "recorded_at": T0,
        "entry_id": f"promotion-{NIP}-2027-04:run:1",
        "process_id": f"promotion-{NIP}-2027-04",
    }
    one, two = Pseudonymizer(b"k1"), Pseudonymizer(b"k1")
    rec = export_record(row, 3, "b" * 64, one)
    token = one.token(NIP)
    assert token.startswith("p_") and len(token) == 18 and token == two.token(NIP)
    assert token != Pseudonymizer(b"k2").token(NIP)
    assert rec["pseudonymized"] is True and rec["subject"] == rec["actor_id"] == token
    assert rec["process_id"] == f"promotion-{token}-2027-04" and token in rec["entry_id"]
    assert rec["justification"] == f"disetujui untuk {token}"
    assert rec["payload"]["snapshot"] == {"nip": token, "name": one.token("Siti Rahmawati")}
    assert rec["hash"] == row["hash"] and rec["leaf_hash"] == "b" * 64
    assert rec["occurred_at"] == "2026-02-02T08:00:00.000000Z"


def test_csv_cells_that_a_spreadsheet_would_run_are_escaped_and_read_back(tmp_path) -> None:
    import csv as csv_module

    from integrity.export import EXPORT_COLUMNS, LEDGER_COLUMNS, csv_rows, read_export

    formulas = ['=HYPERLINK("http://x","y")', "+1+1", "-2", "@SUM(A1)", "\tx", "\\kept"]
    base = dict.fromkeys(EXPORT_COLUMNS) | dict.fromkeys(LEDGER_COLUMNS, "v")
    records = [base | {"justification": f, "seq": 1, "payload": {}} for f in formulas]
    path = tmp_path / "export.csv"
    path.write_text(csv_rows(records, header=True), encoding="utf-8")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv_module.DictReader(fh))
    for row in rows:
        assert not row["justification"].startswith(("=", "+", "-", "@", "\t")), row
    assert [r["justification"] for _, r in read_export(path)] == formulas


def test_a_payload_past_the_csv_modules_limit_is_read_and_the_limit_is_left_as_it_was(
    tmp_path: Path,
) -> None:
    """The limit is the process's: an upload read after a verification keeps its bound (the
    employee import refuses a field past it; see tests/api/test_admin_actions.py)."""
    import csv as csv_module

    from integrity.export import EXPORT_COLUMNS, csv_rows, read_export

    before = csv_module.field_size_limit()
    big = {
        **dict.fromkeys(EXPORT_COLUMNS),
        "entry_id": "e:1",
        "process_id": "p",
        "seq": 1,
        "payload": {"note": "x" * (before + 10)},
        "pseudonymized": False,
    }
    (tmp_path / "big.csv").write_text(csv_rows([big], header=True), encoding="utf-8")
    [(_, rec)] = list(read_export(tmp_path / "big.csv"))
    assert rec["payload"] == big["payload"]
    assert csv_module.field_size_limit() == before
