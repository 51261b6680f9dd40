"""Talent inputs from the HR source: the SIASN-style service page by page (bad rows named, the rest
kept), one record for the appointment check, and Meritflow's own table filled by CSV."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from activities.hr import EmployeeNotFound, TableTalentSource
from activities.hr_http import HrRecordInvalid, HrSourceUnavailable, SiasnConfig, SiasnHttpSource
from activities.hr_talent_http import SiasnTalentSource, map_row
from store.talent import records


def row(nip: str, **kw: Any) -> dict[str, Any]:
    return {
        "nipBaru": nip,
        "nama": "Ayu Wulandari",
        "instansiKerjaKode": "PEMKOT-X",
        "provinsi": "JAWA TIMUR",
        "rumpunJabatan": "finance",
        "jenjangJabatan": "Ahli Madya",
        "golRuangAkhir": "IV/b",
        "pendidikanTerakhir": "S-2",
        "tanggalLahir": "17-08-1978",
        "masaKerjaTahun": 18,
        "masaJabatanSeniorTahun": 3,
        "riwayat-skp": [
            {"tahun": 2025, "predikatKinerja": "Baik"},
            {"tahun": 2025, "predikatKinerja": "Sangat Baik"},
            {"tahun": 2024, "predikatKinerja": "Butuh Perbaikan"},
        ],
        "jumlahPenghargaan": 1,
        "jumlahPenugasanTim": 4,
        "asesmen": {"nilaiKompetensi": 84.5, "tanggalAsesmen": "01-03-2026", "nilaiPotensi": 77},
        "riwayat-hukdis": [
            {"tingkatHukuman": "Ringan", "tmtHukuman": "02-01-2023", "akhirHukuman": "01-07-2023"}
        ],
        "riwayat-diklat": [{"namaDiklat": "PKA"}, {"namaDiklat": "PKA"}],
        **kw,
    }


def test_a_row_maps_onto_a_record() -> None:
    r = map_row(row("197808172005012001"))
    assert (r.position_level, r.education, r.birth_date) == ("ahli_madya", "S2", date(1978, 8, 17))
    assert [(x.year, x.rating.value) for x in r.ratings] == [
        (2024, "needs_improvement"),
        (2025, "very_good"),  # the last entry of a year wins
    ]
    assert r.integrity[0].severity.value == "light" and r.trainings == ["PKA"]
    assert (r.competency_score, r.competency_assessed_on) == (84.5, date(2026, 3, 1))


def source(
    pages: dict[tuple[str, int], Any], single: dict[str, Any] | None = None, fail: int = 0
) -> SiasnTalentSource:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] <= fail:
            return httpx.Response(503)
        if request.url.path.startswith("/api/v1/talenta/pns/"):
            nip = request.url.path.rsplit("/", 1)[-1]
            found = (single or {}).get(nip)
            return httpx.Response(200, json={"data": found}) if found else httpx.Response(404)
        agency = request.url.params["instansiKerjaKode"]
        page = int(request.url.params["halaman"])
        body = pages.get((agency, page))
        return httpx.Response(404) if body is None else httpx.Response(200, json=body)

    config = SiasnConfig(base_url="http://siasn.test", token="t", retries=2, backoff_seconds=0)
    return SiasnTalentSource(SiasnHttpSource(config, transport=httpx.MockTransport(handler)))


async def test_pages_are_read_and_every_bad_row_is_named_the_rest_kept() -> None:
    good = [row(f"19780817200501{i:04d}") for i in range(3)]
    bad_level = row("197808172005019998", jenjangJabatan="Menteri")
    no_date = {k: v for k, v in row("197808172005019999").items() if k != "tanggalLahir"}
    pages = {
        ("PEMKOT-X", 1): {"data": [good[0], bad_level], "halaman": 1, "jumlahHalaman": 2},
        ("PEMKOT-X", 2): {"data": [good[1], no_date, good[2]], "halaman": 2, "jumlahHalaman": 2},
    }
    batch = await source(pages, fail=1).talent_records(["PEMKOT-X", "UNKNOWN"])
    assert [r.nip for r in batch.records] == [g["nipBaru"] for g in good]
    assert [(e["row"], e["nip"], e["column"]) for e in batch.errors] == [
        (1, "197808172005019998", "row"),
        (3, "197808172005019999", "tanggalLahir"),
    ]
    assert "jenjangJabatan" in batch.errors[0]["message"]


async def test_a_page_without_data_fails_the_read_not_a_row() -> None:
    with pytest.raises(HrRecordInvalid):
        await source({("A", 1): {"rows": []}}).talent_records(["A"])
    with pytest.raises(HrSourceUnavailable):
        await source({("A", 1): {"data": []}}, fail=10).talent_records(["A"])


async def test_one_record_for_the_appointment_check() -> None:
    nip = "197808172005010001"
    src = source({}, single={nip: row(nip)})
    assert (await src.talent_record(nip)).nip == nip
    with pytest.raises(EmployeeNotFound):
        await src.talent_record("197808172005010002")
    wrong = source({}, single={nip: row("197808172005010003")})
    with pytest.raises(HrRecordInvalid):
        await wrong.talent_record(nip)


async def test_the_table_source_reads_what_the_csv_import_stored(sessions) -> None:
    record = map_row(row("197808172005017777", instansiKerjaKode="PEMKOT-TABLE"))
    async with sessions() as session, session.begin():
        await records.upsert_profiles(session, [record], now=datetime.now(UTC))
    batch = await TableTalentSource(sessions).talent_records(["PEMKOT-TABLE"])
    assert [r.nip for r in batch.records] == [record.nip] and not batch.errors
    assert await TableTalentSource(sessions).talent_record(record.nip) == record
