"""The offline verifier's checks of an export's lines: content hashes, chain links, leaves.

``check_entries`` reads the lines in file order and stops at the first broken one, naming it (see
``cli/verify.py``); ``integrity/verify_parallel.py`` does the same work in parallel processes and
reports the same first problem with the same message. Both fill a :class:`Tally`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domain import merkle
from domain.canonical import GENESIS_HASH, HASHED_FIELDS, _encode_default
from integrity.export import ExportFormatError, read_export
from integrity.verify_merkle import LeafRun

# domain.ledger.canonical_json's settings in one encoder made once: ``json.dumps`` builds a new
# encoder per call, a third of the cost of a line. The bytes are the same (tests/integrity).
_CANONICAL = json.JSONEncoder(
    sort_keys=True,
    separators=(",", ":"),
    ensure_ascii=False,
    allow_nan=False,
    default=_encode_default,
)


def row_hash(row: Mapping[str, Any]) -> str:
    """``domain.ledger.row_hash``, faster."""
    body = {"prev_hash": str(row["prev_hash"]), "seq": int(row["seq"])}
    for name in HASHED_FIELDS:
        body[name] = row[name]
    return hashlib.sha256(_CANONICAL.encode(body).encode("utf-8")).hexdigest()


def ledger_leaf_hash(entry_id: str, chain_hash: str) -> bytes:
    """``domain.merkle.ledger_leaf_hash``, faster."""
    data = _CANONICAL.encode({"entry_id": entry_id, "hash": chain_hash}).encode("utf-8")
    return merkle.leaf_hash(data)


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
    # Set instead of ``leaves`` when the leaves were 0..n-1 in file order (integrity/verify_roots.py).
    run: LeafRun | None = None


def where(line: int, rec: Mapping[str, Any]) -> str:
    return f"line {line}: entry {rec['entry_id']} (process {rec['process_id']}, seq {rec['seq']})"


# --- entries ------------------------------------------------------------------------------------


def _comes_later(path: Path, after: int, process_id: str, seq: int) -> bool:
    try:
        return any(
            line > after and rec["process_id"] == process_id and rec["seq"] == seq
            for line, rec in read_export(path)
        )
    except ExportFormatError:
        return False


def check_link(path: Path, line: int, rec: Mapping[str, Any], tally: Tally, partial: bool) -> None:
    pid, seq = rec["process_id"], rec["seq"]
    chain = tally.chains.get(pid)
    expected = 1 if chain is None else chain.seq + 1
    if chain is None and partial:
        expected = seq
    if chain is not None and seq <= chain.seq:
        raise Broken(
            f"{where(line, rec)}: seq {seq} again after seq {chain.seq} (duplicated or reordered?)"
        )
    if seq != expected:
        if _comes_later(path, line, pid, expected):
            raise Broken(
                f"{where(line, rec)}: out of order, seq {expected} of this process comes later "
                "in the file (reordered?)"
            )
        before = f"right after seq {chain.seq}" if chain else "as the first of its process"
        raise Broken(
            f"{where(line, rec)}: entry seq {expected} is missing, found seq {seq} {before} "
            "(removed?)"
        )
    if chain is None and seq == 1 and rec["prev_hash"] != GENESIS_HASH:
        raise Broken(f"{where(line, rec)}: prev_hash of the first entry is not the genesis hash")
    if chain is not None and rec["prev_hash"] != chain.hash:
        raise Broken(
            f"{where(line, rec)}: prev_hash does not link to seq {chain.seq} "
            "(that entry or this one rewritten?)"
        )
    tally.chains[pid] = Chain(seq=seq, hash=rec["hash"])


def check_leaf(line: int, rec: Mapping[str, Any], tally: Tally) -> None:
    index, given = rec.get("leaf_index"), rec.get("leaf_hash")
    if index is None:
        return
    if rec.get("pseudonymized") is True:
        if not isinstance(given, str):
            raise Broken(f"{where(line, rec)}: pseudonymized line without its leaf_hash")
        leaf = bytes.fromhex(given)
    else:
        leaf = ledger_leaf_hash(rec["entry_id"], rec["hash"])
        if given is not None and given != leaf.hex():
            raise Broken(f"{where(line, rec)}: leaf_hash does not match its entry id and hash")
    if index in tally.leaves:
        raise Broken(f"{where(line, rec)}: leaf {index} already belongs to another line")
    tally.leaves[index] = leaf
    tally.leaf_entries[index] = rec["entry_id"]


def check_content(line: int, rec: Mapping[str, Any], tally: Tally) -> None:
    """A line's own checks, before its link: field types, its hash recomputed from its content."""
    if not isinstance(rec["seq"], int) or not isinstance(rec["hash"], str):
        raise Broken(f"line {line}: seq or hash has the wrong type")
    if rec.get("pseudonymized") is True:
        tally.pseudonymized += 1
    elif row_hash(rec) != rec["hash"]:
        raise Broken(f"{where(line, rec)}: hash does not match its contents (edited?)")


def check_entries(path: Path, partial: bool) -> Tally:
    """Every line in file order, in this process, as plainly as it can be written: the reference
    the fast checks (``integrity/verify_lines.py``) must agree with, and the reader of CSV."""
    tally = Tally()
    try:
        for line, rec in read_export(path):
            check_content(line, rec, tally)
            check_link(path, line, rec, tally, partial)
            check_leaf(line, rec, tally)
            tally.entries += 1
    except ExportFormatError as exc:
        raise Broken(f"export {exc}") from exc
    except ValueError as exc:
        raise Broken(f"export: unreadable value ({exc})") from exc
    return tally
