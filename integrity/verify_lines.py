"""The offline verifier's line checks over one byte range of a JSON Lines export, fast.

A plain line (every export column, nothing else; no float anywhere; the usual types) is checked
straight from orjson's reading: its hash over its canonical bytes (orjson with sorted keys writes
exactly what ``domain.ledger.canonical_json`` writes when there is no float), its link to the line
before of its process, its leaf. Any other line, and any plain line that fails one of those, goes
through the plain checks of ``integrity/verify_entries.py`` with this range's state, so a verdict
and its message are always theirs. Line numbers in messages count from the file's start: the lines
before the range are counted only when a message needs them.

What only a reading of the whole file as text can decide (bytes that are not UTF-8, a carriage
return alone, which that reading takes for a line break) raises :class:`Irregular`, and the caller
reads the file the plain way.
"""

from __future__ import annotations

import codecs
import hashlib
import json
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from domain import merkle
from integrity.export import EXPORT_COLUMNS, ExportFormatError, _check_fields
from integrity.verify_entries import Broken, Chain, Tally, check_content, check_leaf, check_link
from integrity.verify_merkle import Peak, run_peaks

_BLOCK = 8 << 20
_LOOKAHEAD = 1 << 16  # past a problem line: more than a text reader decodes ahead (8 KiB)
# At one line, the order the plain checks meet problems in.
CONTENT, LINK, LEAF = 0, 1, 2
_SCALARS = frozenset({str, int, bool, type(None)})
_COLUMNS = EXPORT_COLUMNS
_SORT = orjson.OPT_SORT_KEYS
# A leaf's hashed bytes: canonical JSON of the entry id (orjson's spelling of it) and hash.
_LEAF_OF = merkle.LEAF_PREFIX + b'{"entry_id":%b,"hash":"%b"}'
_OPENED = ("entry_id", "process_id", "seq", "prev_hash", "hash")


class Irregular(Exception):
    """The range holds bytes that are not UTF-8 or a carriage return alone."""


class _Stop(Exception):
    """The range's first problem is recorded."""


@dataclass
class Segment:
    """What one range found. Lines are counted from 0 at the range's start."""

    lines: int = 0
    entries: int = 0
    pseudonymized: int = 0
    problem: tuple[int, int, str] | None = None  # (line, stage, message)
    # The first line of each process in the range: its link is for the caller to check.
    opens: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    closes: dict[str, tuple[int, str]] = field(default_factory=dict)
    leaf_lines: array[int] = field(default_factory=lambda: array("q"))
    # Leaves start..start+n-1 in file order: their hashes joined, and the Merkle subtrees of
    # start..cut-1 for each cut asked for and the run's end. Otherwise start is None and the
    # leaves are listed one by one.
    leaf_start: int | None = None
    leaf_run: bytes = b""
    peaks: dict[int, list[Peak]] = field(default_factory=dict)
    leaf_indexes: list[Any] = field(default_factory=list)
    leaf_list: list[bytes] = field(default_factory=list)


def _plain(values: Iterable[Any]) -> bool:
    """No float anywhere in ``values`` (json and orjson write floats differently)."""
    kinds = set(map(type, values))
    if kinds <= _SCALARS:
        return True
    if float in kinds:
        return False
    return all(
        _plain(v.values()) if type(v) is dict else _plain(v) if type(v) is list else True
        for v in values
    )


def count_lines(path: Path, end: int) -> int:
    count = 0
    with path.open("rb") as handle:
        while handle.tell() < end:
            block = handle.read(min(_BLOCK, end - handle.tell()))
            if not block:
                break
            count += block.count(b"\n")
    return count


