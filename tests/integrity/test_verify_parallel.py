"""The parallel line checks give the sequential checker's verdict and message, tampered or not.

A synthetic export (bench/_verify_data.py: lines built as the export builds them, signed
checkpoints) is tampered with in each way below; the sequential ``check_entries`` and the parallel
``check_entries_parallel`` cut into many small ranges (so that every tampering sits near or across
a range boundary somewhere) must agree on the first problem, word for word, and on a clean file
agree on every count, chain head and leaf, and then on the roots.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench._verify_data import write_export
from cli.verify import check_roots, load_checkpoints
from integrity.verify_entries import Broken, Tally, check_entries
from integrity.verify_parallel import check_entries_parallel, ranges
from integrity.verify_roots import leaves_below

ROOT = Path(__file__).resolve().parents[2]
Lines = list[str]
COUNT = 1500
CHUNK = 16_000  # bytes: about sixteen lines per range, a hundred ranges


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    return write_export(tmp_path_factory.mktemp("export"), COUNT, processes=40, every=500)


def leaves_of(tally: Tally) -> dict[int, bytes]:
    """Every leaf by index, however the tally holds them."""
    return dict(enumerate(tally.run.hashes())) if tally.run is not None else dict(tally.leaves)


def outcome(
    check: Callable[[], Tally], cps: list[dict[str, Any]] | None = None, partial: bool = False
) -> tuple[str, Any]:
    """What a check found: its first problem, or its counts, chain heads and leaves; with ``cps``
    also what the roots check then finds, as ``cli.verify`` runs it."""
    try:
        tally = check()
        roots = check_roots(cps, tally, partial) if cps is not None else None
    except Broken as exc:
        return "broken", str(exc)
    chains = {pid: (c.seq, c.hash) for pid, c in tally.chains.items()}
    below = leaves_below(tally, COUNT)
    return "ok", (tally.entries, tally.pseudonymized, chains, leaves_of(tally), roots, below)


def both(
    path: Path, partial: bool = False, cps: list[dict[str, Any]] | None = None, chunk: int = CHUNK
) -> tuple[tuple[str, Any], tuple[str, Any]]:
    cuts = [int(cp["tree_size"]) for cp in cps or []]
    sequential = outcome(lambda: check_entries(path, partial), cps, partial)
    parallel = outcome(
        lambda: check_entries_parallel(path, partial, workers=2, chunk_bytes=chunk, cuts=cuts),
        cps,
        partial,
    )
    return sequential, parallel


def edit(line: str, **changes: Any) -> str:
    rec = json.loads(line)
    rec.update(changes)
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n"


def payload_edited(lines: Lines) -> Lines:
    rec = json.loads(lines[700])
    return [*lines[:700], edit(lines[700], payload={**rec["payload"], "n": -1}), *lines[701:]]


TAMPERINGS: dict[str, Callable[[Lines], Lines]] = {
    "payload edited": payload_edited,
    "a line removed": lambda ls: ls[:512] + ls[513:],
    "two lines of one process swapped": lambda ls: [
        *ls[:300],
        ls[340],
        *ls[301:340],
        ls[300],
        *ls[341:],
    ],
    "a line duplicated": lambda ls: [*ls[:900], ls[880], *ls[900:]],
    "a leaf hash altered": lambda ls: [*ls[:1200], edit(ls[1200], leaf_hash="ab" * 32), *ls[1201:]],
    "a leaf index used twice, far apart": lambda ls: [
        *ls[:1300],
        edit(ls[1300], leaf_index=17, leaf_hash=None),
        *ls[1301:],
    ],
    "a line cut short": lambda ls: [*ls[:1000], ls[1000][:200] + "\n", *ls[1001:]],
    "a prev_hash rewritten": lambda ls: [
        *ls[:1100],
        edit(ls[1100], prev_hash="0" * 64),
        *ls[1101:],
    ],
    "seq of the wrong type": lambda ls: [*ls[:50], edit(ls[50], seq="51"), *ls[51:]],
    "the first lines removed": lambda ls: ls[40:],
    "the tail cut": lambda ls: ls[:1234],
    "blank lines between": lambda ls: [*ls[:600], "\n", "  \n", *ls[600:]],
    "a process's lines all moved to the end": lambda ls: [
        *(line for line in ls if '"process_id":"promotion:199001012015000007' not in line),
        *(line for line in ls if '"process_id":"promotion:199001012015000007' in line),
    ],
}


@pytest.mark.parametrize("name", sorted(TAMPERINGS))
def test_the_same_first_problem(name: str, clean: tuple[Path, Path, str], tmp_path: Path) -> None:
    lines = clean[0].read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "ledger.jsonl"
    path.write_text("".join(TAMPERINGS[name](lines)), encoding="utf-8")
    assert len(ranges(path, CHUNK)) > 50
    cps = load_checkpoints(clean[1])
    sequential, parallel = both(path, cps=cps)
    assert parallel == sequential
    if name not in {"blank lines between", "a process's lines all moved to the end"}:
        assert sequential[0] == "broken", sequential
    partial_sequential, partial_parallel = both(path, partial=True, cps=cps)
    assert partial_parallel == partial_sequential
    in_one = outcome(lambda: check_entries_parallel(path, False, workers=1, cuts=[500]), cps)
    assert in_one == sequential


def test_a_clean_export_gives_the_same_tally_and_roots(clean: tuple[Path, Path, str]) -> None:
    cps = load_checkpoints(clean[1])
    sequential, parallel = both(clean[0], cps=cps)
    assert sequential[0] == "ok"
    assert sequential[1][4] == (COUNT - 3, [])
    assert parallel == sequential
    # Without the sizes asked for, the roots are computed from the leaf hashes kept.
    assert both(clean[0])[1] == both(clean[0])[0]
    tally = check_entries_parallel(clean[0], False, workers=2, chunk_bytes=CHUNK)
    assert tally.run is not None and tally.run.count == COUNT - 3
    assert check_roots(cps, tally, False) == (COUNT - 3, [])


def test_the_command_gives_one_answer_either_way(tmp_path: Path) -> None:
    export, checkpoints, key = write_export(tmp_path, 3000, processes=100, every=1000)
    assert export.stat().st_size > 2 << 20  # large enough to be checked in parallel

    def run(*extra: str) -> tuple[int, str]:
        args = ["--export", str(export), "--checkpoints", str(checkpoints), "--public-key", key]
        proc = subprocess.run(
            [sys.executable, "-m", "cli.verify", *args, *extra],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        return proc.returncode, proc.stdout

    sequential = run("--workers", "1")
    assert sequential[0] == 0, sequential
    assert run("--workers", "2") == sequential
    lines = export.read_text(encoding="utf-8").splitlines(keepends=True)
    export.write_text("".join([*lines[:2500], *lines[2501:]]), encoding="utf-8")
    broken = run("--workers", "1")
    assert broken[0] == 1 and broken[1].startswith("FAIL: line 2600: "), broken
    assert run("--workers", "2") == broken


def test_the_fast_hashes_are_the_domain_hashes(clean: tuple[Path, Path, str]) -> None:
    from domain import ledger as domain_ledger
    from domain import merkle
    from integrity import verify_entries

    records = [json.loads(line) for line in clean[0].read_text(encoding="utf-8").splitlines()[:50]]
    odd = dict(records[0], payload={"z": [1, 2.5, None, True], "a": {"ü": "ẞ\u2028"}}, subject=None)
    for rec in [*records, odd]:
        assert verify_entries.row_hash(rec) == domain_ledger.row_hash(rec)
        assert verify_entries.ledger_leaf_hash(rec["entry_id"], rec["hash"]) == (
            merkle.ledger_leaf_hash(rec["entry_id"], rec["hash"])
        )
