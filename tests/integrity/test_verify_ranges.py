"""The fast line checks cut into ranges anywhere, against the plain checks, on what they do not see
every day: checkpoints inside ranges, tampering in the first, a middle and the last range, leaves
out of file order (the server's export is in process order), floats, pseudonyms, bytes that are
not UTF-8 and a lone carriage return. Also the two facts the fast path stands on: orjson's sorted
bytes are ``canonical_json``'s when there is no float, and subtrees folded per range give the root.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import pytest

from bench._verify_data import write_export
from cli.verify import check_roots, load_checkpoints
from domain import merkle
from domain.ledger import canonical_json, row_hash
from integrity import verify_lines
from integrity.export import Pseudonymizer
from integrity.verify_entries import Broken, Tally, check_entries
from integrity.verify_merkle import Peaks, run_peaks
from integrity.verify_parallel import check_entries_parallel, ranges

COUNT = 2000
CHUNK = 200_000  # bytes: a range of about 200 lines, ten ranges; a checkpoint every 137 leaves


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[dict[str, Any]]]:
    export, checkpoints, _ = write_export(
        tmp_path_factory.mktemp("export"), COUNT, processes=30, every=137
    )
    return export.read_text(encoding="utf-8").splitlines(keepends=True), load_checkpoints(
        checkpoints
    )


def verdict(check: Callable[[], Tally], cps: list[dict[str, Any]]) -> tuple[str, Any]:
    try:
        tally = check()
        return "ok", (tally.entries, tally.pseudonymized, check_roots(cps, tally, False))
    except Broken as exc:
        return "broken", str(exc)


def compare(path: Path, cps: list[dict[str, Any]], workers: int = 2) -> tuple[str, Any]:
    """The plain verdict, after asserting the ranges give it too (cut in two sizes, or whole)."""
    cuts = [int(cp["tree_size"]) for cp in cps]
    plain = verdict(lambda: check_entries(path, False), cps)
    for chunk in (CHUNK, CHUNK // 3 + 7):
        fast = verdict(
            partial(
                check_entries_parallel, path, False, workers=workers, chunk_bytes=chunk, cuts=cuts
            ),
            cps,
        )
        assert fast == plain
    whole = verdict(lambda: check_entries_parallel(path, False, workers=1, cuts=cuts), cps)
    assert whole == plain
    return plain


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "ledger.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def edit(line: str, **changes: Any) -> str:
    return json.dumps({**json.loads(line), **changes}, ensure_ascii=False, separators=(",", ":"))


def test_checkpoints_fall_inside_ranges(
    clean: tuple[list[str], list[dict[str, Any]]], tmp_path: Path
) -> None:
    lines, cps = clean
    assert len(cps) > 10
    path = write(tmp_path, lines)
    assert len(ranges(path, CHUNK)) >= 8
    assert compare(path, cps) == ("ok", (COUNT, 0, (COUNT - 3, [])))


@pytest.mark.parametrize("where", [5, COUNT // 2, COUNT - 10])
@pytest.mark.parametrize("how", ["payload", "leaf hash", "removed", "prev_hash"])
def test_tampering_in_the_first_a_middle_and_the_last_range(
    where: int, how: str, clean: tuple[list[str], list[dict[str, Any]]], tmp_path: Path
) -> None:
    lines, cps = list(clean[0]), clean[1]
    if how == "payload":
        lines[where] = edit(lines[where], payload={"n": -1}) + "\n"
    elif how == "leaf hash":
        lines[where] = edit(lines[where], leaf_hash="cd" * 32) + "\n"
    elif how == "prev_hash":
        lines[where] = edit(lines[where], prev_hash="1" * 64) + "\n"
    else:
        del lines[where]
    found = compare(write(tmp_path, lines), cps)
    assert found[0] == "broken"
    assert found[1].startswith(f"line {where + 1}: ") or how == "removed", found


def test_leaves_out_of_file_order(
    clean: tuple[list[str], list[dict[str, Any]]], tmp_path: Path
) -> None:
    """The server exports by process and seq: leaves come in any order."""
    lines, cps = clean
    by_process = list(lines)
    by_process.sort(key=lambda line: (json.loads(line)["process_id"], json.loads(line)["seq"]))
    assert compare(write(tmp_path, by_process), cps) == ("ok", (COUNT, 0, (COUNT - 3, [])))
    by_process[1500] = edit(by_process[1500], leaf_hash="ab" * 32) + "\n"
    assert compare(write(tmp_path, by_process), cps)[0] == "broken"
    unindexed = [
        edit(line, leaf_index=None, leaf_hash=None) + "\n"
        if json.loads(line)["leaf_index"] == 1234
        else line
        for line in lines
    ]
    found = compare(write(tmp_path, unindexed), cps)
    assert found[0] == "broken"
    assert "covers leaves the export lacks: 1 missing (1234); leaf 1234 lies between" in found[1]


def test_floats_and_pseudonyms_go_the_plain_way(
    clean: tuple[list[str], list[dict[str, Any]]], tmp_path: Path
) -> None:
    lines, cps = list(clean[0]), clean[1]
    # The last line is the last of its process and not yet under a checkpoint: rehash it with
    # floats that orjson would spell otherwise (1e+16 against 1e16).
    rec = json.loads(lines[-1])
    rec["payload"] = {"big": 1e16, "small": 1e-7, "n": 0.1, "whole": 2**70}
    rec["hash"] = row_hash(rec)
    lines[-1] = json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert compare(write(tmp_path, lines), cps) == ("ok", (COUNT, 0, (COUNT - 3, [])))
    rec["payload"]["big"] = 1.0000000000000002e16
    lines[-1] = json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert compare(write(tmp_path, lines), cps)[0] == "broken"
    hidden = Pseudonymizer(b"k")
    masked = [
        json.dumps(hidden.record(json.loads(line)), ensure_ascii=False) + "\n" for line in lines
    ]
    assert compare(write(tmp_path, masked), cps) == ("ok", (COUNT, COUNT, (COUNT - 3, [])))


@pytest.mark.parametrize("block", [700, 4096])
def test_lines_across_blocks_read(
    block: int,
    clean: tuple[list[str], list[dict[str, Any]]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Blocks shorter than a line and blocks that end anywhere, also between CR and LF."""
    monkeypatch.setattr(verify_lines, "_BLOCK", block)
    lines, cps = list(clean[0]), clean[1]
    crlf = [line.replace("\n", "\r\n") for line in lines]
    crlf[-1] = crlf[-1].rstrip()  # and no newline at the end
    assert compare(write(tmp_path, crlf), cps) == ("ok", (COUNT, 0, (COUNT - 3, [])))
    alone = [*crlf[:1200], crlf[1200].replace('"seq"', '"s\req"'), *crlf[1201:]]
    assert compare(write(tmp_path, alone), cps)[0] == "broken"
    crlf[900] = edit(lines[900], prev_hash="2" * 64) + "\r\n"
    found = compare(write(tmp_path, crlf), cps)
    assert found[0] == "broken" and found[1].startswith("line 901: "), found


