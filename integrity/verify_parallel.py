"""The offline verifier's line checks in parallel processes, with the sequential checker's verdicts.

A JSON Lines export is cut into byte ranges on line boundaries. Each process reads its range as a
stream and checks every line on its own (content hash, leaf hash, its duplicate leaves), and the
links between lines of one process inside the range. What it cannot know is how its first line of
each process links to the ranges before: it hands that line back (an *open*), with the last seq
and hash of each process (its *closes*), its leaves, and its first own problem, if any.

The parent stitches the ranges in file order: it checks each open against the chain as the ranges
before left it, and each leaf index against the leaves before. The first problem in file order
wins, and at one line in the order the sequential checker would meet them (content, then link,
then leaf), so the verdict and message are the ones ``check_entries`` gives. Nothing holds the
file: a range is read line by line, and only leaves (32 bytes each) and chain heads travel back.
"""

from __future__ import annotations

import json
import os
import re
from array import array
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from integrity.export import LEDGER_COLUMNS, ExportFormatError, read_export
from integrity.verify_entries import (
    Broken,
    Chain,
    Tally,
    check_content,
    check_leaf,
    check_link,
    where,
)

MIN_CHUNK_BYTES = 1 << 20
_LONG_DIGITS = re.compile(rb"[0-9]{19}")
_BLOCK = 1 << 20
# At one line, the order the sequential checker meets problems in.
CONTENT, LINK, LEAF = 0, 1, 2


@dataclass
class Chunk:
    """What one range found: enough for the parent to continue every chain through it."""

    entries: int = 0
    pseudonymized: int = 0
    problem: tuple[int, int, str] | None = None  # (line, stage, message)
    opens: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    closes: dict[str, tuple[int, str]] = field(default_factory=dict)
    leaf_lines: array[int] = field(default_factory=lambda: array("q"))
    leaf_indexes: array[int] = field(default_factory=lambda: array("q"))
    leaf_hashes: bytearray = field(default_factory=bytearray)


def ranges(path: Path, chunk_bytes: int) -> list[tuple[int, int]]:
    """Byte ranges of about ``chunk_bytes``, each ending just after a newline (or at the end)."""
    size = path.stat().st_size
    bounds = [0]
    with path.open("rb") as handle:
        while bounds[-1] + chunk_bytes < size:
            handle.seek(bounds[-1] + chunk_bytes)
            handle.readline()
            if handle.tell() >= size:
                break
            bounds.append(handle.tell())
    bounds.append(size)
    return list(zip(bounds, bounds[1:], strict=False))


def _count_lines(path: Path, start: int, end: int) -> int:
    count = 0
    with path.open("rb") as handle:
        handle.seek(start)
        left = end - start
        while left > 0:
            block = handle.read(min(_BLOCK, left))
            if not block:
                break
            count += block.count(b"\n")
            left -= len(block)
    return count


def _lines(path: Path, start: int, end: int) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(start)
        position = start
        while position < end:
            raw = handle.readline()
            if not raw:
                return
            position += len(raw)
            yield raw


def _loads(raw: bytes) -> Any:
    """``json.loads``, through orjson where the two agree. orjson refuses what json may read
    (NaN, lone surrogates: json then decides, and its refusal is the sequential message) and reads
    numbers of 19 digits or more as floats where json keeps integers: such lines go to json."""
    if _LONG_DIGITS.search(raw) is None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(raw)


def _record(number: int, raw: bytes) -> dict[str, Any] | None:
    """One line as ``integrity.export`` reads it (None for a blank line)."""
    if not raw.strip():
        return None
    try:
        record = _loads(raw)
    except json.JSONDecodeError as exc:
        raise ExportFormatError(number, f"not valid JSON (cut short?): {exc.msg}") from exc
    if not isinstance(record, dict):
        raise ExportFormatError(number, "is not a JSON object")
    missing = [c for c in LEDGER_COLUMNS if c not in record]
    if missing:
        raise ExportFormatError(number, f"fields missing: {', '.join(missing)}")
    return record


