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
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domain import merkle
from domain.ledger import GENESIS_HASH, row_hash
from integrity.checkpoint_signing import (
    CheckpointKeyError,
    checkpoint_message,
    decode_key,
    key_id_of,
    verify_signature,
)
from integrity.export import ExportFormatError, read_export


class Broken(Exception):
    """The first thing found wrong; its message says where and what."""


@dataclass
class Chain:
    seq: int
    hash: str


@dataclass
class Tally:
    entries: int = 0
    pseudonymized: int = 0
    chains: dict[str, Chain] = field(default_factory=dict)
    leaves: dict[int, bytes] = field(default_factory=dict)
    leaf_entries: dict[int, str] = field(default_factory=dict)


def _where(line: int, rec: Mapping[str, Any]) -> str:
    return f"line {line}: entry {rec['entry_id']} (process {rec['process_id']}, seq {rec['seq']})"


# --- checkpoints --------------------------------------------------------------------------------


def load_checkpoints(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise Broken(f"checkpoints file: not valid JSON ({exc.msg})") from exc
    items = data.get("items") if isinstance(data, dict) else data
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


# --- entries ------------------------------------------------------------------------------------


def _comes_later(path: Path, after: int, process_id: str, seq: int) -> bool:
    try:
        return any(
            line > after and rec["process_id"] == process_id and rec["seq"] == seq
            for line, rec in read_export(path)
        )
    except ExportFormatError:
        return False


def _check_link(path: Path, line: int, rec: Mapping[str, Any], tally: Tally, partial: bool) -> None:
    pid, seq = rec["process_id"], rec["seq"]
    chain = tally.chains.get(pid)
    expected = 1 if chain is None else chain.seq + 1
    if chain is None and partial:
        expected = seq
    if chain is not None and seq <= chain.seq:
        raise Broken(
            f"{_where(line, rec)}: seq {seq} again after seq {chain.seq} (duplicated or reordered?)"
        )
    if seq != expected:
        if _comes_later(path, line, pid, expected):
            raise Broken(
                f"{_where(line, rec)}: out of order, seq {expected} of this process comes later "
                "in the file (reordered?)"
            )
        before = f"right after seq {chain.seq}" if chain else "as the first of its process"
        raise Broken(
            f"{_where(line, rec)}: entry seq {expected} is missing, found seq {seq} {before} "
            "(removed?)"
        )
    if chain is None and seq == 1 and rec["prev_hash"] != GENESIS_HASH:
        raise Broken(f"{_where(line, rec)}: prev_hash of the first entry is not the genesis hash")
    if chain is not None and rec["prev_hash"] != chain.hash:
        raise Broken(
            f"{_where(line, rec)}: prev_hash does not link to seq {chain.seq} "
            "(that entry or this one rewritten?)"
        )
    tally.chains[pid] = Chain(seq=seq, hash=rec["hash"])


def _check_leaf(line: int, rec: Mapping[str, Any], tally: Tally) -> None:
    index, given = rec.get("leaf_index"), rec.get("leaf_hash")
    if index is None:
        return
    if rec.get("pseudonymized") is True:
        if not isinstance(given, str):
            raise Broken(f"{_where(line, rec)}: pseudonymized line without its leaf_hash")
        leaf = bytes.fromhex(given)
    else:
        leaf = merkle.ledger_leaf_hash(rec["entry_id"], rec["hash"])
        if given is not None and given != leaf.hex():
            raise Broken(f"{_where(line, rec)}: leaf_hash does not match its entry id and hash")
    if index in tally.leaves:
        raise Broken(f"{_where(line, rec)}: leaf {index} already belongs to another line")
    tally.leaves[index] = leaf
    tally.leaf_entries[index] = rec["entry_id"]


def check_entries(path: Path, partial: bool) -> Tally:
    tally = Tally()
    try:
        for line, rec in read_export(path):
            if not isinstance(rec["seq"], int) or not isinstance(rec["hash"], str):
                raise Broken(f"line {line}: seq or hash has the wrong type")
            if rec.get("pseudonymized") is True:
                tally.pseudonymized += 1
            elif row_hash(rec) != rec["hash"]:
                raise Broken(f"{_where(line, rec)}: hash does not match its contents (edited?)")
            _check_link(path, line, rec, tally, partial)
            _check_leaf(line, rec, tally)
            tally.entries += 1
    except ExportFormatError as exc:
        raise Broken(f"export {exc}") from exc
    except ValueError as exc:
        raise Broken(f"export: unreadable value ({exc})") from exc
    return tally


# --- Merkle roots -------------------------------------------------------------------------------


def _missing_leaf(tally: Tally, index: int, cp: Mapping[str, Any]) -> Broken:
    size = int(cp["tree_size"])
    missing = [i for i in range(index, size) if i not in tally.leaves]
    shown = ", ".join(map(str, missing[:5])) + (", ..." if len(missing) > 5 else "")
    last = max(tally.leaves, default=-1)
    if index > last:
        where = f"the export ends at leaf {last}"
        why = "tail truncated, or the latest entries removed?"
    else:
        following = min(i for i in tally.leaves if i > index)
        where = (
            f"leaf {index} lies between entries {tally.leaf_entries.get(index - 1, '(start)')} "
            f"and {tally.leaf_entries[following]}"
        )
        why = "entries removed or the export truncated?"
    return Broken(
        f"checkpoint {cp['id']} (tree size {size}) covers leaves the export lacks: {len(missing)} "
        f"missing ({shown}); {where} ({why})"
    )


def check_roots(cps: list[dict[str, Any]], tally: Tally, partial: bool) -> tuple[int, list[Any]]:
    """Returns the largest tree size whose root matched, and the checkpoints left unchecked."""
    frontier = merkle.Frontier()
    checked = 0
    ordered = sorted(cps, key=lambda cp: (int(cp["tree_size"]), int(cp["id"])))
    for position, cp in enumerate(ordered):
        size = int(cp["tree_size"])
        while frontier.size < size:
            leaf = tally.leaves.get(frontier.size)
            if leaf is None:
                if partial:
                    return checked, [c["id"] for c in ordered[position:]]
                raise _missing_leaf(tally, frontier.size, cp)
            frontier.append(leaf)
        if frontier.root().hex() != cp["root_hash"]:
            raise Broken(
                f"checkpoint {cp['id']} (tree size {size}): the Merkle root of the export's leaves "
                f"0..{size - 1} differs from the signed root (an entry among leaves {checked}.."
                f"{size - 1} was altered, added or removed)"
            )
        checked = size
    return checked, []


# --- command ------------------------------------------------------------------------------------


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def verify(
    export: Path, checkpoints: Path, public_keys: Sequence[str], *, partial: bool = False
) -> str:
    """The summary line; raises :class:`Broken` at the first problem."""
    cps = load_checkpoints(checkpoints)
    check_signatures(cps, public_keys)
    tally = check_entries(export, partial)
    checked, unchecked = check_roots(cps, tally, partial)
    covered = max((int(cp["tree_size"]) for cp in cps), default=0)
    uncovered = tally.entries - sum(1 for i in tally.leaves if i < covered)
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
        summary = verify(args.export, args.checkpoints, args.public_key, partial=args.partial)
    except Broken as exc:
        print(f"FAIL: {exc}")
        return 1
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
