"""The offline verifier's line checks over a JSON Lines export, in ranges, with the plain verdicts.

The file is cut into byte ranges on line boundaries, anywhere (checkpoints need not fall on a
cut). Each range is checked on its own (``integrity/verify_lines.py``), in worker processes or, with
one worker, in this one: every line's hash and leaf, the links inside the range, and the Merkle
subtrees of its run of leaves. What a range cannot know is how its first line of each process
links to the ranges before (its *opens*) and whether its leaves carry on from theirs.

Here the ranges are stitched in file order: each open against the chain as the ranges before left
it, each run of leaves onto the subtrees before (a root at every checkpoint size), or, when the
leaves are not in order, each leaf index against the leaves before. The first problem in file
order wins, and at one line in the order the plain checks meet them (content, link, leaf), so the
verdict and message are the ones ``check_entries`` gives. No line is read twice; only opens, chain
heads, subtrees and leaf hashes (32 bytes each) travel back.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from integrity.export import read_export
from integrity.verify_entries import Broken, Chain, Tally, check_entries, check_link, where
from integrity.verify_lines import LEAF, LINK, Irregular, Segment, scan
from integrity.verify_merkle import LeafRun, Peaks, as_run

MIN_CHUNK_BYTES = 1 << 20


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


def _scan_args(args: tuple[Path, int, int, bool, tuple[int, ...]]) -> Segment:
    return scan(*args)


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


def _duplicate_leaf(path: Path, line: int, index: int) -> str:
    """The plain checks' message for a leaf index met a second time, at ``line``."""
    rec = next(rec for number, rec in read_export(path) if number == line)
    return f"{where(line, rec)}: leaf {index} already belongs to another line"


class _Stitch:
    def __init__(self, path: Path, partial: bool, cuts: Iterable[int]) -> None:
        self.path, self.partial, self.cuts = path, partial, set(cuts)
        self.tally = Tally(leaf_entries=_LeafEntries(path), run=LeafRun())
        self.first = 1  # the file's number of the next range's first line
        self.peaks = Peaks()

    def add(self, seg: Segment) -> None:
        """Continue the chains and leaves through one range; raise its first problem."""
        found: list[tuple[int, int, str]] = []
        limit = None
        if seg.problem is not None:
            line, stage, message = seg.problem
            found.append((self.first + line, stage, message))
            limit = (self.first + line, stage)
        for line, rec in seg.opens:
            line += self.first
            if limit is not None and (line, LINK) >= limit:
                break
            try:
                check_link(self.path, line, rec, self.tally, self.partial)
            except Broken as exc:
                found.append((line, LINK, str(exc)))
                break
        duplicate = self._leaves(seg, limit)
        if duplicate is not None:
            found.append(duplicate)
        if found:
            raise Broken(min(found)[2])
        self.first += seg.lines
        self.tally.entries += seg.entries
        self.tally.pseudonymized += seg.pseudonymized
        for pid, (seq, digest) in seg.closes.items():
            self.tally.chains[pid] = Chain(seq=seq, hash=digest)

    def _leaves(self, seg: Segment, limit: tuple[int, int] | None) -> tuple[int, int, str] | None:
        run = self.tally.run
        if run is not None and seg.leaf_start == run.count:
            end = run.count + len(seg.leaf_run) // 32
            for cut, peaks in sorted(seg.peaks.items()):
                if cut in self.cuts and cut != end:
                    run.roots[cut] = self.peaks.copy().extend(peaks).root()
            self.peaks.extend(seg.peaks[end])
            if end in self.cuts:
                run.roots[end] = self.peaks.root()
            run.count = end
            run.blocks.append(seg.leaf_run)
            return None
        if not seg.leaf_lines:
            return None
        leaves = self._explicit()
        if seg.leaf_start is not None:
            hashes = seg.leaf_run
            indexes: Iterable[Any] = range(seg.leaf_start, seg.leaf_start + len(hashes) // 32)
            values = [hashes[i : i + 32] for i in range(0, len(hashes), 32)]
        else:
            indexes, values = seg.leaf_indexes, seg.leaf_list
        if not leaves.keys().isdisjoint(indexes):
            for position, index in enumerate(indexes):
                if index in leaves:
                    line = self.first + seg.leaf_lines[position]
                    if limit is None or (line, LEAF) < limit:
                        return line, LEAF, _duplicate_leaf(self.path, line, index)
                    return None
        leaves.update(zip(indexes, values, strict=True))
        return None

    def _explicit(self) -> dict[Any, bytes]:
        """Leaves one by one from here on (they came out of order)."""
        if self.tally.run is not None:
            self.tally.leaves = dict(enumerate(self.tally.run.hashes()))
            self.tally.run = None
        return self.tally.leaves


def _segments(
    path: Path, partial: bool, workers: int, chunk_bytes: int | None, cuts: tuple[int, ...]
) -> Generator[Segment, None, None]:
    size = path.stat().st_size
    if workers <= 1 or (chunk_bytes is None and size < 2 * MIN_CHUNK_BYTES):
        yield scan(path, 0, size, partial, cuts)
        return
    chunk_bytes = chunk_bytes or max(MIN_CHUNK_BYTES, size // (workers * 4) + 1)
    jobs = [(path, start, end, partial, cuts) for start, end in ranges(path, chunk_bytes)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        try:
            yield from pool.map(_scan_args, jobs)
        finally:
            pool.shutdown(cancel_futures=True)


def check_entries_parallel(
    path: Path,
    partial: bool,
    *,
    workers: int | None = None,
    chunk_bytes: int | None = None,
    cuts: Iterable[int] = (),
) -> Tally:
    """:func:`integrity.verify_entries.check_entries` for a JSON Lines export, in ranges; ``cuts``
    are the checkpoints' tree sizes (roots at others are computed when asked for)."""
    cuts = tuple(sorted(set(cuts)))
    stitch = _Stitch(path, partial, cuts)
    segments = _segments(path, partial, workers or os.cpu_count() or 1, chunk_bytes, cuts)
    try:
        for seg in segments:
            try:
                stitch.add(seg)
            except Broken:
                # A text reader decodes a little ahead of a line: bytes that are not UTF-8 just
                # past the problem, in the next range, would be its verdict instead.
                next(segments, None)
                raise
    except Irregular:
        return check_entries(path, partial)
    finally:
        segments.close()
    tally = stitch.tally
    if tally.run is None:
        tally.run = as_run(tally.leaves, cuts)
        if tally.run is not None:
            tally.leaves = {}
    return tally