class _Range:
    def __init__(self, path: Path, start: int, partial: bool) -> None:
        self.path, self.start, self.partial = path, start, partial
        self.seg = Segment()
        self.heads: dict[Any, tuple[int, str]] = {}
        self.run: list[bytes] = []
        self.expect: int | None = None  # the next leaf index of the run
        self.explicit: dict[Any, bytes] | None = None
        self._first: int | None = None

    def number(self, line: int) -> int:
        """A line's number in the file."""
        if self._first is None:
            self._first = count_lines(self.path, self.start) + 1
        return self._first + line

    def lines(self, lines: list[bytes], line: int, open_end: bool) -> int:
        """Check ``lines`` (without their newlines; the last has none in the file if
        ``open_end``), the first being ``line``; returns the next line's number."""
        loads, dumps, sha = orjson.loads, orjson.dumps, hashlib.sha256
        scalars, columns = _SCALARS, _COLUMNS
        heads, leaf_lines, opens = self.heads, self.seg.leaf_lines, self.seg.opens
        run, expect, explicit = self.run, self.expect, self.explicit
        entries = pseudonymized = 0
        last = line + len(lines) - 1
        for line, raw in enumerate(lines, start=line):  # noqa: B020
            try:
                rec = loads(raw)
                names = tuple(rec)
                if names != columns:
                    raise ValueError
                columns = names  # the same names as orjson's own objects: compared by identity
                pop = rec.pop
                digest, index, given = pop("hash"), pop("leaf_index"), pop("leaf_hash")
                masked, payload = pop("pseudonymized") is True, pop("payload")
                seq, prev, pid = rec["seq"], rec["prev_hash"], rec["process_id"]
                if not (
                    type(seq) is int
                    and type(digest) is str
                    and type(prev) is str
                    and type(pid) is str
                    and type(payload) is dict
                    and scalars.issuperset(map(type, rec.values()))
                    and (
                        scalars.issuperset(map(type, payload.values())) or _plain(payload.values())
                    )
                ):
                    raise ValueError
                if not masked:
                    rec["payload"] = payload
                    if sha(dumps(rec, option=_SORT)).hexdigest() != digest:
                        raise ValueError
                head = heads.get(pid)
                if head is not None and (seq != head[0] + 1 or prev != head[1]):
                    raise ValueError
                if index is not None:
                    if type(index) is not int or (
                        index != expect if explicit is None else index in explicit
                    ):
                        raise ValueError
                    if masked:
                        leaf = _given_leaf(given)
                    else:
                        leaf = sha(_LEAF_OF % (dumps(rec["entry_id"]), digest.encode())).digest()
                        if given is not None and given != leaf.hex():
                            raise ValueError
                    if len(leaf) != 32:
                        raise ValueError
            except (ValueError, TypeError, AttributeError, RecursionError):
                # Not a plain line, or one with a problem: the plain checks, with this state.
                self.expect = expect
                try:
                    self.slow(line, raw, open_end and line == last)
                finally:
                    self.seg.entries += entries
                    self.seg.pseudonymized += pseudonymized
                    entries = pseudonymized = 0
                run, expect, explicit = self.run, self.expect, self.explicit
                continue
            if index is not None:
                if explicit is None:
                    run.append(leaf)
                    expect = index + 1
                else:
                    explicit[index] = leaf
                leaf_lines.append(line)
            if head is None:
                eid = rec["entry_id"]
                opens.append((line, _opened(eid, pid, seq, prev, digest)))
            heads[pid] = (seq, digest)
            pseudonymized += masked
            entries += 1
        self.expect = expect
        self.seg.entries += entries
        self.seg.pseudonymized += pseudonymized
        return last + 1

    def slow(self, line: int, raw: bytes, open_end: bool) -> None:
        """One line through the plain checks; a problem is recorded with its line number."""
        try:
            text = raw.decode("utf-8") + ("" if open_end else "\n")
        except UnicodeDecodeError as exc:
            raise Irregular from exc
        if not text.strip():
            return
        if self._plain_checks(line, text) is None:
            return
        found = self._plain_checks(self.number(line), text)
        assert found is not None, "the plain checks gave two answers"
        self.seg.problem = (line, *found)
        raise _Stop

    def _plain_checks(self, number: int, text: str) -> tuple[int, str] | None:
        """(stage, message) of the line's first problem; None when it passed, and then it counts
        (with ``number`` as given: the range's own count, since a line that passes is named in no
        message; a problem is checked again under the file's count for its message)."""
        stage, tally = CONTENT, Tally()
        try:
            try:
                rec = _check_fields(number, json.loads(text))
            except json.JSONDecodeError as exc:
                raise ExportFormatError(number, f"not valid JSON (cut short?): {exc.msg}") from exc
            check_content(number, rec, tally)
            stage, pid = LINK, rec["process_id"]
            head = self.heads.get(pid)
            if head is not None:
                tally.chains[pid] = Chain(*head)
                check_link(self.path, number, rec, tally, self.partial)
            stage = LEAF
            self._plain_leaf(number, rec)
        except Broken as exc:
            return stage, str(exc)
        except ExportFormatError as exc:
            return CONTENT, f"export {exc}"
        except ValueError as exc:
            return stage, f"export: unreadable value ({exc})"
        if head is None:
            self.seg.opens.append((number, _opened(*map(rec.get, _OPENED))))
        self.heads[pid] = (rec["seq"], rec["hash"])
        self.seg.pseudonymized += tally.pseudonymized
        self.seg.entries += 1
        return None

    def _plain_leaf(self, number: int, rec: dict[str, Any]) -> None:
        index = rec.get("leaf_index")
        if index is None:
            return
        runs_on = (
            self.explicit is None
            and type(index) is int
            and (index == self.expect if self.run else index >= 0)
        )
        if not runs_on:
            self._explicit()
        tally = Tally(leaves={} if runs_on else self.explicit)  # type: ignore[arg-type]
        check_leaf(number, rec, tally)
        if runs_on and len(tally.leaves[index]) == 32:
            self.run.append(tally.leaves[index])
            self.expect = index + 1
        elif runs_on:
            self._explicit()[index] = tally.leaves[index]
        self.seg.leaf_lines.append(number)

    def _explicit(self) -> dict[Any, bytes]:
        if self.explicit is None:
            first = (self.expect or 0) - len(self.run)
            self.explicit = dict(zip(range(first, first + len(self.run)), self.run, strict=True))
            self.run, self.expect = [], None
        return self.explicit

    def finish(self, cuts: Iterable[int]) -> Segment:
        seg = self.seg
        seg.closes = self.heads
        if self.explicit is not None:
            seg.leaf_indexes, seg.leaf_list = list(self.explicit), list(self.explicit.values())
        elif self.run:
            start = (self.expect or 0) - len(self.run)
            seg.leaf_start, seg.leaf_run = start, b"".join(self.run)
            seg.peaks = run_peaks(self.run, start, [*cuts, start + len(self.run)])
        return seg


