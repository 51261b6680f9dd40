"""A small SIASN-style service on 127.0.0.1 for the HTTP HR source's tests (standard library only).

Each NIP gets a script: a list of answers ``(status, body, delay_seconds)`` served in turn, the last
one repeated. Every request's headers are kept, so tests can check credentials and attempt counts.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = tuple[int, Any, float]


class SiasnStub:
    def __init__(self) -> None:
        self.scripts: dict[str, list[Answer]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self.base_url = ""

    def script(self, nip: str, *answers: Answer) -> None:
        with self._lock:
            self.scripts[nip] = list(answers)

    def hits(self, nip: str) -> int:
        with self._lock:
            return sum(1 for path, _ in self.requests if path.endswith(f"/{nip}"))

    def next_answer(self, path: str, headers: dict[str, str]) -> Answer:
        with self._lock:
            self.requests.append((path, headers))
            nip = path.rstrip("/").rsplit("/", 1)[-1]
            if not path.startswith("/api/v1/pns/") or nip not in self.scripts:
                return 404, {"success": False, "message": "PNS tidak ditemukan"}, 0.0
            answers = self.scripts[nip]
            return answers.pop(0) if len(answers) > 1 else answers[0]


def _handler(stub: SiasnStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body, delay = stub.next_answer(
                self.path, {k.lower(): v for k, v in self.headers.items()}
            )
            if delay:
                time.sleep(delay)
            data = json.dumps(body).encode() if not isinstance(body, bytes) else body
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (a timeout test): nothing to answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_stub() -> Iterator[SiasnStub]:
    stub = SiasnStub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    server.daemon_threads = True
    server.block_on_close = False
    stub.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def siasn_body(nip: str, **overrides: Any) -> dict[str, Any]:
    """A plausible SIASN answer for one civil servant (dates as SIASN writes them)."""
    data: dict[str, Any] = {
        "data-utama": {
            "nipBaru": nip,
            "nama": "Dewi Lestari",
            "instansiKerjaKode": "KEMENPANRB",
            "pendidikanTerakhir": "S-1",
            "atasanLangsungNip": "197505052000031002",
            "angkaKredit": 112.5,
            "golRuangAkhir": "III/b",
            "tmtGolAkhir": "01-04-2021",
        },
        "riwayat-golongan": [
            {"golongan": "III/a", "tmtGolongan": "01-04-2017", "nomorSk": "SK-1"},
            {"golongan": "III/b", "tmtGolongan": "01-04-2021", "nomorSk": "SK-2"},
        ],
        "riwayat-jabatan": [
            {
                "namaJabatan": "Pengelola Data",
                "jenisJabatan": "Pelaksana",
                "tmtJabatan": "01-01-2017",
                "nomorSk": "",
            },
            {
                "namaJabatan": "Analis Kebijakan Ahli Pertama",
                "jenisJabatan": "Fungsional",
                "tmtJabatan": "2022-02-01",
                "nomorSk": "KEP-22/2022",
            },
        ],
        "riwayat-skp": [
            {"tahun": 2025, "predikatKinerja": "Butuh Perbaikan"},
            {"tahun": 2025, "predikatKinerja": "Baik"},
            {"tahun": 2026, "predikatKinerja": "Sangat Baik"},
        ],
        "riwayat-hukdis": [
            {
                "jenisHukuman": "Teguran Lisan",
                "tmtHukuman": "01-02-2019",
                "akhirHukuman": "31-07-2019",
            }
        ],
        "riwayat-diklat": [
            {"namaDiklat": "Latsar CPNS", "tahun": 2017},
            {"namaDiklat": "PKA", "tahun": 2023},
            {"namaDiklat": "PKA", "tahun": 2024},
        ],
    }
    data.update(overrides)
    return {"success": True, "data": data}
