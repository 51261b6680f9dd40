"""GET /v1/audit/export through the API: formats, filters, agency scope, refusals."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from integrity.export import EXPORT_COLUMNS
from tests.e2e.checkpoint_support import AGENCY, checkpoint_stack, promotion_with_history


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


async def test_export_formats_filters_and_scope(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with checkpoint_stack(dev_env, tmp_path) as api:
        first = await promotion_with_history(api)
        await api.checkpoint()
        second = await promotion_with_history(api)

        r = await api.http.get("/v1/audit/export", headers=api.auth("admin", "root", None))
        assert r.status_code == 200 and r.headers["content-type"] == "application/x-ndjson"
        assert 'filename="meritflow-ledger.jsonl"' in r.headers["content-disposition"]
        everything = lines(r.text)
        assert {e["process_id"] for e in everything} == {first, second}
        assert list(everything[0]) == list(EXPORT_COLUMNS)
        indexed = [e for e in everything if e["process_id"] == first]
        assert all(e["leaf_index"] is not None and len(e["leaf_hash"]) == 64 for e in indexed)
        assert all(e["leaf_index"] is None for e in everything if e["process_id"] == second)

        table = await api.ok("/v1/audit/export", format="csv")
        rows = list(csv.DictReader(io.StringIO(table)))
        assert [r["entry_id"] for r in rows] == [e["entry_id"] for e in everything]
        assert list(rows[0]) == list(EXPORT_COLUMNS)

        only = lines(await api.ok("/v1/audit/export", process_id=first, agency=AGENCY))
        assert only == indexed
        assert lines(await api.ok("/v1/audit/export", process_kind="selection")) == []
        later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        assert lines(await api.ok("/v1/audit/export", **{"from": later})) == []
        earlier = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        assert len(lines(await api.ok("/v1/audit/export", **{"from": earlier}))) == len(everything)

        # Scope: an agency-bound auditor exports its own agency only.
        own = lines(await api.ok("/v1/audit/export", agency=AGENCY, role="auditor"))
        assert own == everything
        assert lines(await api.ok("/v1/audit/export", role="auditor", agency="KEMENKEU")) == []

        refusals = [
            ({"agency": "KEMENKEU"}, "auditor", AGENCY, 403, "agency_out_of_scope"),
            ({}, "agency_hr", AGENCY, 403, "forbidden_role"),
            ({"format": "xml"}, "auditor", None, 422, "validation_error"),
            ({"from": "2026-01-01T00:00:00"}, "auditor", None, 422, "validation_error"),
            ({"from": later, "to": earlier}, "auditor", None, 422, "validation_error"),
        ]
        for params, role, agency, status, code in refusals:
            r = await api.http.get(
                "/v1/audit/export", params=params, headers=api.auth(role, "x", agency)
            )
            assert (r.status_code, r.json()["error"]) == (status, code), (params, r.text)


async def test_pseudonyms_without_a_key_outside_development_are_refused(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with checkpoint_stack(
        dev_env, tmp_path, env="production", export_pseudonymize=True
    ) as api:
        r = await api.http.get("/v1/audit/export", headers=api.auth("auditor", "a", None))
        assert r.status_code == 503 and r.json()["error"] == "pseudonym_key_missing"
