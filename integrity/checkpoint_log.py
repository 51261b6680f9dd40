"""Signed checkpoints published outside the database: an append-only JSON Lines file.

Every checkpoint the ledger signs is also appended here (and served to anyone at
``/v1/public/checkpoints``), so that whoever controls the database cannot quietly withdraw or
replace one: a reader who kept a copy, or this file, still has the signed roots. Lines are only
ever appended; each is fsynced before the next is written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

FILENAME = "checkpoints.jsonl"
FIELDS = ("id", "tree_size", "root_hash", "created_at", "key_id", "public_key", "signature")


def log_path(directory: Path) -> Path:
    return directory / FILENAME


def read(directory: Path) -> list[dict[str, Any]]:
    """Every published checkpoint, oldest first (an empty list when none was published)."""
    path = log_path(directory)
    if not path.exists():
        return []
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                out.append(json.loads(line))
    return out


def append(directory: Path, checkpoints: Iterable[Mapping[str, Any]]) -> int:
    """Append checkpoints newer than the last one published; returns how many were written."""
    directory.mkdir(parents=True, exist_ok=True)
    last = max((int(c["id"]) for c in read(directory)), default=0)
    written = 0
    with log_path(directory).open("a", encoding="utf-8") as fh:
        for cp in sorted(checkpoints, key=lambda c: int(c["id"])):
            if int(cp["id"]) <= last:
                continue
            fh.write(json.dumps({k: cp[k] for k in FIELDS}, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
            written += 1
    return written
