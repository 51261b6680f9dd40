"""The offline verifier, run as a command over real exports: clean ones pass, each tampering fails.

One scenario per module: a few promotions through the API and a worker, two checkpoints, one entry
after the last checkpoint, then the exports (JSONL, CSV, pseudonymized, one process only), the
checkpoints and the public key, saved as files. Every test tampers with copies of those files only.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from domain.ledger import row_hash
from domain.merkle import ledger_leaf_hash
from integrity.checkpoint_signing import CheckpointSigner, checkpoint_message
from integrity.export import NIP, Pseudonymizer, jsonl_line, read_export
from server import create_app
from tests.e2e.checkpoint_support import (
    AGENCY,
    StackApi,
    checkpoint_stack,
    export,
    promotion_with_history,
    verify,
)

ROOT = Path(__file__).resolve().parents[2]
PSEUDONYM_KEY = "test-pseudonym-key"
Records = list[dict[str, Any]]


@dataclass
class Scenario:
    dir: Path
    jsonl: Path
    csv: Path
    pseudonymized: Path
    one_process: Path
    checkpoints: Path
    public_key: str
    records: Records
    nips: list[str]


async def pseudonymized_export(api: StackApi, env: WorkflowEnvironment, path: Path) -> Path:
    settings = api.settings.model_copy(
        update={"export_pseudonymize": True, "pseudonym_key": PSEUDONYM_KEY}
    )
    app = create_app(settings, client=env.client)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        return await export(StackApi(http, settings, api.sessions), path)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scenario(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Scenario]:
    base = tmp_path_factory.mktemp("verifier")
    async with checkpoint_stack(dev_env, base) as api:
        pids = [await promotion_with_history(api) for _ in range(3)]
        await api.checkpoint()
        pids.append(await promotion_with_history(api))
        await api.checkpoint()
        # One refused attempt after the last checkpoint: an entry no checkpoint covers yet.
        r = await api.post(
            f"/v1/promotions/{pids[0]}/decisions",
            {"decision": "approve", "justification": "too early"},
            "appointing_authority",
            "ppk",
            AGENCY,
        )
        assert r.status_code == 409, r.text
        items = (await api.ok("/v1/audit/checkpoints"))["items"]
        (base / "checkpoints.json").write_text(json.dumps(items), encoding="utf-8")
        key = (await api.ok("/v1/audit/public-key"))["public_key"]
        jsonl = await export(api, base / "ledger.jsonl")
        csv = await export(api, base / "ledger.csv", format="csv")
        one = await export(api, base / "one.jsonl", process_id=pids[1])
        pseudo = await pseudonymized_export(api, dev_env, base / "pseudo.jsonl")
    yield Scenario(
        dir=base,
        jsonl=jsonl,
        csv=csv,
        pseudonymized=pseudo,
        one_process=one,
        checkpoints=base / "checkpoints.json",
        public_key=key,
        records=[rec for _, rec in read_export(jsonl)],
        nips=[pid.split("-")[1] for pid in pids],
    )


def write(path: Path, records: Records) -> Path:
    path.write_text("".join(jsonl_line(r) for r in records), encoding="utf-8")
    return path


async def test_a_clean_export_verifies(scenario: Scenario) -> None:
    code, out = await verify(scenario.jsonl, scenario.checkpoints, scenario.public_key)
    assert code == 0, out
    cps = json.loads(scenario.checkpoints.read_text())
    n = len(scenario.records)
    assert out.startswith(f"OK: {n} entries in 4 processes ({n} re-hashed from content;")
    assert f"2 checkpoints with valid signatures; Merkle roots match up to tree size {n - 1}" in out
    assert "; 1 not yet covered by a checkpoint" in out and cps[0]["tree_size"] == n - 1


async def test_the_csv_export_reads_back_equal_and_verifies(scenario: Scenario) -> None:
    assert [rec for _, rec in read_export(scenario.csv)] == scenario.records
    code, out = await verify(scenario.csv, scenario.checkpoints, scenario.public_key)
    assert code == 0 and out.startswith("OK:"), out
    text = scenario.csv.read_text().splitlines()
    target = next(i for i, line in enumerate(text) if "Memenuhi syarat" in line)
    text[target] = text[target].replace("Memenuhi syarat", "Memenuhi syarat!", 1)
    tampered = scenario.dir / "tampered.csv"
    tampered.write_text("\n".join(text) + "\n")
    code, out = await verify(tampered, scenario.checkpoints, scenario.public_key)
    assert code == 1 and "hash does not match its contents" in out and f"line {target + 1}:" in out


# --- tampering with the export ------------------------------------------------------------------


def victim(records: Records) -> str:
    """A process of four entries or more, every one covered by a checkpoint, not last in the file."""
    order = list(dict.fromkeys(r["process_id"] for r in records))
    for pid in order[:-1]:
        chain = [r for r in records if r["process_id"] == pid]
        if len(chain) >= 4 and all(r["leaf_index"] is not None for r in chain):
            return pid
    raise AssertionError("no process fits")


def position(records: Records, seq: int) -> int:
    pid = victim(records)
    return next(i for i, r in enumerate(records) if r["process_id"] == pid and r["seq"] == seq)


def edit(records: Records) -> Records:
    records[position(records, 2)]["justification"] = "Tidak memenuhi syarat"
    return records


def edit_and_rehash(records: Records) -> Records:
    rec = records[position(records, 2)]
    rec["payload"] = {**rec["payload"], "forged": True}
    rec["hash"] = row_hash(rec)
    rec["leaf_hash"] = ledger_leaf_hash(rec["entry_id"], rec["hash"]).hex()
    return records


def rehash_without_leaf(records: Records) -> Records:
    rec = records[position(records, 2)]
    rec["payload"] = {**rec["payload"], "forged": True}
    rec["hash"] = row_hash(rec)
    return records


def rewrite_the_chain(records: Records) -> Records:
    # Everything an attacker without the signing key can redo: hashes, links and leaf hashes.
    start = position(records, 2)
    records[start]["justification"] = "Tidak memenuhi syarat"
    prev = records[start]["prev_hash"]
    for rec in records[start:]:
        if rec["process_id"] != records[start]["process_id"]:
            break
        rec["prev_hash"] = prev
        rec["hash"] = prev = row_hash(rec)
        rec["leaf_hash"] = ledger_leaf_hash(rec["entry_id"], rec["hash"]).hex()
    return records


def delete_middle(records: Records) -> Records:
    del records[position(records, 3)]
    return records


def delete_chain_end(records: Records) -> Records:
    pid = victim(records)
    del records[max(i for i, r in enumerate(records) if r["process_id"] == pid)]
    return records


def reorder(records: Records) -> Records:
    i, j = position(records, 2), position(records, 3)
    records[i], records[j] = records[j], records[i]
    return records


def duplicate(records: Records) -> Records:
    i = position(records, 2)
    records.insert(i + 1, dict(records[i]))
    return records


def truncate_tail(records: Records) -> Records:
    # Cut lines off the end until at least one entry a checkpoint covered is gone.
    while True:
        gone = records.pop()
        if gone["leaf_index"] is not None:
            return records


TAMPERINGS: list[tuple[Callable[[Records], Records], str]] = [
    (edit, r"\(process .+, seq 2\): hash does not match its contents \(edited\?\)"),
    (edit_and_rehash, r"seq 3\): prev_hash does not link to seq 2"),
    (rehash_without_leaf, r"seq 2\): leaf_hash does not match its entry id and hash"),
    (rewrite_the_chain, r"the Merkle root of the export's leaves 0\.\.\d+ differs from the signed"),
    (
        delete_middle,
        r"seq 4\): entry seq 3 is missing, found seq 4 right after seq 2 \(removed\?\)",
    ),
    (delete_chain_end, r"covers leaves the export lacks: 1 missing \(\d+\); "),
    (reorder, r"seq 3\): out of order, seq 2 of this process comes later in the file"),
    (duplicate, r"seq 2\): seq 2 again after seq 2 \(duplicated or reordered\?\)"),
    (truncate_tail, r"covers leaves the export lacks: \d+ missing"),
]


@pytest.mark.parametrize(
    ("tamper", "expected"), TAMPERINGS, ids=[t.__name__ for t, _ in TAMPERINGS]
)
async def test_each_tampering_of_the_export_is_reported(
    scenario: Scenario, tamper: Callable[[Records], Records], expected: str
) -> None:
    records = tamper([dict(r) for r in scenario.records])
    path = write(scenario.dir / f"{tamper.__name__}.jsonl", records)
    code, out = await verify(path, scenario.checkpoints, scenario.public_key)
    assert code == 1, out
    assert out.startswith("FAIL: "), out
    assert len(out.strip().splitlines()) == 1, out
    assert re.search(expected, out), out
    if tamper in (edit, edit_and_rehash, rehash_without_leaf, delete_middle, reorder, duplicate):
        assert f"process {victim(scenario.records)}" in out


async def test_a_line_cut_short_is_reported(scenario: Scenario) -> None:
    data = scenario.jsonl.read_bytes()
    path = scenario.dir / "cut.jsonl"
    path.write_bytes(data[: len(data) - 40])
    code, out = await verify(path, scenario.checkpoints, scenario.public_key)
    n = len(scenario.records)
    assert code == 1 and f"FAIL: export line {n}: not valid JSON (cut short?)" in out, out


# --- forged checkpoints -------------------------------------------------------------------------


def forge_root(cps: Records) -> None:
    cps[0]["root_hash"] = "ab" * 32


def forge_signature(cps: Records) -> None:
    other = CheckpointSigner.from_seed(b"\x07" * 32)
    msg = checkpoint_message(cps[0]["tree_size"], cps[0]["root_hash"], cps[0]["created_at"])
    cps[0]["signature"] = other.sign(msg)


def forge_with_own_key(cps: Records) -> None:
    other = CheckpointSigner.from_seed(b"\x07" * 32)
    cps[0]["root_hash"] = "ab" * 32
    msg = checkpoint_message(cps[0]["tree_size"], cps[0]["root_hash"], cps[0]["created_at"])
    cps[0].update(signature=other.sign(msg), public_key=other.public_key, key_id=other.key_id)


def forge_size(cps: Records) -> None:
    cps[1]["tree_size"] -= 1


FORGERIES: list[tuple[Callable[[Records], None], str]] = [
    (forge_root, "signature does not verify"),
    (forge_signature, "signature does not verify"),
    (forge_with_own_key, "not a given key"),
    (forge_size, "signature does not verify"),
]


@pytest.mark.parametrize(("forge", "expected"), FORGERIES, ids=[f.__name__ for f, _ in FORGERIES])
async def test_a_forged_checkpoint_is_reported(
    scenario: Scenario, forge: Callable[[Records], None], expected: str
) -> None:
    cps = json.loads(scenario.checkpoints.read_text())
    forge(cps)
    path = scenario.dir / f"{forge.__name__}.json"
    path.write_text(json.dumps(cps))
    code, out = await verify(scenario.jsonl, path, scenario.public_key)
    assert code == 1 and out.startswith("FAIL: checkpoint ") and expected in out, out


async def test_the_wrong_public_key_fails_and_a_bad_one_is_a_usage_error(
    scenario: Scenario,
) -> None:
    other = CheckpointSigner.from_seed(b"\x09" * 32).public_key
    code, out = await verify(scenario.jsonl, scenario.checkpoints, other)
    assert code == 1 and "signed by key" in out, out
    code, out = await verify(scenario.jsonl, scenario.checkpoints, base64.b64encode(b"x").decode())
    assert code == 2 and "32 bytes" in out, out
    # Two keys accepted (a rotation): a root signed with the second still has to match the leaves.
    cps = json.loads(scenario.checkpoints.read_text())
    forge_with_own_key(cps)
    path = scenario.dir / "rotated.json"
    path.write_text(json.dumps(cps))
    proc_args = ("--public-key", cps[0]["public_key"])
    code, out = await verify(scenario.jsonl, path, scenario.public_key, *proc_args)
    assert code == 1 and "differs from the signed root" in out, out


# --- pseudonyms and partial exports -------------------------------------------------------------


async def test_a_pseudonymized_export_hides_nips_and_still_verifies_links(
    scenario: Scenario,
) -> None:
    records = [rec for _, rec in read_export(scenario.pseudonymized)]
    hashes = ("prev_hash", "hash", "leaf_hash")  # hex may hold 18 digits in a row by chance
    text = json.dumps([{k: v for k, v in r.items() if k not in hashes} for r in records])
    assert not NIP.search(text) and "Siti Rahmawati" not in text
    pseudo = Pseudonymizer(PSEUDONYM_KEY.encode())
    assert all(pseudo.token(nip) in text for nip in scenario.nips)
    assert len(records) == len(scenario.records) and all(r["pseudonymized"] for r in records)
    assert [r["hash"] for r in records] == [r["hash"] for r in scenario.records]

    code, out = await verify(scenario.pseudonymized, scenario.checkpoints, scenario.public_key)
    assert code == 0 and "(0 re-hashed from content;" in out, out
    assert f"; {len(records)} pseudonymized (not re-hashed);" in out
    for tamper, expected in ((reorder, "out of order"), (truncate_tail, "lacks")):
        path = write(scenario.dir / f"pseudo-{tamper.__name__}.jsonl", tamper(list(records)))
        code, out = await verify(path, scenario.checkpoints, scenario.public_key)
        assert code == 1 and expected in out, out
    # As documented: content is not re-hashed in a pseudonymized export, so an edit goes unseen.
    edited = [dict(r) for r in records]
    edited[0]["justification"] = "changed"
    path = write(scenario.dir / "pseudo-edit.jsonl", edited)
    assert (await verify(path, scenario.checkpoints, scenario.public_key))[0] == 0


async def test_a_filtered_export_needs_partial(scenario: Scenario) -> None:
    code, out = await verify(scenario.one_process, scenario.checkpoints, scenario.public_key)
    assert code == 1 and "covers leaves the export lacks" in out, out
    code, out = await verify(
        scenario.one_process, scenario.checkpoints, scenario.public_key, "--partial"
    )
    assert code == 0 and "entries in 1 process (" in out and "not checked" in out, out
    assert "; 0 not yet covered" in out
