"""Talent inputs over HTTP: performance and potential from a SIASN-style service.

``SiasnTalentSource`` implements :class:`activities.hr.TalentSource` with the credentials, timeouts
and retries of :class:`activities.hr_http.SiasnHttpSource` (one configuration, one retry loop).

The service
-----------
``GET {base_url}/api/v1/talenta/pns?instansiKerjaKode=<agency>&halaman=<n>&ukuran=<size>`` answers
``200 {"data": [<row>…], "halaman": n, "jumlahHalaman": m}``; ``GET …/talenta/pns/{nip}`` answers
``{"data": <row>}`` (404 for an unknown NIP). A row (dates ``dd-mm-yyyy`` or ISO)::

    nipBaru, nama, instansiKerjaKode      → nip, name, agency
    provinsi, rumpunJabatan               → province, job_family
    jenjangJabatan                        → position_level ("Administrator", "Ahli Madya",
                                            "JPT Pratama", … normalised to administrator, …)
    golRuangAkhir, pendidikanTerakhir     → grade, education ("S-2" → S2, as for employees)
    tanggalLahir                          → birth_date
    masaKerjaTahun, masaJabatanSeniorTahun → years_experience, years_senior_post
    riwayat-skp [{tahun, predikatKinerja}] → ratings (Sangat Baik → very_good, …; the last of a
                                            year wins)
    jumlahPenghargaan, jumlahPenugasanTim → awards, team_assignments
    asesmen {nilaiKompetensi, tanggalAsesmen, nilaiPotensi} → competency_score,
                                            competency_assessed_on, potential_score
    riwayat-hukdis [{tingkatHukuman, tmtHukuman, akhirHukuman}] → integrity (Ringan, Sedang,
                                            Berat → light, medium, heavy)
    riwayat-diklat [{namaDiklat}]         → trainings

A row that does not map is one error of the batch (its position, NIP if readable, the field and
why); the rows around it are kept. A page that is not JSON or has no ``data`` list fails the read
(``HrRecordInvalid``, not retried): the service's answer, not a row, is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from activities.hr import EmployeeNotFound, TalentBatch
from activities.hr_http import (
    RATINGS,
    HrRecordInvalid,
    SiasnHttpSource,
    education,
    lookup,
    parse_siasn_date,
)
from domain.talent.records import TalentRecord

LIST_PATH = "/api/v1/talenta/pns"
ONE_PATH = "/api/v1/talenta/pns/{nip}"
PAGE_SIZE = 500
# A province has about 100,000 civil servants; more pages than this is a service gone wrong.
MAX_PAGES = 1000
LEVELS = {
    "pelaksana": "pelaksana",
    "pengawas": "pengawas",
    "administrator": "administrator",
    "ahli pertama": "ahli_pertama",
    "ahli muda": "ahli_muda",
    "ahli madya": "ahli_madya",
    "ahli utama": "ahli_utama",
    "jpt pratama": "jpt_pratama",
    "jpt madya": "jpt_madya",
    "jpt utama": "jpt_utama",
}


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _Asesmen(_Wire):
    kompetensi: float | None = Field(None, alias="nilaiKompetensi")
    tanggal: str | None = Field(None, alias="tanggalAsesmen")
    potensi: float | None = Field(None, alias="nilaiPotensi")


class _Skp(_Wire):
    tahun: int
    predikat: str = Field(alias="predikatKinerja")


class _Hukdis(_Wire):
    tingkat: str = Field(alias="tingkatHukuman")
    tmt: str = Field(alias="tmtHukuman")
    akhir: str | None = Field(None, alias="akhirHukuman")


class _Diklat(_Wire):
    nama: str = Field(alias="namaDiklat")


class _Row(_Wire):
    nip: str = Field(alias="nipBaru")
    nama: str
    instansi: str = Field(alias="instansiKerjaKode")
    provinsi: str | None = None
    rumpun: str | None = Field(None, alias="rumpunJabatan")
    jenjang: str = Field(alias="jenjangJabatan")
    golongan: str | None = Field(None, alias="golRuangAkhir")
    pendidikan: str = Field(alias="pendidikanTerakhir")
    lahir: str = Field(alias="tanggalLahir")
    masa_kerja: float = Field(alias="masaKerjaTahun")
    masa_senior: float = Field(0, alias="masaJabatanSeniorTahun")
    skp: list[_Skp] = Field(default_factory=list, alias="riwayat-skp")
    penghargaan: int = Field(0, alias="jumlahPenghargaan")
    tim: int = Field(0, alias="jumlahPenugasanTim")
    asesmen: _Asesmen = Field(default_factory=_Asesmen)
    hukdis: list[_Hukdis] = Field(default_factory=list, alias="riwayat-hukdis")
    diklat: list[_Diklat] = Field(default_factory=list, alias="riwayat-diklat")


def map_row(body: Any) -> TalentRecord:
    """One row of the service as a TalentRecord; raises ValueError or ValidationError if off."""
    row = _Row.model_validate(body)
    ratings: dict[int, str] = {}
    for s in row.skp:
        ratings[s.tahun] = lookup(RATINGS, s.predikat, "predikatKinerja")
    a = row.asesmen
    return TalentRecord.model_validate(
        {
            "nip": row.nip,
            "name": row.nama,
            "agency": row.instansi,
            "province": row.provinsi,
            "job_family": row.rumpun,
            "position_level": lookup(LEVELS, row.jenjang, "jenjangJabatan"),
            "grade": row.golongan,
            "education": education(row.pendidikan),
            "birth_date": parse_siasn_date(row.lahir),
            "years_experience": row.masa_kerja,
            "years_senior_post": row.masa_senior,
            "ratings": [{"year": y, "rating": r} for y, r in sorted(ratings.items())],
            "awards": row.penghargaan,
            "team_assignments": row.tim,
            "competency_score": a.kompetensi,
            "competency_assessed_on": parse_siasn_date(a.tanggal) if a.tanggal else None,
            "potential_score": a.potensi,
            "integrity": [
                {
                    "severity": h.tingkat,
                    "start": parse_siasn_date(h.tmt),
                    "end": parse_siasn_date(h.akhir) if h.akhir else None,
                }
                for h in row.hukdis
            ],
            "trainings": list(dict.fromkeys(d.nama for d in row.diklat)),
        }
    )


def row_error(index: int, body: Any, err: Exception) -> dict[str, Any]:
    nip = body.get("nipBaru") if isinstance(body, dict) else None
    if isinstance(err, ValidationError):
        first = err.errors()[0]
        column = ".".join(str(p) for p in first.get("loc", ())) or "row"
        message = str(first.get("msg", "invalid"))
    else:
        column, message = "row", str(err)[:300]
    return {"row": index, "nip": nip, "column": column, "message": message}


class SiasnTalentSource:
    """Reads each agency's rows page by page; every unmappable row becomes one error."""

    def __init__(self, http: SiasnHttpSource, *, page_size: int = PAGE_SIZE) -> None:
        self._http = http
        self._page_size = page_size

    async def talent_records(self, agencies: Sequence[str]) -> TalentBatch:
        batch = TalentBatch()
        index = 0
        for agency in agencies:
            for rows in await self._pages(agency):
                for body in rows:
                    try:
                        batch.records.append(map_row(body))
                    except (ValidationError, ValueError, TypeError) as err:
                        batch.errors.append(row_error(index, body, err))
                    index += 1
        return batch

    async def _pages(self, agency: str) -> list[list[Any]]:
        pages: list[list[Any]] = []
        page, last = 1, 1
        while page <= last and page <= MAX_PAGES:
            params = {"instansiKerjaKode": agency, "halaman": page, "ukuran": self._page_size}
            what = f"the talent rows of {agency}, page {page}"
            try:
                body = await self._http.get_json(LIST_PATH, what, params=params)
            except EmployeeNotFound:
                return pages  # an agency the service does not know has no rows
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise HrRecordInvalid(f"The HR source's answer for {what} has no 'data' list.")
            pages.append(body["data"])
            last = int(body.get("jumlahHalaman") or page)
            page += 1
        return pages

    async def talent_record(self, nip: str) -> TalentRecord:
        what = f"the talent record of NIP {nip}"
        body = await self._http.get_json(ONE_PATH.format(nip=nip), what, nip=nip)
        data = body.get("data") if isinstance(body, dict) else None
        try:
            record = map_row(data)
        except (ValidationError, ValueError, TypeError) as err:
            raise HrRecordInvalid(f"The HR source's {what} cannot be used: {err}"[:400]) from err
        if record.nip != nip:
            raise HrRecordInvalid(f"Asked for {what}, the answer is about {record.nip}.")
        return record