def test_a_payload_deeper_than_orjson_writes(
    clean: tuple[list[str], list[dict[str, Any]]], tmp_path: Path
) -> None:
    """orjson reads 1024 levels but writes 254: such a line is checked the plain way."""
    lines, cps = list(clean[0]), clean[1]
    rec = json.loads(lines[-1])
    deep: dict[str, Any] = {}
    for _ in range(300):
        deep = {"x": deep}
    rec["payload"] = deep
    rec["hash"] = row_hash(rec)
    lines[-1] = json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert compare(write(tmp_path, lines), cps) == ("ok", (COUNT, 0, (COUNT - 3, [])))
    rec["seq"] += 1
    lines[-1] = json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert compare(write(tmp_path, lines), cps)[0] == "broken"


@pytest.mark.parametrize(
    "bad", [b"\xff\xfe", b"\r", b'"\xc3"', "\u00a0".encode(), b"\t", b"\x1c"], ids=repr
)
def test_what_only_a_text_reading_decides(
    bad: bytes, clean: tuple[list[str], list[dict[str, Any]]], tmp_path: Path
) -> None:
    """Bytes that are not UTF-8, a carriage return alone, whitespace only str.strip knows: in a
    line of their own, at the end of a line, and just after a tampered line in the next range."""
    lines, cps = clean
    data = [line.encode() for line in lines]
    path = tmp_path / "ledger.jsonl"
    for at in (700, 1300):
        tampered = list(data)
        tampered[at] = bad + b"\n"
        path.write_bytes(b"".join(tampered))
        compare(path, cps)
        tampered = list(data)
        tampered[at] = tampered[at][:-1] + bad + b"\n"
        path.write_bytes(b"".join(tampered))
        compare(path, cps)
    tampered = list(data)
    tampered[999] = edit(lines[999], seq=-5).encode() + b"\n"
    tampered[1000] = bad + tampered[1000]
    path.write_bytes(b"".join(tampered))
    assert compare(path, cps)[0] == "broken"


def test_orjson_sorted_bytes_are_canonical_json_without_floats() -> None:
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    value = {
        "s": every,
        "keys": {chr(c): c for c in range(0, 0x110000, 97) if not 0xD800 <= c <= 0xDFFF},
        "ints": [0, -1, 2**63 - 1, -(2**63), 2**64 - 1, True, False, None],
        "nested": [{"b": {"z": [], "a": {}}, "a": '\u2028\x00\x7f"'}],
    }
    assert orjson.dumps(value, option=orjson.OPT_SORT_KEYS) == canonical_json(value)


@pytest.mark.parametrize("start", [0, 1, 5, 64, 100, 129])
def test_subtrees_per_run_fold_to_the_root(start: int) -> None:
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(300)]
    before = Peaks().extend(run_peaks(leaves[:start], 0, [start]).get(start, []))
    cuts = list(range(start + 1, 301))
    for cut, peaks in run_peaks(leaves[start:], start, cuts).items():
        assert before.copy().extend(peaks).root() == merkle.root(leaves[:cut]), cut
