"""A synthetic ledger export and its signed checkpoints, for the offline verifier's bench and tests.

Lines are built as the export builds them (``export_record`` over the stored columns; the hashes of
``domain.ledger`` and ``domain.merkle``, computed as ``integrity.verify_entries`` does), interleaved
across processes in leaf order, and written as they are made (a million lines never sit in memory).
A checkpoint is signed every ``every`` leaves with the development key; the last ``uncovered``
entries come after the last one. :func:`by_process` writes the same lines in the server's export
order (by process, then seq; ``store/export.py``), where the leaves are out of file order.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from domain import merkle
from domain.ledger import GENESIS_HASH, iso_utc
from integrity.checkpoint_signing import CheckpointSigner, checkpoint_message, development_seed
from integrity.export import export_record, jsonl_line
from integrity.verify_entries import ledger_leaf_hash, row_hash

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def rows(count: int, processes: int) -> Iterator[dict[str, Any]]:
    heads: dict[str, tuple[int, str]] = {}
    for n in range(count):
        pid = f"promotion:1990010120150{n % processes:05d}:2025-04-01"
        seq, prev = heads.get(pid, (0, GENESIS_HASH))
        at = iso_utc(T0 + timedelta(milliseconds=n))
        row: dict[str, Any] = {
            "entry_id": f"{pid}:run-1:{seq + 1}",
            "process_id": pid,
            "process_kind": "promotion",
            "kind": "promotion.approved",
            "outcome": "accepted",
            "stage_before": "supervisor",
            "stage_after": "head_of_unit",
            "actor_id": "198001012005011002",
            "actor_role": "supervisor",
            "actor_agency": "BKN",
            "on_behalf_of": None,
            "subject": pid.split(":")[1],
            "agency": "BKN",
            "payload": {"decision": "approve", "n": n, "note": "Disetujui — baik"},
            "justification": "memenuhi syarat",
            "rulebook_version": "2025.1",
            "workflow_id": pid,
            "run_id": "run-1",
            "update_id": f"upd-{n}",
            "occurred_at": at,
            "recorded_at": at,
        }
        row["seq"] = seq + 1
        row["prev_hash"] = prev
        row["hash"] = row_hash(row)  # domain.ledger.row_hash, faster (same bytes)
        heads[pid] = (seq + 1, row["hash"])
        yield row


def write_export(
    directory: Path, count: int, *, processes: int = 5000, every: int = 100_000, uncovered: int = 3
) -> tuple[Path, Path, str]:
    """``(export, checkpoints, public key)`` written into ``directory``."""
    signer = CheckpointSigner.from_seed(development_seed(), development=True)
    frontier = merkle.Frontier()
    checkpoints: list[dict[str, Any]] = []
    covered = max(count - uncovered, 0)
    export = directory / "ledger.jsonl"
    with export.open("w", encoding="utf-8") as out:
        for index, row in enumerate(rows(count, processes)):
            leaf = ledger_leaf_hash(row["entry_id"], row["hash"])
            indexed = index < covered
            out.write(
                jsonl_line(
                    export_record(row, index if indexed else None, leaf.hex() if indexed else None)
                )
            )
            if not indexed:
                continue
            frontier.append(leaf)
            if frontier.size % every == 0 or frontier.size == covered:
                checkpoints.append(_checkpoint(signer, len(checkpoints) + 1, frontier))
    path = directory / "checkpoints.json"
    path.write_text(json.dumps({"items": checkpoints}), encoding="utf-8")
    return export, path, signer.public_key


def _checkpoint(signer: CheckpointSigner, cp_id: int, frontier: merkle.Frontier) -> dict[str, Any]:
    created = iso_utc(T0 + timedelta(days=cp_id))
    root = frontier.root().hex()
    return {
        "id": cp_id,
        "tree_size": frontier.size,
        "root_hash": root,
        "created_at": created,
        "signature": signer.sign(checkpoint_message(frontier.size, root, created)),
        "public_key": signer.public_key,
        "key_id": signer.key_id,
    }


def by_process(export: Path, out: Path) -> Path:
    """``export``'s lines ordered by process id, then seq, written to ``out``."""
    keys: list[tuple[str, int, int, int]] = []
    with export.open("rb") as handle:
        offset = 0
        for raw in handle:
            rec = orjson.loads(raw)
            keys.append((rec["process_id"], rec["seq"], offset, len(raw)))
            offset += len(raw)
    keys.sort()
    with export.open("rb") as source, out.open("wb") as target:
        for _, _, offset, length in keys:
            source.seek(offset)
            target.write(source.read(length))
    return out
