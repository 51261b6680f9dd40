"""Offline verifier of a ledger export against signed checkpoints. No database, server or network.

    python -m cli.verify --export ledger.jsonl --checkpoints checkpoints.json --public-key B64

``--checkpoints`` is the JSON of ``GET /v1/audit/checkpoints`` (the page or its ``items``);
``--public-key`` the base64 key of ``GET /v1/audit/public-key``, obtained through a channel you
trust (repeat it to accept the keys of a rotation). Fetch the checkpoints first, then the export.
Checks, in this order, stopping at the first broken thing and naming it (line, entry id, process,
seq, what) with exit status 1:

1. every checkpoint's Ed25519 signature under a given key, and that sizes never shrink;
2. every line in file order: its hash recomputed from its content (not for pseudonymized lines,
   which carry the original hashes: see ``integrity/export.py``), its seq and ``prev_hash`` against
   the previous entry of its process (a chain starts at seq 1 on the genesis hash), its leaf hash;
3. every checkpoint's Merkle root recomputed from the export's leaves 0..tree_size-1, so a removed
   entry, a cut tail or an altered leaf is found even where no chain shows it.

``--partial`` is for a filtered export (a time range, one agency): chains may start past seq 1 and
roots are checked only while every leaf they cover is present. Exit 0 prints one summary line; exit
2 is a usage error (missing file, bad key).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from integrity.checkpoint_signing import (
    CheckpointKeyError,
    checkpoint_message,
    decode_key,
    key_id_of,
    verify_signature,
)
from integrity.verify_entries import Broken, check_entries
from integrity.verify_parallel import check_entries_parallel
from integrity.verify_roots import check_roots, leaves_below

__all__ = ["check_roots", "load_checkpoints", "main", "verify"]

# --- checkpoints --------------------------------------------------------------------------------


def load_checkpoints(path: Path) -> list[dict[str, Any]]:
    """The JSON of ``GET /v1/audit/checkpoints`` (a page or its items), or the published log
    (JSON Lines, ``GET /v1/public/checkpoints`` or the deployment's ``checkpoints.jsonl``)."""
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        try:
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError:
            raise Broken(f"checkpoints file: not valid JSON ({exc.msg})") from exc
    items = data.get("items", data.get("checkpoints")) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise Broken("checkpoints file: expected a list of checkpoints or a page with items")
    needed = ("id", "tree_size", "root_hash", "created_at", "signature")
    for number, cp in enumerate(items, start=1):
        if not isinstance(cp, dict) or any(k not in cp for k in needed):
            raise Broken(f"checkpoints file: item {number} lacks one of {', '.join(needed)}")
    return sorted(items, key=lambda cp: int(cp["id"]))


def check_signatures(cps: list[dict[str, Any]], public_keys: Sequence[str]) -> None:
    """Each checkpoint must verify under one of the given keys (several: keys were rotated)."""
    given = ", ".join(key_id_of(decode_key(k, "public key")) for k in public_keys)
    largest: dict[str, Any] | None = None
    for cp in cps:
        name = f"checkpoint {cp['id']} (tree size {cp['tree_size']})"
        claimed = cp.get("public_key")
        if claimed is not None and claimed not in public_keys:
            raise Broken(
                f"{name}: signed by key {cp.get('key_id')}, not a given key ({given}) (forged?)"
            )
        try:
            message = checkpoint_message(
                int(cp["tree_size"]), str(cp["root_hash"]), cp["created_at"]
            )
        except (TypeError, ValueError) as exc:
            raise Broken(f"{name}: unreadable field ({exc})") from exc
        candidates = [claimed] if claimed is not None else public_keys
        if not any(verify_signature(k, message, str(cp["signature"])) for k in candidates):
            raise Broken(
                f"{name}: signature does not verify under key {cp.get('key_id') or given} "
                "(size, root or time altered, or forged)"
            )
        if largest is not None and int(cp["tree_size"]) < int(largest["tree_size"]):
            raise Broken(
                f"{name}: smaller than the earlier checkpoint {largest['id']} "
                f"(tree size {largest['tree_size']}): the ledger shrank between them"
            )
        largest = cp


# --- command ------------------------------------------------------------------------------------


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _is_jsonl(path: Path) -> bool:
    """As ``integrity.export.read_export`` decides: CSV by suffix or a first byte other than {."""
    with path.open("rb") as handle:
        first = handle.read(1)
    return path.suffix.lower() != ".csv" and (not first or first == b"{")


def verify(
    export: Path,
    checkpoints: Path,
    public_keys: Sequence[str],
    *,
    partial: bool = False,
    workers: int = 1,
) -> str:
    """The summary line; raises :class:`Broken` at the first problem."""
    cps = load_checkpoints(checkpoints)
    check_signatures(cps, public_keys)
    if _is_jsonl(export):
        cuts = [int(cp["tree_size"]) for cp in cps]
        tally = check_entries_parallel(export, partial, workers=workers, cuts=cuts)
    else:
        tally = check_entries(export, partial)
    checked, unchecked = check_roots(cps, tally, partial)
    covered = max((int(cp["tree_size"]) for cp in cps), default=0)
    uncovered = tally.entries - leaves_below(tally, covered)
    rehashed = tally.entries - tally.pseudonymized
    entries = _count(tally.entries, "entry", "entries")
    processes = _count(len(tally.chains), "process", "processes")
    parts = [
        f"OK: {entries} in {processes} ({rehashed} re-hashed from content; seq and links checked)",
        f"{_count(len(cps), 'checkpoint', 'checkpoints')} with valid signatures",
        f"Merkle roots match up to tree size {checked}",
        f"{uncovered} not yet covered by a checkpoint",
    ]
    if tally.pseudonymized:
        parts.insert(1, f"{tally.pseudonymized} pseudonymized (not re-hashed)")
    if unchecked:
        parts.append(f"roots of checkpoints {unchecked} not checked: leaves missing (partial)")
    return "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cli.verify",
        description="Verify a ledger export against signed checkpoints, offline.",
    )
    parser.add_argument("--export", required=True, type=Path, help="JSONL or CSV ledger export")
    parser.add_argument("--checkpoints", required=True, type=Path, help="JSON of the checkpoints")
    parser.add_argument(
        "--public-key",
        required=True,
        action="append",
        help="base64 Ed25519 public key; repeat it for the keys of a rotation",
    )
    parser.add_argument("--partial", action="store_true", help="the export is filtered")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes checking a JSON Lines export in parallel (default: one per CPU; 1: none)",
    )
    args = parser.parse_args(argv)
    for path in (args.export, args.checkpoints):
        if not path.is_file():
            print(f"error: {path} is not a file", file=sys.stderr)
            return 2
    try:
        for key in args.public_key:
            decode_key(key, "public key")
    except CheckpointKeyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        summary = verify(
            args.export,
            args.checkpoints,
            args.public_key,
            partial=args.partial,
            workers=args.workers,
        )
    except Broken as exc:
        print(f"FAIL: {exc}")
        return 1
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