def scan(path: Path, start: int, end: int, first_line: int, partial: bool) -> Chunk:
    """Check the lines of ``[start, end)``; line numbers count from ``first_line``."""
    chunk, local = Chunk(), Tally()
    stage = CONTENT
    number = first_line
    try:
        for number, raw in enumerate(_lines(path, start, end), start=first_line):  # noqa: B007
            stage = CONTENT
            rec = _record(number, raw)
            if rec is None:
                continue
            check_content(number, rec, local)
            stage = LINK
            if rec["process_id"] in local.chains:
                check_link(path, number, rec, local, partial)
            else:
                opened = {k: rec[k] for k in ("entry_id", "process_id", "seq", "prev_hash", "hash")}
                chunk.opens.append((number, opened))
                local.chains[rec["process_id"]] = Chain(seq=rec["seq"], hash=rec["hash"])
            stage = LEAF
            before = len(local.leaves)
            check_leaf(number, rec, local)
            if len(local.leaves) > before:
                index = rec["leaf_index"]
                chunk.leaf_lines.append(number)
                chunk.leaf_indexes.append(index)
                chunk.leaf_hashes += local.leaves[index]
            local.entries += 1
    except Broken as exc:
        chunk.problem = (number, stage, str(exc))
    except ExportFormatError as exc:
        chunk.problem = (number, CONTENT, f"export {exc}")
    except ValueError as exc:
        chunk.problem = (number, stage, f"export: unreadable value ({exc})")
    chunk.entries, chunk.pseudonymized = local.entries, local.pseudonymized
    chunk.closes = {pid: (c.seq, c.hash) for pid, c in local.chains.items()}
    return chunk


def _scan_args(args: tuple[Path, int, int, int, bool]) -> Chunk:
    return scan(*args)


def _count_args(args: tuple[Path, int, int]) -> int:
    return _count_lines(*args)


class _LeafEntries(dict[int, str]):
    """The entry id of each leaf, read from the export only when a message needs one."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._path = path
        self._loaded = False

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            for _, rec in read_export(self._path):
                if rec.get("leaf_index") is not None:
                    self.setdefault(rec["leaf_index"], rec["entry_id"])

    def __missing__(self, key: int) -> str:
        self._load()
        return super().__getitem__(key)

    def get(self, key: int, default: Any = None) -> Any:
        self._load()
        return super().get(key, default)


def _stitch(path: Path, chunk: Chunk, tally: Tally, partial: bool) -> None:
    """Continue the chains and leaves through one range; raise its first problem in file order."""
    found: list[tuple[int, int, str]] = [chunk.problem] if chunk.problem else []
    limit = chunk.problem[:2] if chunk.problem else None
    for line, rec in chunk.opens:
        if limit is not None and (line, LINK) >= limit:
            break
        try:
            check_link(path, line, rec, tally, partial)
        except Broken as exc:
            found.append((line, LINK, str(exc)))
            break
    for position, index in enumerate(chunk.leaf_indexes):
        line = chunk.leaf_lines[position]
        if limit is not None and (line, LEAF) >= limit:
            break
        if index in tally.leaves:
            found.append((line, LEAF, _duplicate_leaf(path, line, index)))
            break
        tally.leaves[index] = bytes(chunk.leaf_hashes[32 * position : 32 * position + 32])
    if found:
        raise Broken(min(found)[2])
    tally.entries += chunk.entries
    tally.pseudonymized += chunk.pseudonymized
    for pid, (seq, digest) in chunk.closes.items():
        tally.chains[pid] = Chain(seq=seq, hash=digest)


def _duplicate_leaf(path: Path, line: int, index: int) -> str:
    """The sequential checker's message for a leaf index met a second time, at ``line``."""
    rec = next(rec for number, rec in read_export(path) if number == line)
    return f"{where(line, rec)}: leaf {index} already belongs to another line"


def check_entries_parallel(
    path: Path, partial: bool, *, workers: int | None = None, chunk_bytes: int | None = None
) -> Tally:
    """:func:`integrity.verify_entries.check_entries` for a JSON Lines export, in processes."""
    workers = workers or os.cpu_count() or 1
    size = path.stat().st_size
    chunk_bytes = chunk_bytes or max(MIN_CHUNK_BYTES, size // (workers * 4) + 1)
    spans = ranges(path, chunk_bytes)
    tally = Tally(leaf_entries=_LeafEntries(path))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        counts = list(pool.map(_count_args, [(path, s, e) for s, e in spans]))
        firsts, line = [], 1
        for count in counts:
            firsts.append(line)
            line += count
        jobs = [(path, s, e, first, partial) for (s, e), first in zip(spans, firsts, strict=True)]
        try:
            for chunk in pool.map(_scan_args, jobs):
                _stitch(path, chunk, tally, partial)
        except Broken:
            pool.shutdown(cancel_futures=True)
            raise
    return tally
