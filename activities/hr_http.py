"""The HR source over HTTP: employee records from a SIASN-style REST service.

``SiasnHttpSource`` implements :class:`activities.hr.HrSource`; the worker picks it when
``MERITFLOW_HR_SOURCE=http`` (``MERITFLOW_HR_HTTP_BASE_URL``, ``_TOKEN`` or ``_USERNAME`` and
``_PASSWORD``, ``_TIMEOUT_SECONDS``, ``_RETRIES``).

The service
-----------
``GET {base_url}/api/v1/pns/{nip}`` with ``Authorization: Bearer <token>`` (or HTTP basic) answers
``200 {"data": {<section>: …}}``, 404 for an unknown NIP. Sections and how they map onto
:class:`domain.employee.EmployeeRecord` (dates as ``dd-mm-yyyy``, as SIASN writes them, or ISO)::

    data-utama        nipBaru → nip (must be the NIP asked for), nama → name,
                      instansiKerjaKode → agency, pendidikanTerakhir → education ("S-1", "D-III",
                      "SLTA" are normalised to S1, D3, SMA), atasanLangsungNip → supervisor_nip,
                      angkaKredit → credit_points; golRuangAkhir / tmtGolAkhir are the fall-back
                      for grade / rank_since when riwayat-golongan is empty
    riwayat-golongan  [{golongan: "III/b", tmtGolongan}] → the latest by tmtGolongan gives grade
                      and rank_since
    riwayat-jabatan   [{namaJabatan, jenisJabatan, tmtJabatan, nomorSk}] → the latest by tmtJabatan
                      gives position, position_kind (Struktural → structural, Fungsional →
                      functional, Pelaksana / Fungsional Umum → executor) and has_position_decree
                      (a decree number is on file)
    riwayat-skp       [{tahun, predikatKinerja}] → ratings (Sangat Baik → very_good, Baik → good,
                      Butuh Perbaikan → needs_improvement, Kurang → poor, Sangat Kurang →
                      very_poor); the last entry of a year wins, as SIASN appends corrections
    riwayat-hukdis    [{jenisHukuman, tmtHukuman, akhirHukuman}] → sanctions (kind, start, end)
    riwayat-diklat    [{namaDiklat}] → trainings, in order, without repeats

Errors (every one an ``ApplicationError``, so the workflow sees a clean type and sentence)::

    EmployeeNotFound (activities.hr)  404 — HrActivities turns it into a non-retryable error
    HrSourceError                     base of the adapter's own errors
     ├── HrSourceUnavailable          5xx, 408, 429, timeouts, refused connections, after this
     │                                adapter's own retries — retryable: the activity's retry
     │                                policy tries again later
     ├── HrSourceRejected             another 4xx (bad credentials, …) — non-retryable
     └── HrRecordInvalid              a 200 whose JSON does not map to a valid record —
                                      non-retryable: the same data would fail the same way

Retries: a small loop here (``retries`` more attempts after the first, back-off doubling from
``backoff_seconds``, a ``Retry-After`` in seconds honoured up to ``backoff_max_seconds``) rides out
a blip within one activity attempt; Temporal's retry policy is the outer, durable layer. Neither
tenacity nor httpx's transport retries are used: the latter retry only failed connections, not a
503, and the loop is a dozen lines that need no new dependency. Keep ``timeout_seconds × (retries +
1)`` plus the back-offs under the snapshot activity's start-to-close timeout (30 s).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import httpx
import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from temporalio.exceptions import ApplicationError

from activities.hr import EmployeeNotFound
from domain.employee import EmployeeRecord
from infra.settings import Settings

log = structlog.get_logger(__name__)

EMPLOYEE_PATH = "/api/v1/pns/{nip}"
RETRYABLE_STATUSES = frozenset({408, 429})
_NIP = re.compile(r"^[0-9]{18}$")


class HrSourceError(ApplicationError):
    error_type = "hr_source_error"
    retryable = True

    def __init__(self, message: str) -> None:
        super().__init__(message, type=self.error_type, non_retryable=not self.retryable)


class HrSourceUnavailable(HrSourceError):
    error_type = "hr_source_unavailable"


class HrSourceRejected(HrSourceError):
    error_type = "hr_source_rejected"
    retryable = False


class HrRecordInvalid(HrSourceError):
    error_type = "hr_record_invalid"
    retryable = False


@dataclass(frozen=True)
class SiasnConfig:
    base_url: str
    token: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_seconds: float = 5.0
    retries: int = 2
    backoff_seconds: float = 0.5
    backoff_max_seconds: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SiasnConfig:
        if not settings.hr_http_base_url:
            raise ValueError("MERITFLOW_HR_SOURCE=http needs MERITFLOW_HR_HTTP_BASE_URL")
        return cls(
            base_url=settings.hr_http_base_url,
            token=settings.hr_http_token,
            username=settings.hr_http_username,
            password=settings.hr_http_password,
            timeout_seconds=settings.hr_http_timeout_seconds,
            retries=settings.hr_http_retries,
        )


class SiasnHttpSource:
    """Reads one employee per call; see the module docstring for the service and the mapping."""

    def __init__(
        self, config: SiasnConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._config = config
        self._transport = transport

    async def employee(self, nip: str) -> EmployeeRecord:
        if not _NIP.match(nip):
            raise EmployeeNotFound(nip)
        body = await self._fetch(nip)
        try:
            return map_siasn_record(nip, body)
        except (ValidationError, ValueError, TypeError, KeyError) as exc:
            raise HrRecordInvalid(
                f"The HR source's record for NIP {nip} cannot be used: {_short(exc)}"
            ) from exc

    def _client(self) -> httpx.AsyncClient:
        cfg = self._config
        headers = {"accept": "application/json", "user-agent": "Meritflow-HR/1"}
        auth: httpx.Auth | None = None
        if cfg.token:
            headers["authorization"] = f"Bearer {cfg.token}"
        elif cfg.username is not None:
            auth = httpx.BasicAuth(cfg.username, cfg.password or "")
        return httpx.AsyncClient(
            base_url=cfg.base_url.rstrip("/"),
            headers=headers,
            auth=auth,
            timeout=httpx.Timeout(cfg.timeout_seconds),
            transport=self._transport,
            follow_redirects=False,
        )

    async def _fetch(self, nip: str) -> Any:
        return await self.get_json(EMPLOYEE_PATH.format(nip=nip), f"NIP {nip}", nip=nip)

    async def get_json(
        self, path: str, what: str, *, params: dict[str, Any] | None = None, nip: str | None = None
    ) -> Any:
        """GET ``path`` with this adapter's credentials and retries; 404 is EmployeeNotFound."""
        attempts = self._config.retries + 1
        last = ""
        async with self._client() as http:
            for attempt in range(1, attempts + 1):
                retry_after: float | None = None
                try:
                    response = await http.get(path, params=params)
                except httpx.TimeoutException:
                    last = f"no answer within {self._config.timeout_seconds:g} s"
                except httpx.TransportError as exc:
                    last = f"connection failed ({type(exc).__name__})"
                else:
                    if response.status_code == 404:
                        raise EmployeeNotFound(nip or what)
                    if response.is_success:
                        return _json(response, what)
                    status = response.status_code
                    if status < 500 and status not in RETRYABLE_STATUSES:
                        raise HrSourceRejected(
                            f"The HR source refused the request for {what} with HTTP {status}."
                        )
                    last = f"HTTP {status}"
                    retry_after = _retry_after(response)
                log.warning("hr_http.attempt_failed", what=what, attempt=attempt, error=last)
                if attempt < attempts:
                    await asyncio.sleep(self._delay(attempt, retry_after))
        raise HrSourceUnavailable(
            f"The HR source did not give {what} after {attempts} attempts (last: {last})."
        )

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        cfg = self._config
        delay = cfg.backoff_seconds * 2 ** (attempt - 1)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return float(min(delay, cfg.backoff_max_seconds))


