"""The HTTP HR source against a small SIASN-style service on loopback."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Iterator
from datetime import date

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.contracts import SnapshotRequest
from activities.hr import EmployeeNotFound, HrActivities, TableHrSource
from activities.hr_http import (
    HrRecordInvalid,
    HrSourceRejected,
    HrSourceUnavailable,
    SiasnConfig,
    SiasnHttpSource,
    map_siasn_record,
)
from domain.enums import PromotionType
from domain.ledger import Actor
from domain.rulebook import rulebook_for_period
from infra.settings import Settings
from tests.activities.siasn_stub import SiasnStub, running_stub, siasn_body
from tests.conftest import new_nip
from worker import build_worker, hr_source
from workflows.contracts import StartPromotion
from workflows.promotion import PromotionWorkflow


@pytest.fixture
def stub() -> Iterator[SiasnStub]:
    with running_stub() as s:
        yield s


def source(stub: SiasnStub, **kw: object) -> SiasnHttpSource:
    config: dict[str, object] = {
        "base_url": stub.base_url,
        "token": "siasn-test-token",
        "timeout_seconds": 2.0,
        "retries": 2,
        "backoff_seconds": 0.01,
    }
    config.update(kw)
    return SiasnHttpSource(SiasnConfig(**config))  # type: ignore[arg-type]


async def test_a_good_record_maps_every_section(stub: SiasnStub) -> None:
    nip = new_nip()
    stub.script(nip, (200, siasn_body(nip), 0.0))
    rec = await source(stub).employee(nip)
    assert (rec.nip, rec.name, rec.agency) == (nip, "Dewi Lestari", "KEMENPANRB")
    assert (rec.grade, rec.rank_since) == ("III/b", date(2021, 4, 1))
    assert rec.education == "S1" and rec.credit_points == 112.5
    assert rec.supervisor_nip == "197505052000031002"
    assert (rec.position, rec.position_kind) == ("Analis Kebijakan Ahli Pertama", "functional")
    assert rec.has_position_decree is True
    # The last SKP of a year wins (SIASN appends corrections).
    assert [(r.year, r.rating.value) for r in rec.ratings] == [(2025, "good"), (2026, "very_good")]
    assert [(s.kind, s.start, s.end) for s in rec.sanctions] == [
        ("Teguran Lisan", date(2019, 2, 1), date(2019, 7, 31))
    ]
    assert rec.trainings == ["Latsar CPNS", "PKA"]
    path, headers = stub.requests[0]
    assert path == f"/api/v1/pns/{nip}"
    assert headers["authorization"] == "Bearer siasn-test-token"


async def test_basic_credentials_are_sent_when_there_is_no_token(stub: SiasnStub) -> None:
    nip = new_nip()
    stub.script(nip, (200, siasn_body(nip), 0.0))
    await source(stub, token=None, username="meritflow", password="rahasia").employee(nip)
    expected = base64.b64encode(b"meritflow:rahasia").decode()
    assert stub.requests[0][1]["authorization"] == f"Basic {expected}"


async def test_rank_falls_back_to_data_utama_and_dates_may_be_iso() -> None:
    nip = new_nip()
    body = siasn_body(nip, **{"riwayat-golongan": [], "riwayat-jabatan": []})
    body["data"]["data-utama"]["tmtGolAkhir"] = "2020-10-01"
    rec = map_siasn_record(nip, body)
    assert (rec.grade, rec.rank_since) == ("III/b", date(2020, 10, 1))
    assert (rec.position, rec.position_kind, rec.has_position_decree) == ("", "executor", False)


async def test_404_is_employee_not_found_and_not_retried(stub: SiasnStub) -> None:
    nip = new_nip()
    with pytest.raises(EmployeeNotFound):
        await source(stub).employee(nip)
    assert stub.hits(nip) == 1
    # Through the activity: a non-retryable error the workflow turns into a failed promotion.
    activities = HrActivities(source(stub))
    with pytest.raises(ApplicationError) as err:
        await ActivityEnvironment().run(activities.snapshot_employee, SnapshotRequest(nip=nip))
    assert err.value.type == "employee_not_found" and err.value.non_retryable


async def test_a_500_that_recovers_within_the_retries(stub: SiasnStub) -> None:
    nip = new_nip()
    oops = {"success": False, "message": "Internal Server Error"}
    stub.script(nip, (500, oops, 0.0), (503, oops, 0.0), (200, siasn_body(nip), 0.0))
    activities = HrActivities(source(stub, retries=2))
    rec = await ActivityEnvironment().run(activities.snapshot_employee, SnapshotRequest(nip=nip))
    assert rec.nip == nip and stub.hits(nip) == 3


async def test_a_500_that_never_recovers_is_a_clear_retryable_error(stub: SiasnStub) -> None:
    nip = new_nip()
    stub.script(nip, (500, {"message": "down"}, 0.0))
    with pytest.raises(HrSourceUnavailable) as err:
        await source(stub, retries=2).employee(nip)
    assert stub.hits(nip) == 3
    message = str(err.value)
    assert nip in message and "after 3 attempts" in message and "HTTP 500" in message
    # Temporal's activity retry policy takes over from here.
    assert err.value.type == "hr_source_unavailable" and not err.value.non_retryable


async def test_a_timeout_is_retried_then_reported(stub: SiasnStub) -> None:
    nip = new_nip()
    stub.script(nip, (200, siasn_body(nip), 1.0))  # answers, but after the timeout
    started = time.monotonic()
    with pytest.raises(HrSourceUnavailable) as err:
        await source(stub, timeout_seconds=0.2, retries=1).employee(nip)
    assert time.monotonic() - started < 2.0  # did not wait for the slow answers
    assert "no answer within 0.2 s" in str(err.value) and "after 2 attempts" in str(err.value)
    assert stub.hits(nip) == 2


async def test_a_slow_answer_then_a_quick_one_succeeds(stub: SiasnStub) -> None:
    nip = new_nip()
    stub.script(nip, (200, siasn_body(nip), 1.0), (200, siasn_body(nip), 0.0))
    rec = await source(stub, timeout_seconds=0.2, retries=1).employee(nip)
    assert rec.nip == nip


async def test_refused_credentials_are_not_retried(stub: SiasnStub) -> None:
    nip = new_nip()
    stub.script(nip, (401, {"message": "token expired"}, 0.0))
    with pytest.raises(HrSourceRejected) as err:
        await source(stub).employee(nip)
    assert stub.hits(nip) == 1
    assert "HTTP 401" in str(err.value) and err.value.non_retryable


async def test_a_record_that_does_not_map_is_invalid_not_retried(stub: SiasnStub) -> None:
    nip = new_nip()
    body = siasn_body(nip, **{"riwayat-skp": [{"tahun": 2026, "predikatKinerja": "Luar Biasa"}]})
    stub.script(nip, (200, body, 0.0))
    with pytest.raises(HrRecordInvalid) as err:
        await source(stub).employee(nip)
    assert "Luar Biasa" in str(err.value) and err.value.non_retryable
    other = new_nip()
    stub.script(other, (200, siasn_body(nip), 0.0))  # the answer is about someone else
    with pytest.raises(HrRecordInvalid, match="answer is about"):
        await source(stub).employee(other)


def test_the_worker_chooses_the_source_by_settings(sessions) -> None:
    http = Settings(
        hr_source="http", hr_http_base_url="http://127.0.0.1:9", hr_http_token="sekret-token"
    )
    assert isinstance(hr_source(http, sessions), SiasnHttpSource)
    assert "sekret-token" not in repr(SiasnConfig.from_settings(http)) + repr(http)
    assert isinstance(hr_source(Settings(hr_source="table"), sessions), TableHrSource)
    with pytest.raises(ValueError, match="HR_HTTP_BASE_URL"):
        hr_source(Settings(hr_source="http"), sessions)
    with pytest.raises(ValueError, match="'table' or 'http'"):
        hr_source(Settings(hr_source="ldap"), sessions)


async def test_a_promotion_snapshots_through_the_http_source(
    stub: SiasnStub, dev_env: WorkflowEnvironment, sessions, settings: Settings
) -> None:
    """The worker built with MERITFLOW_HR_SOURCE=http feeds the real workflow from the service,
    riding out a 503 on the way."""
    nip = new_nip()
    stub.script(nip, (503, {"message": "maintenance"}, 0.0), (200, siasn_body(nip), 0.0))
    http_settings = settings.model_copy(
        update={"hr_source": "http", "hr_http_base_url": stub.base_url, "hr_http_token": "tkn"}
    )
    period = date(2027, 4, 1)
    start = StartPromotion(
        nip=nip,
        agency="KEMENPANRB",
        period=period,
        promotion_type=PromotionType.REGULAR,
        rulebook_version=rulebook_for_period(period).version,
        requested_by=Actor(id="simpeg", role="hr_system"),
    )
    async with build_worker(dev_env.client, sessions, http_settings):
        handle = await dev_env.client.start_workflow(
            PromotionWorkflow.run,
            start,
            id=f"promotion-{nip}-2027-04",
            task_queue=http_settings.task_queue,
        )
        try:
            state = await handle.query(PromotionWorkflow.state)
            deadline = time.monotonic() + 60
            while state.eligibility is None and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
                state = await handle.query(PromotionWorkflow.state)
        finally:
            await handle.terminate("test done")
    assert state.eligibility is not None and state.eligibility.eligible, state
    assert stub.hits(nip) == 2