def _given_leaf(given: Any) -> bytes:
    try:
        return bytes.fromhex(given) if type(given) is str else b""
    except ValueError:
        return b""


def _opened(*values: Any) -> dict[str, Any]:
    """A process's first line in the range, as the caller checks its link: entry_id, process_id,
    seq, prev_hash, hash."""
    return dict(zip(_OPENED, values, strict=True))


def _decodes(path: Path, offset: int) -> bool:
    """Whether the bytes from ``offset`` on, as far as a text reader looks ahead, are UTF-8."""
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read(_LOOKAHEAD)
        at_end = not handle.read(1)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=at_end)
    except UnicodeDecodeError:
        return False
    return True


def _batches(path: Path, start: int, end: int) -> Iterable[tuple[int, list[bytes], bool, bool]]:
    """The lines of ``[start, end)`` without their newlines, a few MiB at a time: ``(offset of the
    first, lines, whether the last has no newline (the range's end), whether any holds a carriage
    return)``. Each block read is split once; only the line across its end is joined."""
    with path.open("rb", buffering=0) as handle:
        handle.seek(start)
        offset = position = start
        carry, returns = b"", False
        while position < end:
            block = handle.read(min(_BLOCK, end - position))
            if not block:
                break
            position += len(block)
            lines = block.split(b"\n")
            lines[0] = carry + lines[0]
            carry = lines.pop()
            returns = returns or b"\r" in block
            if lines:
                yield offset, lines, False, returns
                offset, returns = position - len(carry), b"\r" in carry
        if carry:
            yield offset, [carry], True, returns


def _lone_return(lines: list[bytes], open_end: bool) -> bool:
    """Whether a carriage return stands anywhere but just before a newline."""
    for number, raw in enumerate(lines, start=1):
        at = raw.find(b"\r")
        if at != -1 and (at != len(raw) - 1 or (open_end and number == len(lines))):
            return True
    return False


def scan(path: Path, start: int, end: int, partial: bool, cuts: Iterable[int] = ()) -> Segment:
    """Check the lines of bytes ``[start, end)`` (whole lines); ``cuts``: the checkpoints' tree
    sizes, for the Merkle subtrees of a run of leaves."""
    state, line = _Range(path, start, partial), 0
    for offset, lines, open_end, returns in _batches(path, start, end):
        if returns and _lone_return(lines, open_end):
            raise Irregular
        try:
            line = state.lines(lines, line, open_end)
        except _Stop:
            problem = state.seg.problem
            assert problem is not None
            first = problem[0] - line
            at = offset + sum(len(raw) + 1 for raw in lines[:first])
            if not _decodes(path, at):
                raise Irregular from None
            break
    state.seg.lines = line
    return state.finish(cuts)