def _json(response: httpx.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise HrRecordInvalid(f"The HR source answered for {what} with no JSON.") from exc


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
    return str(exc)[:300]


# --- the service's JSON ---------------------------------------------------------------------------


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _DataUtama(_Wire):
    nip: str = Field(alias="nipBaru")
    nama: str
    instansi: str = Field(alias="instansiKerjaKode")
    pendidikan: str = Field(alias="pendidikanTerakhir")
    atasan: str | None = Field(None, alias="atasanLangsungNip")
    angka_kredit: float | None = Field(None, alias="angkaKredit")
    gol_akhir: str | None = Field(None, alias="golRuangAkhir")
    tmt_gol_akhir: str | None = Field(None, alias="tmtGolAkhir")


class _Golongan(_Wire):
    golongan: str
    tmt: str = Field(alias="tmtGolongan")


class _Jabatan(_Wire):
    nama: str = Field("", alias="namaJabatan")
    jenis: str = Field("", alias="jenisJabatan")
    tmt: str = Field(alias="tmtJabatan")
    nomor_sk: str | None = Field(None, alias="nomorSk")


class _Skp(_Wire):
    tahun: int
    predikat: str = Field(alias="predikatKinerja")


class _Hukdis(_Wire):
    jenis: str = Field(alias="jenisHukuman")
    tmt: str = Field(alias="tmtHukuman")
    akhir: str | None = Field(None, alias="akhirHukuman")


class _Diklat(_Wire):
    nama: str = Field(alias="namaDiklat")


class _Pns(_Wire):
    utama: _DataUtama = Field(alias="data-utama")
    golongan: list[_Golongan] = Field(default_factory=list, alias="riwayat-golongan")
    jabatan: list[_Jabatan] = Field(default_factory=list, alias="riwayat-jabatan")
    skp: list[_Skp] = Field(default_factory=list, alias="riwayat-skp")
    hukdis: list[_Hukdis] = Field(default_factory=list, alias="riwayat-hukdis")
    diklat: list[_Diklat] = Field(default_factory=list, alias="riwayat-diklat")


RATINGS = {
    "sangat baik": "very_good",
    "baik": "good",
    "butuh perbaikan": "needs_improvement",
    "kurang": "poor",
    "sangat kurang": "very_poor",
}
POSITION_KINDS = {
    "struktural": "structural",
    "fungsional": "functional",
    "fungsional tertentu": "functional",
    "fungsional umum": "executor",
    "pelaksana": "executor",
}
EDUCATION_ALIASES = {"SLTA": "SMA", "SMK": "SMA", "SLTP": "SMP", "DI": "D1", "DII": "D2"}
EDUCATION_ALIASES |= {"DIII": "D3", "DIV": "D4"}


def parse_siasn_date(value: str) -> date:
    """``dd-mm-yyyy`` (SIASN) or ISO ``yyyy-mm-dd``."""
    text = value.strip()
    for fmt in ("%d-%m-%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {value!r}")


def education(value: str) -> str:
    key = value.upper().replace("-", "").replace(" ", "")
    return EDUCATION_ALIASES.get(key, key)


def lookup(table: dict[str, str], value: str, what: str) -> str:
    try:
        return table[value.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown {what} {value!r}") from None


def map_siasn_record(nip: str, body: Any) -> EmployeeRecord:
    """The service's JSON (``{"data": {…}}``) as an EmployeeRecord; raises on anything off."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise ValueError("the answer has no 'data' object")
    pns = _Pns.model_validate(body["data"])
    u = pns.utama
    if u.nip != nip:
        raise ValueError(f"asked for NIP {nip}, the answer is about {u.nip}")
    grade, rank_since = _rank(pns)
    record: dict[str, Any] = {
        "nip": u.nip,
        "name": u.nama,
        "agency": u.instansi,
        "grade": grade,
        "rank_since": rank_since,
        "education": education(u.pendidikan),
        "supervisor_nip": u.atasan or None,
        "credit_points": u.angka_kredit or 0,
        "ratings": _ratings(pns.skp),
        "sanctions": [
            {
                "kind": h.jenis,
                "start": parse_siasn_date(h.tmt),
                "end": parse_siasn_date(h.akhir) if h.akhir else None,
            }
            for h in pns.hukdis
        ],
        "trainings": list(dict.fromkeys(d.nama for d in pns.diklat)),
        **_position(pns.jabatan),
    }
    return EmployeeRecord.model_validate(record)


def _rank(pns: _Pns) -> tuple[str, date]:
    if pns.golongan:
        latest = max(pns.golongan, key=lambda g: parse_siasn_date(g.tmt))
        return latest.golongan.strip(), parse_siasn_date(latest.tmt)
    u = pns.utama
    if u.gol_akhir and u.tmt_gol_akhir:
        return u.gol_akhir.strip(), parse_siasn_date(u.tmt_gol_akhir)
    raise ValueError("no rank: riwayat-golongan is empty and data-utama has no golRuangAkhir")


def _position(jabatan: list[_Jabatan]) -> dict[str, Any]:
    if not jabatan:
        return {}
    latest = max(jabatan, key=lambda j: parse_siasn_date(j.tmt))
    return {
        "position": latest.nama,
        "position_kind": lookup(POSITION_KINDS, latest.jenis or "pelaksana", "jenisJabatan"),
        "has_position_decree": bool(latest.nomor_sk and latest.nomor_sk.strip()),
    }


def _ratings(skp: list[_Skp]) -> list[dict[str, Any]]:
    by_year: dict[int, str] = {}
    for s in skp:
        by_year[s.tahun] = lookup(RATINGS, s.predikat, "predikatKinerja")
    return [{"year": y, "rating": r} for y, r in sorted(by_year.items())]
